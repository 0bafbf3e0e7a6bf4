"""A Hypothesis state machine over the ledger: invoices, payments, allocations (explicit and
oldest first), credit notes, write-offs, disputes and reversals, in any order.

After every step: allocations never exceed an invoice or a payment; outstanding equals amount -
allocations - credits - discounts - write-offs and is never negative; aging bucket totals equal
the outstanding amounts to the minor unit; each invoice's settled amount and latest entry date,
kept by the database, equal its entries', and an invoice with something outstanding on a day is
open on that day by ``open_until``.
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.buyers.models import Company
from arshield.kit.append_only import drop_guard, install_guard
from arshield.kit.db import unit_of_work
from arshield.kit.errors import ArshieldError
from arshield.receivables import collections, queries
from arshield.receivables import ledger as ops
from arshield.receivables.domain import EntryKind
from arshield.receivables.ledger import Actor
from arshield.receivables.models import Invoice, LedgerEntry, Payment, open_until
from tests.integration.receivables.conftest import NOW, Ledger

ACTOR = Actor("test", NOW)
START = dt.date(2026, 1, 1)
AS_OF = dt.date(2026, 12, 31)
days = st.integers(min_value=0, max_value=300).map(lambda d: START + dt.timedelta(days=d))
amounts = st.integers(min_value=1, max_value=50_000)


def test_ledger_invariants_hold_for_any_sequence(
    db: sessionmaker[Session], ledger: Ledger, engine: Engine
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("the state machine runs on SQLite; concurrency tests cover PostgreSQL")
    buyers = [ledger.buyers["B1"], ledger.buyers["B2"]]

    class LedgerMachine(RuleBasedStateMachine):
        invoices = Bundle("invoices")
        payments = Bundle("payments")

        def __init__(self) -> None:
            super().__init__()
            with unit_of_work(db) as session:
                # The journal is append-only: lift its guard to start each run afresh.
                drop_guard(session.connection(), "ledger_entries")
                session.query(LedgerEntry).delete()
                install_guard(session.connection(), "ledger_entries")
                from arshield.receivables.models import CreditNote, Dispute

                session.query(Dispute).delete()
                session.query(CreditNote).delete()
                session.query(Payment).filter(Payment.reverses_id.is_not(None)).delete()
                session.query(Payment).delete()
                session.query(Invoice).delete()
            self.count = 0

        def _try(self, action) -> object | None:  # type: ignore[no-untyped-def]
            try:
                with unit_of_work(db) as session:
                    return action(session)
            except ArshieldError:
                return None

        @rule(
            target=invoices,
            buyer=st.sampled_from([0, 1]),
            amount=amounts,
            issued=days,
            terms=st.sampled_from([0, 200]),
        )
        def invoice(self, buyer: int, amount: int, issued: dt.date, terms: int) -> uuid.UUID:
            self.count += 1
            with unit_of_work(db) as session:
                row = Invoice(
                    org_id=ledger.org_id,
                    invoice_ref=f"I{self.count}",
                    company_id=buyers[buyer],
                    issue_date=issued,
                    due_date=issued + dt.timedelta(days=30),
                    currency="CNY",
                    amount=amount,
                    discount_bp=terms,
                    discount_until=issued + dt.timedelta(days=10) if terms else None,
                )
                session.add(row)
                session.flush()
                return row.id

        @rule(target=payments, buyer=st.sampled_from([0, 1]), amount=amounts, paid=days)
        def payment(self, buyer: int, amount: int, paid: dt.date) -> uuid.UUID:
            self.count += 1
            with unit_of_work(db) as session:
                company = session.get(Company, buyers[buyer])
                assert company is not None
                return ops.record_payment(
                    session,
                    ledger.org_id,
                    payment_ref=f"P{self.count}",
                    company=company,
                    date=paid,
                    currency="CNY",
                    amount=amount,
                    actor=ACTOR,
                ).id

        @rule(payment=payments, invoice=invoices, amount=st.none() | amounts)
        def allocate(self, payment: uuid.UUID, invoice: uuid.UUID, amount: int | None) -> None:
            self._try(
                lambda s: ops.allocate(
                    s,
                    ledger.org_id,
                    payment_id=payment,
                    invoice_id=invoice,
                    amount=amount,
                    actor=ACTOR,
                )
            )

        @rule(payment=payments)
        def auto(self, payment: uuid.UUID) -> None:
            self._try(
                lambda s: ops.auto_allocate(s, ledger.org_id, payment_id=payment, actor=ACTOR)
            )

        @rule(invoice=invoices, amount=amounts, day=days)
        def credit(self, invoice: uuid.UUID, amount: int, day: dt.date) -> None:
            self.count += 1
            ref = f"C{self.count}"
            self._try(
                lambda s: ops.issue_credit_note(
                    s,
                    ledger.org_id,
                    credit_note_ref=ref,
                    invoice_id=invoice,
                    date=day,
                    currency="CNY",
                    amount=amount,
                    reason=None,
                    actor=ACTOR,
                )
            )

        @rule(invoice=invoices, amount=st.none() | amounts, day=days)
        def write_off(self, invoice: uuid.UUID, amount: int | None, day: dt.date) -> None:
            self._try(
                lambda s: ops.write_off(
                    s,
                    ledger.org_id,
                    invoice_id=invoice,
                    date=day,
                    amount=amount,
                    reason="bad debt",
                    actor=ACTOR,
                )
            )

        @rule(invoice=invoices, amount=st.none() | amounts, day=days)
        def dispute(self, invoice: uuid.UUID, amount: int | None, day: dt.date) -> None:
            self._try(
                lambda s: collections.open_dispute(
                    s,
                    ledger.org_id,
                    invoice_id=invoice,
                    reason_code="quality",
                    amount=amount,
                    opened_on=day,
                    note=None,
                )
            )

        @rule(pick=st.integers(min_value=0, max_value=1_000), day=days)
        def reverse_entry(self, pick: int, day: dt.date) -> None:
            with unit_of_work(db) as session:
                ids = list(session.scalars(select(LedgerEntry.id).order_by(LedgerEntry.id)))
            if ids:
                target = ids[pick % len(ids)]
                self._try(
                    lambda s: ops.reverse_entry(
                        s,
                        ledger.org_id,
                        entry_id=target,
                        date=max(day, AS_OF - dt.timedelta(days=1)),
                        reason="fix",
                        actor=ACTOR,
                    )
                )

        @rule(payment=payments)
        def reverse_payment(self, payment: uuid.UUID) -> None:
            self._try(
                lambda s: ops.reverse_payment(
                    s,
                    ledger.org_id,
                    payment_id=payment,
                    date=AS_OF - dt.timedelta(days=1),
                    reason="bounced",
                    actor=ACTOR,
                )
            )

        @invariant()
        def amounts_balance(self) -> None:
            with unit_of_work(db) as session:
                entries = list(session.scalars(select(LedgerEntry)))
                for invoice in session.scalars(select(Invoice)):
                    mine = [e for e in entries if e.invoice_id == invoice.id]
                    by_kind = {k: sum(e.amount for e in mine if e.kind is k) for k in EntryKind}
                    for total in by_kind.values():
                        assert total >= 0
                    left = ops.outstanding(session, invoice)
                    assert left == invoice.amount - sum(by_kind.values())
                    assert 0 <= left <= invoice.amount
                for payment in session.scalars(
                    select(Payment).where(Payment.reverses_id.is_(None))
                ):
                    used = ops.allocated_from(session, payment)
                    assert 0 <= used <= payment.amount
                frames = queries.load_frames(session, ledger.org_id, as_of=AS_OF)
            self._check_aging(frames)
            self._check_settlement()

        def _check_settlement(self) -> None:
            with unit_of_work(db) as session:
                entries = list(session.scalars(select(LedgerEntry)))
                invoices = list(session.scalars(select(Invoice)))
                # Every day on which an entry or a due date changes something, and the day before.
                marks = {START, AS_OF} | {e.date for e in entries}
                marks |= {i.due_date for i in invoices}
                marks |= {d - dt.timedelta(days=1) for d in marks}
                for invoice in invoices:
                    mine = [e for e in entries if e.invoice_id == invoice.id]
                    assert invoice.settled_amount == sum(e.amount for e in mine)
                    assert invoice.last_entry_on == max((e.date for e in mine), default=None)
                for day in sorted(marks):
                    listed = set(session.scalars(select(Invoice.id).where(open_until() > day)))
                    for invoice in invoices:
                        if ops.outstanding(session, invoice, as_of=day) > 0:
                            assert invoice.id in listed, (invoice.invoice_ref, day)

        def _check_aging(self, frames: queries.LedgerFrames) -> None:
            from arshield.receivables import analytics

            items = analytics.outstanding(frames.invoices, frames.entries, as_of=AS_OF)
            report = analytics.aging(
                frames.invoices,
                frames.entries,
                frames.disputes,
                frames.buyers,
                as_of=AS_OF,
                buckets=analytics.DEFAULT_BUCKETS,
                by=analytics.AgingBy.BUYER,
            )
            labels = analytics.DEFAULT_BUCKETS.labels
            assert int(report["total"].sum() or 0) == int(items["outstanding"].sum() or 0)
            assert int(report.select(labels).sum_horizontal().sum() or 0) == int(
                report["total"].sum() or 0
            )

    run_state_machine_as_test(
        LedgerMachine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
