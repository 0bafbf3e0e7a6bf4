"""Routes of the receivables ledger: reading, batch import and ledger operations.

Everything is scoped to the caller's own ledger (sellers) or to the seller named with ``org``
(the insurer's staff, read only). Another seller's objects answer 404.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile

from arshield.api.deps import PrincipalDep, SessionDep
from arshield.api.errors import error_responses
from arshield.api.idempotency import IDEMPOTENCY_ERRORS, IdempotencyDep
from arshield.api.uploads import saved_upload
from arshield.buyers.models import Company
from arshield.buyers.service import BuyerNotFound
from arshield.kit.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from arshield.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from arshield.kit.tabular import read_json_rows, read_table
from arshield.kit.tabular_schemas import ImportReportOut
from arshield.kit.time import today, utcnow
from arshield.orgs.domain import Principal
from arshield.receivables import collections, ledger, queries
from arshield.receivables.access import ledger_org
from arshield.receivables.domain import DisputeOutcome, Instalment
from arshield.receivables.importing import (
    ImportOptions,
    ReceivableKind,
    ReceivablesImportRejected,
    import_receivables,
)
from arshield.receivables.ledger import Actor
from arshield.receivables.schemas import (
    AllocationIn,
    AllocationLine,
    CreditNoteIn,
    CreditNoteOut,
    DisputeIn,
    DisputeOut,
    DisputeResolution,
    EntryOut,
    InvoiceDetailOut,
    InvoiceOut,
    PaymentDetailOut,
    PaymentIn,
    PaymentOut,
    PlanIn,
    PlanOut,
    PromiseIn,
    PromiseOut,
    ReversalIn,
    WriteOffIn,
    amount_text,
    minor_of,
)

router = APIRouter(
    tags=["receivables"], responses=error_responses(Unauthorized, Forbidden, NotFound)
)

OrgRef = Annotated[
    str | None,
    Query(max_length=64, description="Seller whose ledger to read (the insurer's staff only)."),
]
AsOf = Annotated[dt.date | None, Query(description="Amounts as of this day (today).")]
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Query(ge=0)]


def _actor(principal: Principal) -> Actor:
    return Actor(name=f"api:{principal.org_ref}:{principal.key_id}", now=utcnow())


def _company(session: SessionDep, ref: str) -> Company:
    from sqlalchemy import select

    company = session.scalars(select(Company).where(Company.ref == ref)).one_or_none()
    if company is None:
        raise BuyerNotFound(f"no buyer with company_ref {ref!r}")
    return company


# --- reading -------------------------------------------------------------------------------------


@router.get(
    "/invoices", response_model=Page[InvoiceOut], responses=error_responses(ValidationFailed)
)
def list_invoices(
    principal: PrincipalDep,
    session: SessionDep,
    org: OrgRef = None,
    buyer: Annotated[str | None, Query(max_length=64, description="company_ref")] = None,
    status: Annotated[
        str | None, Query(description="open, overdue, paid, disputed or closed")
    ] = None,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    as_of: AsOf = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[InvoiceOut]:
    """Invoices with what is outstanding and disputed on ``as_of``, by due date."""
    org_id = ledger_org(session, principal, org)
    company_id = _company(session, buyer).id if buyer else None
    views, total = queries.list_invoices(
        session,
        org_id,
        as_of=as_of or today(),
        company_id=company_id,
        status=status,
        due_from=due_from,
        due_to=due_to,
        limit=limit,
        offset=offset,
    )
    return Page[InvoiceOut](
        items=[InvoiceOut.build(v) for v in views], total=total, limit=limit, offset=offset
    )


@router.get("/invoices/{invoice_id}", response_model=InvoiceDetailOut)
def get_invoice(
    invoice_id: uuid.UUID,
    principal: PrincipalDep,
    session: SessionDep,
    org: OrgRef = None,
    as_of: AsOf = None,
) -> InvoiceDetailOut:
    """One invoice with its entries, disputes and credit notes."""
    org_id = ledger_org(session, principal, org)
    detail = queries.get_invoice(session, org_id, invoice_id, as_of=as_of or today())
    return InvoiceDetailOut.from_detail(detail)


@router.get("/payments", response_model=Page[PaymentOut])
def list_payments(
    principal: PrincipalDep,
    session: SessionDep,
    org: OrgRef = None,
    buyer: Annotated[str | None, Query(max_length=64, description="company_ref")] = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[PaymentOut]:
    org_id = ledger_org(session, principal, org)
    company_id = _company(session, buyer).id if buyer else None
    views, total = queries.list_payments(
        session,
        org_id,
        company_id=company_id,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        offset=offset,
    )
    return Page[PaymentOut](
        items=[PaymentOut.build(v) for v in views], total=total, limit=limit, offset=offset
    )


def _payment_detail(
    session: SessionDep, org_id: uuid.UUID, payment_id: uuid.UUID
) -> PaymentDetailOut:
    view = queries.get_payment(session, org_id, payment_id)
    lines = [
        AllocationLine(
            entry_id=e.id,
            invoice_id=e.invoice_id,
            invoice_ref=ref,
            kind=e.kind.value,
            date=e.date,
            amount=amount_text(e.amount, view.payment.currency),
        )
        for e, ref in queries.payment_entries(session, payment_id)
    ]
    return PaymentDetailOut(**PaymentOut.build(view).model_dump(), allocations=lines)


@router.get("/payments/{payment_id}", response_model=PaymentDetailOut)
def get_payment(
    payment_id: uuid.UUID, principal: PrincipalDep, session: SessionDep, org: OrgRef = None
) -> PaymentDetailOut:
    """One payment with its allocations (and their reversals)."""
    return _payment_detail(session, ledger_org(session, principal, org), payment_id)


@router.get("/credit-notes", response_model=Page[CreditNoteOut])
def list_credit_notes(
    principal: PrincipalDep,
    session: SessionDep,
    org: OrgRef = None,
    invoice_id: uuid.UUID | None = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[CreditNoteOut]:
    org_id = ledger_org(session, principal, org)
    rows, total = queries.list_credit_notes(
        session, org_id, invoice_id=invoice_id, limit=limit, offset=offset
    )
    return Page[CreditNoteOut](
        items=[CreditNoteOut.build(n, ref) for n, ref in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/credit-notes/{credit_note_id}", response_model=CreditNoteOut)
def get_credit_note(
    credit_note_id: uuid.UUID, principal: PrincipalDep, session: SessionDep, org: OrgRef = None
) -> CreditNoteOut:
    note, ref = queries.get_credit_note(
        session, ledger_org(session, principal, org), credit_note_id
    )
    return CreditNoteOut.build(note, ref)


# --- imports -------------------------------------------------------------------------------------

Partial = Annotated[bool, Query(description="Write the good rows even if some fail.")]
CreateBuyers = Annotated[
    bool, Query(description="Create unknown buyers of invoices, flagged unverified.")
]
AutoAllocate = Annotated[
    bool, Query(description="Apply payments without invoice_ref oldest invoice first.")
]


@router.post(
    "/receivables/{kind}:batch",
    response_model=ImportReportOut,
    responses={**IDEMPOTENCY_ERRORS, **error_responses(ReceivablesImportRejected)},
)
async def import_batch(
    kind: ReceivableKind,
    request: Request,
    principal: PrincipalDep,
    idem: IdempotencyDep,
    session: SessionDep,
    partial: Partial = False,
    create_buyers: CreateBuyers = False,
    auto_allocate: AutoAllocate = False,
) -> Response:
    """Import JSON rows ``{"rows": [{...}]}`` with the file columns of ``kind``. Amounts may be
    strings or JSON numbers (read as written, never through binary floating point)."""
    raw = await request.body()
    org_id = ledger_org(session, principal, None, write=True)
    if (replay := idem.replay(principal, raw)) is not None:
        return replay
    table = read_json_rows(raw)
    report = import_receivables(
        session,
        org_id=org_id,
        kind=kind,
        table=table,
        options=ImportOptions(partial, create_buyers, auto_allocate),
        actor=_actor(principal).name,
        source=f"api batch {kind.value}",
    )
    return idem.respond(session, ImportReportOut.model_validate(report.to_dict()))


@router.post(
    "/receivables/import/{kind}",
    response_model=ImportReportOut,
    responses={**IDEMPOTENCY_ERRORS, **error_responses(ReceivablesImportRejected)},
)
def import_upload(
    kind: ReceivableKind,
    request: Request,
    principal: PrincipalDep,
    idem: IdempotencyDep,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="CSV, XLSX, JSON Lines or Parquet file.")],
    partial: Partial = False,
    create_buyers: CreateBuyers = False,
    auto_allocate: AutoAllocate = False,
) -> Response:
    """Import an ERP file of ``kind`` into the caller's ledger."""
    org_id = ledger_org(session, principal, None, write=True)
    if (replay := idem.replay(principal, file)) is not None:
        return replay
    with saved_upload(request, file) as (path, name, limit):
        report = import_receivables(
            session,
            org_id=org_id,
            kind=kind,
            table=read_table(path, max_bytes=limit),
            options=ImportOptions(partial, create_buyers, auto_allocate),
            actor=_actor(principal).name,
            source=name,
        )
    return idem.respond(session, ImportReportOut.model_validate(report.to_dict()))


# --- ledger operations ---------------------------------------------------------------------------

Writes = {**IDEMPOTENCY_ERRORS, **error_responses(ValidationFailed, Conflict)}


@router.post("/payments", response_model=PaymentDetailOut, status_code=201, responses=Writes)
def record_payment(
    body: PaymentIn, principal: PrincipalDep, idem: IdempotencyDep, session: SessionDep
) -> Response:
    """Record a payment received (allocate it with ``/payments/{id}/allocations``)."""
    org_id = ledger_org(session, principal, None, write=True)
    if (replay := idem.replay(principal, body)) is not None:
        return replay
    payment = ledger.record_payment(
        session,
        org_id,
        payment_ref=body.payment_ref,
        company=_company(session, body.company_ref),
        date=body.date,
        currency=body.currency,
        amount=minor_of(body.amount, body.currency),
        actor=_actor(principal),
    )
    return idem.respond(session, _payment_detail(session, org_id, payment.id), status_code=201)


@router.post(
    "/payments/{payment_id}/allocations",
    response_model=PaymentDetailOut,
    status_code=201,
    responses=Writes,
)
def allocate(
    payment_id: uuid.UUID,
    body: AllocationIn,
    principal: PrincipalDep,
    idem: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Apply (part of) a payment to an invoice; all that fits when ``amount`` is left out."""
    org_id = ledger_org(session, principal, None, write=True)
    if (replay := idem.replay(principal, body)) is not None:
        return replay
    payment = ledger.lock_payment(session, org_id, payment_id)
    ledger.allocate(
        session,
        org_id,
        payment_id=payment_id,
        invoice_id=body.invoice_id,
        amount=None if body.amount is None else minor_of(body.amount, payment.currency),
        actor=_actor(principal),
    )
    return idem.respond(session, _payment_detail(session, org_id, payment_id), status_code=201)


@router.post(
    "/payments/{payment_id}/auto-allocate", response_model=PaymentDetailOut, responses=Writes
)
def auto_allocate(
    payment_id: uuid.UUID, principal: PrincipalDep, idem: IdempotencyDep, session: SessionDep
) -> Response:
    """Apply what is left of a payment to the buyer's open invoices, oldest due date first."""
    org_id = ledger_org(session, principal, None, write=True)
    if (replay := idem.replay(principal)) is not None:
        return replay
    ledger.auto_allocate(session, org_id, payment_id=payment_id, actor=_actor(principal))
    return idem.respond(session, _payment_detail(session, org_id, payment_id))


@router.post("/payments/{payment_id}/reverse", response_model=PaymentDetailOut, responses=Writes)
def reverse_payment(
    payment_id: uuid.UUID,
    body: ReversalIn,
    principal: PrincipalDep,
    idem: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """A bounced payment: its allocations are reversed and a negative twin is recorded."""
    org_id = ledger_org(session, principal, None, write=True)
    if (replay := idem.replay(principal, body)) is not None:
        return replay
    ledger.reverse_payment(
        session,
        org_id,
        payment_id=payment_id,
        date=body.date,
        reason=body.reason,
        actor=_actor(principal),
    )
    return idem.respond(session, _payment_detail(session, org_id, payment_id))


@router.post("/entries/{entry_id}/reverse", response_model=list[EntryOut], responses=Writes)
def reverse_entry(
    entry_id: uuid.UUID,
    body: ReversalIn,
    principal: PrincipalDep,
    idem: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Reverse an allocation, discount, credit note or write-off by an opposite entry."""
    org_id = ledger_org(session, principal, None, write=True)
    if (replay := idem.replay(principal, body)) is not None:
        return replay
    entries = ledger.reverse_entry(
        session,
        org_id,
        entry_id=entry_id,
        date=body.date,
        reason=body.reason,
        actor=_actor(principal),
    )
    currency = queries.get_invoice(session, org_id, entries[0].invoice_id, as_of=body.date)
    return idem.respond(
        session, [EntryOut.build(e, currency.view.invoice.currency) for e in entries]
    )


@router.post(
    "/invoices/{invoice_id}/write-offs", response_model=EntryOut, status_code=201, responses=Writes
)
def write_off(
    invoice_id: uuid.UUID,
    body: WriteOffIn,
    principal: PrincipalDep,
    idem: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Write off (part of) an invoice as bad debt; everything outstanding without ``amount``."""
    org_id = ledger_org(session, principal, None, write=True)
    if (replay := idem.replay(principal, body)) is not None:
        return replay
    invoice = ledger.lock_invoice(session, org_id, invoice_id)
    entry = ledger.write_off(
        session,
        org_id,
        invoice_id=invoice_id,
        date=body.date,
        amount=None if body.amount is None else minor_of(body.amount, invoice.currency),
        reason=body.reason,
        actor=_actor(principal),
    )
    return idem.respond(session, EntryOut.build(entry, invoice.currency), status_code=201)


@router.post("/credit-notes", response_model=CreditNoteOut, status_code=201, responses=Writes)
def issue_credit_note(
    body: CreditNoteIn, principal: PrincipalDep, idem: IdempotencyDep, session: SessionDep
) -> Response:
    org_id = ledger_org(session, principal, None, write=True)
    if (replay := idem.replay(principal, body)) is not None:
        return replay
    note = ledger.issue_credit_note(
        session,
        org_id,
        credit_note_ref=body.credit_note_ref,
        invoice_id=body.invoice_id,
        date=body.date,
        currency=body.currency,
        amount=minor_of(body.amount, body.currency),
        reason=body.reason,
        actor=_actor(principal),
    )
    return idem.respond(session, get_credit_note(note.id, principal, session), status_code=201)


# --- disputes, plans, promises -------------------------------------------------------------------


@router.post(
    "/invoices/{invoice_id}/disputes", response_model=DisputeOut, status_code=201, responses=Writes
)
def open_dispute(
    invoice_id: uuid.UUID,
    body: DisputeIn,
    principal: PrincipalDep,
    idem: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Record a buyer's dispute; the whole undisputed outstanding amount without ``amount``."""
    org_id = ledger_org(session, principal, None, write=True)
    if (replay := idem.replay(principal, body)) is not None:
        return replay
    invoice = ledger.lock_invoice(session, org_id, invoice_id)
    dispute = collections.open_dispute(
        session,
        org_id,
        invoice_id=invoice_id,
        reason_code=body.reason_code,
        amount=None if body.amount is None else minor_of(body.amount, invoice.currency),
        opened_on=body.opened_on,
        note=body.note,
    )
    return idem.respond(
        session, DisputeOut.build(dispute, invoice.currency, invoice.invoice_ref), status_code=201
    )


@router.post("/disputes/{dispute_id}/resolve", response_model=DisputeOut, responses=Writes)
def resolve_dispute(
    dispute_id: uuid.UUID,
    body: DisputeResolution,
    principal: PrincipalDep,
    idem: IdempotencyDep,
    session: SessionDep,
) -> Response:
    org_id = ledger_org(session, principal, None, write=True)
    if (replay := idem.replay(principal, body)) is not None:
        return replay
    dispute = collections.resolve_dispute(
        session,
        org_id,
        dispute_id=dispute_id,
        outcome=DisputeOutcome(body.outcome),
        resolved_on=body.resolved_on,
        credit_note_ref=body.credit_note_ref,
        actor=_actor(principal),
    )
    invoice = ledger.lock_invoice(session, org_id, dispute.invoice_id)
    return idem.respond(session, DisputeOut.build(dispute, invoice.currency, invoice.invoice_ref))


@router.get("/disputes", response_model=list[DisputeOut])
def list_disputes(
    principal: PrincipalDep,
    session: SessionDep,
    org: OrgRef = None,
    open_only: Annotated[bool, Query(alias="open")] = False,
) -> list[DisputeOut]:
    org_id = ledger_org(session, principal, org)
    return [
        DisputeOut.build(dispute, currency, ref)
        for dispute, ref, currency in collections.list_disputes(
            session, org_id, open_only=open_only
        )
    ]


@router.post("/payment-plans", response_model=PlanOut, status_code=201, responses=Writes)
def create_plan(
    body: PlanIn, principal: PrincipalDep, idem: IdempotencyDep, session: SessionDep
) -> Response:
    """Agree an instalment plan over one buyer's invoices (in one currency)."""
    org_id = ledger_org(session, principal, None, write=True)
    if (replay := idem.replay(principal, body)) is not None:
        return replay
    first = ledger.lock_invoice(session, org_id, body.invoice_ids[0])
    plan = collections.create_plan(
        session,
        org_id,
        plan_ref=body.plan_ref,
        invoice_ids=body.invoice_ids,
        instalments=[
            Instalment(i.due_date, minor_of(i.amount, first.currency)) for i in body.instalments
        ],
        agreed_on=body.agreed_on,
        grace_days=body.grace_days,
    )
    view = collections.plan_view(session, org_id, plan.id, as_of=body.agreed_on)
    return idem.respond(session, PlanOut.build(view), status_code=201)


@router.get("/payment-plans", response_model=list[PlanOut])
def list_plans(
    principal: PrincipalDep, session: SessionDep, org: OrgRef = None, as_of: AsOf = None
) -> list[PlanOut]:
    org_id = ledger_org(session, principal, org)
    day = as_of or today()
    return [
        PlanOut.build(collections.plan_view(session, org_id, p.id, as_of=day))
        for p in collections.list_plans(session, org_id)
    ]


@router.get("/payment-plans/{plan_id}", response_model=PlanOut)
def get_plan(
    plan_id: uuid.UUID,
    principal: PrincipalDep,
    session: SessionDep,
    org: OrgRef = None,
    as_of: AsOf = None,
) -> PlanOut:
    org_id = ledger_org(session, principal, org)
    return PlanOut.build(collections.plan_view(session, org_id, plan_id, as_of=as_of or today()))


@router.post("/payment-plans/{plan_id}/cancel", response_model=PlanOut, responses=Writes)
def cancel_plan(
    plan_id: uuid.UUID,
    principal: PrincipalDep,
    idem: IdempotencyDep,
    session: SessionDep,
    on: Annotated[dt.date | None, Query()] = None,
) -> Response:
    org_id = ledger_org(session, principal, None, write=True)
    if (replay := idem.replay(principal)) is not None:
        return replay
    day = on or today()
    collections.cancel_plan(session, org_id, plan_id=plan_id, on=day)
    return idem.respond(
        session, PlanOut.build(collections.plan_view(session, org_id, plan_id, as_of=day))
    )


@router.post("/promises", response_model=PromiseOut, status_code=201, responses=Writes)
def record_promise(
    body: PromiseIn, principal: PrincipalDep, idem: IdempotencyDep, session: SessionDep
) -> Response:
    """Record a buyer's promise to pay an amount by a date."""
    org_id = ledger_org(session, principal, None, write=True)
    if (replay := idem.replay(principal, body)) is not None:
        return replay
    promise = collections.record_promise(
        session,
        org_id,
        company_id=_company(session, body.company_ref).id,
        invoice_id=body.invoice_id,
        made_on=body.made_on,
        promised_for=body.promised_for,
        currency=body.currency,
        amount=minor_of(body.amount, body.currency),
        note=body.note,
    )
    view = collections.promise_view(session, promise, as_of=body.made_on)
    return idem.respond(session, PromiseOut.build(view), status_code=201)


@router.get("/promises", response_model=list[PromiseOut])
def list_promises(
    principal: PrincipalDep,
    session: SessionDep,
    org: OrgRef = None,
    buyer: Annotated[str | None, Query(max_length=64)] = None,
    as_of: AsOf = None,
) -> list[PromiseOut]:
    """Promises with kept / broken / open as of a day."""
    org_id = ledger_org(session, principal, org)
    company_id = _company(session, buyer).id if buyer else None
    views = collections.list_promises(
        session, org_id, as_of=as_of or today(), company_id=company_id
    )
    return [PromiseOut.build(v) for v in views]
