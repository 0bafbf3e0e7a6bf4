"""Each invoice's settled amount and latest entry date are kept by the database from its ledger
entries, whatever writes them, and an account's open items are read through the index on
``open_until``."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Engine, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from arshield.buyers.models import Company
from arshield.kit.db import unit_of_work
from arshield.receivables import ledger as ops
from arshield.receivables import settlement
from arshield.receivables.domain import EntryKind
from arshield.receivables.ledger import Actor
from arshield.receivables.models import OPEN_FOREVER, Invoice, LedgerEntry, open_until
from tests.integration.receivables.conftest import NOW, Ledger

ACTOR = Actor("test", NOW)
FOREVER = dt.date.fromisoformat(OPEN_FOREVER)


def _invoice(session: Session, lg: Ledger, ref: str, amount: int, due: dt.date) -> uuid.UUID:
    invoice = Invoice(
        org_id=lg.org_id,
        invoice_ref=ref,
        company_id=lg.buyers["B1"],
        issue_date=dt.date(2026, 1, 5),
        due_date=due,
        currency="CNY",
        amount=amount,
    )
    session.add(invoice)
    session.flush()
    return invoice.id


def _state(db: sessionmaker[Session], invoice_id: uuid.UUID) -> tuple[int, dt.date | None, object]:
    with unit_of_work(db) as session:
        row = session.execute(
            select(Invoice.settled_amount, Invoice.last_entry_on, open_until()).where(
                Invoice.id == invoice_id
            )
        ).one()
        until = row[2]
        if isinstance(until, str):  # SQLite gives the expression back as its text
            until = dt.date.fromisoformat(until)
        return row[0], row[1], until


def test_every_ledger_operation_keeps_the_invoice_settled(
    db: sessionmaker[Session], ledger: Ledger
) -> None:
    """A worked example: 100.00 + 50.00 invoiced, then paid, credited, written off, reversed,
    and written off with an earlier date."""
    with unit_of_work(db) as session:
        a = _invoice(session, ledger, "A", 100_00, dt.date(2026, 2, 1))
        b = _invoice(session, ledger, "B", 50_00, dt.date(2026, 3, 1))
    assert _state(db, a) == (0, None, FOREVER)

    # 80.00 received on 15 January goes to A, the oldest.
    with unit_of_work(db) as session:
        company = session.get(Company, ledger.buyers["B1"])
        assert company is not None
        payment = ops.record_payment(
            session,
            ledger.org_id,
            payment_ref="P1",
            company=company,
            date=dt.date(2026, 1, 15),
            currency="CNY",
            amount=80_00,
            actor=ACTOR,
        )
        (paid_a,) = ops.auto_allocate(session, ledger.org_id, payment_id=payment.id, actor=ACTOR)
        paid_a_id = paid_a.id
    assert _state(db, a) == (80_00, dt.date(2026, 1, 15), FOREVER)
    assert _state(db, b) == (0, None, FOREVER)

    # A credit note of the 20.00 left settles A from 10 February.
    with unit_of_work(db) as session:
        ops.issue_credit_note(
            session,
            ledger.org_id,
            credit_note_ref="CN1",
            invoice_id=a,
            date=dt.date(2026, 2, 10),
            currency="CNY",
            amount=20_00,
            reason="price",
            actor=ACTOR,
        )
    assert _state(db, a) == (100_00, dt.date(2026, 2, 10), dt.date(2026, 2, 10))

    # 10.00 of B written off on 1 March: 40.00 still open.
    with unit_of_work(db) as session:
        ops.write_off(
            session,
            ledger.org_id,
            invoice_id=b,
            date=dt.date(2026, 3, 1),
            amount=10_00,
            reason="small balance",
            actor=ACTOR,
        )
    assert _state(db, b) == (10_00, dt.date(2026, 3, 1), FOREVER)

    # The 80.00 allocation is reversed on 5 March: A is open again with 80.00.
    with unit_of_work(db) as session:
        ops.reverse_entry(
            session,
            ledger.org_id,
            entry_id=paid_a_id,
            date=dt.date(2026, 3, 5),
            reason="bounced",
            actor=ACTOR,
        )
    assert _state(db, a) == (20_00, dt.date(2026, 3, 5), FOREVER)

    # A back-dated write-off of 5.00 on 20 February: the latest entry is still 5 March's.
    with unit_of_work(db) as session:
        ops.write_off(
            session,
            ledger.org_id,
            invoice_id=a,
            date=dt.date(2026, 2, 20),
            amount=5_00,
            reason="small balance",
            actor=ACTOR,
        )
    assert _state(db, a) == (25_00, dt.date(2026, 3, 5), FOREVER)


def test_one_statement_of_many_entries_on_many_invoices(
    db: sessionmaker[Session], ledger: Ledger
) -> None:
    """A bulk insert (one statement, as imports write) adds each invoice's entries once."""
    with unit_of_work(db) as session:
        a = _invoice(session, ledger, "A", 100_00, dt.date(2026, 2, 1))
        b = _invoice(session, ledger, "B", 50_00, dt.date(2026, 3, 1))
        untouched = _invoice(session, ledger, "C", 70_00, dt.date(2026, 3, 1))
        rows = [
            (a, dt.date(2026, 4, 2), 30_00),
            (b, dt.date(2026, 4, 9), 45_00),
            (a, dt.date(2026, 4, 1), 70_00),
            (b, dt.date(2026, 4, 3), 5_00),
            (a, dt.date(2026, 3, 30), 10_00),
            (a, dt.date(2026, 4, 7), -10_00),
        ]
        session.execute(
            insert(LedgerEntry).values(
                [
                    {
                        "id": uuid.uuid4(),
                        "org_id": ledger.org_id,
                        "invoice_id": invoice,
                        "kind": EntryKind.ALLOCATION,
                        "date": day,
                        "amount": amount,
                        "actor": "import",
                        "created_at": NOW,
                    }
                    for invoice, day, amount in rows
                ]
            )
        )
    # A: 30 + 70 + 10 - 10 = 100.00, settled from its last entry (7 April).
    assert _state(db, a) == (100_00, dt.date(2026, 4, 7), dt.date(2026, 4, 7))
    assert _state(db, b) == (50_00, dt.date(2026, 4, 9), dt.date(2026, 4, 9))
    assert _state(db, untouched) == (0, None, FOREVER)


def test_backfill_recomputes_both_columns_from_the_entries(
    db: sessionmaker[Session], ledger: Ledger, engine: Engine
) -> None:
    """What a migration runs once over invoices written before the trigger existed."""
    with unit_of_work(db) as session:
        a = _invoice(session, ledger, "A", 100_00, dt.date(2026, 2, 1))
        b = _invoice(session, ledger, "B", 50_00, dt.date(2026, 3, 1))
        for invoice, day, amount in (
            (a, dt.date(2026, 2, 3), 60_00),
            (a, dt.date(2026, 2, 1), 40_00),
        ):
            session.add(
                LedgerEntry(
                    org_id=ledger.org_id,
                    invoice_id=invoice,
                    kind=EntryKind.ALLOCATION,
                    date=day,
                    amount=amount,
                    actor="test",
                    created_at=NOW,
                )
            )
    with engine.begin() as conn:
        conn.execute(
            update(Invoice).values(settled_amount=12_34, last_entry_on=dt.date(2020, 1, 1))
        )
        settlement.backfill(conn)
    assert _state(db, a) == (100_00, dt.date(2026, 2, 3), dt.date(2026, 2, 3))
    assert _state(db, b) == (0, None, FOREVER)


def open_items_plan(conn: object) -> str:
    """The plan of reading one buyer's open invoices, as the credit check does."""
    from sqlalchemy import Connection

    assert isinstance(conn, Connection)
    query = select(Invoice.id).where(
        Invoice.org_id == uuid.uuid4(),
        Invoice.company_id == uuid.uuid4(),
        open_until() > dt.date(2026, 6, 30),
    )
    compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        rows = conn.execute(text(f"EXPLAIN {compiled}")).scalars()
    else:
        rows = (r[3] for r in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
    return "\n".join(rows)


def test_open_items_are_read_through_the_index(engine: Engine) -> None:
    with engine.begin() as conn:
        plan = open_items_plan(conn)
    assert "ix_invoices_org_company_open" in plan, plan
