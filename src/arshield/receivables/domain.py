"""Receivables rules with no database: payment terms, discounts, entry kinds, outstanding.

Amounts are integer minor units of one currency. Pure functions only.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from arshield.kit.errors import Conflict, ValidationFailed


class EntryKind(enum.StrEnum):
    """What reduced (or, reversed, restored) an invoice's outstanding amount."""

    ALLOCATION = "allocation"
    DISCOUNT = "discount"
    CREDIT_NOTE = "credit_note"
    WRITE_OFF = "write_off"


class InvoiceStatus(enum.StrEnum):
    """An invoice's state on a day, derived from its amount and entries."""

    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    CREDITED = "credited"
    WRITTEN_OFF = "written_off"


class DisputeOutcome(enum.StrEnum):
    """How a dispute ended: a credit note for the disputed amount, or the claim was rejected."""

    CREDIT_NOTE = "credit_note"
    REJECTED = "rejected"


class PlanStatus(enum.StrEnum):
    ACTIVE = "active"
    COMPLETED = "completed"
    BROKEN = "broken"
    CANCELLED = "cancelled"


class PromiseStatus(enum.StrEnum):
    OPEN = "open"
    KEPT = "kept"
    BROKEN = "broken"


class LedgerConflict(Conflict):
    """The ledger refuses the operation (over-allocation, a second reversal, ...)."""

    error_type = "ledger_conflict"


# --- payment terms ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PaymentTerms:
    """``net N``, end of month + N, optionally with an early-payment discount (``2/10 net 30``).

    ``discount_bp`` is the discount in basis points (200 = 2 %) for payment within
    ``discount_days`` of the issue date.
    """

    days: int
    end_of_month: bool = False
    discount_bp: int = 0
    discount_days: int = 0

    def due_date(self, issued: dt.date) -> dt.date:
        """The due date these terms give an invoice issued on ``issued``."""
        if self.end_of_month:
            last = calendar.monthrange(issued.year, issued.month)[1]
            return issued.replace(day=last) + dt.timedelta(days=self.days)
        return issued + dt.timedelta(days=self.days)

    def discount_until(self, issued: dt.date) -> dt.date | None:
        """The last day the discount may be taken, or None without a discount."""
        if not self.discount_bp:
            return None
        return issued + dt.timedelta(days=self.discount_days)

    def text(self) -> str:
        """The canonical spelling (``2/10 net 30``, ``eom 45``)."""
        base = f"eom {self.days}" if self.end_of_month else f"net {self.days}"
        if not self.discount_bp:
            return base
        rate = (Decimal(self.discount_bp) / 100).normalize()
        return f"{rate:f}/{self.discount_days} {base}"


_TERMS = re.compile(
    r"^(?:(?P<rate>\d{1,2}(?:\.\d{1,2})?)%?\s*/\s*(?P<ddays>\d{1,3})\s*,?\s*)?"
    r"(?:(?P<net>net|n)\s*(?P<ndays>\d{1,3})"
    r"|(?P<eom>eom|end of month)\s*\+?\s*(?P<edays>\d{1,3})"
    r"|月结\s*(?P<cdays>\d{1,3})\s*天?)$"
)


def parse_terms(text: str) -> PaymentTerms:
    """Read ``net 30``, ``eom 30``/``end of month + 30``, ``月结30天``, ``2/10 net 30``.

    Case and spacing are free; days run 0-999; a discount is 0.01-99.99 % and its window must end
    before the net due date.
    """
    cleaned = " ".join(text.strip().lower().split()) if isinstance(text, str) else ""
    match = _TERMS.match(cleaned)
    if not match:
        raise ValidationFailed(
            f"payment terms {text!r} not understood; write e.g. 'net 30', 'eom 30' or '2/10 net 30'"
        )
    eom = match["eom"] is not None or match["cdays"] is not None
    days = int(match["ndays"] or match["edays"] or match["cdays"])
    discount_bp = discount_days = 0
    if match["rate"] is not None:
        discount_bp = int(Decimal(match["rate"]) * 100)
        discount_days = int(match["ddays"])
        if discount_bp <= 0:
            raise ValidationFailed(f"payment terms {text!r}: the discount must be above 0 %")
        if not eom and discount_days >= days:
            raise ValidationFailed(
                f"payment terms {text!r}: the discount window ({discount_days} days) must end "
                f"before the net due date ({days} days)"
            )
    return PaymentTerms(
        days=days, end_of_month=eom, discount_bp=discount_bp, discount_days=discount_days
    )


def discount_amount(amount: int, discount_bp: int) -> int:
    """The discount on ``amount`` minor units: ``discount_bp`` basis points, rounded half up."""
    value = (Decimal(amount) * discount_bp / 10_000).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return int(value)


# --- allocation -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OpenItem:
    """An invoice as allocation sees it: what is still owed, and its discount terms."""

    invoice_id: str
    invoice_ref: str
    issue_date: dt.date
    due_date: dt.date
    amount: int
    outstanding: int
    discount_bp: int = 0
    discount_until: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Allocation:
    """Money applied to one invoice: ``amount`` from the payment plus any discount granted."""

    invoice_id: str
    amount: int
    discount: int = 0


def settle(
    item: OpenItem, *, available: int, paid_on: dt.date, limit: int | None = None
) -> Allocation:
    """Apply up to ``available`` (and at most ``limit``) to ``item`` as paid on ``paid_on``.

    The early-payment discount is granted when the payment, on or before the last discount day,
    settles the whole invoice net of the discount; partial payments earn none. The discount is
    computed on the invoice amount and never exceeds what is outstanding.
    """
    if item.outstanding <= 0 or available <= 0:
        return Allocation(item.invoice_id, 0)
    cap = available if limit is None else min(available, limit)
    if item.discount_bp and item.discount_until is not None and paid_on <= item.discount_until:
        discount = min(discount_amount(item.amount, item.discount_bp), item.outstanding)
        net = item.outstanding - discount
        if cap >= net:
            return Allocation(item.invoice_id, net, discount)
    return Allocation(item.invoice_id, min(cap, item.outstanding))


def allocate_oldest_first(
    items: list[OpenItem], *, available: int, paid_on: dt.date
) -> list[Allocation]:
    """Spread a payment over open items, oldest due date first (then issue date, then ref)."""
    out: list[Allocation] = []
    for item in sorted(items, key=lambda i: (i.due_date, i.issue_date, i.invoice_ref)):
        if available <= 0:
            break
        allocation = settle(item, available=available, paid_on=paid_on)
        if allocation.amount or allocation.discount:
            out.append(allocation)
            available -= allocation.amount
    return out


def status_of(amount: int, outstanding: int, kinds: set[EntryKind]) -> InvoiceStatus:
    """The invoice's status from its amount, what is outstanding and the entries' kinds."""
    if outstanding == amount:
        return InvoiceStatus.OPEN
    if outstanding > 0:
        return InvoiceStatus.PARTIALLY_PAID
    if EntryKind.ALLOCATION in kinds:
        return InvoiceStatus.PAID
    if EntryKind.WRITE_OFF in kinds:
        return InvoiceStatus.WRITTEN_OFF
    return InvoiceStatus.CREDITED


# --- payment plans --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Instalment:
    due_date: dt.date
    amount: int


def plan_due_dates(
    invoices: list[tuple[str, int]], instalments: list[Instalment]
) -> dict[str, dt.date]:
    """The due date a plan gives each invoice: that of the instalment completing its amount.

    ``invoices`` are (invoice_id, outstanding when the plan was agreed), settled in the order
    given (oldest first); instalments are paid in date order.
    """
    schedule = sorted(instalments, key=lambda i: i.due_date)
    if sum(i.amount for i in schedule) != sum(amount for _, amount in invoices):
        raise ValidationFailed("the instalments must add up to the invoices' outstanding amounts")
    dates: dict[str, dt.date] = {}
    paid = 0
    index = 0
    needed = 0
    for invoice_id, amount in invoices:
        needed += amount
        while paid < needed:
            paid += schedule[index].amount
            index += 1
        dates[invoice_id] = schedule[max(index - 1, 0)].due_date
    return dates


def plan_status(
    instalments: list[Instalment],
    *,
    payments: list[tuple[dt.date, int]],
    as_of: dt.date,
    grace_days: int = 0,
) -> PlanStatus:
    """Broken once an instalment's day (plus grace) passed before the plan was paid up to it.

    ``payments`` are (date, amount) the buyer paid on the plan's invoices since it was agreed.
    Instalments are met cumulatively in date order: by each instalment's deadline the payments
    made so far must cover it and every earlier one. A broken plan stays broken; otherwise it
    is completed when fully paid, else active.
    """
    schedule = sorted(instalments, key=lambda i: i.due_date)
    owed = 0
    for instalment in schedule:
        owed += instalment.amount
        deadline = instalment.due_date + dt.timedelta(days=grace_days)
        if deadline >= as_of:
            break
        paid = sum(amount for day, amount in payments if day <= deadline)
        if paid < owed:
            return PlanStatus.BROKEN
    paid_total = sum(amount for day, amount in payments if day <= as_of)
    return PlanStatus.COMPLETED if paid_total >= owed_total(schedule) else PlanStatus.ACTIVE


def owed_total(instalments: list[Instalment]) -> int:
    return sum(i.amount for i in instalments)


def promise_status(
    *, amount: int, promised_for: dt.date, paid_since: int, as_of: dt.date
) -> PromiseStatus:
    """Kept once ``paid_since`` reaches ``amount``; broken when the date passed without it."""
    if paid_since >= amount:
        return PromiseStatus.KEPT
    return PromiseStatus.BROKEN if as_of > promised_for else PromiseStatus.OPEN
