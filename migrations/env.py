"""Alembic environment: runs against ``sqlalchemy.url`` (set by ``arshield db``)."""

from __future__ import annotations

import warnings
from typing import Any

from alembic import context

from arshield.all_models import Base
from arshield.kit.db import StrEnumType, UTCDateTime, make_engine

config = context.config


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render the platform's column types as plain SQLAlchemy types in migrations."""
    if type_ == "type" and isinstance(obj, StrEnumType):
        return f"sa.String(length={obj.impl.length})"
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


target_metadata = Base.metadata

# Indexes on expressions are left out of the comparison: SQLite cannot reflect them, and
# PostgreSQL gives back its own spelling of the expression. Each is created by hand in its
# migration, and tests/integration/test_migrations.py checks that the queries use it.
EXPRESSION_INDEXES = ("ix_invoices_org_company_open",)
for _name in EXPRESSION_INDEXES:
    warnings.filterwarnings("ignore", message=f".*expression-based index '?{_name}")


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, other: Any) -> bool:
    return not (type_ == "index" and name in EXPRESSION_INDEXES)


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url
    engine = make_engine(url, pool=False)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            render_item=render_item,
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
