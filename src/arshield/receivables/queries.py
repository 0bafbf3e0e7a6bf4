"""The ledger's read side: lists and details for the API and CLI, and the analytics frames.

Lists are paginated and always filtered by organisation. Amounts outstanding are computed from
the entries (``amount - sum(entries)``) in SQL, never stored twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import Select, String, and_, cast, func, or_, select
from sqlalchemy.orm import Session

from arshield.buyers.models import Company
from arshield.kit.errors import ValidationFailed
from arshield.receivables import bulk, frames
from arshield.receivables.domain import (
    EntryKind,
    Instalment,
    InvoiceStatus,
    PlanStatus,
    plan_status,
    status_of,
)
from arshield.receivables.ledger import InvoiceNotFound, PaymentNotFound
from arshield.receivables.models import (
    CreditNote,
    Dispute,
    Invoice,
    LedgerEntry,
    Payment,
    PaymentPlan,
    PlanInstalment,
    PlanInvoice,
)
from arshield.risk.inputs import read_frames
from arshield.risk.models import GradeRecord

STATUSES = ("open", "overdue", "paid", "disputed", "closed")


@dataclass(frozen=True, slots=True)
class InvoiceView:
    invoice: Invoice
    company_ref: str
    outstanding: int
    disputed: int
    status: InvoiceStatus


@dataclass(frozen=True, slots=True)
class InvoiceDetail:
    view: InvoiceView
    entries: tuple[LedgerEntry, ...]
    disputes: tuple[Dispute, ...]
    credit_notes: tuple[CreditNote, ...]


@dataclass(frozen=True, slots=True)
class PaymentView:
    payment: Payment
    company_ref: str
    allocated: int
    reversed: bool


def _entries_total(as_of: dt.date | None = None) -> Select[tuple[uuid.UUID, int]]:
    query = select(LedgerEntry.invoice_id, func.sum(LedgerEntry.amount).label("taken"))
    if as_of is not None:
        query = query.where(LedgerEntry.date <= as_of)
    return query.group_by(LedgerEntry.invoice_id)


def _open_disputes(as_of: dt.date) -> Select[tuple[uuid.UUID, int]]:
    return (
        select(Dispute.invoice_id, func.sum(Dispute.amount).label("disputed"))
        .where(
            Dispute.opened_on <= as_of,
            or_(Dispute.resolved_on.is_(None), Dispute.resolved_on > as_of),
        )
        .group_by(Dispute.invoice_id)
    )


def list_invoices(
    session: Session,
    org_id: uuid.UUID,
    *,
    as_of: dt.date,
    company_id: uuid.UUID | None = None,
    status: str | None = None,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    limit: int,
    offset: int,
) -> tuple[list[InvoiceView], int]:
    """Invoices of one ledger as of a day, filtered; ``status`` is one of ``STATUSES``."""
    if status is not None and status not in STATUSES:
        raise ValidationFailed(f"status must be one of {', '.join(STATUSES)}")
    taken = _entries_total(as_of).subquery()
    disputed = _open_disputes(as_of).subquery()
    left = Invoice.amount - func.coalesce(taken.c.taken, 0)
    query = (
        select(
            Invoice, Company.ref, left.label("outstanding"), func.coalesce(disputed.c.disputed, 0)
        )
        .join(Company, Company.id == Invoice.company_id)
        .outerjoin(taken, taken.c.invoice_id == Invoice.id)
        .outerjoin(disputed, disputed.c.invoice_id == Invoice.id)
        .where(Invoice.org_id == org_id, Invoice.issue_date <= as_of)
    )
    if company_id is not None:
        query = query.where(Invoice.company_id == company_id)
    if due_from is not None:
        query = query.where(Invoice.due_date >= due_from)
    if due_to is not None:
        query = query.where(Invoice.due_date <= due_to)
    if status == "open":
        query = query.where(left > 0)
    elif status == "overdue":
        query = query.where(left > 0, Invoice.due_date < as_of)
    elif status in ("paid", "closed"):
        query = query.where(left <= 0)
    elif status == "disputed":
        query = query.where(disputed.c.disputed > 0)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.execute(
        query.order_by(Invoice.due_date, Invoice.invoice_ref).limit(limit).offset(offset)
    ).all()
    kinds = _kinds(session, [r[0].id for r in rows], as_of)
    views = [
        InvoiceView(
            invoice=invoice,
            company_ref=ref,
            outstanding=int(out),
            disputed=min(int(dis), max(int(out), 0)),
            status=status_of(invoice.amount, int(out), kinds.get(invoice.id, set())),
        )
        for invoice, ref, out, dis in rows
    ]
    return views, total


def _kinds(
    session: Session, invoice_ids: list[uuid.UUID], as_of: dt.date | None
) -> dict[uuid.UUID, set[EntryKind]]:
    if not invoice_ids:
        return {}
    query = (
        select(LedgerEntry.invoice_id, LedgerEntry.kind)
        .where(LedgerEntry.invoice_id.in_(invoice_ids))
        .group_by(LedgerEntry.invoice_id, LedgerEntry.kind)
        .having(func.sum(LedgerEntry.amount) > 0)
    )
    if as_of is not None:
        query = query.where(LedgerEntry.date <= as_of)
    out: dict[uuid.UUID, set[EntryKind]] = {}
    for invoice_id, kind in session.execute(query):
        out.setdefault(invoice_id, set()).add(kind)
    return out


def get_invoice(
    session: Session, org_id: uuid.UUID, invoice_id: uuid.UUID, *, as_of: dt.date
) -> InvoiceDetail:
    invoice = session.scalars(
        select(Invoice).where(Invoice.id == invoice_id, Invoice.org_id == org_id)
    ).one_or_none()
    if invoice is None:
        raise InvoiceNotFound(f"no invoice {invoice_id} in this ledger")
    return _detail(session, invoice, as_of=as_of)


def get_invoice_by_ref(
    session: Session, org_id: uuid.UUID, invoice_ref: str, *, as_of: dt.date
) -> InvoiceDetail:
    invoice = session.scalars(
        select(Invoice).where(Invoice.invoice_ref == invoice_ref, Invoice.org_id == org_id)
    ).one_or_none()
    if invoice is None:
        raise InvoiceNotFound(f"no invoice {invoice_ref!r} in this ledger")
    return _detail(session, invoice, as_of=as_of)


def _detail(session: Session, invoice: Invoice, *, as_of: dt.date) -> InvoiceDetail:
    entries = tuple(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.invoice_id == invoice.id)
            .order_by(LedgerEntry.date, LedgerEntry.created_at, LedgerEntry.id)
        )
    )
    counted = [e for e in entries if e.date <= as_of]
    out = invoice.amount - sum(e.amount for e in counted)
    disputes = tuple(
        session.scalars(
            select(Dispute).where(Dispute.invoice_id == invoice.id).order_by(Dispute.opened_on)
        )
    )
    disputed = sum(
        d.amount
        for d in disputes
        if d.opened_on <= as_of and (d.resolved_on is None or d.resolved_on > as_of)
    )
    notes = tuple(session.scalars(select(CreditNote).where(CreditNote.invoice_id == invoice.id)))
    net: dict[EntryKind, int] = {}
    for e in counted:
        net[e.kind] = net.get(e.kind, 0) + e.amount
    kinds = {k for k, v in net.items() if v > 0}
    ref = session.scalar(select(Company.ref).where(Company.id == invoice.company_id)) or ""
    view = InvoiceView(
        invoice, ref, out, min(disputed, max(out, 0)), status_of(invoice.amount, out, kinds)
    )
    return InvoiceDetail(view=view, entries=entries, disputes=disputes, credit_notes=notes)


def list_payments(
    session: Session,
    org_id: uuid.UUID,
    *,
    company_id: uuid.UUID | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int,
    offset: int,
) -> tuple[list[PaymentView], int]:
    allocated = (
        select(LedgerEntry.payment_id, func.sum(LedgerEntry.amount).label("allocated"))
        .where(LedgerEntry.kind == EntryKind.ALLOCATION, LedgerEntry.payment_id.is_not(None))
        .group_by(LedgerEntry.payment_id)
        .subquery()
    )
    reversal = select(Payment.reverses_id).where(Payment.reverses_id.is_not(None))
    query = (
        select(
            Payment,
            Company.ref,
            func.coalesce(allocated.c.allocated, 0),
            or_(Payment.id.in_(reversal), Payment.reverses_id.is_not(None)),
        )
        .join(Company, Company.id == Payment.company_id)
        .outerjoin(allocated, allocated.c.payment_id == Payment.id)
        .where(Payment.org_id == org_id)
    )
    if company_id is not None:
        query = query.where(Payment.company_id == company_id)
    if date_from is not None:
        query = query.where(Payment.date >= date_from)
    if date_to is not None:
        query = query.where(Payment.date <= date_to)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.execute(
        query.order_by(Payment.date, Payment.payment_ref).limit(limit).offset(offset)
    ).all()
    return [PaymentView(p, ref, int(a), bool(r)) for p, ref, a, r in rows], total


def get_payment(session: Session, org_id: uuid.UUID, payment_id: uuid.UUID) -> PaymentView:
    views, _ = list_payments_by_id(session, org_id, payment_id)
    if not views:
        raise PaymentNotFound(f"no payment {payment_id} in this ledger")
    return views[0]


def list_payments_by_id(
    session: Session, org_id: uuid.UUID, payment_id: uuid.UUID
) -> tuple[list[PaymentView], int]:
    payment = session.scalars(
        select(Payment).where(Payment.id == payment_id, Payment.org_id == org_id)
    ).one_or_none()
    if payment is None:
        return [], 0
    allocated = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.payment_id == payment.id, LedgerEntry.kind == EntryKind.ALLOCATION
        )
    )
    reversed_ = payment.reverses_id is not None or (
        session.scalar(select(Payment.id).where(Payment.reverses_id == payment.id)) is not None
    )
    ref = session.scalar(select(Company.ref).where(Company.id == payment.company_id)) or ""
    return [PaymentView(payment, ref, int(allocated or 0), reversed_)], 1


def payment_entries(session: Session, payment_id: uuid.UUID) -> list[tuple[LedgerEntry, str]]:
    return [
        (entry, ref)
        for entry, ref in session.execute(
            select(LedgerEntry, Invoice.invoice_ref)
            .join(Invoice, Invoice.id == LedgerEntry.invoice_id)
            .where(LedgerEntry.payment_id == payment_id)
            .order_by(LedgerEntry.date, LedgerEntry.created_at)
        ).tuples()
    ]


def list_credit_notes(
    session: Session,
    org_id: uuid.UUID,
    *,
    invoice_id: uuid.UUID | None = None,
    limit: int,
    offset: int,
) -> tuple[list[tuple[CreditNote, str]], int]:
    query = (
        select(CreditNote, Invoice.invoice_ref)
        .join(Invoice, Invoice.id == CreditNote.invoice_id)
        .where(CreditNote.org_id == org_id)
    )
    if invoice_id is not None:
        query = query.where(CreditNote.invoice_id == invoice_id)
    total = int(session.scalar(select(func.count()).select_from(query.subquery())) or 0)
    rows = session.execute(
        query.order_by(CreditNote.date, CreditNote.credit_note_ref).limit(limit).offset(offset)
    ).tuples()
    return list(rows), total


def get_credit_note(
    session: Session, org_id: uuid.UUID, credit_note_id: uuid.UUID
) -> tuple[CreditNote, str]:
    row = (
        session.execute(
            select(CreditNote, Invoice.invoice_ref)
            .join(Invoice, Invoice.id == CreditNote.invoice_id)
            .where(CreditNote.id == credit_note_id, CreditNote.org_id == org_id)
        )
        .tuples()
        .one_or_none()
    )
    if row is None:
        from arshield.kit.errors import NotFound

        raise NotFound(f"no credit note {credit_note_id} in this ledger")
    return row


# --- analytics frames ----------------------------------------------------------------------------

INV, E, D, P, C = (
    bulk.table_of(Invoice),
    bulk.table_of(LedgerEntry),
    bulk.table_of(Dispute),
    bulk.table_of(Payment),
    bulk.table_of(Company),
)


@dataclass(frozen=True, slots=True)
class LedgerFrames:
    """One seller's ledger as columnar frames (``receivables.frames`` schemas), invoices,
    entries, disputes and buyers carrying their integer keys (``frames.with_keys``)."""

    invoices: pl.DataFrame
    entries: pl.DataFrame
    disputes: pl.DataFrame
    buyers: pl.DataFrame
    payments: pl.DataFrame


def load_frames(
    session: Session,
    org_id: uuid.UUID,
    *,
    as_of: dt.date,
    company_id: uuid.UUID | None = None,
    grade_version: str | None = None,
) -> LedgerFrames:
    """Read a ledger (or one buyer's part of it) known on ``as_of`` into frames.

    Invoices carry the due date in force on ``as_of``: an active payment plan's date where one
    applies. Buyers carry the latest stored grade dated on or before ``as_of``. The frames are
    keyed once here, so that every report over them matches rows by integer keys.
    """
    mine = [INV.c.org_id == org_id, INV.c.issue_date <= as_of]
    if company_id is not None:
        mine.append(INV.c.company_id == company_id)
    # Entries and disputes are never dated before their invoice, so for a whole ledger the
    # date alone keeps them to invoices issued by as_of; one buyer's part needs the invoices.
    in_scope = [E.c.invoice_id.in_(select(INV.c.id).where(*mine))] if company_id is not None else []
    disputed_scope = (
        [D.c.invoice_id.in_(select(INV.c.id).where(*mine))] if company_id is not None else []
    )
    pay_where = [P.c.org_id == org_id, P.c.date <= as_of]
    if company_id is not None:
        pay_where.append(P.c.company_id == company_id)
    invoice_columns = [
        INV.c.id,
        INV.c.invoice_ref,
        INV.c.company_id,
        INV.c.issue_date,
        INV.c.due_date,
        INV.c.currency,
        INV.c.amount,
    ]
    reads: dict[str, tuple[list[Any], dict[str, Any], list[Any]]] = {
        "invoices": (invoice_columns, dict(frames.INVOICES.items()), mine),
        "entries": (
            [E.c.invoice_id, E.c.date, E.c.kind, E.c.amount],
            dict(frames.ENTRIES.items()),
            [E.c.org_id == org_id, E.c.date <= as_of, *in_scope],
        ),
        "disputes": (
            [D.c.invoice_id, D.c.amount, D.c.opened_on, D.c.resolved_on],
            dict(frames.DISPUTES.items()),
            [D.c.org_id == org_id, D.c.opened_on <= as_of, *disputed_scope],
        ),
        "payments": (
            [P.c.id, P.c.company_id, P.c.date, P.c.currency, P.c.amount],
            dict(frames.PAYMENTS.items()),
            pay_where,
        ),
    }
    size = int(
        session.scalar(select(func.count()).select_from(INV).where(INV.c.org_id == org_id)) or 0
    )
    if size >= BULK_READ_FROM:
        read = _read_in_bulk(session, reads)
    else:
        read = {
            name: bulk.select_frame(session, columns, schema, where=where)
            for name, (columns, schema, where) in reads.items()
        }
    invoices, entries, disputes, payments = (
        read["invoices"],
        read["entries"],
        read["disputes"],
        read["payments"],
    )
    invoices = _plan_due_dates(session, org_id, invoices, as_of=as_of)
    buyers = _buyers(session, invoices["company_id"].unique().to_list(), as_of, grade_version)
    keyed = frames.with_keys(invoices.select(list(frames.INVOICES)), entries, disputes, buyers)
    return LedgerFrames(
        invoices=keyed.invoices,
        entries=keyed.entries,
        disputes=keyed.disputes,
        buyers=keyed.buyers,
        payments=payments,
    )


BULK_READ_FROM = 50_000
"""Ledgers with this many invoices are read by ADBC in child processes, not through the ORM's
driver: about 20 s less per million invoices on SQLite."""


def _read_in_bulk(
    session: Session, reads: dict[str, tuple[list[Any], dict[str, Any], list[Any]]]
) -> dict[str, pl.DataFrame]:
    """Run the reads as literal SQL through ``risk.inputs.read_frames`` (committed data only)."""
    dialect = session.get_bind().dialect
    sqls = {
        name: str(
            select(*bulk.wire_select(columns, schema))
            .where(*where)
            .compile(dialect=dialect, compile_kwargs={"literal_binds": True})
        )
        for name, (columns, schema, where) in reads.items()
    }
    url = session.get_bind().engine.url.render_as_string(hide_password=False)
    raw = read_frames(database_url=url, sqls=sqls)
    return {name: bulk.typed(raw[name], reads[name][1]) for name in reads}


def _buyers(
    session: Session, company_hex: list[str], as_of: dt.date, grade_version: str | None
) -> pl.DataFrame:
    ids = [uuid.UUID(h) for h in company_hex]
    base = bulk.select_frame(
        session,
        [C.c.id, C.c.ref, C.c.name, C.c.country],
        {
            "company_id": pl.Utf8,
            "company_ref": pl.Utf8,
            "company_name": pl.Utf8,
            "country": pl.Utf8,
        },
        key=C.c.id,
        keys=ids,
    ).filter(pl.col("company_id").is_in(company_hex))
    latest = (
        select(GradeRecord.company_id, func.max(GradeRecord.as_of).label("on"))
        .where(GradeRecord.as_of <= as_of)
        .group_by(GradeRecord.company_id)
    )
    if grade_version is not None:
        latest = latest.where(GradeRecord.model_version == grade_version)
    sub = latest.subquery()
    query = (
        select(cast(GradeRecord.company_id, String), GradeRecord.grade)
        .join(sub, and_(sub.c.company_id == GradeRecord.company_id, sub.c.on == GradeRecord.as_of))
        .order_by(GradeRecord.model_version)
    )
    if grade_version is not None:
        query = query.where(GradeRecord.model_version == grade_version)
    grades: dict[str, int] = {}
    if len(ids) < bulk.WHOLE_TABLE_FROM:
        for start in range(0, len(ids), bulk.LOOKUP_CHUNK):
            chunk = ids[start : start + bulk.LOOKUP_CHUNK]
            for company, grade in session.execute(query.where(GradeRecord.company_id.in_(chunk))):
                grades[company.replace("-", "").lower()] = int(grade)
    else:
        for company, grade in session.execute(query):
            grades[company.replace("-", "").lower()] = int(grade)
    grade_frame = pl.DataFrame(
        {"company_id": list(grades), "grade": list(grades.values())},
        schema={"company_id": pl.Utf8, "grade": pl.Int8},
    )
    return base.join(grade_frame, on="company_id", how="left").select(list(frames.BUYERS))


def _plan_due_dates(
    session: Session, org_id: uuid.UUID, invoices: pl.DataFrame, *, as_of: dt.date
) -> pl.DataFrame:
    """Replace the due date of invoices under a plan that is active on ``as_of``."""
    overrides: dict[str, dt.date] = {}
    for plan in session.scalars(
        select(PaymentPlan).where(PaymentPlan.org_id == org_id, PaymentPlan.agreed_on <= as_of)
    ):
        if plan_state(session, plan, as_of=as_of) is not PlanStatus.ACTIVE:
            continue
        for link in session.scalars(select(PlanInvoice).where(PlanInvoice.plan_id == plan.id)):
            overrides[link.invoice_id.hex] = link.plan_due_date
    if not overrides:
        return invoices
    table = pl.DataFrame(
        {"invoice_id": list(overrides), "plan_due": list(overrides.values())},
        schema={"invoice_id": pl.Utf8, "plan_due": pl.Date},
    )
    return (
        invoices.join(table, on="invoice_id", how="left")
        .with_columns(due_date=pl.coalesce("plan_due", "due_date"))
        .drop("plan_due")
    )


def plan_state(session: Session, plan: PaymentPlan, *, as_of: dt.date) -> PlanStatus:
    """A plan's status on ``as_of`` from its instalments and the allocations to its invoices."""
    if plan.cancelled_on is not None and plan.cancelled_on <= as_of:
        return PlanStatus.CANCELLED
    instalments = [
        Instalment(i.due_date, i.amount)
        for i in session.scalars(select(PlanInstalment).where(PlanInstalment.plan_id == plan.id))
    ]
    invoice_ids = select(PlanInvoice.invoice_id).where(PlanInvoice.plan_id == plan.id)
    payments = [
        (day, int(amount))
        for day, amount in session.execute(
            select(LedgerEntry.date, func.sum(LedgerEntry.amount))
            .where(
                LedgerEntry.invoice_id.in_(invoice_ids),
                LedgerEntry.date >= plan.agreed_on,
                LedgerEntry.kind.in_(
                    [EntryKind.ALLOCATION, EntryKind.DISCOUNT, EntryKind.CREDIT_NOTE]
                ),
            )
            .group_by(LedgerEntry.date)
        ).tuples()
    ]
    return plan_status(instalments, payments=payments, as_of=as_of, grace_days=plan.grace_days)
