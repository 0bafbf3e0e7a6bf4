"""API bodies of the receivables ledger. Amounts are decimal strings in their currency."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field

from arshield.kit.money import from_minor, to_minor
from arshield.receivables.collections import PlanView, PromiseView
from arshield.receivables.models import CreditNote, Dispute, LedgerEntry
from arshield.receivables.queries import InvoiceDetail, InvoiceView, PaymentView

_AMOUNT = r"^[0-9]+(\.[0-9]+)?$"
AmountText = Field(pattern=_AMOUNT, max_length=40, description="A decimal amount, e.g. 1234.50")
OptionalAmount = Field(default=None, pattern=_AMOUNT, max_length=40)


def amount_text(minor: int, currency: str) -> str:
    return str(from_minor(minor, currency))


def minor_of(text: str, currency: str) -> int:
    return to_minor(Decimal(text), currency)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EntryOut(BaseModel):
    id: uuid.UUID
    kind: str
    date: dt.date
    amount: str
    payment_id: uuid.UUID | None
    credit_note_id: uuid.UUID | None
    reverses_id: uuid.UUID | None
    reason: str | None
    actor: str

    @classmethod
    def build(cls, entry: LedgerEntry, currency: str) -> EntryOut:
        return cls(
            id=entry.id,
            kind=entry.kind.value,
            date=entry.date,
            amount=amount_text(entry.amount, currency),
            payment_id=entry.payment_id,
            credit_note_id=entry.credit_note_id,
            reverses_id=entry.reverses_id,
            reason=entry.reason,
            actor=entry.actor,
        )


class DisputeOut(BaseModel):
    id: uuid.UUID
    invoice_id: uuid.UUID
    invoice_ref: str | None = None
    reason_code: str
    amount: str
    opened_on: dt.date
    resolved_on: dt.date | None
    outcome: str | None
    credit_note_id: uuid.UUID | None
    note: str | None

    @classmethod
    def build(cls, d: Dispute, currency: str, invoice_ref: str | None = None) -> DisputeOut:
        return cls(
            id=d.id,
            invoice_id=d.invoice_id,
            invoice_ref=invoice_ref,
            reason_code=d.reason_code,
            amount=amount_text(d.amount, currency),
            opened_on=d.opened_on,
            resolved_on=d.resolved_on,
            outcome=d.outcome.value if d.outcome else None,
            credit_note_id=d.credit_note_id,
            note=d.note,
        )


class CreditNoteOut(BaseModel):
    id: uuid.UUID
    credit_note_ref: str
    invoice_id: uuid.UUID
    invoice_ref: str
    date: dt.date
    currency: str
    amount: str
    reason: str | None

    @classmethod
    def build(cls, note: CreditNote, invoice_ref: str) -> CreditNoteOut:
        return cls(
            id=note.id,
            credit_note_ref=note.credit_note_ref,
            invoice_id=note.invoice_id,
            invoice_ref=invoice_ref,
            date=note.date,
            currency=note.currency,
            amount=amount_text(note.amount, note.currency),
            reason=note.reason,
        )


class InvoiceOut(BaseModel):
    id: uuid.UUID
    invoice_ref: str
    company_id: uuid.UUID
    company_ref: str
    issue_date: dt.date
    delivery_date: dt.date | None
    due_date: dt.date
    currency: str
    amount: str
    outstanding: str
    disputed: str
    status: str
    terms: str | None
    discount_until: dt.date | None
    order_ref: str | None
    description: str | None

    @classmethod
    def build(cls, view: InvoiceView) -> InvoiceOut:
        i = view.invoice
        return cls(
            id=i.id,
            invoice_ref=i.invoice_ref,
            company_id=i.company_id,
            company_ref=view.company_ref,
            issue_date=i.issue_date,
            delivery_date=i.delivery_date,
            due_date=i.due_date,
            currency=i.currency,
            amount=amount_text(i.amount, i.currency),
            outstanding=amount_text(view.outstanding, i.currency),
            disputed=amount_text(view.disputed, i.currency),
            status=view.status.value,
            terms=i.terms,
            discount_until=i.discount_until,
            order_ref=i.order_ref,
            description=i.description,
        )


class InvoiceDetailOut(InvoiceOut):
    entries: list[EntryOut]
    disputes: list[DisputeOut]
    credit_notes: list[CreditNoteOut]

    @classmethod
    def from_detail(cls, detail: InvoiceDetail) -> InvoiceDetailOut:
        base = InvoiceOut.build(detail.view).model_dump()
        currency = detail.view.invoice.currency
        ref = detail.view.invoice.invoice_ref
        return cls(
            **base,
            entries=[EntryOut.build(e, currency) for e in detail.entries],
            disputes=[DisputeOut.build(d, currency, ref) for d in detail.disputes],
            credit_notes=[CreditNoteOut.build(n, ref) for n in detail.credit_notes],
        )


class PaymentOut(BaseModel):
    id: uuid.UUID
    payment_ref: str
    company_id: uuid.UUID
    company_ref: str
    date: dt.date
    currency: str
    amount: str
    allocated: str
    unallocated: str
    reversed: bool
    reverses_id: uuid.UUID | None

    @classmethod
    def build(cls, view: PaymentView) -> PaymentOut:
        p = view.payment
        left = 0 if view.reversed else p.amount - view.allocated
        return cls(
            id=p.id,
            payment_ref=p.payment_ref,
            company_id=p.company_id,
            company_ref=view.company_ref,
            date=p.date,
            currency=p.currency,
            amount=amount_text(p.amount, p.currency),
            allocated=amount_text(view.allocated, p.currency),
            unallocated=amount_text(left, p.currency),
            reversed=view.reversed,
            reverses_id=p.reverses_id,
        )


class AllocationLine(BaseModel):
    entry_id: uuid.UUID
    invoice_id: uuid.UUID
    invoice_ref: str
    kind: str
    date: dt.date
    amount: str


class PaymentDetailOut(PaymentOut):
    allocations: list[AllocationLine]


# --- requests ------------------------------------------------------------------------------------


class PaymentIn(Body):
    payment_ref: str = Field(min_length=1, max_length=80)
    company_ref: str = Field(min_length=1, max_length=64)
    date: dt.date
    currency: str = Field(min_length=3, max_length=3)
    amount: str = AmountText


class AllocationIn(Body):
    invoice_id: uuid.UUID
    amount: str | None = OptionalAmount


class ReversalIn(Body):
    date: dt.date
    reason: str = Field(min_length=1, max_length=300)


class WriteOffIn(Body):
    date: dt.date
    amount: str | None = OptionalAmount
    reason: str = Field(min_length=1, max_length=300)


class CreditNoteIn(Body):
    credit_note_ref: str = Field(min_length=1, max_length=64)
    invoice_id: uuid.UUID
    date: dt.date
    currency: str = Field(min_length=3, max_length=3)
    amount: str = AmountText
    reason: str | None = Field(default=None, max_length=300)


class DisputeIn(Body):
    reason_code: str = Field(min_length=1, max_length=32)
    amount: str | None = OptionalAmount
    opened_on: dt.date
    note: str | None = Field(default=None, max_length=2000)


class DisputeResolution(Body):
    outcome: str = Field(pattern="^(credit_note|rejected)$")
    resolved_on: dt.date
    credit_note_ref: str | None = Field(default=None, max_length=64)


class InstalmentIn(Body):
    due_date: dt.date
    amount: str = AmountText


class PlanIn(Body):
    plan_ref: str = Field(min_length=1, max_length=64)
    invoice_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    instalments: list[InstalmentIn] = Field(min_length=1, max_length=120)
    agreed_on: dt.date
    grace_days: int = Field(default=0, ge=0, le=90)


class InstalmentOut(BaseModel):
    due_date: dt.date
    amount: str


class PlanInvoiceOut(BaseModel):
    invoice_id: uuid.UUID
    invoice_ref: str
    outstanding_at_start: str
    plan_due_date: dt.date


class PlanOut(BaseModel):
    id: uuid.UUID
    plan_ref: str
    company_id: uuid.UUID
    currency: str
    agreed_on: dt.date
    grace_days: int
    cancelled_on: dt.date | None
    status: str
    paid: str
    instalments: list[InstalmentOut]
    invoices: list[PlanInvoiceOut]

    @classmethod
    def build(cls, view: PlanView) -> PlanOut:
        p = view.plan
        return cls(
            id=p.id,
            plan_ref=p.plan_ref,
            company_id=p.company_id,
            currency=p.currency,
            agreed_on=p.agreed_on,
            grace_days=p.grace_days,
            cancelled_on=p.cancelled_on,
            status=view.status.value,
            paid=amount_text(view.paid, p.currency),
            instalments=[
                InstalmentOut(due_date=i.due_date, amount=amount_text(i.amount, p.currency))
                for i in view.instalments
            ],
            invoices=[
                PlanInvoiceOut(
                    invoice_id=link.invoice_id,
                    invoice_ref=ref,
                    outstanding_at_start=amount_text(link.outstanding_at_start, p.currency),
                    plan_due_date=link.plan_due_date,
                )
                for link, ref in view.invoices
            ],
        )


class PromiseIn(Body):
    company_ref: str = Field(min_length=1, max_length=64)
    invoice_id: uuid.UUID | None = None
    made_on: dt.date
    promised_for: dt.date
    currency: str = Field(min_length=3, max_length=3)
    amount: str = AmountText
    note: str | None = Field(default=None, max_length=2000)


class PromiseOut(BaseModel):
    id: uuid.UUID
    company_id: uuid.UUID
    invoice_id: uuid.UUID | None
    made_on: dt.date
    promised_for: dt.date
    currency: str
    amount: str
    paid: str
    status: str
    note: str | None

    @classmethod
    def build(cls, view: PromiseView) -> PromiseOut:
        p = view.promise
        return cls(
            id=p.id,
            company_id=p.company_id,
            invoice_id=p.invoice_id,
            made_on=p.made_on,
            promised_for=p.promised_for,
            currency=p.currency,
            amount=amount_text(p.amount, p.currency),
            paid=amount_text(min(view.paid, p.amount), p.currency),
            status=view.status.value,
            note=p.note,
        )
