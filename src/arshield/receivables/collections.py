"""Disputes, payment plans and promises to pay.

A disputed invoice stays in the ledger (and in aging, shown apart). A payment plan replaces the
due dates of a set of one buyer's invoices by an instalment schedule; a missed instalment breaks
it and the original due dates apply again. A promise to pay is kept once the buyer has paid the
amount since the promise was made, and broken when its date passed first. Callers own the
transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arshield.kit.db import lock_for_write
from arshield.kit.errors import NotFound, ValidationFailed
from arshield.kit.money import normalize_currency
from arshield.receivables import ledger
from arshield.receivables.domain import (
    DisputeOutcome,
    EntryKind,
    Instalment,
    LedgerConflict,
    PlanStatus,
    PromiseStatus,
    plan_due_dates,
    promise_status,
)
from arshield.receivables.ledger import Actor
from arshield.receivables.models import (
    Dispute,
    Invoice,
    LedgerEntry,
    PaymentPlan,
    PlanInstalment,
    PlanInvoice,
    PromiseToPay,
)
from arshield.receivables.queries import plan_state

REASON_CODES = (
    "quality", "quantity", "price", "delivery", "duplicate", "not_ordered", "terms", "other",
)  # fmt: skip


class DisputeNotFound(NotFound):
    """No such dispute in this ledger."""


class PlanNotFound(NotFound):
    """No such payment plan in this ledger."""


# --- disputes -----------------------------------------------------------------------------------


def open_dispute(
    session: Session,
    org_id: uuid.UUID,
    *,
    invoice_id: uuid.UUID,
    reason_code: str,
    amount: int | None,
    opened_on: dt.date,
    note: str | None,
) -> Dispute:
    """Open a dispute for ``amount`` (everything outstanding when None) of an invoice."""
    invoice = ledger.lock_invoice(session, org_id, invoice_id)
    code = reason_code.strip().lower()
    if code not in REASON_CODES:
        raise ValidationFailed(f"reason_code must be one of {', '.join(REASON_CODES)}")
    if opened_on < invoice.issue_date:
        raise ValidationFailed("a dispute cannot open before the invoice's issue date")
    left = ledger.outstanding(session, invoice)
    already = int(
        session.scalar(
            select(func.coalesce(func.sum(Dispute.amount), 0)).where(
                Dispute.invoice_id == invoice.id, Dispute.resolved_on.is_(None)
            )
        )
        or 0
    )
    value = left - already if amount is None else amount
    if value <= 0:
        raise LedgerConflict(f"invoice {invoice.invoice_ref!r} has nothing left to dispute")
    if value > left - already:
        raise LedgerConflict(
            f"dispute of {value} exceeds invoice {invoice.invoice_ref!r}'s undisputed "
            f"outstanding {left - already}"
        )
    dispute = Dispute(
        org_id=org_id,
        invoice_id=invoice.id,
        reason_code=code,
        amount=value,
        opened_on=opened_on,
        note=(note or "").strip() or None,
    )
    session.add(dispute)
    session.flush()
    return dispute


def resolve_dispute(
    session: Session,
    org_id: uuid.UUID,
    *,
    dispute_id: uuid.UUID,
    outcome: DisputeOutcome,
    resolved_on: dt.date,
    credit_note_ref: str | None,
    actor: Actor,
) -> Dispute:
    """Close a dispute: ``rejected`` (the buyer owes it all), or ``credit_note`` (a credit note
    for the disputed amount, capped at what is outstanding, named ``credit_note_ref``)."""
    lock_for_write(session)
    dispute = session.scalars(
        select(Dispute).where(Dispute.id == dispute_id, Dispute.org_id == org_id)
    ).one_or_none()
    if dispute is None:
        raise DisputeNotFound(f"no dispute {dispute_id} in this ledger")
    if dispute.resolved_on is not None:
        raise LedgerConflict("the dispute is already resolved")
    if resolved_on < dispute.opened_on:
        raise ValidationFailed("a dispute cannot be resolved before it opened")
    outcome = DisputeOutcome(outcome)
    if outcome is DisputeOutcome.CREDIT_NOTE:
        if not credit_note_ref:
            raise ValidationFailed("credit_note_ref is required for outcome credit_note")
        invoice = ledger.lock_invoice(session, org_id, dispute.invoice_id)
        amount = min(dispute.amount, ledger.outstanding(session, invoice))
        if amount <= 0:
            raise LedgerConflict("nothing is outstanding on the invoice to credit")
        note = ledger.issue_credit_note(
            session,
            org_id,
            credit_note_ref=credit_note_ref,
            invoice_id=invoice.id,
            date=resolved_on,
            currency=invoice.currency,
            amount=amount,
            reason=f"dispute {dispute.reason_code}",
            actor=actor,
        )
        dispute.credit_note_id = note.id
    dispute.outcome = outcome
    dispute.resolved_on = resolved_on
    session.flush()
    return dispute


def list_disputes(
    session: Session, org_id: uuid.UUID, *, open_only: bool = False
) -> list[tuple[Dispute, str, str]]:
    """Disputes with their invoice's ref and currency, oldest first."""
    query = (
        select(Dispute, Invoice.invoice_ref, Invoice.currency)
        .join(Invoice, Invoice.id == Dispute.invoice_id)
        .where(Dispute.org_id == org_id)
        .order_by(Dispute.opened_on, Invoice.invoice_ref)
    )
    if open_only:
        query = query.where(Dispute.resolved_on.is_(None))
    return list(session.execute(query).tuples())


# --- payment plans -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanView:
    plan: PaymentPlan
    status: PlanStatus
    instalments: tuple[PlanInstalment, ...]
    invoices: tuple[tuple[PlanInvoice, str], ...]
    paid: int


def create_plan(
    session: Session,
    org_id: uuid.UUID,
    *,
    plan_ref: str,
    invoice_ids: list[uuid.UUID],
    instalments: list[Instalment],
    agreed_on: dt.date,
    grace_days: int = 0,
) -> PaymentPlan:
    """Agree a plan over open invoices of one buyer and currency; instalments (on distinct days
    after ``agreed_on``) must add up to what is outstanding on them."""
    if not invoice_ids or not instalments:
        raise ValidationFailed("a plan needs invoices and instalments")
    if not 0 <= grace_days <= 90:
        raise ValidationFailed("grace_days must be 0-90")
    if len({i.due_date for i in instalments}) != len(instalments):
        raise ValidationFailed("instalments must fall on distinct days")
    if any(i.amount <= 0 for i in instalments):
        raise ValidationFailed("every instalment must be above zero")
    if any(i.due_date < agreed_on for i in instalments):
        raise ValidationFailed("instalments cannot fall before the plan is agreed")
    ref = plan_ref.strip()
    if not ref or len(ref) > 64:
        raise ValidationFailed("plan_ref must be 1-64 characters")
    if session.scalars(
        select(PaymentPlan.id).where(PaymentPlan.org_id == org_id, PaymentPlan.plan_ref == ref)
    ).first():
        raise LedgerConflict(f"payment plan {ref!r} already exists")
    invoices = [ledger.lock_invoice(session, org_id, i) for i in sorted(set(invoice_ids))]
    if len({(i.company_id, i.currency) for i in invoices}) != 1:
        raise ValidationFailed("a plan's invoices must be one buyer's, in one currency")
    for invoice in invoices:
        if _active_plan_of(session, invoice.id, as_of=agreed_on) is not None:
            raise LedgerConflict(f"invoice {invoice.invoice_ref!r} is already under an active plan")
    invoices.sort(key=lambda i: (i.due_date, i.invoice_ref))
    owed = [(i, ledger.outstanding(session, i, as_of=agreed_on)) for i in invoices]
    if any(amount <= 0 for _, amount in owed):
        raise ValidationFailed("every invoice in a plan must have something outstanding")
    dates = plan_due_dates([(str(i.id), amount) for i, amount in owed], instalments)
    plan = PaymentPlan(
        org_id=org_id,
        plan_ref=ref,
        company_id=invoices[0].company_id,
        currency=invoices[0].currency,
        agreed_on=agreed_on,
        grace_days=grace_days,
    )
    session.add(plan)
    session.flush()
    session.add_all(
        PlanInstalment(plan_id=plan.id, due_date=i.due_date, amount=i.amount) for i in instalments
    )
    session.add_all(
        PlanInvoice(
            plan_id=plan.id,
            invoice_id=invoice.id,
            outstanding_at_start=amount,
            plan_due_date=dates[str(invoice.id)],
        )
        for invoice, amount in owed
    )
    session.flush()
    return plan


def _active_plan_of(
    session: Session, invoice_id: uuid.UUID, *, as_of: dt.date
) -> PaymentPlan | None:
    for plan in session.scalars(
        select(PaymentPlan)
        .join(PlanInvoice, PlanInvoice.plan_id == PaymentPlan.id)
        .where(PlanInvoice.invoice_id == invoice_id)
    ):
        if plan_state(session, plan, as_of=as_of) is PlanStatus.ACTIVE:
            return plan
    return None


def cancel_plan(
    session: Session, org_id: uuid.UUID, *, plan_id: uuid.UUID, on: dt.date
) -> PaymentPlan:
    lock_for_write(session)
    plan = _plan(session, org_id, plan_id)
    if plan.cancelled_on is not None:
        raise LedgerConflict("the plan is already cancelled")
    if on < plan.agreed_on:
        raise ValidationFailed("a plan cannot be cancelled before it was agreed")
    plan.cancelled_on = on
    session.flush()
    return plan


def _plan(session: Session, org_id: uuid.UUID, plan_id: uuid.UUID) -> PaymentPlan:
    plan = session.scalars(
        select(PaymentPlan).where(PaymentPlan.id == plan_id, PaymentPlan.org_id == org_id)
    ).one_or_none()
    if plan is None:
        raise PlanNotFound(f"no payment plan {plan_id} in this ledger")
    return plan


def plan_view(
    session: Session, org_id: uuid.UUID, plan_id: uuid.UUID, *, as_of: dt.date
) -> PlanView:
    plan = _plan(session, org_id, plan_id)
    instalments = tuple(
        session.scalars(
            select(PlanInstalment)
            .where(PlanInstalment.plan_id == plan.id)
            .order_by(PlanInstalment.due_date)
        )
    )
    links = tuple(
        session.execute(
            select(PlanInvoice, Invoice.invoice_ref)
            .join(Invoice, Invoice.id == PlanInvoice.invoice_id)
            .where(PlanInvoice.plan_id == plan.id)
            .order_by(PlanInvoice.plan_due_date, Invoice.invoice_ref)
        ).tuples()
    )
    paid = int(
        session.scalar(
            select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
                LedgerEntry.invoice_id.in_([link.invoice_id for link, _ in links]),
                LedgerEntry.date >= plan.agreed_on,
                LedgerEntry.date <= as_of,
                LedgerEntry.kind.in_(
                    [EntryKind.ALLOCATION, EntryKind.DISCOUNT, EntryKind.CREDIT_NOTE]
                ),
            )
        )
        or 0
    )
    return PlanView(plan, plan_state(session, plan, as_of=as_of), instalments, links, paid)


def list_plans(session: Session, org_id: uuid.UUID) -> list[PaymentPlan]:
    return list(
        session.scalars(
            select(PaymentPlan).where(PaymentPlan.org_id == org_id).order_by(PaymentPlan.agreed_on)
        )
    )


# --- promises to pay -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PromiseView:
    promise: PromiseToPay
    status: PromiseStatus
    paid: int


def record_promise(
    session: Session,
    org_id: uuid.UUID,
    *,
    company_id: uuid.UUID,
    invoice_id: uuid.UUID | None,
    made_on: dt.date,
    promised_for: dt.date,
    currency: str,
    amount: int,
    note: str | None,
) -> PromiseToPay:
    if amount <= 0:
        raise ValidationFailed("amount must be above zero")
    if promised_for < made_on:
        raise ValidationFailed("a promise cannot be for a day before it was made")
    if invoice_id is not None:
        invoice = ledger.lock_invoice(session, org_id, invoice_id)
        if invoice.company_id != company_id:
            raise ValidationFailed("the invoice is to another buyer")
    promise = PromiseToPay(
        org_id=org_id,
        company_id=company_id,
        invoice_id=invoice_id,
        made_on=made_on,
        promised_for=promised_for,
        currency=normalize_currency(currency),
        amount=amount,
        note=(note or "").strip() or None,
    )
    session.add(promise)
    session.flush()
    return promise


def promise_view(session: Session, promise: PromiseToPay, *, as_of: dt.date) -> PromiseView:
    """Kept when the buyer paid ``amount`` (to the invoice, if one is named) between the day the
    promise was made and its date; broken once the date passed without it."""
    query = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.org_id == promise.org_id,
        LedgerEntry.kind.in_([EntryKind.ALLOCATION, EntryKind.DISCOUNT]),
        LedgerEntry.date >= promise.made_on,
        LedgerEntry.date <= min(as_of, promise.promised_for),
    )
    if promise.invoice_id is not None:
        query = query.where(LedgerEntry.invoice_id == promise.invoice_id)
    else:
        query = query.where(
            LedgerEntry.invoice_id.in_(
                select(Invoice.id).where(
                    Invoice.company_id == promise.company_id,
                    Invoice.org_id == promise.org_id,
                    Invoice.currency == promise.currency,
                )
            )
        )
    paid = int(session.scalar(query) or 0)
    status = promise_status(
        amount=promise.amount, promised_for=promise.promised_for, paid_since=paid, as_of=as_of
    )
    return PromiseView(promise, status, paid)


def list_promises(
    session: Session, org_id: uuid.UUID, *, as_of: dt.date, company_id: uuid.UUID | None = None
) -> list[PromiseView]:
    query = select(PromiseToPay).where(PromiseToPay.org_id == org_id)
    if company_id is not None:
        query = query.where(PromiseToPay.company_id == company_id)
    return [
        promise_view(session, p, as_of=as_of)
        for p in session.scalars(query.order_by(PromiseToPay.promised_for))
    ]
