"""``arshield policy``, ``arshield cover`` and ``arshield credit-check``.

The command line acts as the platform's operator on the insurer's side: it creates and edits
policies, asks for cover, decides referrals, reduces or cancels cover and sets buyer capacity;
``credit-check`` checks a shipment for the seller named with ``--org``. Every change is written
to the audit trail under ``cli:<user>``.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from arshield.buyers.models import Company
from arshield.cli.buyers_import import cli_actor
from arshield.cli.common import OutputFormat, emit_rows, handle_errors, option_date, transaction
from arshield.cover import accumulation as accumulation_service
from arshield.cover import checks, policies, service
from arshield.cover.domain import CoverKind, CoverStatus
from arshield.cover.facts import insurer_org_id
from arshield.cover.models import CoverRequest
from arshield.cover.schemas import (
    AccumulationOut,
    CapacityOut,
    CoverOut,
    CreditCheckOut,
    DecisionOut,
    InForceOut,
    PolicyOut,
    PolicyPatch,
    PolicyTermsIn,
    minor_of,
)
from arshield.cover.trail import Actor
from arshield.kit.db import lock_for_write
from arshield.kit.errors import NotFound, ValidationFailed
from arshield.kit.time import today, utcnow
from arshield.orgs import service as orgs_service

policy_app = typer.Typer(
    help="Credit-insurance policies (the insurer's staff).", no_args_is_help=True
)
cover_app = typer.Typer(
    help="Cover: requests, decisions, reductions, capacity, accumulation.", no_args_is_help=True
)


@contextmanager
def _writing() -> Iterator[Session]:
    """A transaction that takes the database write lock first (SQLite: BEGIN IMMEDIATE)."""
    with transaction() as session:
        lock_for_write(session)
        yield session


def _actor(session: Session) -> Actor:
    org_id = insurer_org_id(session)
    if org_id is None:
        raise ValidationFailed("create the insurer organisation first (arshield org create)")
    return Actor(name=cli_actor(), now=utcnow(), org_id=org_id)


def _buyer(session: Session, ref: str) -> Company:
    company = session.scalars(select(Company).where(Company.ref == ref)).one_or_none()
    if company is None:
        raise NotFound(f"no buyer with company_ref {ref!r}")
    return company


def _policy_id(session: Session, number: str) -> uuid.UUID:
    return policies.get_policy_by_number(session, number, org_id=None).id


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _show(data: dict[str, Any], fmt: OutputFormat, columns: list[str], title: str) -> None:
    if fmt is OutputFormat.JSON:
        _print_json(data)
        return
    flat = {
        k: (json.dumps(v, ensure_ascii=False) if isinstance(v, list | dict) else v)
        for k, v in data.items()
    }
    emit_rows([flat], columns=columns, fmt=fmt, title=title)


# --- policies ------------------------------------------------------------------------------------

POLICY_COLUMNS = [
    "number",
    "id",
    "currency",
    "starts_on",
    "ends_on",
    "countries",
    "max_credit_days",
    "indemnity_percentage",
    "discretionary_max_amount",
    "credit_check_max_amount",
    "declaration_threshold",
    "reduction_notice_days",
    "stop_delivery_days",
    "version",
]


@policy_app.command("create")
@handle_errors
def policy_create(
    number: str = typer.Option(..., "--number", help="Policy number (unique)."),
    seller: str = typer.Option(..., "--seller", help="The insured seller's organisation ref."),
    currency: str = typer.Option(..., "--currency"),
    starts_on: str = typer.Option(..., "--starts-on", help="YYYY-MM-DD"),
    ends_on: str = typer.Option(..., "--ends-on", help="YYYY-MM-DD"),
    countries: str = typer.Option(..., "--countries", help="Covered countries: DE,FR,CN"),
    max_credit_days: int = typer.Option(..., "--max-credit-days"),
    indemnity: str = typer.Option(..., "--indemnity", help="Indemnity percentage, e.g. 90"),
    political_indemnity: str | None = typer.Option(None, "--political-indemnity"),
    discretionary_max: str | None = typer.Option(None, "--discretionary-max"),
    discretionary_worst_grade: int | None = typer.Option(None, "--discretionary-worst-grade"),
    discretionary_evidence: str = typer.Option(
        "either", "--discretionary-evidence", help="credit_report, payment_experience or either"
    ),
    discretionary_min_payments: int = typer.Option(2, "--discretionary-min-payments"),
    credit_check_max: str | None = typer.Option(None, "--credit-check-max"),
    declaration_threshold: str = typer.Option("0", "--declaration-threshold"),
    reduction_notice_days: int = typer.Option(30, "--reduction-notice-days"),
    stop_delivery_days: int = typer.Option(60, "--stop-delivery-days"),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format"),
) -> None:
    """Create an insured seller's policy."""
    body = PolicyTermsIn.model_validate(
        {
            "currency": currency,
            "starts_on": starts_on,
            "ends_on": ends_on,
            "countries": [c for c in countries.split(",") if c.strip()],
            "max_credit_days": max_credit_days,
            "indemnity_percentage": indemnity,
            "political_indemnity_percentage": political_indemnity,
            "discretionary_max_amount": discretionary_max,
            "discretionary_worst_grade": discretionary_worst_grade,
            "discretionary_evidence": discretionary_evidence,
            "discretionary_min_payments": discretionary_min_payments,
            "credit_check_max_amount": credit_check_max,
            "declaration_threshold": declaration_threshold,
            "reduction_notice_days": reduction_notice_days,
            "stop_delivery_days": stop_delivery_days,
        }
    )
    with _writing() as session:
        policy = policies.create_policy(
            session, number=number, seller_ref=seller, terms=body.terms(), actor=_actor(session)
        )
        out = PolicyOut.build(policy)
    _show(out.model_dump(mode="json"), fmt, POLICY_COLUMNS, f"policy {number}")


@policy_app.command("show")
@handle_errors
def policy_show(
    number: str = typer.Argument(..., help="Policy number."),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format"),
) -> None:
    """Show a policy's terms."""
    with transaction() as session:
        out = PolicyOut.build(policies.get_policy_by_number(session, number, org_id=None))
    _show(out.model_dump(mode="json"), fmt, POLICY_COLUMNS, f"policy {number}")


@policy_app.command("list")
@handle_errors
def policy_list(
    seller: str | None = typer.Option(None, "--seller", help="Only this seller's policies."),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format"),
) -> None:
    """List policies."""
    with transaction() as session:
        org_id = orgs_service.get_org_by_ref(session, seller).id if seller else None
        rows, _total = policies.list_policies(session, org_id=org_id, limit=10_000, offset=0)
        out = [PolicyOut.build(p).model_dump(mode="json") for p in rows]
    if fmt is OutputFormat.JSON:
        _print_json(out)
        return
    for row in out:
        row["countries"] = ",".join(row["countries"])
    emit_rows(out, columns=POLICY_COLUMNS, fmt=fmt, title="policies")


@policy_app.command("edit")
@handle_errors
def policy_edit(
    number: str = typer.Argument(..., help="Policy number."),
    reason: str = typer.Option(..., "--reason", help="Why the terms change (audited)."),
    set_: list[str] = typer.Option(
        [], "--set", help="TERM=VALUE, e.g. --set stop_delivery_days=45 --set countries=DE,FR"
    ),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format"),
) -> None:
    """Change some terms of a policy; its version goes up."""
    if not set_:
        raise ValidationFailed("name at least one --set TERM=VALUE")
    body: dict[str, Any] = {"reason": reason}
    for item in set_:
        name, sep, value = item.partition("=")
        if not sep:
            raise ValidationFailed(f"--set {item!r}: write TERM=VALUE")
        name = name.strip()
        body[name] = (
            None if value == "" else value.split(",") if name == "countries" else value.strip()
        )
    patch = PolicyPatch.model_validate(body)
    with _writing() as session:
        policy = policies.get_policy_by_number(session, number, org_id=None)
        edited = policies.edit_policy(
            session,
            policy_id=policy.id,
            changes=patch.changes(policy.currency),
            actor=_actor(session),
            reason=reason,
        )
        out = PolicyOut.build(edited)
    _show(out.model_dump(mode="json"), fmt, POLICY_COLUMNS, f"policy {number}")


# --- cover ---------------------------------------------------------------------------------------

COVER_COLUMNS = [
    "id",
    "kind",
    "status",
    "amount",
    "decided_amount",
    "currency",
    "grade",
    "reasons",
    "requested_at",
]


def _cover_row(out: CoverOut) -> dict[str, Any]:
    row = out.model_dump(mode="json")
    row["reasons"] = "; ".join(f"{r['code']}: {r['text']}" for r in row["reasons"])
    return row


def _cover_out(session: Session, request: CoverRequest, as_of: dt.date | None) -> CoverOut:
    read = service.history_of(session, request, as_of or today())
    return CoverOut.build(
        request,
        read.own,
        in_force=InForceOut.build(read.state, request.currency, read.decisions),
        history=read.decisions,
    )


def _emit_cover(out: CoverOut, fmt: OutputFormat) -> None:
    if fmt is OutputFormat.JSON:
        _print_json(out.model_dump(mode="json"))
        return
    emit_rows([_cover_row(out)], columns=COVER_COLUMNS, fmt=fmt, title="cover")
    if fmt is OutputFormat.TABLE and out.in_force is not None:
        state = out.in_force
        sys.stdout.write(
            f"in force on {state.as_of}: {state.amount} {state.currency} ({state.state})\n"
        )


@cover_app.command("request")
@handle_errors
def cover_request(
    policy: str = typer.Option(..., "--policy", help="Policy number."),
    buyer: str = typer.Option(..., "--buyer", help="Buyer company_ref."),
    amount: str = typer.Option(..., "--amount", help="Decimal amount, e.g. 250000.00"),
    currency: str = typer.Option(..., "--currency"),
    kind: CoverKind = typer.Option(CoverKind.CREDIT_LIMIT, "--kind"),
    terms_days: int | None = typer.Option(None, "--terms-days", help="Payment terms asked for."),
    credit_report_date: str | None = typer.Option(None, "--credit-report-date"),
    as_of: str | None = typer.Option(None, "--as-of", help="Decide as of this day (today)."),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format"),
) -> None:
    """Ask for cover; decided at once by rules, or referred to an underwriter (exit 0 either way,
    status in the output)."""
    with _writing() as session:
        outcome = service.request_cover(
            session,
            service.CoverAskIn(
                policy_id=_policy_id(session, policy),
                buyer_id=_buyer(session, buyer).id,
                amount=minor_of(amount, currency) or 0,
                currency=currency,
                kind=kind,
                payment_terms_days=terms_days,
                credit_report_date=option_date(credit_report_date, "--credit-report-date"),
            ),
            actor=_actor(session),
            seller_org_id=None,
            as_of=option_date(as_of, "--as-of"),
        )
        out = _cover_out(session, outcome.request, None)
    _emit_cover(out, fmt)


@cover_app.command("decide")
@handle_errors
def cover_decide(
    cover_id: uuid.UUID = typer.Argument(..., help="The referred cover's id."),
    status: str = typer.Option(..., "--status", help="approved, partially_approved or refused"),
    comment: str = typer.Option(..., "--comment"),
    amount: str | None = typer.Option(None, "--amount", help="For partially_approved."),
    condition: list[str] = typer.Option([], "--condition", help="A condition (repeatable)."),
    expires_on: str | None = typer.Option(None, "--expires-on"),
    review_on: str | None = typer.Option(None, "--review-on"),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format"),
) -> None:
    """Decide a referred request as an underwriter."""
    try:
        decided = CoverStatus(status)
    except ValueError:
        raise ValidationFailed("--status must be approved, partially_approved or refused") from None
    with _writing() as session:
        request = service.get_cover(session, cover_id, seller_org_id=None)
        outcome = service.decide_referred(
            session,
            cover_id,
            service.UnderwriterDecision(
                status=decided,
                amount=minor_of(amount, request.currency),
                comment=comment,
                conditions=tuple(condition),
                expires_on=option_date(expires_on, "--expires-on"),
                review_on=option_date(review_on, "--review-on"),
            ),
            actor=_actor(session),
        )
        out = _cover_out(session, outcome.request, None)
    _emit_cover(out, fmt)


def _change(cover_id: uuid.UUID, amount: str | None, reason: str, insolvency: bool) -> DecisionOut:
    with _writing() as session:
        request = service.get_cover(session, cover_id, seller_org_id=None)
        decision = service.change_cover(
            session,
            cover_id,
            amount=minor_of(amount, request.currency),
            reason=reason,
            insolvency=insolvency,
            actor=_actor(session),
            seller_org_id=None,
        )
        return DecisionOut.build(decision)


DECISION_COLUMNS = ["id", "seq", "status", "amount", "currency", "effective_from", "decided_by"]


@cover_app.command("reduce")
@handle_errors
def cover_reduce(
    cover_id: uuid.UUID = typer.Argument(...),
    amount: str = typer.Option(..., "--amount"),
    reason: str = typer.Option(..., "--reason"),
    insolvency: bool = typer.Option(False, "--insolvency", help="Apply at once."),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format"),
) -> None:
    """Reduce a cover (applies after the policy's notice period, at once on insolvency)."""
    out = _change(cover_id, amount, reason, insolvency)
    _show(out.model_dump(mode="json"), fmt, DECISION_COLUMNS, "decision")


@cover_app.command("cancel")
@handle_errors
def cover_cancel(
    cover_id: uuid.UUID = typer.Argument(...),
    reason: str = typer.Option(..., "--reason"),
    insolvency: bool = typer.Option(False, "--insolvency", help="Apply at once."),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format"),
) -> None:
    """Cancel a cover (applies after the policy's notice period, at once on insolvency)."""
    out = _change(cover_id, None, reason, insolvency)
    _show(out.model_dump(mode="json"), fmt, DECISION_COLUMNS, "decision")


@cover_app.command("list")
@handle_errors
def cover_list(
    policy: str | None = typer.Option(None, "--policy"),
    buyer: str | None = typer.Option(None, "--buyer"),
    status: CoverStatus | None = typer.Option(None, "--status"),
    queue: bool = typer.Option(False, "--queue", help="The underwriter queue (referred, ranked)."),
    limit: int = typer.Option(100, "--limit", min=1, max=10_000),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format"),
) -> None:
    """List cover requests, newest first, or the underwriter queue."""
    with transaction() as session:
        if queue:
            ranked, _ = service.queue(session, as_of=today(), limit=limit, offset=0)
            rows = [r for r, _base in ranked]
        else:
            rows, _ = service.list_covers(
                session,
                seller_org_id=None,
                policy_id=_policy_id(session, policy) if policy else None,
                buyer_id=_buyer(session, buyer).id if buyer else None,
                status=status,
                limit=limit,
                offset=0,
            )
        outs = [CoverOut.build(r, None) for r in rows]
    if fmt is OutputFormat.JSON:
        _print_json([o.model_dump(mode="json") for o in outs])
        return
    emit_rows([_cover_row(o) for o in outs], columns=COVER_COLUMNS, fmt=fmt, title="covers")


@cover_app.command("show")
@handle_errors
def cover_show(
    cover_id: uuid.UUID = typer.Argument(...),
    as_of: str | None = typer.Option(None, "--as-of", help="Cover in force on this day."),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format"),
) -> None:
    """One cover with its decision, the cover in force and the whole history."""
    with transaction() as session:
        request = service.get_cover(session, cover_id, seller_org_id=None)
        out = _cover_out(session, request, option_date(as_of, "--as-of"))
    _emit_cover(out, fmt)
    if fmt is OutputFormat.TABLE and out.history:
        emit_rows(
            [d.model_dump(mode="json") for d in out.history],
            columns=DECISION_COLUMNS,
            fmt=fmt,
            title="history",
        )


@cover_app.command("capacity")
@handle_errors
def cover_capacity(
    buyer: str = typer.Argument(..., help="Buyer company_ref."),
    set_amount: str | None = typer.Option(None, "--set", help="Override the capacity."),
    currency: str | None = typer.Option(None, "--currency"),
    reason: str | None = typer.Option(None, "--reason"),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format"),
) -> None:
    """Show a buyer's capacity, or set it with --set AMOUNT --currency CUR --reason TEXT."""
    with _writing() if set_amount is not None else transaction() as session:
        company = _buyer(session, buyer)
        if set_amount is not None:
            if currency is None or reason is None:
                raise ValidationFailed("--set needs --currency and --reason")
            service.set_capacity(
                session,
                company.id,
                amount=minor_of(set_amount, currency) or 0,
                currency=currency,
                reason=reason,
                actor=_actor(session),
            )
        out = CapacityOut.build(service.get_capacity(session, company.id, as_of=today()))
    _show(
        out.model_dump(mode="json"),
        fmt,
        ["buyer_id", "amount", "currency", "source", "used", "available", "basis"],
        f"capacity of {buyer}",
    )


@cover_app.command("accumulation")
@handle_errors
def cover_accumulation(
    by: accumulation_service.GroupBy = typer.Option(accumulation_service.GroupBy.BUYER, "--by"),
    as_of: str | None = typer.Option(None, "--as-of"),
    currency: str | None = typer.Option(None, "--currency"),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format"),
) -> None:
    """Aggregate cover in force by buyer, country, sector or grade."""
    with transaction() as session:
        result = accumulation_service.accumulation(
            session, by=by, as_of=option_date(as_of, "--as-of") or today(), currency=currency
        )
        out = AccumulationOut.build(result)
    if fmt is OutputFormat.JSON:
        _print_json(out.model_dump(mode="json"))
        return
    columns = ["key", "label", "buyers", "policies", "cover", "share_percent"]
    if by is accumulation_service.GroupBy.BUYER:
        columns += ["capacity", "capacity_source"]
    emit_rows(
        [r.model_dump(mode="json") for r in out.rows],
        columns=columns,
        fmt=fmt,
        title=f"cover in force by {by.value} on {out.as_of} ({out.currency}), total {out.total}",
    )


def credit_check_command(
    org: str = typer.Option(..., "--org", help="The seller whose shipment this is."),
    buyer: str = typer.Option(..., "--buyer", help="Buyer company_ref."),
    amount: str = typer.Option(..., "--amount"),
    currency: str = typer.Option(..., "--currency"),
    order_ref: str | None = typer.Option(None, "--order-ref", help="Hold the order as exposure."),
    ship_date: str | None = typer.Option(None, "--ship-date"),
    policy: str | None = typer.Option(None, "--policy", help="Policy number (the one in force)."),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format"),
) -> None:
    """Check a shipment against the cover in force: ok, warn or block (exit 2 on block)."""
    with _writing() as session:
        seller = orgs_service.get_org_by_ref(session, org)
        policy_id = (
            policies.get_policy_by_number(session, policy, org_id=seller.id).id if policy else None
        )
        result = checks.credit_check(
            session,
            checks.CheckIn(
                buyer_id=_buyer(session, buyer).id,
                amount=minor_of(amount, currency) or 0,
                currency=currency,
                order_ref=order_ref,
                ship_date=option_date(ship_date, "--ship-date"),
                policy_id=policy_id,
            ),
            org_id=seller.id,
            now=utcnow(),
        )
        out = CreditCheckOut.build(result)
    data = out.model_dump(mode="json")
    if fmt is OutputFormat.JSON:
        _print_json(data)
    else:
        row = {
            "result": data["result"],
            "policy": data["policy_number"],
            "cover": f"{data['cover']['amount']} ({data['cover']['state']})",
            "exposure": data["exposure"]["total"],
            "amount": data["amount"],
            "available": data["available"],
            "currency": data["currency"],
            "reasons": "; ".join(f"{r['code']}: {r['text']}" for r in data["reasons"]),
        }
        emit_rows([row], columns=list(row), fmt=fmt, title=f"credit check {buyer}")
    if out.result == "block":
        raise typer.Exit(code=2)


def register(app: typer.Typer) -> None:
    app.add_typer(policy_app, name="policy")
    app.add_typer(cover_app, name="cover")
    app.command("credit-check")(handle_errors(credit_check_command))
