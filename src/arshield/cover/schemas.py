"""API bodies of policies, cover, capacity, accumulation and credit checks.

Amounts are decimal strings in their currency; percentages are decimal strings ("90", "92.5").
Request bodies forbid unknown fields (no mass assignment of status or decided amounts).
"""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from arshield.cover.accumulation import Accumulation
from arshield.cover.checks import CheckOut
from arshield.cover.domain import BASIS_POINTS, CoverKind, InForce
from arshield.cover.facts import Capacity
from arshield.cover.models import CoverDecision, CoverRequest, Policy
from arshield.cover.policies import PolicyTerms, percent_text
from arshield.kit.errors import ValidationFailed
from arshield.kit.money import from_minor, normalize_currency, to_minor

_AMOUNT = r"^[0-9]+(\.[0-9]+)?$"
_PERCENT = r"^[0-9]{1,3}(\.[0-9]{1,2})?$"
Amount = Field(pattern=_AMOUNT, max_length=40, description="A decimal amount, e.g. 250000.00")


def amount_text(minor: int | None, currency: str) -> str | None:
    return None if minor is None else str(from_minor(minor, currency))


def minor_of(text: str | None, currency: str, field: str = "amount") -> int | None:
    if text is None:
        return None
    try:
        return to_minor(Decimal(text), normalize_currency(currency))
    except (InvalidOperation, ValidationFailed) as exc:
        detail = exc.detail if isinstance(exc, ValidationFailed) else "not a decimal amount"
        raise ValidationFailed(f"{field}: {detail}") from None


def bp_of(text: str | None, field: str) -> int | None:
    if text is None:
        return None
    value = Decimal(text) * (BASIS_POINTS // 100)
    if value != value.to_integral_value() or not 0 <= value <= BASIS_POINTS:
        raise ValidationFailed(
            f"{field} must be a percentage from 0 to 100 with 2 decimals at most"
        )
    return int(value)


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


# --- policies ------------------------------------------------------------------------------------


class PolicyTermsIn(Body):
    currency: str = Field(min_length=3, max_length=3)
    starts_on: dt.date
    ends_on: dt.date
    countries: list[str] = Field(min_length=1, max_length=250, description="ISO alpha-2 codes.")
    max_credit_days: int = Field(ge=1, le=720, description="Maximum credit period in days.")
    indemnity_percentage: str = Field(pattern=_PERCENT, examples=["90"])
    political_indemnity_percentage: str | None = Field(default=None, pattern=_PERCENT)
    discretionary_max_amount: str | None = Field(default=None, pattern=_AMOUNT, max_length=40)
    discretionary_worst_grade: int | None = Field(default=None, ge=1, le=9)
    discretionary_evidence: Literal["credit_report", "payment_experience", "either"] = "either"
    discretionary_min_payments: int = Field(default=2, ge=0, le=100)
    credit_check_max_amount: str | None = Field(default=None, pattern=_AMOUNT, max_length=40)
    declaration_threshold: str = Field(default="0", pattern=_AMOUNT, max_length=40)
    reduction_notice_days: int = Field(default=30, ge=0, le=365)
    stop_delivery_days: int = Field(default=60, ge=1, le=720)

    def terms(self) -> PolicyTerms:
        cur = normalize_currency(self.currency)
        return PolicyTerms(
            currency=cur,
            starts_on=self.starts_on,
            ends_on=self.ends_on,
            countries=tuple(self.countries),
            max_credit_days=self.max_credit_days,
            indemnity_bp=bp_of(self.indemnity_percentage, "indemnity_percentage") or 0,
            political_indemnity_bp=bp_of(
                self.political_indemnity_percentage, "political_indemnity_percentage"
            ),
            discretionary_max=minor_of(
                self.discretionary_max_amount, cur, "discretionary_max_amount"
            ),
            discretionary_worst_grade=self.discretionary_worst_grade,
            discretionary_evidence=self.discretionary_evidence,
            discretionary_min_payments=self.discretionary_min_payments,
            credit_check_max=minor_of(self.credit_check_max_amount, cur, "credit_check_max_amount"),
            declaration_threshold=minor_of(self.declaration_threshold, cur, "declaration_threshold")
            or 0,
            reduction_notice_days=self.reduction_notice_days,
            stop_delivery_days=self.stop_delivery_days,
        )


class PolicyIn(PolicyTermsIn):
    number: str = Field(min_length=1, max_length=32)
    seller: str = Field(min_length=1, max_length=64, description="The insured seller's org ref.")


class PolicyPatch(Body):
    """Terms to change (the others stay) and why."""

    reason: str = Field(min_length=1, max_length=2000)
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    countries: list[str] | None = Field(default=None, min_length=1, max_length=250)
    max_credit_days: int | None = Field(default=None, ge=1, le=720)
    indemnity_percentage: str | None = Field(default=None, pattern=_PERCENT)
    political_indemnity_percentage: str | None = Field(default=None, pattern=_PERCENT)
    discretionary_max_amount: str | None = Field(default=None, pattern=_AMOUNT, max_length=40)
    discretionary_worst_grade: int | None = Field(default=None, ge=1, le=9)
    discretionary_evidence: Literal["credit_report", "payment_experience", "either"] | None = None
    discretionary_min_payments: int | None = Field(default=None, ge=0, le=100)
    credit_check_max_amount: str | None = Field(default=None, pattern=_AMOUNT, max_length=40)
    declaration_threshold: str | None = Field(default=None, pattern=_AMOUNT, max_length=40)
    reduction_notice_days: int | None = Field(default=None, ge=0, le=365)
    stop_delivery_days: int | None = Field(default=None, ge=1, le=720)

    def changes(self, currency: str) -> dict[str, Any]:
        """The named terms in stored form (an explicit null clears an optional amount)."""
        sent = self.model_dump(exclude_unset=True, exclude={"reason"})
        out: dict[str, Any] = {}
        for name, value in sent.items():
            if name == "indemnity_percentage":
                if value is None:
                    raise ValidationFailed("indemnity_percentage cannot be cleared")
                out["indemnity_bp"] = bp_of(value, name)
            elif name == "political_indemnity_percentage":
                out["political_indemnity_bp"] = bp_of(value, name)
            elif name in ("discretionary_max_amount", "credit_check_max_amount"):
                out[name.removesuffix("_amount")] = minor_of(value, currency, name)
            elif name == "declaration_threshold":
                out[name] = minor_of(value, currency, name) or 0
            elif name == "countries":
                out[name] = tuple(value or ())
            elif value is None:
                raise ValidationFailed(f"{name} cannot be cleared")
            else:
                out[name] = value
        return out


class PolicyOut(BaseModel):
    id: uuid.UUID
    number: str
    org_id: uuid.UUID
    version: int
    currency: str
    starts_on: dt.date
    ends_on: dt.date
    countries: list[str]
    max_credit_days: int
    indemnity_percentage: str
    political_indemnity_percentage: str | None
    discretionary_max_amount: str | None
    discretionary_worst_grade: int | None
    discretionary_evidence: str
    discretionary_min_payments: int
    credit_check_max_amount: str | None
    declaration_threshold: str
    reduction_notice_days: int
    stop_delivery_days: int
    created_by: str
    updated_by: str | None

    @classmethod
    def build(cls, p: Policy) -> PolicyOut:
        cur = p.currency
        return cls(
            id=p.id,
            number=p.number,
            org_id=p.org_id,
            version=p.version,
            currency=cur,
            starts_on=p.starts_on,
            ends_on=p.ends_on,
            countries=[c for c in p.countries.split(",") if c],
            max_credit_days=p.max_credit_days,
            indemnity_percentage=percent_text(p.indemnity_bp) or "0",
            political_indemnity_percentage=percent_text(p.political_indemnity_bp),
            discretionary_max_amount=amount_text(p.discretionary_max, cur),
            discretionary_worst_grade=p.discretionary_worst_grade,
            discretionary_evidence=p.discretionary_evidence,
            discretionary_min_payments=p.discretionary_min_payments,
            credit_check_max_amount=amount_text(p.credit_check_max, cur),
            declaration_threshold=amount_text(p.declaration_threshold, cur) or "0",
            reduction_notice_days=p.reduction_notice_days,
            stop_delivery_days=p.stop_delivery_days,
            created_by=p.created_by,
            updated_by=p.updated_by,
        )


# --- cover ---------------------------------------------------------------------------------------


class CoverIn(Body):
    policy_id: uuid.UUID
    buyer_id: uuid.UUID
    amount: str = Amount
    currency: str = Field(min_length=3, max_length=3)
    kind: CoverKind = CoverKind.CREDIT_LIMIT
    payment_terms_days: int | None = Field(default=None, ge=0, le=3650)
    credit_report_date: dt.date | None = Field(
        default=None, description="Date of the credit report (evidence for a discretionary limit)."
    )
    note: str | None = Field(default=None, max_length=2000)


class DecisionIn(Body):
    status: Literal["approved", "partially_approved", "refused"]
    amount: str | None = Field(default=None, pattern=_AMOUNT, max_length=40)
    comment: str = Field(min_length=1, max_length=2000)
    conditions: list[str] = Field(default_factory=list, max_length=20)
    expires_on: dt.date | None = None
    review_on: dt.date | None = None


class ChangeIn(Body):
    amount: str | None = Field(default=None, pattern=_AMOUNT, max_length=40)
    reason: str = Field(min_length=1, max_length=2000)
    insolvency: bool = Field(default=False, description="Apply at once (the buyer is insolvent).")


class ReasonOut(BaseModel):
    code: str
    text: str


class DecisionOut(BaseModel):
    id: uuid.UUID
    seq: int
    request_id: uuid.UUID | None
    kind: str
    status: str
    requested_amount: str | None
    amount: str
    currency: str
    changes_cover: bool
    effective_from: dt.date
    expires_on: dt.date | None
    review_on: dt.date | None
    conditions: list[ReasonOut]
    reasons: list[ReasonOut]
    decider: str
    decided_by: str
    rule_set_version: str | None
    comment: str | None
    decided_at: dt.datetime

    @classmethod
    def build(cls, d: CoverDecision) -> DecisionOut:
        cur = d.currency
        return cls(
            id=d.id,
            seq=d.seq,
            request_id=d.request_id,
            kind=d.kind.value,
            status=d.status.value,
            requested_amount=amount_text(d.requested_amount, cur),
            amount=amount_text(d.amount, cur) or "0",
            currency=cur,
            changes_cover=d.changes_cover,
            effective_from=d.effective_from,
            expires_on=d.expires_on,
            review_on=d.review_on,
            conditions=[ReasonOut(**c) for c in d.conditions],
            reasons=[ReasonOut(**r) for r in d.reasons],
            decider=d.decider.value,
            decided_by=d.decided_by,
            rule_set_version=d.rule_set_version,
            comment=d.comment,
            decided_at=d.decided_at,
        )


class InForceOut(BaseModel):
    as_of: dt.date
    amount: str
    currency: str
    state: str
    decision_id: uuid.UUID | None
    effective_from: dt.date | None
    expires_on: dt.date | None

    @classmethod
    def build(cls, state: InForce, currency: str, history: list[CoverDecision]) -> InForceOut:
        decision = None
        if state.decision is not None:
            decision = next(d for d in history if d.seq == state.decision.seq)
        return cls(
            as_of=state.on,
            amount=amount_text(state.amount, currency) or "0",
            currency=currency,
            state=state.state,
            decision_id=decision.id if decision else None,
            effective_from=decision.effective_from if decision else None,
            expires_on=decision.expires_on if decision else None,
        )


class CoverOut(BaseModel):
    """A cover request with its outcome; ``decided_amount`` is the amount granted."""

    id: uuid.UUID
    policy_id: uuid.UUID
    buyer_id: uuid.UUID
    kind: str
    status: str
    amount: str
    decided_amount: str
    currency: str
    suggested_amount: str | None
    reasons: list[ReasonOut]
    rule_set_version: str
    grade: int | None
    requested_by: str
    requested_at: dt.datetime
    decided_at: dt.datetime | None
    decision: DecisionOut | None
    in_force: InForceOut | None = None
    history: list[DecisionOut] | None = None

    @classmethod
    def build(
        cls,
        r: CoverRequest,
        decision: CoverDecision | None,
        *,
        in_force: InForceOut | None = None,
        history: list[CoverDecision] | None = None,
        show_suggestion: bool = True,
    ) -> CoverOut:
        cur = r.currency
        reasons = decision.reasons if decision is not None else r.rule_reasons
        return cls(
            id=r.id,
            policy_id=r.policy_id,
            buyer_id=r.company_id,
            kind=r.kind.value,
            status=r.status.value,
            amount=amount_text(r.amount, cur) or "0",
            decided_amount=amount_text(r.decided_amount, cur) or "0",
            currency=cur,
            suggested_amount=amount_text(r.suggested_amount, cur) if show_suggestion else None,
            reasons=[ReasonOut(**x) for x in reasons],
            rule_set_version=r.rule_set_version,
            grade=r.grade,
            requested_by=r.requested_by,
            requested_at=r.requested_at,
            decided_at=r.decided_at,
            decision=DecisionOut.build(decision) if decision is not None else None,
            in_force=in_force,
            history=[DecisionOut.build(d) for d in history] if history is not None else None,
        )


class QueueItemOut(BaseModel):
    cover: CoverOut
    amount_in_rule_currency: str | None
    rule_currency: str
    pd: float | None


# --- capacity and accumulation -------------------------------------------------------------------


class CapacityIn(Body):
    amount: str = Amount
    currency: str = Field(min_length=3, max_length=3)
    reason: str = Field(default="set by an underwriter", min_length=1, max_length=2000)


class PolicyCoverOut(BaseModel):
    policy_id: uuid.UUID
    policy_number: str
    amount: str
    currency: str
    in_capacity_currency: str | None


class CapacityOut(BaseModel):
    buyer_id: uuid.UUID
    amount: str
    currency: str
    source: str
    basis: str
    used: str | None
    available: str | None
    covers: list[PolicyCoverOut]
    unconverted: list[str]

    @classmethod
    def build(cls, c: Capacity) -> CapacityOut:
        cur = c.currency
        return cls(
            buyer_id=c.company_id,
            amount=amount_text(c.amount, cur) or "0",
            currency=cur,
            source=c.source,
            basis=c.basis,
            used=amount_text(c.used, cur),
            available=amount_text(c.available, cur),
            covers=[
                PolicyCoverOut(
                    policy_id=p.policy_id,
                    policy_number=p.policy_number,
                    amount=amount_text(p.amount, p.currency) or "0",
                    currency=p.currency,
                    in_capacity_currency=amount_text(p.converted, cur),
                )
                for p in c.covers
            ],
            unconverted=list(c.unconverted),
        )


class AccumulationRowOut(BaseModel):
    key: str
    label: str
    buyers: int
    policies: int
    cover: str
    share_percent: str
    capacity: str | None = None
    capacity_source: str | None = None


class AccumulationOut(BaseModel):
    by: str
    as_of: dt.date
    currency: str
    total: str
    rows: list[AccumulationRowOut]
    unconverted: list[str]

    @classmethod
    def build(cls, a: Accumulation) -> AccumulationOut:
        cur = a.currency
        rows = []
        for g in a.groups:
            share = Decimal(g.cover * 100) / Decimal(a.total) if a.total else Decimal(0)
            rows.append(
                AccumulationRowOut(
                    key=g.key,
                    label=g.label,
                    buyers=len(g.buyers),
                    policies=len(g.policies),
                    cover=amount_text(g.cover, cur) or "0",
                    share_percent=str(share.quantize(Decimal("0.01"))),
                    capacity=amount_text(g.capacity, cur),
                    capacity_source=g.capacity_source,
                )
            )
        return cls(
            by=a.by.value,
            as_of=a.as_of,
            currency=cur,
            total=amount_text(a.total, cur) or "0",
            rows=rows,
            unconverted=a.unconverted,
        )


# --- credit checks -------------------------------------------------------------------------------


class CreditCheckIn(Body):
    buyer_id: uuid.UUID
    amount: str = Amount
    currency: str = Field(min_length=3, max_length=3)
    order_ref: str | None = Field(default=None, min_length=1, max_length=64)
    ship_date: dt.date | None = None
    policy_id: uuid.UUID | None = None


class CheckCoverOut(BaseModel):
    amount: str
    currency: str
    state: str
    basis: str
    expires_on: dt.date | None


class ExposureOut(BaseModel):
    open_invoices: str
    checked_orders: str
    total: str
    overdue: str
    max_days_overdue: int


class CreditCheckOut(BaseModel):
    result: Literal["ok", "warn", "block"]
    buyer_id: uuid.UUID
    buyer_ref: str
    policy_id: uuid.UUID | None
    policy_number: str | None
    ship_date: dt.date
    order_ref: str | None
    amount: str | None
    currency: str
    cover: CheckCoverOut
    exposure: ExposureOut
    available: str
    available_after: str | None
    reasons: list[ReasonOut]

    @classmethod
    def build(cls, c: CheckOut) -> CreditCheckOut:
        cur = c.currency

        def money(minor: int) -> str:
            return amount_text(minor, cur) or "0"

        return cls(
            result=c.result.value,
            buyer_id=c.buyer_id,
            buyer_ref=c.buyer_ref,
            policy_id=c.policy_id,
            policy_number=c.policy_number,
            ship_date=c.ship_date,
            order_ref=c.order_ref,
            amount=amount_text(c.amount, cur),
            currency=cur,
            cover=CheckCoverOut(
                amount=money(c.cover_amount),
                currency=cur,
                state=c.cover_state,
                basis=c.cover_basis,
                expires_on=c.cover_expires_on,
            ),
            exposure=ExposureOut(
                open_invoices=money(c.open_invoices),
                checked_orders=money(c.checked_orders),
                total=money(c.exposure),
                overdue=money(c.overdue_amount),
                max_days_overdue=c.max_days_overdue,
            ),
            available=str(from_minor(c.available, cur)),
            available_after=(
                str(from_minor(c.available - c.amount, cur)) if c.amount is not None else None
            ),
            reasons=[ReasonOut(code=r.code, text=r.text) for r in c.reasons],
        )
