"""Tables of a seller's receivables ledger. Every row belongs to one seller organisation.

Money is integer minor units beside a currency. Once money has touched an invoice nothing is
edited in place: allocations, discounts, credit notes and write-offs are ``ledger_entries``, and
a correction is a new entry reversing an earlier one.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import (
    BigInteger,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    case,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql.elements import ColumnElement, Grouping

from arshield.kit.db import Base, IdMixin, StrEnumType, TimestampMixin, UTCDateTime
from arshield.receivables.domain import DisputeOutcome, EntryKind


class Invoice(IdMixin, TimestampMixin, Base):
    """A sales invoice to a buyer, known by the seller's ``invoice_ref``."""

    __tablename__ = "invoices"
    __table_args__ = (
        UniqueConstraint("org_id", "invoice_ref"),
        Index("ix_invoices_org_due", "org_id", "due_date"),
        # Credit checks hold an order as exposure until an invoice carries its reference (only
        # invoices with a reference are indexed: fewer index writes on imports and settlement).
        Index(
            "ix_invoices_org_order",
            "org_id",
            "order_ref",
            postgresql_where=text("order_ref IS NOT NULL"),
            sqlite_where=text("order_ref IS NOT NULL"),
        ),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"))
    invoice_ref: Mapped[str] = mapped_column(String(64))
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"))
    issue_date: Mapped[dt.date] = mapped_column(Date)
    delivery_date: Mapped[dt.date | None] = mapped_column(Date, default=None)
    due_date: Mapped[dt.date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    terms: Mapped[str | None] = mapped_column(String(32), default=None)
    discount_bp: Mapped[int] = mapped_column(Integer, default=0)
    discount_until: Mapped[dt.date | None] = mapped_column(Date, default=None)
    order_ref: Mapped[str | None] = mapped_column(String(64), default=None)
    description: Mapped[str | None] = mapped_column(String(500), default=None)
    # Kept by the database from the invoice's ledger entries, never written by the code
    # (:mod:`arshield.receivables.settlement`): the sum of all of them, and the latest date.
    settled_amount: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    last_entry_on: Mapped[dt.date | None] = mapped_column(Date, default=None)


OPEN_FOREVER = "9999-12-31"
"""``open_until`` of an invoice its entries do not settle."""


def open_until() -> ColumnElement[dt.date]:
    """The day from which an invoice is settled by the entries it has so far: the date of
    its latest entry when they add up to its amount, else :data:`OPEN_FOREVER`.

    An invoice has something outstanding on ``day`` (its entries dated on or before ``day``
    add up to less than its amount) only when ``open_until() > day``; queries read an
    account's open items through the index on this expression, so their cost follows the
    open items, not the account's history. The expression must stay exactly as the index
    declares it for the databases to use the index.
    """
    return case(
        (Invoice.settled_amount < Invoice.amount, literal_column(f"'{OPEN_FOREVER}'")),
        else_=Invoice.last_entry_on,
    )


# Also serves every read of one buyer's invoices (its first two columns).
Index("ix_invoices_org_company_open", Invoice.org_id, Invoice.company_id, Grouping(open_until()))


class Payment(IdMixin, TimestampMixin, Base):
    """Money received from a buyer. A bounced payment is reversed by a negative twin row."""

    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("org_id", "payment_ref"),
        Index("ix_payments_org_company", "org_id", "company_id"),
    )

    org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"))
    payment_ref: Mapped[str] = mapped_column(String(80))
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"))
    date: Mapped[dt.date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("payments.id"), unique=True, default=None
    )
    reason: Mapped[str | None] = mapped_column(String(300), default=None)


class CreditNote(IdMixin, TimestampMixin, Base):
    """A credit note against one invoice, in the invoice's currency."""

    __tablename__ = "credit_notes"
    __table_args__ = (UniqueConstraint("org_id", "credit_note_ref"),)

    org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"))
    credit_note_ref: Mapped[str] = mapped_column(String(64))
    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("invoices.id"), index=True)
    date: Mapped[dt.date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(300), default=None)


class LedgerEntry(IdMixin, Base):
    """A dated movement on one invoice. Positive amounts reduce what is outstanding.

    A reversal is an entry of the same kind with the opposite amount and ``reverses_id`` set;
    an entry is reversed at most once (unique ``reverses_id``).
    """

    __tablename__ = "ledger_entries"
    __table_args__ = (Index("ix_ledger_entries_org_invoice", "org_id", "invoice_id"),)

    # The organisation is the invoice's (the invoice row holds that foreign key); repeating the
    # check here would cost a lookup per entry on bulk loads for no extra safety.
    org_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("invoices.id"))
    kind: Mapped[EntryKind] = mapped_column(StrEnumType(EntryKind))
    date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("payments.id"), index=True, default=None
    )
    credit_note_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("credit_notes.id"), default=None
    )
    reverses_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("ledger_entries.id"), unique=True, default=None
    )
    reason: Mapped[str | None] = mapped_column(String(300), default=None)
    actor: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class Dispute(IdMixin, TimestampMixin, Base):
    """A buyer's dispute of (part of) an invoice; the invoice stays in the ledger meanwhile."""

    __tablename__ = "disputes"

    org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), index=True)
    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("invoices.id"), index=True)
    reason_code: Mapped[str] = mapped_column(String(32))
    amount: Mapped[int] = mapped_column(BigInteger)
    opened_on: Mapped[dt.date] = mapped_column(Date)
    resolved_on: Mapped[dt.date | None] = mapped_column(Date, default=None)
    outcome: Mapped[DisputeOutcome | None] = mapped_column(
        StrEnumType(DisputeOutcome), default=None
    )
    credit_note_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("credit_notes.id"), default=None
    )
    note: Mapped[str | None] = mapped_column(Text, default=None)


class PaymentPlan(IdMixin, TimestampMixin, Base):
    """An instalment schedule agreed with a buyer that replaces its invoices' due dates."""

    __tablename__ = "payment_plans"
    __table_args__ = (UniqueConstraint("org_id", "plan_ref"),)

    org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"))
    plan_ref: Mapped[str] = mapped_column(String(64))
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    agreed_on: Mapped[dt.date] = mapped_column(Date)
    grace_days: Mapped[int] = mapped_column(Integer, default=0)
    cancelled_on: Mapped[dt.date | None] = mapped_column(Date, default=None)


class PlanInstalment(IdMixin, Base):
    __tablename__ = "plan_instalments"
    __table_args__ = (UniqueConstraint("plan_id", "due_date"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("payment_plans.id"))
    due_date: Mapped[dt.date] = mapped_column(Date)
    amount: Mapped[int] = mapped_column(BigInteger)


class PlanInvoice(IdMixin, Base):
    """An invoice under a plan, with the due date the plan gives it and its original one."""

    __tablename__ = "plan_invoices"
    __table_args__ = (UniqueConstraint("plan_id", "invoice_id"),)

    plan_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("payment_plans.id"))
    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("invoices.id"), index=True)
    outstanding_at_start: Mapped[int] = mapped_column(BigInteger)
    plan_due_date: Mapped[dt.date] = mapped_column(Date)


class PromiseToPay(IdMixin, TimestampMixin, Base):
    """A buyer's promise to pay an amount by a date (kept or broken is derived, as of a day)."""

    __tablename__ = "promises_to_pay"

    org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"), index=True)
    company_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("companies.id"))
    invoice_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("invoices.id"), default=None
    )
    made_on: Mapped[dt.date] = mapped_column(Date)
    promised_for: Mapped[dt.date] = mapped_column(Date)
    currency: Mapped[str] = mapped_column(String(3))
    amount: Mapped[int] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(Text, default=None)


class InvoiceRevision(IdMixin, Base):
    """An audit record of a change to an invoice with no money movement yet."""

    __tablename__ = "invoice_revisions"

    org_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("organisations.id"))
    invoice_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("invoices.id"), index=True)
    changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(300))
    before: Mapped[str] = mapped_column(Text)
    after: Mapped[str] = mapped_column(Text)
