"""Append-only tables, enforced by the database itself.

Journals and the audit trail are corrected by new rows, never by changing old ones. Guarded
tables refuse UPDATE and DELETE (and, on PostgreSQL, TRUNCATE, which row triggers do not see)
with an error naming the table. The same DDL is installed by ``metadata.create_all`` (through
:func:`guard`) and by migrations (through :func:`install_guard` / :func:`drop_guard`, or the
statements of :func:`guard_statements` / :func:`unguard_statements`).

Both databases raise an integrity error (PostgreSQL SQLSTATE 23001 ``restrict_violation``,
SQLite ``SQLITE_CONSTRAINT_TRIGGER``), so callers see one exception class on either.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, Table, event, text
from sqlalchemy.sql import FromClause

APPEND_ONLY = "append_only"
"""Key set to ``True`` in a guarded table's ``info``."""

_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,39}$")
_DIALECTS = ("postgresql", "sqlite")


def _checked(table_name: str, dialect: str) -> str:
    if not _NAME.match(table_name):
        raise ValueError(f"{table_name!r} is not a plain lower-case table name")
    if dialect not in _DIALECTS:
        raise ValueError(f"append-only guards exist for {', '.join(_DIALECTS)}, not {dialect!r}")
    return table_name


_AFTER_OPERATION = " is not allowed; record a correcting row instead"


def violation_message(table_name: str, operation: str) -> str:
    """The error a guarded table raises for ``operation`` (UPDATE, DELETE or TRUNCATE)."""
    return f"{table_name} is append-only: {operation}{_AFTER_OPERATION}"


def guard_statements(table_name: str, dialect: str) -> list[str]:
    """The DDL that makes ``table_name`` append-only on ``dialect`` (postgresql or sqlite)."""
    name = _checked(table_name, dialect)
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {name}_append_only_{op.lower()} "
            f"BEFORE {op} ON {name} "
            f"BEGIN SELECT RAISE(ABORT, '{violation_message(name, op)}'); END"
            for op in ("UPDATE", "DELETE")
        ]
    # The message is built with || rather than a format string: no '%' for the driver to read.
    before = violation_message(name, "").removesuffix(_AFTER_OPERATION)
    return [
        f"CREATE OR REPLACE FUNCTION {name}_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"RAISE EXCEPTION USING MESSAGE = '{before}' || TG_OP || '{_AFTER_OPERATION}', "
        "ERRCODE = 'restrict_violation'; "
        "END $$",
        f"CREATE TRIGGER {name}_append_only_row BEFORE UPDATE OR DELETE ON {name} "
        f"FOR EACH ROW EXECUTE FUNCTION {name}_append_only()",
        f"CREATE TRIGGER {name}_append_only_truncate BEFORE TRUNCATE ON {name} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_append_only()",
    ]


def unguard_statements(table_name: str, dialect: str) -> list[str]:
    """The DDL that removes :func:`guard_statements`' triggers (and function) again."""
    name = _checked(table_name, dialect)
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {name}_append_only_{op}" for op in ("update", "delete")]
    return [
        f"DROP TRIGGER IF EXISTS {name}_append_only_truncate ON {name}",
        f"DROP TRIGGER IF EXISTS {name}_append_only_row ON {name}",
        f"DROP FUNCTION IF EXISTS {name}_append_only()",
    ]


def install_guard(connection: Connection, table_name: str) -> None:
    """Make an existing table append-only (e.g. ``install_guard(op.get_bind(), "t")``)."""
    for statement in guard_statements(table_name, connection.dialect.name):
        connection.execute(text(statement))


def drop_guard(connection: Connection, table_name: str) -> None:
    """Remove a table's append-only guard (a migration's downgrade, a test's reset)."""
    for statement in unguard_statements(table_name, connection.dialect.name):
        connection.execute(text(statement))


def guard(table: FromClause) -> Table:
    """Mark ``table`` (a model's ``__table__``) append-only: ``create_all`` installs its guard
    right after creating the table."""
    if not isinstance(table, Table):
        raise TypeError(f"only a Table can be append-only, not {table!r}")
    table.info[APPEND_ONLY] = True
    if not event.contains(table, "after_create", _after_create):
        event.listen(table, "after_create", _after_create)
        event.listen(table, "after_drop", _after_drop)
    return table


def is_guarded(table: Table) -> bool:
    """Whether :func:`guard` marked ``table``."""
    return bool(table.info.get(APPEND_ONLY))


def _after_create(target: Table, connection: Connection, **_kw: Any) -> None:
    install_guard(connection, target.name)


def _after_drop(target: Table, connection: Connection, **_kw: Any) -> None:
    # Triggers go with their table; PostgreSQL keeps the function, so drop it too.
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"DROP FUNCTION IF EXISTS {target.name}_append_only()"))
