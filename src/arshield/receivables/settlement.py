"""Each invoice's settlement, kept by the database from its ledger entries.

``invoices.settled_amount`` is the sum of the invoice's ledger entries and
``invoices.last_entry_on`` the latest of their dates. A trigger on ``ledger_entries`` adds every
new entry to its invoice in the same transaction, whatever writes it (the API, an import, a bulk
load, a console), and ``ledger_entries`` is append-only, so the two columns can never drift from
the entries. No code writes them.

They let a query find an account's open items without summing its history:
:func:`arshield.receivables.models.open_until` and the index on it. On PostgreSQL the trigger
runs once per statement over the statement's new rows (a transition table), so a bulk insert of
many entries updates each invoice once.

The same DDL is installed by ``metadata.create_all`` (:func:`keep`) and by migrations
(:func:`install` / :func:`drop`, which :func:`backfill` follows for rows written before).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, event, text
from sqlalchemy.sql import FromClause

_FUNCTION = "ledger_entries_settle"
_TRIGGER = "ledger_entries_settle"


def statements(dialect: str) -> list[str]:
    """The DDL that keeps ``invoices.settled_amount`` and ``last_entry_on`` on ``dialect``."""
    if dialect == "sqlite":
        return [
            f"CREATE TRIGGER IF NOT EXISTS {_TRIGGER} AFTER INSERT ON ledger_entries "
            "BEGIN UPDATE invoices SET "
            "settled_amount = settled_amount + NEW.amount, "
            "last_entry_on = CASE WHEN last_entry_on IS NULL OR NEW.date > last_entry_on "
            "THEN NEW.date ELSE last_entry_on END "
            "WHERE id = NEW.invoice_id; END"
        ]
    if dialect != "postgresql":
        raise ValueError(f"invoice settlement is kept on postgresql and sqlite, not {dialect!r}")
    return [
        f"CREATE OR REPLACE FUNCTION {_FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN "
        "UPDATE invoices AS i SET "
        "settled_amount = i.settled_amount + n.amount, "
        "last_entry_on = GREATEST(i.last_entry_on, n.last_on) "
        "FROM (SELECT invoice_id, sum(amount) AS amount, max(date) AS last_on "
        "FROM new_entries GROUP BY invoice_id) AS n "
        "WHERE i.id = n.invoice_id; "
        "RETURN NULL; "
        "END $$",
        f"CREATE TRIGGER {_TRIGGER} AFTER INSERT ON ledger_entries "
        "REFERENCING NEW TABLE AS new_entries "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {_FUNCTION}()",
    ]


def drop_statements(dialect: str) -> list[str]:
    """The DDL that removes :func:`statements`' trigger (and function)."""
    if dialect == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {_TRIGGER}"]
    return [
        f"DROP TRIGGER IF EXISTS {_TRIGGER} ON ledger_entries",
        f"DROP FUNCTION IF EXISTS {_FUNCTION}()",
    ]


BACKFILL = (
    "UPDATE invoices SET "
    "settled_amount = (SELECT coalesce(sum(e.amount), 0) FROM ledger_entries AS e "
    "WHERE e.invoice_id = invoices.id), "
    "last_entry_on = (SELECT max(e.date) FROM ledger_entries AS e "
    "WHERE e.invoice_id = invoices.id)"
)
"""Recompute both columns of every invoice from its entries (a migration's first fill)."""


def install(connection: Connection) -> None:
    """Install the trigger (``install(op.get_bind())`` in a migration)."""
    for statement in statements(connection.dialect.name):
        connection.execute(text(statement))


def drop(connection: Connection) -> None:
    """Remove the trigger (a migration's downgrade)."""
    for statement in drop_statements(connection.dialect.name):
        connection.execute(text(statement))


def backfill(connection: Connection) -> None:
    """Set both columns of every invoice from the entries already stored."""
    connection.execute(text(BACKFILL))


def keep(ledger_entries: FromClause) -> None:
    """Have ``create_all`` install the trigger right after creating ``ledger_entries`` (the
    model's ``__table__``)."""
    if not isinstance(ledger_entries, Table) or ledger_entries.name != "ledger_entries":
        raise TypeError(f"the trigger is kept on the ledger_entries table, not {ledger_entries!r}")
    if not event.contains(ledger_entries, "after_create", _after_create):
        event.listen(ledger_entries, "after_create", _after_create)
        event.listen(ledger_entries, "after_drop", _after_drop)


def _after_create(target: Table, connection: Connection, **_kw: Any) -> None:
    install(connection)


def _after_drop(target: Table, connection: Connection, **_kw: Any) -> None:
    # The trigger goes with its table; PostgreSQL keeps the function.
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"DROP FUNCTION IF EXISTS {_FUNCTION}()"))
