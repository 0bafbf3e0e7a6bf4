"""Policies, as far as cover needs them: created and edited by the insurer's staff, read by the
insured seller. Services never commit; the caller owns the transaction."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, fields, replace
from typing import Any

import pycountry
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arshield.cover.domain import BASIS_POINTS, check_percent_bp
from arshield.cover.models import Policy
from arshield.cover.rules import PolicyView
from arshield.cover.trail import Actor, audit
from arshield.kit.errors import Conflict, NotFound, ValidationFailed
from arshield.kit.money import normalize_currency
from arshield.orgs.domain import OrgKind
from arshield.orgs.models import Organisation

EVIDENCE = ("credit_report", "payment_experience", "either")
_NUMBER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9./_-]{0,31}$")


class PolicyNotFound(NotFound):
    """No such policy for this caller."""


@dataclass(frozen=True, slots=True)
class PolicyTerms:
    """Every editable term of a policy (amounts in minor units of ``currency``)."""

    currency: str
    starts_on: dt.date
    ends_on: dt.date
    countries: tuple[str, ...]
    max_credit_days: int
    indemnity_bp: int
    political_indemnity_bp: int | None = None
    discretionary_max: int | None = None
    discretionary_worst_grade: int | None = None
    discretionary_evidence: str = "either"
    discretionary_min_payments: int = 2
    credit_check_max: int | None = None
    declaration_threshold: int = 0
    reduction_notice_days: int = 30
    stop_delivery_days: int = 60

    def checked(self) -> PolicyTerms:
        """The terms with codes normalised, or ``ValidationFailed`` naming the field."""
        countries = tuple(sorted({_country(c) for c in self.countries}))
        if not countries:
            raise ValidationFailed("countries: name at least one covered country")
        if self.ends_on <= self.starts_on:
            raise ValidationFailed("ends_on must be after starts_on")
        if not 1 <= self.max_credit_days <= 720:
            raise ValidationFailed("max_credit_days must be between 1 and 720")
        check_percent_bp(self.indemnity_bp, "indemnity_percentage")
        if self.political_indemnity_bp is not None:
            check_percent_bp(self.political_indemnity_bp, "political_indemnity_percentage")
        for name in ("discretionary_max", "credit_check_max", "declaration_threshold"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValidationFailed(f"{name} must not be negative")
        worst = self.discretionary_worst_grade
        if worst is not None and not 1 <= worst <= 9:
            raise ValidationFailed("discretionary_worst_grade must be a grade from 1 to 9")
        if self.discretionary_evidence not in EVIDENCE:
            raise ValidationFailed(f"discretionary_evidence must be one of {', '.join(EVIDENCE)}")
        if not 0 <= self.discretionary_min_payments <= 100:
            raise ValidationFailed("discretionary_min_payments must be between 0 and 100")
        if not 0 <= self.reduction_notice_days <= 365:
            raise ValidationFailed("reduction_notice_days must be between 0 and 365")
        if not 1 <= self.stop_delivery_days <= 720:
            raise ValidationFailed("stop_delivery_days must be between 1 and 720")
        return replace(self, currency=normalize_currency(self.currency), countries=countries)


def _country(code: str) -> str:
    value = code.strip().upper()
    if len(value) != 2 or pycountry.countries.get(alpha_2=value) is None:
        raise ValidationFailed(f"countries: {code!r} is not an ISO 3166 alpha-2 country code")
    return value


def terms_of(policy: Policy) -> PolicyTerms:
    return PolicyTerms(
        currency=policy.currency,
        starts_on=policy.starts_on,
        ends_on=policy.ends_on,
        countries=tuple(c for c in policy.countries.split(",") if c),
        max_credit_days=policy.max_credit_days,
        indemnity_bp=policy.indemnity_bp,
        political_indemnity_bp=policy.political_indemnity_bp,
        discretionary_max=policy.discretionary_max,
        discretionary_worst_grade=policy.discretionary_worst_grade,
        discretionary_evidence=policy.discretionary_evidence,
        discretionary_min_payments=policy.discretionary_min_payments,
        credit_check_max=policy.credit_check_max,
        declaration_threshold=policy.declaration_threshold,
        reduction_notice_days=policy.reduction_notice_days,
        stop_delivery_days=policy.stop_delivery_days,
    )


def view_of(policy: Policy) -> PolicyView:
    """The policy as the decision engine reads it."""
    return PolicyView(
        number=policy.number,
        currency=policy.currency,
        starts_on=policy.starts_on,
        ends_on=policy.ends_on,
        countries=frozenset(c for c in policy.countries.split(",") if c),
        max_credit_days=policy.max_credit_days,
        declaration_threshold=policy.declaration_threshold,
        discretionary_max=policy.discretionary_max,
        discretionary_worst_grade=policy.discretionary_worst_grade,
        discretionary_evidence=policy.discretionary_evidence,
        discretionary_min_payments=policy.discretionary_min_payments,
        credit_check_max=policy.credit_check_max,
    )


def _apply(policy: Policy, terms: PolicyTerms) -> None:
    for f in fields(terms):
        value: Any = getattr(terms, f.name)
        setattr(policy, f.name, ",".join(value) if f.name == "countries" else value)


def _seller(session: Session, org_ref: str) -> Organisation:
    org = session.scalars(select(Organisation).where(Organisation.ref == org_ref)).one_or_none()
    if org is None:
        raise NotFound(f"no organisation {org_ref!r}")
    if org.kind is not OrgKind.SELLER:
        raise ValidationFailed(f"organisation {org_ref!r} is not an insured seller")
    return org


def create_policy(
    session: Session, *, number: str, seller_ref: str, terms: PolicyTerms, actor: Actor
) -> Policy:
    """A new policy for the seller ``seller_ref`` (number unique across the platform)."""
    if not _NUMBER.match(number):
        raise ValidationFailed(
            "number must be 1-32 letters, digits, '.', '/', '_' or '-', starting with a letter "
            "or digit"
        )
    seller = _seller(session, seller_ref)
    if session.scalar(select(func.count()).where(Policy.number == number)):
        raise Conflict(f"policy number {number!r} exists")
    checked = terms.checked()
    policy = Policy(id=uuid.uuid4(), number=number, org_id=seller.id, created_by=actor.name)
    _apply(policy, checked)
    session.add(policy)
    session.flush()
    audit(
        session,
        actor,
        action="policy.create",
        object_type="policy",
        object_id=str(policy.id),
        tenant_org_id=seller.id,
        reason=f"policy {number} for {seller_ref}",
        details={"number": number, "terms": _terms_json(checked)},
    )
    return policy


def edit_policy(
    session: Session, *, policy_id: uuid.UUID, changes: dict[str, Any], actor: Actor, reason: str
) -> Policy:
    """Change some terms; the policy's version goes up and the change is audited."""
    policy = session.get(Policy, policy_id, with_for_update=True)
    if policy is None:
        raise PolicyNotFound(f"no policy {policy_id}")
    known = {f.name for f in fields(PolicyTerms)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise ValidationFailed(f"unknown policy terms: {', '.join(unknown)}")
    before = terms_of(policy)
    after = replace(before, **changes).checked()
    if after.currency != before.currency:
        raise ValidationFailed("currency cannot change: decisions are recorded in it")
    changed = {
        f.name: {"from": _json(getattr(before, f.name)), "to": _json(getattr(after, f.name))}
        for f in fields(PolicyTerms)
        if getattr(before, f.name) != getattr(after, f.name)
    }
    if not changed:
        return policy
    _apply(policy, after)
    policy.version += 1
    policy.updated_by = actor.name
    session.flush()
    audit(
        session,
        actor,
        action="policy.edit",
        object_type="policy",
        object_id=str(policy.id),
        tenant_org_id=policy.org_id,
        reason=reason,
        details={"version": policy.version, "changes": changed},
    )
    return policy


def _json(value: Any) -> Any:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple):
        return list(value)
    return value


def _terms_json(terms: PolicyTerms) -> dict[str, Any]:
    return {f.name: _json(getattr(terms, f.name)) for f in fields(terms)}


def get_policy(session: Session, policy_id: uuid.UUID, *, org_id: uuid.UUID | None) -> Policy:
    """A policy; with ``org_id`` (a seller) only its own (others are not found)."""
    policy = session.get(Policy, policy_id)
    if policy is None or (org_id is not None and policy.org_id != org_id):
        raise PolicyNotFound(f"no policy {policy_id}")
    return policy


def get_policy_by_number(session: Session, number: str, *, org_id: uuid.UUID | None) -> Policy:
    policy = session.scalars(select(Policy).where(Policy.number == number)).one_or_none()
    if policy is None or (org_id is not None and policy.org_id != org_id):
        raise PolicyNotFound(f"no policy {number!r}")
    return policy


def list_policies(
    session: Session, *, org_id: uuid.UUID | None, limit: int, offset: int
) -> tuple[list[Policy], int]:
    query = select(Policy)
    if org_id is not None:
        query = query.where(Policy.org_id == org_id)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = session.scalars(query.order_by(Policy.number).limit(limit).offset(offset)).all()
    return list(rows), total


def percent_text(bp: int | None) -> str | None:
    """Basis points as a percentage text: 9000 -> "90", 9050 -> "90.5"."""
    if bp is None:
        return None
    whole, rest = divmod(bp, BASIS_POINTS // 100)
    return f"{whole}" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0")
