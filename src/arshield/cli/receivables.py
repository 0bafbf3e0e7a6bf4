"""``arshield receivables``: import ERP files, read the ledger and run ledger operations."""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from arshield.buyers.models import Company
from arshield.buyers.service import BuyerNotFound
from arshield.cli.buyers_import import (
    DEFAULT_MAX_BYTES,
    ReportFormat,
    cli_actor,
    progress_reporter,
    show_report,
)
from arshield.cli.common import OutputFormat, console, emit_rows, handle_errors, transaction
from arshield.kit.errors import ValidationFailed
from arshield.kit.money import from_minor, parse_minor
from arshield.kit.time import parse_date, today, utcnow
from arshield.orgs import service as orgs_service
from arshield.receivables import collections, ledger, queries
from arshield.receivables.domain import DisputeOutcome, Instalment
from arshield.receivables.importing import (
    ImportOptions,
    ReceivableKind,
    ReceivablesImportRejected,
    import_file,
)
from arshield.receivables.ledger import Actor

app = typer.Typer(help="The receivables ledger: ERP imports, invoices, payments, operations.")
dispute_app = typer.Typer(help="Open and resolve disputes.")
app.add_typer(dispute_app, name="dispute")

OrgOption = typer.Option(..., "--org", help="The seller organisation's ref.")
FormatOption = typer.Option(OutputFormat.TABLE, "--format", help="table, json or csv.")


def _org(session: Session, ref: str) -> uuid.UUID:
    return orgs_service.get_org_by_ref(session, ref).id


def _day(text: str | None) -> dt.date:
    return parse_date(text) if text else today()


def _actor() -> Actor:
    return Actor(name=cli_actor(), now=utcnow())


def _company_id(session: Session, ref: str) -> uuid.UUID:
    found = session.scalars(select(Company.id).where(Company.ref == ref)).one_or_none()
    if found is None:
        raise BuyerNotFound(f"no buyer with company_ref {ref!r}")
    return found


def _invoice_id(session: Session, org_id: uuid.UUID, ref: str) -> uuid.UUID:
    return queries.get_invoice_by_ref(session, org_id, ref, as_of=dt.date.max).view.invoice.id


def _payment_id(session: Session, org_id: uuid.UUID, ref: str) -> uuid.UUID:
    from arshield.receivables.models import Payment

    found = session.scalars(
        select(Payment.id).where(Payment.org_id == org_id, Payment.payment_ref == ref)
    ).one_or_none()
    if found is None:
        raise ledger.PaymentNotFound(f"no payment {ref!r} in this ledger")
    return found


@app.command("import")
@handle_errors
def import_command(
    kind: ReceivableKind = typer.Argument(..., help="invoices, payments or credit-notes."),
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="CSV (UTF-8, UTF-8 BOM or GBK/GB18030; , ; or tab), .xlsx, .jsonl or .parquet.",
    ),
    org: str = OrgOption,
    partial: bool = typer.Option(False, "--partial", help="Write the good rows anyway."),
    create_buyers: bool = typer.Option(
        False, "--create-buyers", help="Create unknown buyers of invoices, flagged unverified."
    ),
    auto_allocate: bool = typer.Option(
        False, "--auto-allocate", help="Apply payments without invoice_ref oldest first."
    ),
    rejects: Path | None = typer.Option(
        None, "--rejects", dir_okay=False, help="Write rejected rows and reasons to this CSV."
    ),
    fmt: ReportFormat = typer.Option(ReportFormat.TABLE, "--format", help="table or json."),
    max_bytes: int = typer.Option(DEFAULT_MAX_BYTES, "--max-bytes", min=1),
) -> None:
    """Import an ERP file into a seller's ledger; all or nothing unless --partial. Exits 1 when
    any row was rejected."""
    with progress_reporter() as progress:
        try:
            with transaction() as session:
                report = import_file(
                    session,
                    org_id=_org(session, org),
                    kind=kind,
                    path=file,
                    options=ImportOptions(partial, create_buyers, auto_allocate),
                    actor=cli_actor(),
                    max_bytes=max_bytes,
                    rejects=rejects,
                    progress=progress,
                )
        except ReceivablesImportRejected as exc:
            report = exc.report
    show_report(report, fmt=fmt, rejects=rejects)
    if report.rejected:
        raise typer.Exit(code=1)


INVOICE_COLUMNS = [
    "invoice_ref",
    "company_ref",
    "issue_date",
    "due_date",
    "currency",
    "amount",
    "outstanding",
    "disputed",
    "status",
]


@app.command("invoices")
@handle_errors
def invoices_command(
    org: str = OrgOption,
    buyer: str | None = typer.Option(None, "--buyer", help="company_ref"),
    status: str | None = typer.Option(None, "--status", help="open, overdue, paid, disputed"),
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (today)"),
    limit: int = typer.Option(100, "--limit", min=1, max=100_000),
    offset: int = typer.Option(0, "--offset", min=0),
    fmt: OutputFormat = FormatOption,
) -> None:
    """List invoices with what is outstanding and disputed as of a day."""
    with transaction() as session:
        org_id = _org(session, org)
        views, total = queries.list_invoices(
            session,
            org_id,
            as_of=_day(as_of),
            company_id=_company_id(session, buyer) if buyer else None,
            status=status,
            limit=limit,
            offset=offset,
        )
        rows = [
            {
                "invoice_ref": v.invoice.invoice_ref,
                "company_ref": v.company_ref,
                "issue_date": v.invoice.issue_date.isoformat(),
                "due_date": v.invoice.due_date.isoformat(),
                "currency": v.invoice.currency,
                "amount": str(from_minor(v.invoice.amount, v.invoice.currency)),
                "outstanding": str(from_minor(v.outstanding, v.invoice.currency)),
                "disputed": str(from_minor(v.disputed, v.invoice.currency)),
                "status": v.status.value,
            }
            for v in views
        ]
    emit_rows(rows, columns=INVOICE_COLUMNS, fmt=fmt, title=f"Invoices ({total})")


@app.command("payments")
@handle_errors
def payments_command(
    org: str = OrgOption,
    buyer: str | None = typer.Option(None, "--buyer", help="company_ref"),
    limit: int = typer.Option(100, "--limit", min=1, max=100_000),
    offset: int = typer.Option(0, "--offset", min=0),
    fmt: OutputFormat = FormatOption,
) -> None:
    """List payments with what of each is allocated."""
    with transaction() as session:
        views, total = queries.list_payments(
            session,
            _org(session, org),
            company_id=_company_id(session, buyer) if buyer else None,
            limit=limit,
            offset=offset,
        )
        rows = [
            {
                "payment_ref": v.payment.payment_ref,
                "company_ref": v.company_ref,
                "date": v.payment.date.isoformat(),
                "currency": v.payment.currency,
                "amount": str(from_minor(v.payment.amount, v.payment.currency)),
                "allocated": str(from_minor(v.allocated, v.payment.currency)),
                "reversed": v.reversed,
            }
            for v in views
        ]
    columns = ["payment_ref", "company_ref", "date", "currency", "amount", "allocated", "reversed"]
    emit_rows(rows, columns=columns, fmt=fmt, title=f"Payments ({total})")


@app.command("credit-notes")
@handle_errors
def credit_notes_command(
    org: str = OrgOption,
    limit: int = typer.Option(100, "--limit", min=1, max=100_000),
    offset: int = typer.Option(0, "--offset", min=0),
    fmt: OutputFormat = FormatOption,
) -> None:
    """List credit notes."""
    with transaction() as session:
        notes, total = queries.list_credit_notes(
            session, _org(session, org), limit=limit, offset=offset
        )
        rows = [
            {
                "credit_note_ref": n.credit_note_ref,
                "invoice_ref": ref,
                "date": n.date.isoformat(),
                "currency": n.currency,
                "amount": str(from_minor(n.amount, n.currency)),
                "reason": n.reason,
            }
            for n, ref in notes
        ]
    columns = ["credit_note_ref", "invoice_ref", "date", "currency", "amount", "reason"]
    emit_rows(rows, columns=columns, fmt=fmt, title=f"Credit notes ({total})")


@app.command("allocate")
@handle_errors
def allocate_command(
    payment_ref: str = typer.Argument(...),
    invoice_ref: str | None = typer.Argument(None, help="Omit to allocate oldest first."),
    org: str = OrgOption,
    amount: str | None = typer.Option(None, "--amount", help="Decimal; all that fits if left out."),
) -> None:
    """Apply a payment to an invoice, or to the buyer's open invoices oldest first."""
    with transaction() as session:
        org_id = _org(session, org)
        payment_id = _payment_id(session, org_id, payment_ref)
        if invoice_ref is None:
            entries = ledger.auto_allocate(session, org_id, payment_id=payment_id, actor=_actor())
        else:
            payment = ledger.lock_payment(session, org_id, payment_id)
            entries = ledger.allocate(
                session,
                org_id,
                payment_id=payment_id,
                invoice_id=_invoice_id(session, org_id, invoice_ref),
                amount=None if amount is None else parse_minor(amount, payment.currency),
                actor=_actor(),
            )
        for entry in entries:
            console.print(f"{entry.kind.value} {entry.amount} minor units on {entry.date}")


@app.command("write-off")
@handle_errors
def write_off_command(
    invoice_ref: str = typer.Argument(...),
    org: str = OrgOption,
    reason: str = typer.Option(..., "--reason"),
    date: str | None = typer.Option(None, "--date", help="YYYY-MM-DD (today)"),
    amount: str | None = typer.Option(
        None, "--amount", help="Decimal; all outstanding if left out."
    ),
) -> None:
    """Write off (part of) an invoice as bad debt."""
    with transaction() as session:
        org_id = _org(session, org)
        invoice_id = _invoice_id(session, org_id, invoice_ref)
        invoice = ledger.lock_invoice(session, org_id, invoice_id)
        entry = ledger.write_off(
            session,
            org_id,
            invoice_id=invoice_id,
            date=_day(date),
            amount=None if amount is None else parse_minor(amount, invoice.currency),
            reason=reason,
            actor=_actor(),
        )
        console.print(
            f"written off {from_minor(entry.amount, invoice.currency)} {invoice.currency}"
        )


@app.command("reverse-entry")
@handle_errors
def reverse_entry_command(
    entry_id: uuid.UUID = typer.Argument(...),
    org: str = OrgOption,
    reason: str = typer.Option(..., "--reason"),
    date: str | None = typer.Option(None, "--date"),
) -> None:
    """Reverse an allocation, discount, credit note or write-off by an opposite entry."""
    with transaction() as session:
        undone = ledger.reverse_entry(
            session,
            _org(session, org),
            entry_id=entry_id,
            date=_day(date),
            reason=reason,
            actor=_actor(),
        )
        console.print(f"reversed {len(undone)} entries")


@app.command("reverse-payment")
@handle_errors
def reverse_payment_command(
    payment_ref: str = typer.Argument(...),
    org: str = OrgOption,
    reason: str = typer.Option(..., "--reason"),
    date: str | None = typer.Option(None, "--date"),
) -> None:
    """A bounced payment: reverse its allocations and record the money going back."""
    with transaction() as session:
        org_id = _org(session, org)
        twin = ledger.reverse_payment(
            session,
            org_id,
            payment_id=_payment_id(session, org_id, payment_ref),
            date=_day(date),
            reason=reason,
            actor=_actor(),
        )
        console.print(f"recorded {twin.payment_ref}")


@dispute_app.command("open")
@handle_errors
def dispute_open(
    invoice_ref: str = typer.Argument(...),
    org: str = OrgOption,
    reason_code: str = typer.Option(..., "--reason", help=", ".join(collections.REASON_CODES)),
    amount: str | None = typer.Option(None, "--amount"),
    date: str | None = typer.Option(None, "--date"),
    note: str | None = typer.Option(None, "--note"),
) -> None:
    """Record a buyer's dispute of (part of) an invoice."""
    with transaction() as session:
        org_id = _org(session, org)
        invoice_id = _invoice_id(session, org_id, invoice_ref)
        invoice = ledger.lock_invoice(session, org_id, invoice_id)
        dispute = collections.open_dispute(
            session,
            org_id,
            invoice_id=invoice_id,
            reason_code=reason_code,
            amount=None if amount is None else parse_minor(amount, invoice.currency),
            opened_on=_day(date),
            note=note,
        )
        console.print(f"dispute {dispute.id} opened")


@dispute_app.command("resolve")
@handle_errors
def dispute_resolve(
    dispute_id: uuid.UUID = typer.Argument(...),
    org: str = OrgOption,
    outcome: DisputeOutcome = typer.Option(..., "--outcome"),
    credit_note_ref: str | None = typer.Option(None, "--credit-note-ref"),
    date: str | None = typer.Option(None, "--date"),
) -> None:
    """Close a dispute: rejected, or a credit note for the disputed amount."""
    with transaction() as session:
        collections.resolve_dispute(
            session,
            _org(session, org),
            dispute_id=dispute_id,
            outcome=outcome,
            resolved_on=_day(date),
            credit_note_ref=credit_note_ref,
            actor=_actor(),
        )
        console.print("dispute resolved")


@dispute_app.command("list")
@handle_errors
def dispute_list(
    org: str = OrgOption,
    open_only: bool = typer.Option(False, "--open"),
    fmt: OutputFormat = FormatOption,
) -> None:
    with transaction() as session:
        rows = [
            {
                "id": str(d.id),
                "invoice_ref": ref,
                "reason_code": d.reason_code,
                "amount_minor": d.amount,
                "opened_on": d.opened_on.isoformat(),
                "resolved_on": d.resolved_on.isoformat() if d.resolved_on else None,
                "outcome": d.outcome.value if d.outcome else None,
            }
            for d, ref, _currency in collections.list_disputes(
                session, _org(session, org), open_only=open_only
            )
        ]
    emit_rows(rows, columns=list(rows[0]) if rows else ["id"], fmt=fmt, title="Disputes")


plan_app = typer.Typer(help="Payment plans: instalments replacing invoices' due dates.")
promise_app = typer.Typer(help="Promises to pay.")
app.add_typer(plan_app, name="plan")
app.add_typer(promise_app, name="promise")


def _instalments(texts: list[str], currency: str) -> list[Instalment]:
    out = []
    for text in texts:
        day, sep, amount = text.partition("=")
        if not sep:
            raise ValidationFailed(
                f"instalment {text!r}: write DATE=AMOUNT, e.g. 2026-08-01=500.00"
            )
        out.append(Instalment(parse_date(day), parse_minor(amount, currency)))
    return out


@plan_app.command("create")
@handle_errors
def plan_create(
    plan_ref: str = typer.Argument(...),
    org: str = OrgOption,
    invoice: list[str] = typer.Option(..., "--invoice", help="invoice_ref (repeat)"),
    instalment: list[str] = typer.Option(..., "--instalment", help="DATE=AMOUNT (repeat)"),
    agreed_on: str | None = typer.Option(None, "--agreed-on", help="YYYY-MM-DD (today)"),
    grace_days: int = typer.Option(0, "--grace-days", min=0, max=90),
) -> None:
    """Agree a plan over one buyer's invoices; instalments must add up to what they owe."""
    with transaction() as session:
        org_id = _org(session, org)
        ids = [_invoice_id(session, org_id, ref) for ref in invoice]
        currency = ledger.lock_invoice(session, org_id, ids[0]).currency
        plan = collections.create_plan(
            session,
            org_id,
            plan_ref=plan_ref,
            invoice_ids=ids,
            instalments=_instalments(instalment, currency),
            agreed_on=_day(agreed_on),
            grace_days=grace_days,
        )
        console.print(f"plan {plan.plan_ref} agreed", highlight=False)


@plan_app.command("list")
@handle_errors
def plan_list(
    org: str = OrgOption,
    as_of: str | None = typer.Option(None, "--as-of"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Plans with their status (active, completed, broken, cancelled) as of a day."""
    with transaction() as session:
        org_id = _org(session, org)
        day = _day(as_of)
        rows = []
        for plan in collections.list_plans(session, org_id):
            view = collections.plan_view(session, org_id, plan.id, as_of=day)
            total = sum(i.amount for i in view.instalments)
            rows.append(
                {
                    "plan_ref": plan.plan_ref,
                    "agreed_on": plan.agreed_on.isoformat(),
                    "currency": plan.currency,
                    "instalments": len(view.instalments),
                    "total": str(from_minor(total, plan.currency)),
                    "paid": str(from_minor(view.paid, plan.currency)),
                    "status": view.status.value,
                }
            )
    columns = ["plan_ref", "agreed_on", "currency", "instalments", "total", "paid", "status"]
    emit_rows(rows, columns=columns, fmt=fmt, title="Payment plans")


@promise_app.command("add")
@handle_errors
def promise_add(
    company_ref: str = typer.Argument(...),
    org: str = OrgOption,
    amount: str = typer.Option(..., "--amount"),
    currency: str = typer.Option(..., "--currency"),
    promised_for: str = typer.Option(..., "--for", help="YYYY-MM-DD"),
    invoice_ref: str | None = typer.Option(None, "--invoice"),
    made_on: str | None = typer.Option(None, "--made-on", help="YYYY-MM-DD (today)"),
    note: str | None = typer.Option(None, "--note"),
) -> None:
    """Record a buyer's promise to pay an amount by a date."""
    with transaction() as session:
        org_id = _org(session, org)
        collections.record_promise(
            session,
            org_id,
            company_id=_company_id(session, company_ref),
            invoice_id=_invoice_id(session, org_id, invoice_ref) if invoice_ref else None,
            made_on=_day(made_on),
            promised_for=parse_date(promised_for),
            currency=currency,
            amount=parse_minor(amount, currency),
            note=note,
        )
        console.print("promise recorded")


@promise_app.command("list")
@handle_errors
def promise_list(
    org: str = OrgOption,
    as_of: str | None = typer.Option(None, "--as-of"),
    fmt: OutputFormat = FormatOption,
) -> None:
    """Promises to pay: open, kept or broken as of a day."""
    with transaction() as session:
        views = collections.list_promises(session, _org(session, org), as_of=_day(as_of))
        rows = [
            {
                "made_on": v.promise.made_on.isoformat(),
                "promised_for": v.promise.promised_for.isoformat(),
                "currency": v.promise.currency,
                "amount": str(from_minor(v.promise.amount, v.promise.currency)),
                "paid": str(from_minor(min(v.paid, v.promise.amount), v.promise.currency)),
                "status": v.status.value,
            }
            for v in views
        ]
    columns = ["made_on", "promised_for", "currency", "amount", "paid", "status"]
    emit_rows(rows, columns=columns, fmt=fmt, title="Promises to pay")
