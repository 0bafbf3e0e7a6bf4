"""Cover use cases: request, underwriter decisions, reductions and cancellations, the queue,
buyer capacity and accumulation.

Every write that adds cover locks the buyer first (``SELECT ... FOR UPDATE`` on its registry row
on PostgreSQL, the database write lock on SQLite), then reads the aggregate cover and capacity,
so parallel requests on one buyer can never push aggregate cover past its capacity. Services
never commit: the caller owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arshield.buyers.domain import CompanyStatus
from arshield.buyers.models import Company
from arshield.cover import facts
from arshield.cover.domain import (
    Condition,
    CoverKind,
    CoverStatus,
    Decider,
    InForce,
    Reason,
    in_force,
    pending_change,
)
from arshield.cover.models import BuyerCapacity, CoverDecision, CoverRequest, Policy
from arshield.cover.policies import get_policy, view_of
from arshield.cover.rules import CoverAsk, RuleSet, add_months, decide, load_rules
from arshield.cover.trail import Actor, audit
from arshield.kit.db import lock_for_write
from arshield.kit.errors import Conflict, Forbidden, NotFound, ValidationFailed
from arshield.kit.money import normalize_currency
from arshield.kit.time import check_as_of

MAX_TEXT = 2000


class CoverNotFound(NotFound):
    """No such cover for this caller."""


class BuyerUnknown(NotFound):
    """No such buyer in the registry."""


def _text(value: str | None, field: str, *, required: bool = False) -> str | None:
    if value is None or not value.strip():
        if required:
            raise ValidationFailed(f"{field} is required")
        return None
    if len(value) > MAX_TEXT:
        raise ValidationFailed(f"{field} is longer than {MAX_TEXT} characters")
    return value.strip()


def lock_buyer(session: Session, company_id: uuid.UUID) -> Company:
    """Serialise cover writes on one buyer; the buyer's registry row, or 404."""
    lock_for_write(session)
    company = session.get(Company, company_id, with_for_update=True)
    if company is None:
        raise BuyerUnknown(f"no buyer {company_id}")
    return company


def _next_seq(session: Session, policy_id: uuid.UUID, company_id: uuid.UUID) -> int:
    top = session.scalar(
        select(func.max(CoverDecision.seq)).where(
            CoverDecision.policy_id == policy_id, CoverDecision.company_id == company_id
        )
    )
    return int(top or 0) + 1


@dataclass(frozen=True, slots=True)
class Outcome:
    """A request and, once decided, the decision it led to."""

    request: CoverRequest
    decision: CoverDecision | None


def _record_decision(
    session: Session,
    *,
    request: CoverRequest | None,
    policy: Policy,
    company_id: uuid.UUID,
    kind: CoverKind,
    status: CoverStatus,
    requested: int | None,
    amount: int,
    changes_cover: bool,
    effective_from: dt.date,
    expires_on: dt.date | None,
    review_on: dt.date | None,
    conditions: Sequence[Condition],
    reasons: Sequence[Reason],
    decider: Decider,
    actor: Actor,
    rule_set_version: str | None,
    comment: str | None,
) -> CoverDecision:
    decision = CoverDecision(
        id=uuid.uuid4(),
        request_id=request.id if request else None,
        org_id=policy.org_id,
        policy_id=policy.id,
        company_id=company_id,
        seq=_next_seq(session, policy.id, company_id),
        kind=kind,
        status=status,
        requested_amount=requested,
        amount=amount,
        currency=policy.currency,
        changes_cover=changes_cover,
        effective_from=effective_from,
        expires_on=expires_on,
        review_on=review_on,
        conditions=[c.to_dict() for c in conditions],
        reasons=[r.to_dict() for r in reasons],
        decider=decider,
        decided_by=f"rules:{rule_set_version}" if decider is Decider.RULES else actor.name,
        rule_set_version=rule_set_version,
        comment=comment,
        decided_at=actor.now,
    )
    session.add(decision)
    session.flush()
    return decision


# --- requests ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CoverAskIn:
    """A request as a caller sends it."""

    policy_id: uuid.UUID
    buyer_id: uuid.UUID
    amount: int
    currency: str
    kind: CoverKind
    payment_terms_days: int | None = None
    credit_report_date: dt.date | None = None
    note: str | None = None


def request_cover(
    session: Session,
    ask: CoverAskIn,
    *,
    actor: Actor,
    seller_org_id: uuid.UUID | None,
    as_of: dt.date | None = None,
    rules: RuleSet | None = None,
) -> Outcome:
    """Decide a request by rules at once, or refer it to an underwriter.

    ``seller_org_id`` scopes the policy to a seller's own (None: the insurer's staff, any).
    """
    lock_for_write(session)
    rules = rules or load_rules()
    as_of = check_as_of(as_of or actor.today)
    if ask.amount <= 0:
        raise ValidationFailed("amount must be more than 0")
    if ask.payment_terms_days is not None and not 0 <= ask.payment_terms_days <= 3650:
        raise ValidationFailed("payment_terms_days must be between 0 and 3650")
    note = _text(ask.note, "note")
    policy = get_policy(session, ask.policy_id, org_id=seller_org_id)
    currency = normalize_currency(ask.currency)
    if currency != policy.currency:
        raise ValidationFailed(
            f"currency: cover on policy {policy.number} is in {policy.currency}, not {currency}"
        )
    company = lock_buyer(session, ask.buyer_id)
    waiting = session.scalar(
        select(func.count()).where(
            CoverRequest.policy_id == policy.id,
            CoverRequest.company_id == company.id,
            CoverRequest.status == CoverStatus.REFERRED,
        )
    )
    if waiting:
        raise Conflict(
            f"a request on this buyer under policy {policy.number} is waiting for an underwriter"
        )
    history = facts.decisions_of(session, policy.id, company.id)
    current = in_force(facts.points_of(history), as_of)
    request = CoverRequest(
        id=uuid.uuid4(),
        org_id=policy.org_id,
        policy_id=policy.id,
        company_id=company.id,
        kind=ask.kind,
        amount=ask.amount,
        currency=currency,
        payment_terms_days=ask.payment_terms_days,
        credit_report_date=ask.credit_report_date,
        note=note,
        requested_by=actor.name,
        requested_at=actor.now,
        as_of=as_of,
        rule_set_version=rules.version,
    )
    if current.covered and ask.amount <= current.amount and ask.payment_terms_days is None:
        return _seller_reduction(session, request, policy, current, actor)
    converter = facts.insurer_converter(session, as_of)
    buyer, grade, _capacity = facts.buyer_view(
        session,
        company=company,
        policy=policy,
        as_of=as_of,
        rules=rules,
        converter=converter,
        current=current,
    )
    engine = decide(
        CoverAsk(
            kind=ask.kind,
            amount=ask.amount,
            as_of=as_of,
            current_amount=current.amount if current.covered else 0,
            payment_terms_days=ask.payment_terms_days,
            credit_report_date=ask.credit_report_date,
        ),
        view_of(policy),
        buyer,
        rules,
        lambda minor: converter.convert(minor, rules.rule_currency, policy.currency),
    )
    request.status = engine.status
    request.decided_amount = engine.decided_amount
    request.suggested_amount = engine.suggested_amount
    request.rule_reasons = [r.to_dict() for r in engine.reasons]
    request.grade = grade.grade if grade else None
    request.pd = grade.pd if grade else None
    session.add(request)
    session.flush()
    decision = None
    if engine.status is not CoverStatus.REFERRED:
        request.decided_at = actor.now
        granted = engine.status in (CoverStatus.APPROVED, CoverStatus.PARTIALLY_APPROVED)
        decision = _record_decision(
            session,
            request=request,
            policy=policy,
            company_id=company.id,
            kind=ask.kind,
            status=engine.status,
            requested=ask.amount,
            amount=engine.decided_amount if granted else (current.amount if current.covered else 0),
            changes_cover=granted,
            effective_from=as_of,
            expires_on=engine.expires_on,
            review_on=engine.review_on,
            conditions=engine.conditions,
            reasons=engine.reasons,
            decider=Decider.SELLER
            if ask.kind is CoverKind.DISCRETIONARY and granted
            else Decider.RULES,
            actor=actor,
            rule_set_version=rules.version,
            comment=None,
        )
    audit(
        session,
        actor,
        action="cover.request",
        object_type="cover",
        object_id=str(request.id),
        tenant_org_id=policy.org_id,
        reason=f"{engine.status.value} by rules {rules.version}",
        details={
            "policy": policy.number,
            "buyer": company.ref,
            "kind": ask.kind.value,
            "requested": ask.amount,
            "decided": engine.decided_amount,
            "suggested": engine.suggested_amount,
            "currency": policy.currency,
            "reasons": [r.to_dict() for r in engine.reasons],
        },
    )
    return Outcome(request=request, decision=decision)


def _seller_reduction(
    session: Session, request: CoverRequest, policy: Policy, current: InForce, actor: Actor
) -> Outcome:
    """A request at or below the cover in force: it applies at once, no rules needed."""
    assert current.decision is not None
    reason = Reason(
        "WITHIN_CURRENT_COVER",
        f"{request.amount} minor units of {policy.currency} are within the cover in force "
        f"({current.amount}); a lower amount applies at once",
    )
    request.kind = current.decision.kind
    request.status = CoverStatus.APPROVED
    request.decided_amount = request.amount
    request.suggested_amount = request.amount
    request.rule_reasons = [reason.to_dict()]
    request.decided_at = actor.now
    session.add(request)
    session.flush()
    governing = session.scalars(
        select(CoverDecision).where(
            CoverDecision.policy_id == policy.id,
            CoverDecision.company_id == request.company_id,
            CoverDecision.seq == current.decision.seq,
        )
    ).one()
    decision = _record_decision(
        session,
        request=request,
        policy=policy,
        company_id=request.company_id,
        kind=current.decision.kind,
        status=CoverStatus.APPROVED,
        requested=request.amount,
        amount=request.amount,
        changes_cover=request.amount != current.amount,
        effective_from=request.as_of,
        expires_on=governing.expires_on,
        review_on=governing.review_on,
        conditions=[Condition(**c) for c in governing.conditions],
        reasons=[reason],
        decider=Decider.SELLER,
        actor=actor,
        rule_set_version=None,
        comment=None,
    )
    audit(
        session,
        actor,
        action="cover.request",
        object_type="cover",
        object_id=str(request.id),
        tenant_org_id=policy.org_id,
        reason="approved: within the cover in force",
        details={"policy": policy.number, "requested": request.amount, "previous": current.amount},
    )
    return Outcome(request=request, decision=decision)


# --- underwriter decisions -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class UnderwriterDecision:
    status: CoverStatus
    amount: int | None
    comment: str
    conditions: tuple[str, ...] = ()
    expires_on: dt.date | None = None
    review_on: dt.date | None = None


def decide_referred(
    session: Session,
    request_id: uuid.UUID,
    body: UnderwriterDecision,
    *,
    actor: Actor,
    as_of: dt.date | None = None,
    rules: RuleSet | None = None,
) -> Outcome:
    """An underwriter decides a referred request, never beyond the buyer capacity left."""
    if not actor.is_insurer:
        raise Forbidden("only the insurer's underwriters decide referred requests")
    lock_for_write(session)
    rules = rules or load_rules()
    as_of = check_as_of(as_of or actor.today)
    comment = _text(body.comment, "comment", required=True)
    request = session.get(CoverRequest, request_id)
    if request is None:
        raise CoverNotFound(f"no cover {request_id}")
    company = lock_buyer(session, request.company_id)
    session.refresh(request)
    if request.status is not CoverStatus.REFERRED:
        raise Conflict(f"cover {request_id} is {request.status.value}, not waiting for a decision")
    policy = get_policy(session, request.policy_id, org_id=None)
    if body.status not in (
        CoverStatus.APPROVED,
        CoverStatus.PARTIALLY_APPROVED,
        CoverStatus.REFUSED,
    ):
        raise ValidationFailed("status must be approved, partially_approved or refused")
    amount = _decided_amount(body, request)
    history = facts.decisions_of(session, policy.id, company.id)
    current = in_force(facts.points_of(history), as_of)
    granted = body.status is not CoverStatus.REFUSED
    if granted:
        _check_capacity(session, company, policy, amount, as_of=as_of, rules=rules)
    for text in body.conditions:
        _text(text, "conditions")
    days = min(policy.max_credit_days, request.payment_terms_days or policy.max_credit_days)
    conditions = [Condition("MAX_TERMS", f"payment terms at most {days} days")]
    conditions += [Condition("UNDERWRITER", t.strip()) for t in body.conditions if t.strip()]
    review_on = body.review_on if body.expires_on or body.review_on else add_months(as_of, 12)
    if body.expires_on is not None and body.expires_on <= as_of:
        raise ValidationFailed("expires_on must be after the decision date")
    decision = _record_decision(
        session,
        request=request,
        policy=policy,
        company_id=company.id,
        kind=request.kind,
        status=body.status,
        requested=request.amount,
        amount=amount if granted else (current.amount if current.covered else 0),
        changes_cover=granted,
        effective_from=as_of,
        expires_on=body.expires_on if granted else None,
        review_on=review_on if granted else None,
        conditions=conditions if granted else [],
        reasons=[Reason("UNDERWRITER", comment or "")],
        decider=Decider.UNDERWRITER,
        actor=actor,
        rule_set_version=None,
        comment=comment,
    )
    request.status = body.status
    request.decided_amount = amount if granted else 0
    request.decided_at = actor.now
    session.flush()
    audit(
        session,
        actor,
        action="cover.decide",
        object_type="cover",
        object_id=str(request.id),
        tenant_org_id=policy.org_id,
        reason=comment or "",
        details={
            "status": body.status.value,
            "amount": amount,
            "requested": request.amount,
            "currency": policy.currency,
            "rules_suggested": request.suggested_amount,
        },
    )
    return Outcome(request=request, decision=decision)


def _decided_amount(body: UnderwriterDecision, request: CoverRequest) -> int:
    if body.status is CoverStatus.REFUSED:
        if body.amount not in (None, 0):
            raise ValidationFailed("a refusal carries no amount")
        return 0
    if body.status is CoverStatus.APPROVED:
        if body.amount is not None and body.amount != request.amount:
            raise ValidationFailed(
                "approved means the amount requested; use partially_approved for less"
            )
        return request.amount
    if body.amount is None or not 0 < body.amount < request.amount:
        raise ValidationFailed(
            "partially_approved needs an amount above 0 and below the amount requested"
        )
    return body.amount


def _check_capacity(
    session: Session,
    company: Company,
    policy: Policy,
    amount: int,
    *,
    as_of: dt.date,
    rules: RuleSet,
) -> None:
    converter = facts.insurer_converter(session, as_of)
    capacity = facts.capacity_of(
        session, company.id, as_of=as_of, rules=rules, converter=converter, exclude_policy=policy.id
    )
    if capacity.available is None:
        raise Conflict("the buyer capacity cannot be checked: " + "; ".join(capacity.unconverted))
    in_capacity = converter.convert(amount, policy.currency, capacity.currency)
    if in_capacity is None:
        raise Conflict(f"no {policy.currency}/{capacity.currency} rate to check the buyer capacity")
    if in_capacity > capacity.available:
        raise Conflict(
            f"{facts.money_text(amount, policy.currency)} would push aggregate cover on "
            f"{company.ref} past its capacity: "
            f"{facts.money_text(max(capacity.available, 0), capacity.currency)} left of "
            f"{facts.money_text(capacity.amount, capacity.currency)}"
        )


# --- reductions and cancellations ----------------------------------------------------------------


def change_cover(
    session: Session,
    request_id: uuid.UUID,
    *,
    amount: int | None,
    reason: str,
    insolvency: bool,
    actor: Actor,
    seller_org_id: uuid.UUID | None,
    as_of: dt.date | None = None,
) -> CoverDecision:
    """Reduce (``amount``) or cancel (``None``) the cover ``request_id`` belongs to.

    The insurer's reductions and cancellations apply to deliveries after the policy's notice
    period, at once on insolvency; the seller's own apply at once.
    """
    lock_for_write(session)
    as_of = check_as_of(as_of or actor.today)
    why = _text(reason, "reason", required=True) or ""
    request = session.get(CoverRequest, request_id)
    if request is None or (seller_org_id is not None and request.org_id != seller_org_id):
        raise CoverNotFound(f"no cover {request_id}")
    company = lock_buyer(session, request.company_id)
    policy = get_policy(session, request.policy_id, org_id=None)
    points = facts.points_of(facts.decisions_of(session, policy.id, company.id))
    current = in_force(points, as_of)
    pending = pending_change(points, as_of)
    base = pending.amount if pending is not None else current.amount
    if not current.covered and (pending is None or pending.amount <= 0):
        raise Conflict(f"no cover in force on {company.ref} under policy {policy.number}")
    if amount is not None and not 0 < amount < max(current.amount, base):
        raise ValidationFailed("a reduction needs an amount above 0 and below the cover in force")
    by_insurer = seller_org_id is None and actor.is_insurer
    insolvent = (
        insolvency
        or company.status is not CompanyStatus.ACTIVE
        or facts.insolvency_event(session, company.id, as_of) is not None
    )
    if by_insurer and not insolvent:
        effective = as_of + dt.timedelta(days=policy.reduction_notice_days)
        timing = (
            f"applies to deliveries from {effective} ({policy.reduction_notice_days} days' notice)"
        )
    else:
        effective = as_of
        timing = "applies at once" + (" (insolvency)" if insolvent and by_insurer else "")
    governing = current.decision or pending
    assert governing is not None
    status = CoverStatus.CANCELLED if amount is None else CoverStatus.REDUCED
    code = "CANCELLED" if amount is None else "REDUCED"
    decision = _record_decision(
        session,
        request=request,
        policy=policy,
        company_id=company.id,
        kind=governing.kind,
        status=status,
        requested=None,
        amount=amount or 0,
        changes_cover=True,
        effective_from=effective,
        expires_on=governing.expires_on,
        review_on=None,
        conditions=[],
        reasons=[Reason(code, f"{why}; {timing}")],
        decider=Decider.UNDERWRITER if by_insurer else Decider.SELLER,
        actor=actor,
        rule_set_version=None,
        comment=why,
    )
    audit(
        session,
        actor,
        action="cover.cancel" if amount is None else "cover.reduce",
        object_type="cover",
        object_id=str(request.id),
        tenant_org_id=policy.org_id,
        reason=why,
        details={
            "policy": policy.number,
            "buyer": company.ref,
            "from": current.amount,
            "to": amount or 0,
            "effective_from": effective.isoformat(),
            "insolvency": insolvent,
        },
    )
    return decision


# --- reading -------------------------------------------------------------------------------------


def get_cover(
    session: Session, request_id: uuid.UUID, *, seller_org_id: uuid.UUID | None
) -> CoverRequest:
    request = session.get(CoverRequest, request_id)
    if request is None or (seller_org_id is not None and request.org_id != seller_org_id):
        raise CoverNotFound(f"no cover {request_id}")
    return request


def list_covers(
    session: Session,
    *,
    seller_org_id: uuid.UUID | None,
    policy_id: uuid.UUID | None = None,
    buyer_id: uuid.UUID | None = None,
    status: CoverStatus | None = None,
    limit: int,
    offset: int,
) -> tuple[list[CoverRequest], int]:
    query = select(CoverRequest)
    if seller_org_id is not None:
        query = query.where(CoverRequest.org_id == seller_org_id)
    if policy_id is not None:
        query = query.where(CoverRequest.policy_id == policy_id)
    if buyer_id is not None:
        query = query.where(CoverRequest.company_id == buyer_id)
    if status is not None:
        query = query.where(CoverRequest.status == status)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(
        query.order_by(CoverRequest.requested_at.desc(), CoverRequest.id)
        .limit(limit)
        .offset(offset)
    ).all()
    return list(rows), total


def queue(
    session: Session, *, as_of: dt.date, limit: int, offset: int, rules: RuleSet | None = None
) -> tuple[list[tuple[CoverRequest, int | None]], int]:
    """Referred requests, largest expected loss first (amount in the rule currency x PD), then
    the larger amount, then the oldest. Each with its amount in the rule currency."""
    rules = rules or load_rules()
    converter = facts.insurer_converter(session, as_of)
    waiting = session.scalars(
        select(CoverRequest).where(CoverRequest.status == CoverStatus.REFERRED)
    ).all()
    ranked = []
    for request in waiting:
        base = converter.convert(request.amount, request.currency, rules.rule_currency)
        risk = (base or 0) * (request.pd if request.pd is not None else 1.0)
        ranked.append((-risk, -(base or 0), request.requested_at, request.id, request, base))
    ranked.sort(key=lambda r: r[:4])
    page = [(r[4], r[5]) for r in ranked[offset : offset + limit]]
    return page, len(ranked)


@dataclass(frozen=True, slots=True)
class CoverHistory:
    """A cover's whole history, the decision a request led to, and the cover in force on a day
    (read from the history, one query)."""

    decisions: list[CoverDecision]
    own: CoverDecision | None
    state: InForce


def history_of(session: Session, request: CoverRequest, on: dt.date) -> CoverHistory:
    decisions = facts.decisions_of(session, request.policy_id, request.company_id)
    own = next((d for d in decisions if d.request_id == request.id), None)
    return CoverHistory(decisions, own, in_force(facts.points_of(decisions), on))


# --- capacity ------------------------------------------------------------------------------------


def get_capacity(
    session: Session, company_id: uuid.UUID, *, as_of: dt.date, rules: RuleSet | None = None
) -> facts.Capacity:
    rules = rules or load_rules()
    if session.get(Company, company_id) is None:
        raise BuyerUnknown(f"no buyer {company_id}")
    converter = facts.insurer_converter(session, as_of)
    return facts.capacity_of(session, company_id, as_of=as_of, rules=rules, converter=converter)


def set_capacity(
    session: Session,
    company_id: uuid.UUID,
    *,
    amount: int,
    currency: str,
    reason: str,
    actor: Actor,
) -> BuyerCapacity:
    """An underwriter's override of a buyer's capacity (shared by every policy).

    Setting it below the aggregate cover already granted is allowed (it blocks increases; it
    reduces no cover by itself).
    """
    if not actor.is_insurer:
        raise Forbidden("only the insurer's underwriters set buyer capacity")
    lock_for_write(session)
    if amount < 0:
        raise ValidationFailed("amount must not be negative")
    why = _text(reason, "reason", required=True) or ""
    currency = normalize_currency(currency)
    company = lock_buyer(session, company_id)
    row = session.scalars(
        select(BuyerCapacity).where(BuyerCapacity.company_id == company.id)
    ).one_or_none()
    before = None if row is None else {"amount": row.amount, "currency": row.currency}
    if row is None:
        row = BuyerCapacity(id=uuid.uuid4(), company_id=company.id)
        session.add(row)
    row.amount, row.currency, row.reason = amount, currency, why
    row.set_by, row.set_at = actor.name, actor.now
    session.flush()
    audit(
        session,
        actor,
        action="capacity.set",
        object_type="buyer",
        object_id=str(company.id),
        tenant_org_id=None,
        reason=why,
        details={
            "buyer": company.ref,
            "from": before,
            "to": {"amount": amount, "currency": currency},
        },
    )
    return row
