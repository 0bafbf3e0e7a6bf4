"""Parallel clients allocating on one invoice, or from one payment, never over-allocate, and
each invoice's settled amount kept by the database equals its entries afterwards."""

from __future__ import annotations

import datetime as dt
import threading
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.buyers.models import Company
from arshield.kit.db import unit_of_work
from arshield.kit.errors import ArshieldError
from arshield.receivables import ledger
from arshield.receivables.ledger import Actor
from arshield.receivables.models import Invoice, LedgerEntry
from tests.integration.receivables.conftest import NOW, Ledger

ACTOR = Actor("test", NOW)
WORKERS = 8


def _invoice(session: Session, lg: Ledger, ref: str, amount: int) -> uuid.UUID:
    invoice = Invoice(
        org_id=lg.org_id,
        invoice_ref=ref,
        company_id=lg.buyers["B1"],
        issue_date=dt.date(2026, 1, 1),
        due_date=dt.date(2026, 2, 1),
        currency="CNY",
        amount=amount,
    )
    session.add(invoice)
    session.flush()
    return invoice.id


def _payment(session: Session, lg: Ledger, ref: str, amount: int) -> uuid.UUID:
    company = session.get(Company, lg.buyers["B1"])
    assert company is not None
    payment = ledger.record_payment(
        session,
        lg.org_id,
        payment_ref=ref,
        company=company,
        date=dt.date(2026, 1, 15),
        currency="CNY",
        amount=amount,
        actor=ACTOR,
    )
    return payment.id


def _race(
    db: sessionmaker[Session], jobs: list[tuple[uuid.UUID, uuid.UUID, int | None]], lg: Ledger
) -> list[str]:
    barrier = threading.Barrier(len(jobs))
    outcomes: list[str] = []
    lock = threading.Lock()

    def work(payment_id: uuid.UUID, invoice_id: uuid.UUID, amount: int | None) -> None:
        barrier.wait()
        try:
            with unit_of_work(db) as session:
                ledger.allocate(
                    session,
                    lg.org_id,
                    payment_id=payment_id,
                    invoice_id=invoice_id,
                    amount=amount,
                    actor=ACTOR,
                )
            result = "ok"
        except ArshieldError as exc:
            result = exc.error_type
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=work, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


def _allocated(db: sessionmaker[Session], **where: uuid.UUID) -> int:
    with unit_of_work(db) as session:
        query = select(func.coalesce(func.sum(LedgerEntry.amount), 0))
        for column, value in where.items():
            query = query.where(getattr(LedgerEntry, column) == value)
        return int(session.scalar(query) or 0)


def _settlement_matches_entries(db: sessionmaker[Session]) -> None:
    with unit_of_work(db) as session:
        totals = select(LedgerEntry.invoice_id, func.sum(LedgerEntry.amount)).group_by(
            LedgerEntry.invoice_id
        )
        sums = dict(session.execute(totals).tuples().all())
        for invoice in session.scalars(select(Invoice)):
            assert invoice.settled_amount == sums.get(invoice.id, 0), invoice.invoice_ref


def test_many_payments_on_one_invoice(db: sessionmaker[Session], ledger: Ledger) -> None:
    with unit_of_work(db) as session:
        invoice_id = _invoice(session, ledger, "ONE", 10_000)
        payments = [_payment(session, ledger, f"P{i}", 3_000) for i in range(WORKERS)]
    outcomes = _race(db, [(p, invoice_id, None) for p in payments], ledger)
    # 3 x 3,000 + 1,000 fill the invoice; the other four find nothing outstanding.
    assert sorted(outcomes) == ["ledger_conflict"] * 4 + ["ok"] * 4
    assert _allocated(db, invoice_id=invoice_id) == 10_000
    _settlement_matches_entries(db)


def test_explicit_amounts_on_one_invoice(db: sessionmaker[Session], ledger: Ledger) -> None:
    with unit_of_work(db) as session:
        invoice_id = _invoice(session, ledger, "ONE", 10_000)
        payments = [_payment(session, ledger, f"P{i}", 3_000) for i in range(WORKERS)]
    outcomes = _race(db, [(p, invoice_id, 3_000) for p in payments], ledger)
    assert outcomes.count("ok") == 3  # a fourth 3,000 would exceed the 1,000 left
    assert _allocated(db, invoice_id=invoice_id) == 9_000
    _settlement_matches_entries(db)


def test_one_payment_on_many_invoices(db: sessionmaker[Session], ledger: Ledger) -> None:
    with unit_of_work(db) as session:
        invoices = [_invoice(session, ledger, f"I{i}", 2_000) for i in range(WORKERS)]
        payment_id = _payment(session, ledger, "P", 5_000)
    outcomes = _race(db, [(payment_id, i, None) for i in invoices], ledger)
    # 2,000 + 2,000 + 1,000 exhaust the payment.
    assert outcomes.count("ok") == 3
    assert _allocated(db, payment_id=payment_id) == 5_000
    _settlement_matches_entries(db)
