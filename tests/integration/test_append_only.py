"""Append-only tables refuse UPDATE, DELETE and TRUNCATE at the database, on each backend."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from arshield.all_models import Base
from arshield.audit import service as audit_service
from arshield.audit.domain import AuditActor
from arshield.audit.models import AuditEvent
from arshield.kit.append_only import (
    drop_guard,
    guard_statements,
    install_guard,
    is_guarded,
    unguard_statements,
)
from arshield.kit.db import unit_of_work
from arshield.orgs import service as orgs_service
from arshield.orgs.domain import OrgKind
from arshield.receivables.domain import EntryKind
from arshield.receivables.models import Invoice, InvoiceRevision, LedgerEntry
from tests.buyer_builders import make_company
from tests.conftest import _truncate_all

NOW = dt.datetime(2026, 5, 4, 10, 30, tzinfo=dt.UTC)
GUARDED = ("audit_events", "ledger_entries", "invoice_revisions")


@pytest.fixture
def rows(db: sessionmaker[Session]) -> dict[str, uuid.UUID]:
    """One row in each guarded table, by table name."""
    with unit_of_work(db) as session:
        org = orgs_service.create_org(session, ref="S", name="S", kind=OrgKind.SELLER)
        company = make_company(session, ref="B1", name="Acme GmbH", country="DE")
        invoice = Invoice(
            org_id=org.id,
            invoice_ref="I-1",
            company_id=company.id,
            issue_date=dt.date(2026, 1, 1),
            due_date=dt.date(2026, 2, 1),
            currency="EUR",
            amount=100_00,
        )
        session.add(invoice)
        session.flush()
        entry = LedgerEntry(
            org_id=org.id,
            invoice_id=invoice.id,
            kind=EntryKind.WRITE_OFF,
            date=dt.date(2026, 3, 1),
            amount=100_00,
            actor="test",
            created_at=NOW,
        )
        revision = InvoiceRevision(
            org_id=org.id,
            invoice_id=invoice.id,
            changed_at=NOW,
            actor="test",
            source="import",
            before='{"amount": 9000}',
            after='{"amount": 10000}',
        )
        session.add_all([entry, revision])
        session.flush()
        event = audit_service.record(
            session,
            actor=AuditActor(org_id=org.id, name="test"),
            action="ledger.write_off",
            object_type="invoice",
            object_id=invoice.id,
            tenant_org_id=org.id,
            reason="insolvent",
            at=NOW,
        )
        return {
            "audit_events": event.id,
            "ledger_entries": entry.id,
            "invoice_revisions": revision.id,
        }


def _snapshot(engine: Engine, table: str) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY id"))]


def _refused(engine: Engine, sql: str, table: str, operation: str) -> None:
    with pytest.raises(IntegrityError) as caught, engine.begin() as conn:
        conn.execute(text(sql))
    assert f"{table} is append-only: {operation} is not allowed" in str(caught.value)


@pytest.mark.parametrize("table", GUARDED)
def test_update_and_delete_are_refused_and_change_nothing(
    engine: Engine, rows: dict[str, uuid.UUID], table: str
) -> None:
    before = _snapshot(engine, table)
    assert len(before) == 1
    column = "actor" if table != "audit_events" else "reason"
    _refused(engine, f"UPDATE {table} SET {column} = 'changed'", table, "UPDATE")
    _refused(engine, f"DELETE FROM {table}", table, "DELETE")
    _refused(engine, f"DELETE FROM {table} WHERE id IS NOT NULL", table, "DELETE")
    assert _snapshot(engine, table) == before


@pytest.mark.parametrize("table", GUARDED)
def test_truncate_is_refused_on_postgresql(
    engine: Engine, rows: dict[str, uuid.UUID], table: str
) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE; DELETE without WHERE is refused above")
    before = _snapshot(engine, table)
    _refused(engine, f"TRUNCATE {table}", table, "TRUNCATE")
    _refused(engine, f"TRUNCATE {table} CASCADE", table, "TRUNCATE")
    # Emptying a table the journals point at cascades into them: refused as well.
    with pytest.raises(IntegrityError, match="is append-only: TRUNCATE"), engine.begin() as conn:
        conn.execute(text("TRUNCATE invoices CASCADE"))
    assert _snapshot(engine, table) == before


def test_an_orm_change_to_an_event_is_refused(
    db: sessionmaker[Session], rows: dict[str, uuid.UUID]
) -> None:
    session = db()
    event = session.get(AuditEvent, rows["audit_events"])
    assert event is not None
    event.reason = "rewritten"
    with pytest.raises(IntegrityError, match="audit_events is append-only"):
        session.commit()
    session.rollback()
    session.close()
    with unit_of_work(db) as session:
        stored = session.get(AuditEvent, rows["audit_events"])
        assert stored is not None and stored.reason == "insolvent"


def test_inserts_stay_allowed(
    engine: Engine, db: sessionmaker[Session], rows: dict[str, uuid.UUID]
) -> None:
    with unit_of_work(db) as session:
        original = session.get(LedgerEntry, rows["ledger_entries"])
        assert original is not None
        session.add(
            LedgerEntry(
                org_id=original.org_id,
                invoice_id=original.invoice_id,
                kind=original.kind,
                date=original.date,
                amount=-original.amount,
                reverses_id=original.id,
                actor="test",
                created_at=NOW,
            )
        )
    assert len(_snapshot(engine, "ledger_entries")) == 2


def test_the_metadata_marks_the_guarded_tables() -> None:
    guarded = {t.name for t in Base.metadata.sorted_tables if is_guarded(t)}
    assert set(GUARDED) <= guarded
    assert "invoices" not in guarded and "payments" not in guarded


def test_the_test_reset_empties_guarded_tables_and_keeps_them_guarded(
    engine: Engine, db: sessionmaker[Session], rows: dict[str, uuid.UUID]
) -> None:
    _truncate_all(engine)
    for table in GUARDED:
        assert _snapshot(engine, table) == []
    with unit_of_work(db) as session:
        org = orgs_service.create_org(session, ref="X", name="X", kind=OrgKind.SELLER)
        audit_service.record(
            session,
            actor=AuditActor(org_id=org.id, name="test"),
            action="org.create",
            object_type="organisation",
            object_id=org.id,
            tenant_org_id=None,
            at=NOW,
        )
    _refused(engine, "DELETE FROM audit_events", "audit_events", "DELETE")


# --- the DDL a migration calls -------------------------------------------------------------------


@pytest.fixture
def scratch(engine: Engine) -> Iterator[str]:
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE scratch_journal (id INTEGER PRIMARY KEY, note TEXT)"))
        conn.execute(text("INSERT INTO scratch_journal (id, note) VALUES (1, 'a')"))
    yield "scratch_journal"
    with engine.begin() as conn:
        drop_guard(conn, "scratch_journal")
        conn.execute(text("DROP TABLE scratch_journal"))


def test_install_and_drop_guard_on_an_existing_table(engine: Engine, scratch: str) -> None:
    with engine.begin() as conn:
        install_guard(conn, scratch)
    _refused(engine, f"UPDATE {scratch} SET note = 'b'", scratch, "UPDATE")
    _refused(engine, f"DELETE FROM {scratch}", scratch, "DELETE")
    with engine.begin() as conn:
        drop_guard(conn, scratch)
        drop_guard(conn, scratch)  # dropping twice is harmless (downgrade after a failure)
    with engine.begin() as conn:
        conn.execute(text(f"UPDATE {scratch} SET note = 'b'"))
        conn.execute(text(f"DELETE FROM {scratch}"))
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            left = conn.scalar(
                text("SELECT count(*) FROM pg_proc WHERE proname = 'scratch_journal_append_only'")
            )
        assert left == 0


def test_guard_statements_name_their_table_and_refuse_odd_input() -> None:
    for dialect in ("sqlite", "postgresql"):
        ddl = guard_statements("audit_events", dialect)
        assert all("audit_events" in s for s in ddl)
        assert len(unguard_statements("audit_events", dialect)) == len(ddl)
    assert any("TRUNCATE" in s for s in guard_statements("audit_events", "postgresql"))
    with pytest.raises(ValueError, match="plain lower-case table name"):
        guard_statements("audit_events; DROP TABLE x", "sqlite")
    with pytest.raises(ValueError, match="not 'mysql'"):
        guard_statements("audit_events", "mysql")
