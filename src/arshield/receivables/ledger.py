"""Ledger operations: payments, allocations, credit notes, write-offs, reversals.

Every operation is scoped to one seller organisation, checks against amounts read after taking
the rows' locks (``SELECT ... FOR UPDATE`` on PostgreSQL, the database write lock on SQLite), so
parallel allocations on one invoice never over-allocate. Locks are taken payment first, then
invoices in id order. Services never commit: the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arshield.buyers.models import Company
from arshield.kit.db import lock_for_write
from arshield.kit.errors import NotFound, ValidationFailed
from arshield.kit.money import normalize_currency
from arshield.receivables.domain import (
    Allocation,
    EntryKind,
    LedgerConflict,
    OpenItem,
    allocate_oldest_first,
    settle,
)
from arshield.receivables.models import CreditNote, Invoice, LedgerEntry, Payment

MAX_TEXT = 300


class InvoiceNotFound(NotFound):
    """No such invoice in this organisation's ledger."""


class PaymentNotFound(NotFound):
    """No such payment in this organisation's ledger."""


class EntryNotFound(NotFound):
    """No such ledger entry in this organisation's ledger."""


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does an operation, and when (UTC)."""

    name: str
    now: dt.datetime


# --- reading amounts -----------------------------------------------------------------------------


def outstanding(session: Session, invoice: Invoice, *, as_of: dt.date | None = None) -> int:
    """The invoice's amount less its entries (dated on or before ``as_of`` when given)."""
    query = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.invoice_id == invoice.id
    )
    if as_of is not None:
        query = query.where(LedgerEntry.date <= as_of)
    return invoice.amount - int(session.scalar(query) or 0)


def allocated_from(session: Session, payment: Payment) -> int:
    """What of ``payment`` has been applied to invoices (net of reversed allocations)."""
    query = select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
        LedgerEntry.payment_id == payment.id, LedgerEntry.kind == EntryKind.ALLOCATION
    )
    return int(session.scalar(query) or 0)


def reversal_of(session: Session, payment: Payment) -> Payment | None:
    return session.scalars(select(Payment).where(Payment.reverses_id == payment.id)).one_or_none()


def unallocated(session: Session, payment: Payment) -> int:
    """What of ``payment`` is still to apply (zero once reversed)."""
    if payment.reverses_id is not None or reversal_of(session, payment) is not None:
        return 0
    return payment.amount - allocated_from(session, payment)


# --- locking reads -------------------------------------------------------------------------------


def lock_invoice(session: Session, org_id: uuid.UUID, invoice_id: uuid.UUID) -> Invoice:
    lock_for_write(session)
    invoice = session.scalars(
        select(Invoice)
        .where(Invoice.id == invoice_id, Invoice.org_id == org_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if invoice is None:
        raise InvoiceNotFound(f"no invoice {invoice_id} in this ledger")
    return invoice


def lock_payment(session: Session, org_id: uuid.UUID, payment_id: uuid.UUID) -> Payment:
    lock_for_write(session)
    payment = session.scalars(
        select(Payment)
        .where(Payment.id == payment_id, Payment.org_id == org_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one_or_none()
    if payment is None:
        raise PaymentNotFound(f"no payment {payment_id} in this ledger")
    return payment


def _check_text(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise ValidationFailed(f"{field} is longer than {MAX_TEXT} characters")
    return value or None


def _positive(amount: int, field: str = "amount") -> int:
    if amount <= 0:
        raise ValidationFailed(f"{field} must be above zero")
    return amount


def open_item(session: Session, invoice: Invoice) -> OpenItem:
    return OpenItem(
        invoice_id=str(invoice.id),
        invoice_ref=invoice.invoice_ref,
        issue_date=invoice.issue_date,
        due_date=invoice.due_date,
        amount=invoice.amount,
        outstanding=outstanding(session, invoice),
        discount_bp=invoice.discount_bp,
        discount_until=invoice.discount_until,
    )


# --- payments and allocations --------------------------------------------------------------------


def record_payment(
    session: Session,
    org_id: uuid.UUID,
    *,
    payment_ref: str,
    company: Company,
    date: dt.date,
    currency: str,
    amount: int,
    actor: Actor,
) -> Payment:
    """A payment received from ``company`` (nothing allocated yet)."""
    lock_for_write(session)
    ref = _check_text(payment_ref, "payment_ref")
    if not ref:
        raise ValidationFailed("payment_ref is required")
    existing = session.scalars(
        select(Payment).where(Payment.org_id == org_id, Payment.payment_ref == ref)
    ).one_or_none()
    if existing is not None:
        raise LedgerConflict(f"payment {ref!r} already exists")
    payment = Payment(
        org_id=org_id,
        payment_ref=ref,
        company_id=company.id,
        date=date,
        currency=normalize_currency(currency),
        amount=_positive(amount),
        created_at=actor.now,
    )
    session.add(payment)
    session.flush()
    return payment


def _entry_date(payment: Payment, invoice: Invoice) -> dt.date:
    """Money counts from the day it arrived, or from the invoice's date when paid in advance."""
    return max(payment.date, invoice.issue_date)


def _write_allocation(
    session: Session,
    org_id: uuid.UUID,
    *,
    payment: Payment,
    invoice: Invoice,
    allocation: Allocation,
    actor: Actor,
) -> list[LedgerEntry]:
    day = _entry_date(payment, invoice)
    entries = []
    if allocation.amount:
        entries.append(
            LedgerEntry(
                org_id=org_id,
                invoice_id=invoice.id,
                kind=EntryKind.ALLOCATION,
                date=day,
                amount=allocation.amount,
                payment_id=payment.id,
                actor=actor.name,
                created_at=actor.now,
            )
        )
    if allocation.discount:
        entries.append(
            LedgerEntry(
                org_id=org_id,
                invoice_id=invoice.id,
                kind=EntryKind.DISCOUNT,
                date=day,
                amount=allocation.discount,
                payment_id=payment.id,
                reason=f"early-payment discount {invoice.discount_bp / 100:g}%",
                actor=actor.name,
                created_at=actor.now,
            )
        )
    session.add_all(entries)
    session.flush()
    return entries


def _same_buyer_and_currency(payment: Payment, invoice: Invoice) -> None:
    if payment.company_id != invoice.company_id:
        raise LedgerConflict(
            f"payment {payment.payment_ref!r} and invoice {invoice.invoice_ref!r} "
            "name different buyers"
        )
    if payment.currency != invoice.currency:
        raise LedgerConflict(
            f"payment {payment.payment_ref!r} is in {payment.currency}, "
            f"invoice {invoice.invoice_ref!r} in {invoice.currency}"
        )


def allocate(
    session: Session,
    org_id: uuid.UUID,
    *,
    payment_id: uuid.UUID,
    invoice_id: uuid.UUID,
    amount: int | None,
    actor: Actor,
) -> list[LedgerEntry]:
    """Apply ``amount`` of a payment to an invoice (all that fits when ``amount`` is None).

    Refused when it would exceed the payment's unallocated amount or the invoice's outstanding
    amount. An early-payment discount is granted when the payment settles the invoice within the
    discount window.
    """
    payment = lock_payment(session, org_id, payment_id)
    invoice = lock_invoice(session, org_id, invoice_id)
    _same_buyer_and_currency(payment, invoice)
    available = unallocated(session, payment)
    item = open_item(session, invoice)
    if amount is not None:
        _positive(amount)
        if amount > available:
            raise LedgerConflict(
                f"payment {payment.payment_ref!r} has {available} minor units unallocated; "
                f"{amount} asked"
            )
        if amount > item.outstanding:
            raise LedgerConflict(
                f"invoice {invoice.invoice_ref!r} has {item.outstanding} minor units outstanding; "
                f"{amount} asked"
            )
    if item.outstanding <= 0:
        raise LedgerConflict(f"invoice {invoice.invoice_ref!r} has nothing outstanding")
    if available <= 0:
        raise LedgerConflict(f"payment {payment.payment_ref!r} has nothing left to allocate")
    allocation = settle(item, available=available, paid_on=payment.date, limit=amount)
    return _write_allocation(
        session, org_id, payment=payment, invoice=invoice, allocation=allocation, actor=actor
    )


def auto_allocate(
    session: Session, org_id: uuid.UUID, *, payment_id: uuid.UUID, actor: Actor
) -> list[LedgerEntry]:
    """Apply what is left of a payment to the buyer's open invoices, oldest due date first."""
    payment = lock_payment(session, org_id, payment_id)
    available = unallocated(session, payment)
    if available <= 0:
        return []
    candidates = session.scalars(
        select(Invoice.id)
        .where(
            Invoice.org_id == org_id,
            Invoice.company_id == payment.company_id,
            Invoice.currency == payment.currency,
        )
        .order_by(Invoice.id)
    ).all()
    invoices = {str(i): lock_invoice(session, org_id, i) for i in candidates}
    items = [open_item(session, inv) for inv in invoices.values()]
    plan = allocate_oldest_first(
        [i for i in items if i.outstanding > 0], available=available, paid_on=payment.date
    )
    entries: list[LedgerEntry] = []
    for allocation in plan:
        entries += _write_allocation(
            session,
            org_id,
            payment=payment,
            invoice=invoices[allocation.invoice_id],
            allocation=allocation,
            actor=actor,
        )
    return entries


# --- credit notes and write-offs ------------------------------------------------------------------


def issue_credit_note(
    session: Session,
    org_id: uuid.UUID,
    *,
    credit_note_ref: str,
    invoice_id: uuid.UUID,
    date: dt.date,
    currency: str,
    amount: int,
    reason: str | None,
    actor: Actor,
) -> CreditNote:
    """A credit note against an invoice; it may not exceed what is outstanding."""
    invoice = lock_invoice(session, org_id, invoice_id)
    ref = _check_text(credit_note_ref, "credit_note_ref")
    if not ref:
        raise ValidationFailed("credit_note_ref is required")
    if normalize_currency(currency) != invoice.currency:
        raise LedgerConflict(
            f"credit note in {currency.upper()} for invoice {invoice.invoice_ref!r} in "
            f"{invoice.currency}"
        )
    if date < invoice.issue_date:
        raise ValidationFailed(f"credit note dated before invoice {invoice.invoice_ref!r}")
    taken = session.scalars(
        select(CreditNote).where(CreditNote.org_id == org_id, CreditNote.credit_note_ref == ref)
    ).one_or_none()
    if taken is not None:
        raise LedgerConflict(f"credit note {ref!r} already exists")
    left = outstanding(session, invoice)
    if _positive(amount) > left:
        raise LedgerConflict(
            f"credit note of {amount} exceeds invoice {invoice.invoice_ref!r}'s outstanding {left}"
        )
    note = CreditNote(
        org_id=org_id,
        credit_note_ref=ref,
        invoice_id=invoice.id,
        date=date,
        currency=invoice.currency,
        amount=amount,
        reason=_check_text(reason, "reason"),
        created_at=actor.now,
    )
    session.add(note)
    session.flush()
    session.add(
        LedgerEntry(
            org_id=org_id,
            invoice_id=invoice.id,
            kind=EntryKind.CREDIT_NOTE,
            date=date,
            amount=amount,
            credit_note_id=note.id,
            reason=note.reason,
            actor=actor.name,
            created_at=actor.now,
        )
    )
    session.flush()
    return note


def write_off(
    session: Session,
    org_id: uuid.UUID,
    *,
    invoice_id: uuid.UUID,
    date: dt.date,
    amount: int | None,
    reason: str,
    actor: Actor,
) -> LedgerEntry:
    """Write off ``amount`` (everything outstanding when None) of an invoice as bad debt."""
    invoice = lock_invoice(session, org_id, invoice_id)
    text = _check_text(reason, "reason")
    if not text:
        raise ValidationFailed("a write-off needs a reason")
    if date < invoice.issue_date:
        raise ValidationFailed(f"write-off dated before invoice {invoice.invoice_ref!r}")
    left = outstanding(session, invoice)
    value = left if amount is None else _positive(amount)
    if value <= 0:
        raise LedgerConflict(f"invoice {invoice.invoice_ref!r} has nothing outstanding")
    if value > left:
        raise LedgerConflict(
            f"write-off of {value} exceeds invoice {invoice.invoice_ref!r}'s outstanding {left}"
        )
    entry = LedgerEntry(
        org_id=org_id,
        invoice_id=invoice.id,
        kind=EntryKind.WRITE_OFF,
        date=date,
        amount=value,
        reason=text,
        actor=actor.name,
        created_at=actor.now,
    )
    session.add(entry)
    session.flush()
    return entry


# --- reversals -----------------------------------------------------------------------------------


def _reverse(
    session: Session, entry: LedgerEntry, *, date: dt.date, reason: str | None, actor: Actor
) -> LedgerEntry:
    if entry.reverses_id is not None:
        raise LedgerConflict("a reversal cannot itself be reversed; record a new entry instead")
    already = session.scalars(
        select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry.id)
    ).first()
    if already is not None:
        raise LedgerConflict(f"entry {entry.id} is already reversed")
    if date < entry.date:
        raise ValidationFailed(f"a reversal cannot be dated before the entry ({entry.date})")
    undo = LedgerEntry(
        org_id=entry.org_id,
        invoice_id=entry.invoice_id,
        kind=entry.kind,
        date=date,
        amount=-entry.amount,
        payment_id=entry.payment_id,
        credit_note_id=entry.credit_note_id,
        reverses_id=entry.id,
        reason=_check_text(reason, "reason"),
        actor=actor.name,
        created_at=actor.now,
    )
    session.add(undo)
    session.flush()
    return undo


def _unreversed(session: Session, query_filter: Sequence[object]) -> list[LedgerEntry]:
    reversed_ids = select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id.is_not(None))
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(
                *query_filter,  # type: ignore[arg-type]
                LedgerEntry.reverses_id.is_(None),
                LedgerEntry.id.not_in(reversed_ids),
            )
            .order_by(LedgerEntry.date, LedgerEntry.id)
        )
    )


def reverse_entry(
    session: Session,
    org_id: uuid.UUID,
    *,
    entry_id: uuid.UUID,
    date: dt.date,
    reason: str | None,
    actor: Actor,
) -> list[LedgerEntry]:
    """Reverse one entry by a new opposite entry. Reversing an allocation also reverses the
    discount the same payment earned on that invoice (the discount depended on it)."""
    lock_for_write(session)
    entry = session.scalars(
        select(LedgerEntry).where(LedgerEntry.id == entry_id, LedgerEntry.org_id == org_id)
    ).one_or_none()
    if entry is None:
        raise EntryNotFound(f"no ledger entry {entry_id} in this ledger")
    if entry.payment_id is not None:
        lock_payment(session, org_id, entry.payment_id)
    lock_invoice(session, org_id, entry.invoice_id)
    out = [_reverse(session, entry, date=date, reason=reason, actor=actor)]
    if entry.kind is EntryKind.ALLOCATION and entry.payment_id is not None:
        for discount in _unreversed(
            session,
            [
                LedgerEntry.payment_id == entry.payment_id,
                LedgerEntry.invoice_id == entry.invoice_id,
                LedgerEntry.kind == EntryKind.DISCOUNT,
            ],
        ):
            out.append(_reverse(session, discount, date=date, reason=reason, actor=actor))
    return out


def reverse_payment(
    session: Session,
    org_id: uuid.UUID,
    *,
    payment_id: uuid.UUID,
    date: dt.date,
    reason: str,
    actor: Actor,
) -> Payment:
    """A bounced or mistaken payment: its allocations and discounts are reversed, and a negative
    twin payment (``<ref>/reversal``) records the money going back."""
    payment = lock_payment(session, org_id, payment_id)
    if payment.reverses_id is not None:
        raise LedgerConflict("a reversal cannot itself be reversed")
    if reversal_of(session, payment) is not None:
        raise LedgerConflict(f"payment {payment.payment_ref!r} is already reversed")
    if date < payment.date:
        raise ValidationFailed(f"a reversal cannot be dated before the payment ({payment.date})")
    text = _check_text(reason, "reason")
    if not text:
        raise ValidationFailed("a payment reversal needs a reason")
    entries = _unreversed(session, [LedgerEntry.payment_id == payment.id])
    for invoice_id in sorted({e.invoice_id for e in entries}):
        lock_invoice(session, org_id, invoice_id)
    for entry in entries:
        _reverse(session, entry, date=date, reason=text, actor=actor)
    twin = Payment(
        org_id=org_id,
        payment_ref=f"{payment.payment_ref}/reversal"[:80],
        company_id=payment.company_id,
        date=date,
        currency=payment.currency,
        amount=-payment.amount,
        reverses_id=payment.id,
        reason=text,
        created_at=actor.now,
    )
    session.add(twin)
    session.flush()
    return twin
