"""The cover decision engine: versioned rules as data, every outcome explained. Pure.

A rule set is a JSON document in ``arshield/cover/rules/<version>.json`` (documented in
docs/cover.md). ``decide`` applies it to one request: each rule either passes, caps the amount,
refers the request to an underwriter, or refuses it, and says why with a reason code and text.
The outcome is the strictest: refused, else referred, else the smallest cap (approved in full or
partially approved).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

from arshield.buyers.domain import CompanyStatus
from arshield.cover.domain import Condition, CoverKind, CoverStatus, Reason, share_of
from arshield.kit.errors import ValidationFailed
from arshield.kit.money import from_minor, to_minor

DEFAULT_VERSION = "2026.11"


def _bp_table(raw: Mapping[str, int]) -> dict[int, int]:
    return {int(grade): int(bp) for grade, bp in raw.items()}


@dataclass(frozen=True, slots=True)
class RuleSet:
    """One version of the decision rules (amounts in minor units of ``rule_currency``)."""

    version: str
    rule_currency: str
    refuse_grade_from: int
    refer_grade_from: int
    expiry_grade_from: int
    refuse_country_levels: frozenset[int]
    refer_country_levels: frozenset[int]
    refer_sectors: frozenset[str]
    equity_share_bp: dict[int, int]
    monthly_sales_share_bp: dict[int, int]
    no_financials_max: int
    first_time_cap: int
    first_time_step: int
    established_after: int
    window_months: int
    automatic_authority: dict[int, int]
    partial_min_share_bp: int
    credit_check_worst_grade: int
    validity_months: int
    capacity_equity_share_bp: dict[int, int]
    capacity_monthly_sales_share_bp: dict[int, int]
    capacity_no_financials: int

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> RuleSet:
        cur = str(data["rule_currency"])

        def money(text: str) -> int:
            return to_minor(Decimal(str(text)), cur)

        size, first, cap = data["size"], data["first_time"], data["capacity"]
        return cls(
            version=str(data["version"]),
            rule_currency=cur,
            refuse_grade_from=int(data["grade"]["refuse_from"]),
            refer_grade_from=int(data["grade"]["refer_from"]),
            expiry_grade_from=int(data["grade"]["expiry_from"]),
            refuse_country_levels=frozenset(int(v) for v in data["country"]["refuse_short_term"]),
            refer_country_levels=frozenset(int(v) for v in data["country"]["refer_short_term"]),
            refer_sectors=frozenset(str(v) for v in data["sector"]["refer"]),
            equity_share_bp=_bp_table(size["equity_share_bp"]),
            monthly_sales_share_bp=_bp_table(size["monthly_sales_share_bp"]),
            no_financials_max=money(size["no_financials_max"]),
            first_time_cap=money(first["cap"]),
            first_time_step=money(first["step"]),
            established_after=int(first["established_after"]),
            window_months=int(first["window_months"]),
            automatic_authority={int(g): money(a) for g, a in data["automatic_authority"].items()},
            partial_min_share_bp=int(data["partial"]["min_share_bp"]),
            credit_check_worst_grade=int(data["credit_check"]["worst_grade"]),
            validity_months=int(data["validity_months"]),
            capacity_equity_share_bp=_bp_table(cap["equity_share_bp"]),
            capacity_monthly_sales_share_bp=_bp_table(cap["monthly_sales_share_bp"]),
            capacity_no_financials=money(cap["no_financials"]),
        )

    def text(self, minor: int) -> str:
        return f"{from_minor(minor, self.rule_currency)} {self.rule_currency}"


@cache
def load_rules(version: str = DEFAULT_VERSION) -> RuleSet:
    """The packaged rule set ``version``."""
    name = f"{version}.json"
    folder = resources.files("arshield.cover") / "rules"
    if not (folder / name).is_file():
        raise ValidationFailed(f"no cover rule set {version!r}")
    return RuleSet.from_dict(json.loads((folder / name).read_text(encoding="utf-8")))


# --- what the engine reads -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PolicyView:
    """The policy terms a decision reads (amounts in the policy currency)."""

    number: str
    currency: str
    starts_on: dt.date
    ends_on: dt.date
    countries: frozenset[str]
    max_credit_days: int
    declaration_threshold: int
    discretionary_max: int | None
    discretionary_worst_grade: int | None
    discretionary_evidence: str
    discretionary_min_payments: int
    credit_check_max: int | None


@dataclass(frozen=True, slots=True)
class BuyerView:
    """What the platform knows of the buyer, with amounts in the policy currency.

    ``None`` means unknown (no statement, no grade, or no FX rate to convert); ``notes`` say why.
    """

    ref: str
    country: str
    status: CompanyStatus
    insolvency_event: str | None
    grade: int | None
    pd: float | None
    confidence: str | None
    country_short_term: int | None
    sector_risk: str | None
    equity: int | None
    monthly_sales: int | None
    capacity_left: int | None
    capacity_text: str
    on_time_payments: int
    named_limit_in_force: bool
    insurer_refused_recently: bool
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class CoverAsk:
    """A request as the engine reads it (``amount`` in the policy currency)."""

    kind: CoverKind
    amount: int
    as_of: dt.date
    current_amount: int = 0
    payment_terms_days: int | None = None
    credit_report_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class EngineDecision:
    """The engine's outcome with every reason. ``suggested_amount`` is what the rules would grant
    (for an underwriter reading a referral)."""

    status: CoverStatus
    decided_amount: int
    suggested_amount: int
    reasons: tuple[Reason, ...]
    conditions: tuple[Condition, ...]
    expires_on: dt.date | None
    review_on: dt.date | None
    rule_set_version: str


@dataclass
class _Verdict:
    refusals: list[Reason] = field(default_factory=list)
    referrals: list[Reason] = field(default_factory=list)
    caps: list[tuple[int, Reason]] = field(default_factory=list)
    notes: list[Reason] = field(default_factory=list)

    def refuse(self, code: str, text: str) -> None:
        self.refusals.append(Reason(code, text))

    def refer(self, code: str, text: str) -> None:
        self.referrals.append(Reason(code, text))

    def cap(self, amount: int, code: str, text: str) -> None:
        self.caps.append((max(amount, 0), Reason(code, text)))

    def note(self, code: str, text: str) -> None:
        self.notes.append(Reason(code, text))


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months (the last day of a shorter month)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


ToPolicy = Callable[[int], int | None]


def decide(
    ask: CoverAsk, policy: PolicyView, buyer: BuyerView, rules: RuleSet, to_policy: ToPolicy
) -> EngineDecision:
    """Apply ``rules`` to ``ask``. ``to_policy`` converts rule-currency minor units into the
    policy currency (``None`` when no rate is known)."""
    cur = policy.currency

    def money(minor: int) -> str:
        return f"{from_minor(minor, cur)} {cur}"

    v = _Verdict()
    _eligibility(ask, policy, buyer, rules, v)
    if ask.kind is CoverKind.DISCRETIONARY:
        _discretionary(ask, policy, buyer, v, money)
    elif ask.kind is CoverKind.CREDIT_CHECK:
        _credit_check(ask, policy, buyer, rules, v, money)
    _size(ask, buyer, rules, to_policy, v, money)
    if ask.kind is CoverKind.CREDIT_LIMIT:
        _first_time(buyer, rules, to_policy, v, money)
        _authority(ask, buyer, rules, to_policy, v, money)
    _capacity(buyer, v, money)
    return _outcome(ask, policy, buyer, rules, v, money)


def _eligibility(
    ask: CoverAsk, policy: PolicyView, buyer: BuyerView, rules: RuleSet, v: _Verdict
) -> None:
    if buyer.status is not CompanyStatus.ACTIVE:
        v.refuse("BUYER_INSOLVENT", f"the buyer's registry status is {buyer.status.value}")
    if buyer.insolvency_event is not None:
        v.refuse("INSOLVENCY_EVENT", buyer.insolvency_event)
    if not policy.starts_on <= ask.as_of <= policy.ends_on:
        v.refuse(
            "POLICY_NOT_IN_FORCE",
            f"policy {policy.number} runs from {policy.starts_on} to {policy.ends_on}",
        )
    if buyer.country not in policy.countries:
        v.refuse(
            "COUNTRY_NOT_COVERED",
            f"policy {policy.number} does not cover buyers in {buyer.country}",
        )
    if ask.payment_terms_days is not None and ask.payment_terms_days > policy.max_credit_days:
        v.refuse(
            "TERMS_TOO_LONG",
            f"payment terms of {ask.payment_terms_days} days exceed the policy's maximum credit "
            f"period of {policy.max_credit_days} days",
        )
    level = buyer.country_short_term
    if level is None:
        v.refer("COUNTRY_UNRATED", f"country {buyer.country} has no short-term risk rating")
    elif level in rules.refuse_country_levels:
        v.refuse("COUNTRY_RISK", f"country {buyer.country} has short-term risk level {level} of 4")
    elif level in rules.refer_country_levels:
        v.refer("COUNTRY_RISK", f"country {buyer.country} has short-term risk level {level} of 4")
    if buyer.sector_risk in rules.refer_sectors:
        v.refer("SECTOR_RISK", f"the buyer's sector risk is {buyer.sector_risk}")
    grade = buyer.grade
    if grade is None:
        v.refer("NOT_GRADED", "the buyer has no grade")
        return
    if grade >= 10:
        v.refuse("GRADE_10", "grade 10: insolvent or in default")
    elif grade >= rules.refuse_grade_from:
        v.refuse("GRADE_REFUSE", f"grade {grade} is at or beyond {rules.refuse_grade_from}")
    elif grade >= rules.refer_grade_from:
        v.refer("GRADE_REFER", f"grade {grade} is referred to an underwriter")
    if buyer.confidence == "low":
        v.refer("THIN_FILE", "the grade rests on little data (low confidence)")


def _discretionary(
    ask: CoverAsk,
    policy: PolicyView,
    buyer: BuyerView,
    v: _Verdict,
    money: Callable[[int], str],
) -> None:
    if policy.discretionary_max is None:
        v.refuse(
            "NO_DISCRETIONARY_LIMITS", f"policy {policy.number} grants no discretionary limits"
        )
        return
    if ask.amount > policy.discretionary_max:
        v.refuse(
            "ABOVE_DISCRETIONARY_MAX",
            f"discretionary limits go up to {money(policy.discretionary_max)}",
        )
    worst = policy.discretionary_worst_grade
    if worst is not None and buyer.grade is not None and buyer.grade > worst:
        v.refuse(
            "DISCRETIONARY_GRADE",
            f"discretionary limits need grade {worst} or better; the buyer is grade {buyer.grade}",
        )
    if buyer.named_limit_in_force:
        v.refuse("NAMED_LIMIT_EXISTS", "the insurer has decided a credit limit on this buyer")
    if buyer.insurer_refused_recently:
        v.refuse(
            "INSURER_REFUSED",
            "the insurer refused, reduced or cancelled cover on this buyer in the last 12 months",
        )
    report_ok = (
        ask.credit_report_date is not None
        and ask.credit_report_date <= ask.as_of
        and ask.credit_report_date > add_months(ask.as_of, -12)
    )
    payments_ok = buyer.on_time_payments >= policy.discretionary_min_payments
    evidence = policy.discretionary_evidence
    needed = {
        "credit_report": report_ok,
        "payment_experience": payments_ok,
        "either": report_ok or payments_ok,
    }[evidence]
    if not needed:
        v.refuse(
            "NO_EVIDENCE",
            "a discretionary limit needs "
            + {
                "credit_report": "a credit report dated within 12 months",
                "payment_experience": (
                    f"{policy.discretionary_min_payments} on-time payments in 12 months"
                ),
                "either": (
                    "a credit report dated within 12 months or "
                    f"{policy.discretionary_min_payments} on-time payments in 12 months"
                ),
            }[evidence]
            + f" (the ledger shows {buyer.on_time_payments})",
        )
    # The seller decides its discretionary limits; nothing is referred.
    for reason in v.referrals:
        v.refuse(reason.code, reason.text + " (discretionary limits are never referred)")
    v.referrals.clear()


def _credit_check(
    ask: CoverAsk,
    policy: PolicyView,
    buyer: BuyerView,
    rules: RuleSet,
    v: _Verdict,
    money: Callable[[int], str],
) -> None:
    if policy.credit_check_max is None:
        v.refuse("NO_CREDIT_CHECKS", f"policy {policy.number} grants no credit-check limits")
    elif ask.amount > policy.credit_check_max:
        v.refuse(
            "ABOVE_CREDIT_CHECK_MAX",
            f"credit-check limits go up to {money(policy.credit_check_max)}; "
            "request a credit limit",
        )
    if buyer.grade is not None and buyer.grade > rules.credit_check_worst_grade:
        v.refuse(
            "CREDIT_CHECK_GRADE",
            f"credit-check limits need grade {rules.credit_check_worst_grade} or better",
        )
    for reason in v.referrals:
        v.refuse(reason.code, reason.text + " (credit-check limits are never referred)")
    v.referrals.clear()


def _size(
    ask: CoverAsk,
    buyer: BuyerView,
    rules: RuleSet,
    to_policy: ToPolicy,
    v: _Verdict,
    money: Callable[[int], str],
) -> None:
    grade = buyer.grade
    if grade is None or grade >= 9:
        return
    if buyer.equity is None and buyer.monthly_sales is None:
        small = to_policy(rules.no_financials_max)
        if small is None or ask.amount > small:
            limit = f" above {money(small)}" if small is not None else ""
            v.refer("NO_FINANCIALS", f"no usable financial statement for a cover{limit}")
        else:
            v.note("NO_FINANCIALS_SMALL", f"no financial statement; amount within {money(small)}")
        return
    if buyer.equity is not None:
        bp = rules.equity_share_bp[grade]
        cap = share_of(max(buyer.equity, 0), bp)
        v.cap(
            cap, "EQUITY_SHARE", f"at most {bp / 100:g}% of equity for grade {grade}: {money(cap)}"
        )
    if buyer.monthly_sales is not None:
        bp = rules.monthly_sales_share_bp[grade]
        cap = share_of(max(buyer.monthly_sales, 0), bp)
        v.cap(
            cap,
            "SALES_SHARE",
            f"at most {bp / 100:g}% of monthly sales for grade {grade}: {money(cap)}",
        )


def _first_time(
    buyer: BuyerView, rules: RuleSet, to_policy: ToPolicy, v: _Verdict, money: Callable[[int], str]
) -> None:
    n = buyer.on_time_payments
    if n >= rules.established_after:
        v.note("ESTABLISHED_BUYER", f"{n} on-time payments in {rules.window_months} months")
        return
    cap = to_policy(rules.first_time_cap + n * rules.first_time_step)
    if cap is None:
        v.refer(
            "FX_RATE_MISSING", f"no rate to convert the first-time cap from {rules.rule_currency}"
        )
        return
    v.cap(
        cap,
        "FIRST_TIME_CAP",
        f"{n} on-time payments in {rules.window_months} months on the ledger: cover grows with "
        f"payment experience, now up to {money(cap)}",
    )


def _authority(
    ask: CoverAsk,
    buyer: BuyerView,
    rules: RuleSet,
    to_policy: ToPolicy,
    v: _Verdict,
    money: Callable[[int], str],
) -> None:
    if buyer.grade is None or buyer.grade not in rules.automatic_authority:
        return
    authority = to_policy(rules.automatic_authority[buyer.grade])
    if authority is None:
        v.refer(
            "FX_RATE_MISSING", f"no rate to convert the automatic authority ({rules.rule_currency})"
        )
    elif ask.amount > authority:
        v.refer(
            "ABOVE_AUTOMATIC_AUTHORITY",
            f"{money(ask.amount)} is above the automatic authority for grade {buyer.grade} "
            f"({money(authority)})",
        )


def _capacity(buyer: BuyerView, v: _Verdict, money: Callable[[int], str]) -> None:
    if buyer.capacity_left is None:
        v.refer("CAPACITY_UNKNOWN", buyer.capacity_text)
        return
    v.cap(buyer.capacity_left, "CAPACITY", f"buyer capacity left: {money(buyer.capacity_left)}")


def _outcome(
    ask: CoverAsk,
    policy: PolicyView,
    buyer: BuyerView,
    rules: RuleSet,
    v: _Verdict,
    money: Callable[[int], str],
) -> EngineDecision:
    caps = sorted(v.caps, key=lambda c: c[0])
    suggested = min([ask.amount, *(c[0] for c in caps)])
    binding = [reason for amount, reason in caps if amount < ask.amount]
    expires_on, review_on = _validity(ask, buyer, rules)

    def result(
        status: CoverStatus, amount: int, reasons: list[Reason], conditions: tuple[Condition, ...]
    ) -> EngineDecision:
        return EngineDecision(
            status=status,
            decided_amount=amount,
            suggested_amount=suggested if not v.refusals else 0,
            reasons=tuple(reasons),
            conditions=conditions,
            expires_on=expires_on
            if status in (CoverStatus.APPROVED, CoverStatus.PARTIALLY_APPROVED)
            else None,
            review_on=review_on
            if status in (CoverStatus.APPROVED, CoverStatus.PARTIALLY_APPROVED)
            else None,
            rule_set_version=rules.version,
        )

    if v.refusals:
        return result(CoverStatus.REFUSED, 0, v.refusals + v.referrals, ())
    if v.referrals:
        return result(CoverStatus.REFERRED, 0, v.referrals + binding, ())
    conditions = _conditions(ask, policy, buyer, rules, expires_on, review_on)
    if suggested >= ask.amount:
        passed = [Reason("WITHIN_RULES", f"{money(ask.amount)} is within every rule")]
        return result(CoverStatus.APPROVED, ask.amount, passed + v.notes, conditions)
    if ask.current_amount and suggested <= ask.current_amount:
        text = (
            f"the rules allow {money(suggested)}; "
            f"the current cover of {money(ask.current_amount)} stays"
        )
        return result(CoverStatus.REFUSED, 0, [Reason("NO_INCREASE", text), *binding], ())
    minimum = share_of(ask.amount, rules.partial_min_share_bp)
    if suggested <= 0 or suggested < minimum:
        share = rules.partial_min_share_bp / 100
        text = f"the rules allow {money(suggested)}, under {share:g}% of the request"
        return result(CoverStatus.REFUSED, 0, [Reason("BELOW_MINIMUM", text), *binding], ())
    return result(CoverStatus.PARTIALLY_APPROVED, suggested, binding + v.notes, conditions)


def _validity(
    ask: CoverAsk, buyer: BuyerView, rules: RuleSet
) -> tuple[dt.date | None, dt.date | None]:
    until = add_months(ask.as_of, rules.validity_months)
    if ask.kind is CoverKind.CREDIT_CHECK:
        return until, None
    if buyer.grade is not None and buyer.grade >= rules.expiry_grade_from:
        return until, None
    return None, until


def _conditions(
    ask: CoverAsk,
    policy: PolicyView,
    buyer: BuyerView,
    rules: RuleSet,
    expires_on: dt.date | None,
    review_on: dt.date | None,
) -> tuple[Condition, ...]:
    days = min(policy.max_credit_days, ask.payment_terms_days or policy.max_credit_days)
    items = [Condition("MAX_TERMS", f"payment terms at most {days} days")]
    if expires_on is not None:
        items.append(Condition("EXPIRES", f"cover expires on {expires_on}; apply again to renew"))
    if review_on is not None:
        items.append(Condition("REVIEW", f"cover is reviewed by {review_on}"))
    if ask.kind is CoverKind.CREDIT_LIMIT and buyer.on_time_payments < rules.established_after:
        items.append(
            Condition(
                "FIRST_TIME_BUYER",
                "first-time buyer: the limit grows with on-time payments recorded on the ledger",
            )
        )
    return tuple(items)


def derived_capacity(
    rules: RuleSet, *, grade: int | None, equity: int | None, monthly_sales: int | None
) -> tuple[int, str]:
    """The insurer's appetite on a buyer from grade and size (in the figures' currency).

    Returns the amount and how it was derived. Grade 9 and 10 buyers have none.
    """
    if grade is None:
        return 0, "no grade: no capacity until an underwriter sets one"
    if grade >= 9:
        return 0, f"grade {grade}: no appetite"
    parts: list[tuple[int, str]] = []
    if equity is not None:
        bp = rules.capacity_equity_share_bp[grade]
        parts.append((share_of(max(equity, 0), bp), f"{bp / 100:g}% of equity"))
    if monthly_sales is not None:
        bp = rules.capacity_monthly_sales_share_bp[grade]
        parts.append((share_of(max(monthly_sales, 0), bp), f"{bp / 100:g}% of monthly sales"))
    if not parts:
        return rules.capacity_no_financials, "no financial statement"
    amount, how = min(parts, key=lambda p: p[0])
    return amount, f"grade {grade}: {how} (the smaller of {' and '.join(p[1] for p in parts)})"
