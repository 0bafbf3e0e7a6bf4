"""Payment plans change the due dates aging uses until broken; promises are kept or broken."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy.orm import Session, sessionmaker

from arshield.buyers.models import Company
from arshield.kit.db import unit_of_work
from arshield.receivables import analytics, collections, queries
from arshield.receivables import ledger as ops
from arshield.receivables.domain import Instalment, LedgerConflict, PlanStatus, PromiseStatus
from arshield.receivables.ledger import Actor
from arshield.receivables.models import Invoice
from tests.integration.receivables.conftest import NOW, Ledger

ACTOR = Actor("t", NOW)
D = dt.date


def _invoice(session: Session, lg: Ledger, ref: str, due: dt.date, amount: int) -> uuid.UUID:
    row = Invoice(
        org_id=lg.org_id,
        invoice_ref=ref,
        company_id=lg.buyers["B1"],
        issue_date=due - dt.timedelta(days=30),
        due_date=due,
        currency="CNY",
        amount=amount,
    )
    session.add(row)
    session.flush()
    return row.id


def _aging_bucket(db: sessionmaker[Session], lg: Ledger, as_of: dt.date) -> dict[str, int]:
    with unit_of_work(db) as session:
        frames = queries.load_frames(session, lg.org_id, as_of=as_of)
    report = analytics.aging(
        frames.invoices,
        frames.entries,
        frames.disputes,
        frames.buyers,
        as_of=as_of,
        by=analytics.AgingBy.BUYER,
    )
    labels = analytics.DEFAULT_BUCKETS.labels
    return {label: int(report[label].sum()) for label in labels if int(report[label].sum())}


def test_plan_moves_due_dates_until_broken(db: sessionmaker[Session], ledger: Ledger) -> None:
    with unit_of_work(db) as session:
        old = _invoice(session, ledger, "OLD", D(2026, 3, 1), 60000)
        new = _invoice(session, ledger, "NEW", D(2026, 4, 1), 40000)
    with unit_of_work(db) as session:
        plan = collections.create_plan(
            session,
            ledger.org_id,
            plan_ref="PLAN-1",
            invoice_ids=[old, new],
            agreed_on=D(2026, 5, 1),
            instalments=[Instalment(D(2026, 6, 1), 50000), Instalment(D(2026, 7, 1), 50000)],
        )
    with unit_of_work(db) as session, pytest.raises(LedgerConflict):
        collections.create_plan(
            session,
            ledger.org_id,
            plan_ref="PLAN-2",
            invoice_ids=[old],
            agreed_on=D(2026, 5, 2),
            instalments=[Instalment(D(2026, 6, 1), 60000)],
        )
    # On 15 May both invoices are not yet due under the plan (1 June and 1 July).
    assert _aging_bucket(db, ledger, D(2026, 5, 15)) == {"not_due": 100000}
    with unit_of_work(db) as session:
        company = session.get(Company, ledger.buyers["B1"])
        assert company is not None
        pay = ops.record_payment(
            session,
            ledger.org_id,
            payment_ref="P",
            company=company,
            date=D(2026, 5, 30),
            currency="CNY",
            amount=50000,
            actor=ACTOR,
        )
        ops.auto_allocate(session, ledger.org_id, payment_id=pay.id, actor=ACTOR)
    with unit_of_work(db) as session:
        view = collections.plan_view(session, ledger.org_id, plan.id, as_of=D(2026, 6, 15))
        assert (view.status, view.paid) == (PlanStatus.ACTIVE, 50000)
        broken = collections.plan_view(session, ledger.org_id, plan.id, as_of=D(2026, 7, 2))
        assert broken.status is PlanStatus.BROKEN
    # Broken on 2 July: original due dates again. OLD has 10,000 left, 123 days past due;
    # NEW 40,000, 92 days past due: both in 91-180.
    assert _aging_bucket(db, ledger, D(2026, 7, 2)) == {"91-180": 50000}


def test_promise_kept_and_broken(db: sessionmaker[Session], ledger: Ledger) -> None:
    with unit_of_work(db) as session:
        inv = _invoice(session, ledger, "I", D(2026, 3, 1), 30000)
        kept = collections.record_promise(
            session,
            ledger.org_id,
            company_id=ledger.buyers["B1"],
            invoice_id=inv,
            made_on=D(2026, 3, 10),
            promised_for=D(2026, 3, 20),
            currency="CNY",
            amount=10000,
            note=None,
        )
        broken = collections.record_promise(
            session,
            ledger.org_id,
            company_id=ledger.buyers["B1"],
            invoice_id=None,
            made_on=D(2026, 3, 21),
            promised_for=D(2026, 3, 31),
            currency="CNY",
            amount=20000,
            note=None,
        )
        company = session.get(Company, ledger.buyers["B1"])
        assert company is not None
        pay = ops.record_payment(
            session,
            ledger.org_id,
            payment_ref="P",
            company=company,
            date=D(2026, 3, 18),
            currency="CNY",
            amount=10000,
            actor=ACTOR,
        )
        ops.allocate(
            session, ledger.org_id, payment_id=pay.id, invoice_id=inv, amount=None, actor=ACTOR
        )
    with unit_of_work(db) as session:
        views = {
            v.promise.id: v
            for v in collections.list_promises(session, ledger.org_id, as_of=D(2026, 4, 1))
        }
    assert views[kept.id].status is PromiseStatus.KEPT
    assert views[broken.id].status is PromiseStatus.BROKEN
