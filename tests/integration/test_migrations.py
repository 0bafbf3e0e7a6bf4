"""Migrations build exactly the tables the code declares, on each backend."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, make_url, text

from arshield.all_models import Base
from arshield.cli.db import alembic_config, upgrade
from arshield.kit.db import make_engine
from tests.conftest import PG_ENV, PG_SKIP
from tests.integration.receivables.test_settlement import open_items_plan

SCRATCH_DB = "arshield_migrations_test"


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrate.db'}"
        return
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip(PG_SKIP)
    admin = make_engine(url, pool=False).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {SCRATCH_DB}"))
        conn.execute(text(f"CREATE DATABASE {SCRATCH_DB}"))
    yield make_url(url).set(database=SCRATCH_DB).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {SCRATCH_DB} WITH (FORCE)"))
    admin.dispose()


def test_upgrade_then_check_finds_no_drift(fresh_url: str) -> None:
    upgrade(fresh_url)
    command.check(alembic_config(fresh_url))
    engine = make_engine(fresh_url, pool=False)
    tables = set(inspect(engine).get_table_names())
    with engine.begin() as conn:
        # The index on an expression, which the comparison above leaves out, serves the query.
        plan = open_items_plan(conn)
    engine.dispose()
    assert set(Base.metadata.tables) <= tables
    assert "ix_invoices_org_company_open" in plan, plan
