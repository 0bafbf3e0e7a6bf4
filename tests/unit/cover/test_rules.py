"""Worked examples of the cover decision engine, with hand-checked numbers (EUR, minor units)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from arshield.buyers.domain import CompanyStatus
from arshield.cover.domain import CoverKind, CoverStatus
from arshield.cover.rules import (
    BuyerView,
    CoverAsk,
    PolicyView,
    add_months,
    decide,
    derived_capacity,
    load_rules,
)

RULES = load_rules()
AS_OF = dt.date(2026, 11, 20)
POLICY = PolicyView(
    number="P-1",
    currency="EUR",
    starts_on=dt.date(2026, 1, 1),
    ends_on=dt.date(2026, 12, 31),
    countries=frozenset({"DE", "FR"}),
    max_credit_days=90,
    declaration_threshold=0,
    discretionary_max=50_000_00,
    discretionary_worst_grade=5,
    discretionary_evidence="either",
    discretionary_min_payments=2,
    credit_check_max=20_000_00,
)
# Grade 3, equity 2,000,000.00 and monthly sales 500,000.00 EUR; an established buyer.
BUYER = BuyerView(
    ref="B1",
    country="DE",
    status=CompanyStatus.ACTIVE,
    insolvency_event=None,
    grade=3,
    pd=0.003,
    confidence="high",
    country_short_term=1,
    sector_risk="medium",
    equity=2_000_000_00,
    monthly_sales=500_000_00,
    capacity_left=10_000_000_00,
    capacity_text="",
    on_time_payments=8,
    named_limit_in_force=False,
    insurer_refused_recently=False,
)


def same(minor: int) -> int | None:
    return minor


def ask(amount: int, kind: CoverKind = CoverKind.CREDIT_LIMIT, **kw: object) -> CoverAsk:
    return CoverAsk(kind=kind, amount=amount, as_of=AS_OF, **kw)  # type: ignore[arg-type]


def codes(decision: object) -> set[str]:
    return {r.code for r in decision.reasons}  # type: ignore[attr-defined]


def test_clear_case_is_approved_in_full_with_conditions() -> None:
    d = decide(ask(200_000_00), POLICY, BUYER, RULES, same)
    assert d.status is CoverStatus.APPROVED
    assert d.decided_amount == 200_000_00
    assert "WITHIN_RULES" in codes(d)
    assert ("MAX_TERMS", "payment terms at most 90 days") in {
        (c.code, c.text) for c in d.conditions
    }
    # Grade 3 is below the expiry grade (6): reviewed in 12 months, no expiry.
    assert d.expires_on is None and d.review_on == dt.date(2027, 11, 20)
    assert d.rule_set_version == RULES.version


def test_size_caps_give_a_partial_approval() -> None:
    # Grade 3: 15% of equity = 300,000.00; 60% of monthly sales = 300,000.00.
    d = decide(ask(400_000_00), POLICY, BUYER, RULES, same)
    assert d.status is CoverStatus.PARTIALLY_APPROVED
    assert d.decided_amount == 300_000_00
    assert {"EQUITY_SHARE", "SALES_SHARE"} <= codes(d)


def test_smallest_cap_binds() -> None:
    buyer = replace(BUYER, monthly_sales=200_000_00)  # 60% = 120,000.00 < 300,000.00
    d = decide(ask(250_000_00), POLICY, buyer, RULES, same)
    assert (d.status, d.decided_amount) == (CoverStatus.PARTIALLY_APPROVED, 120_000_00)
    assert "SALES_SHARE" in codes(d) and "EQUITY_SHARE" not in codes(d)


def test_capacity_left_caps_the_decision() -> None:
    buyer = replace(BUYER, capacity_left=75_000_00)
    d = decide(ask(100_000_00), POLICY, buyer, RULES, same)
    assert (d.status, d.decided_amount) == (CoverStatus.PARTIALLY_APPROVED, 75_000_00)
    assert "CAPACITY" in codes(d)


def test_no_capacity_left_is_refused() -> None:
    buyer = replace(BUYER, capacity_left=0)
    d = decide(ask(100_000_00), POLICY, buyer, RULES, same)
    assert (d.status, d.decided_amount) == (CoverStatus.REFUSED, 0)
    assert {"BELOW_MINIMUM", "CAPACITY"} <= codes(d)


def test_below_the_partial_minimum_is_refused() -> None:
    # 20% of 1,000,000.00 is 200,000.00; capacity leaves 150,000.00 (but authority would refer
    # above 1,000,000.00, so ask exactly that).
    buyer = replace(BUYER, capacity_left=150_000_00, equity=None, monthly_sales=None)
    d = decide(ask(1_000_000_00), POLICY, buyer, RULES, same)
    # No financials above 20,000.00 refer first.
    assert d.status is CoverStatus.REFERRED
    buyer = replace(BUYER, capacity_left=150_000_00, equity=100_000_000_00, monthly_sales=None)
    d = decide(ask(1_000_000_00), POLICY, buyer, RULES, same)
    assert (d.status, d.decided_amount) == (CoverStatus.REFUSED, 0)
    assert "BELOW_MINIMUM" in codes(d)


@pytest.mark.parametrize(
    ("grade", "status"),
    [
        (6, CoverStatus.APPROVED),
        (7, CoverStatus.REFERRED),
        (8, CoverStatus.REFERRED),
        (9, CoverStatus.REFUSED),
        (10, CoverStatus.REFUSED),
    ],
)
def test_grade_thresholds(grade: int, status: CoverStatus) -> None:
    d = decide(ask(10_000_00), POLICY, replace(BUYER, grade=grade), RULES, same)
    assert d.status is status
    if status is CoverStatus.REFERRED:
        assert "GRADE_REFER" in codes(d)
        assert d.decided_amount == 0 and d.suggested_amount > 0
    if grade == 10:
        assert "GRADE_10" in codes(d)


def test_grade_6_cover_expires_in_twelve_months() -> None:
    d = decide(ask(10_000_00), POLICY, replace(BUYER, grade=6), RULES, same)
    assert d.expires_on == dt.date(2027, 11, 20) and d.review_on is None


def test_insolvent_buyer_is_refused_whatever_its_grade() -> None:
    d = decide(ask(1_000_00), POLICY, replace(BUYER, status=CompanyStatus.INSOLVENT), RULES, same)
    assert d.status is CoverStatus.REFUSED and "BUYER_INSOLVENT" in codes(d)
    d = decide(
        ask(1_000_00),
        POLICY,
        replace(BUYER, insolvency_event="insolvency filing on 2026-10-01"),
        RULES,
        same,
    )
    assert d.status is CoverStatus.REFUSED and "INSOLVENCY_EVENT" in codes(d)


def test_country_appetite() -> None:
    d = decide(ask(1_000_00), POLICY, replace(BUYER, country_short_term=4), RULES, same)
    assert d.status is CoverStatus.REFUSED and "COUNTRY_RISK" in codes(d)
    d = decide(ask(1_000_00), POLICY, replace(BUYER, country_short_term=3), RULES, same)
    assert d.status is CoverStatus.REFERRED and "COUNTRY_RISK" in codes(d)
    d = decide(ask(1_000_00), POLICY, replace(BUYER, country="IT"), RULES, same)
    assert d.status is CoverStatus.REFUSED and "COUNTRY_NOT_COVERED" in codes(d)


def test_high_sector_risk_is_referred() -> None:
    d = decide(ask(1_000_00), POLICY, replace(BUYER, sector_risk="high"), RULES, same)
    assert d.status is CoverStatus.REFERRED and "SECTOR_RISK" in codes(d)


def test_terms_longer_than_the_policy_maximum_are_refused() -> None:
    d = decide(ask(1_000_00, payment_terms_days=120), POLICY, BUYER, RULES, same)
    assert d.status is CoverStatus.REFUSED and "TERMS_TOO_LONG" in codes(d)
    d = decide(ask(1_000_00, payment_terms_days=60), POLICY, BUYER, RULES, same)
    assert ("MAX_TERMS", "payment terms at most 60 days") in {
        (c.code, c.text) for c in d.conditions
    }


@pytest.mark.parametrize(("on_time", "cap"), [(0, 50_000_00), (1, 75_000_00), (5, 175_000_00)])
def test_first_time_cap_grows_with_on_time_payments(on_time: int, cap: int) -> None:
    # 50,000.00 + 25,000.00 per on-time payment, until 6 on-time payments.
    d = decide(ask(250_000_00), POLICY, replace(BUYER, on_time_payments=on_time), RULES, same)
    assert (d.status, d.decided_amount) == (CoverStatus.PARTIALLY_APPROVED, cap)
    assert "FIRST_TIME_CAP" in codes(d)
    assert "FIRST_TIME_BUYER" in {c.code for c in d.conditions}


def test_established_buyer_has_no_first_time_cap() -> None:
    d = decide(ask(250_000_00), POLICY, replace(BUYER, on_time_payments=6), RULES, same)
    assert (d.status, d.decided_amount) == (CoverStatus.APPROVED, 250_000_00)


def test_above_automatic_authority_is_referred() -> None:
    # Grade 3 authority is 1,000,000.00.
    buyer = replace(BUYER, equity=100_000_000_00, monthly_sales=100_000_000_00)
    assert decide(ask(1_000_000_00), POLICY, buyer, RULES, same).status is CoverStatus.APPROVED
    d = decide(ask(1_000_000_01), POLICY, buyer, RULES, same)
    assert d.status is CoverStatus.REFERRED and "ABOVE_AUTOMATIC_AUTHORITY" in codes(d)


def test_missing_fx_rate_refers_instead_of_guessing() -> None:
    d = decide(ask(10_000_00), POLICY, replace(BUYER, on_time_payments=0), RULES, lambda _m: None)
    assert d.status is CoverStatus.REFERRED and "FX_RATE_MISSING" in codes(d)


def test_increase_that_the_rules_cannot_grant_leaves_the_cover() -> None:
    d = decide(ask(400_000_00, current_amount=300_000_00), POLICY, BUYER, RULES, same)
    assert (d.status, d.decided_amount) == (CoverStatus.REFUSED, 0)
    assert "NO_INCREASE" in codes(d)


def test_discretionary_limit_inside_the_policy_rules() -> None:
    d = decide(ask(40_000_00, CoverKind.DISCRETIONARY), POLICY, BUYER, RULES, same)
    assert (d.status, d.decided_amount) == (CoverStatus.APPROVED, 40_000_00)


def test_discretionary_limit_outside_the_policy_rules() -> None:
    over = decide(ask(60_000_00, CoverKind.DISCRETIONARY), POLICY, BUYER, RULES, same)
    assert over.status is CoverStatus.REFUSED and "ABOVE_DISCRETIONARY_MAX" in codes(over)
    weak = decide(
        ask(10_000_00, CoverKind.DISCRETIONARY), POLICY, replace(BUYER, grade=6), RULES, same
    )
    assert weak.status is CoverStatus.REFUSED and "DISCRETIONARY_GRADE" in codes(weak)
    named = replace(BUYER, named_limit_in_force=True)
    assert "NAMED_LIMIT_EXISTS" in codes(
        decide(ask(10_000_00, CoverKind.DISCRETIONARY), POLICY, named, RULES, same)
    )
    refused = replace(BUYER, insurer_refused_recently=True)
    assert "INSURER_REFUSED" in codes(
        decide(ask(10_000_00, CoverKind.DISCRETIONARY), POLICY, refused, RULES, same)
    )
    none = replace(POLICY, discretionary_max=None)
    assert "NO_DISCRETIONARY_LIMITS" in codes(
        decide(ask(10_000_00, CoverKind.DISCRETIONARY), none, BUYER, RULES, same)
    )


def test_discretionary_evidence() -> None:
    fresh = replace(BUYER, on_time_payments=1)
    d = decide(ask(10_000_00, CoverKind.DISCRETIONARY), POLICY, fresh, RULES, same)
    assert d.status is CoverStatus.REFUSED and "NO_EVIDENCE" in codes(d)
    # A credit report dated within 12 months is evidence enough ("either").
    report = ask(10_000_00, CoverKind.DISCRETIONARY, credit_report_date=dt.date(2026, 6, 1))
    assert decide(report, POLICY, fresh, RULES, same).status is CoverStatus.APPROVED
    old = ask(10_000_00, CoverKind.DISCRETIONARY, credit_report_date=dt.date(2025, 11, 20))
    assert decide(old, POLICY, fresh, RULES, same).status is CoverStatus.REFUSED
    only_report = replace(POLICY, discretionary_evidence="credit_report")
    d = decide(ask(10_000_00, CoverKind.DISCRETIONARY), only_report, BUYER, RULES, same)
    assert d.status is CoverStatus.REFUSED and "NO_EVIDENCE" in codes(d)


def test_discretionary_and_credit_check_are_never_referred() -> None:
    weak = replace(BUYER, grade=7)
    for kind in (CoverKind.DISCRETIONARY, CoverKind.CREDIT_CHECK):
        policy = replace(POLICY, discretionary_worst_grade=None)
        assert decide(ask(10_000_00, kind), policy, weak, RULES, same).status is CoverStatus.REFUSED


def test_credit_check_limits() -> None:
    d = decide(ask(20_000_00, CoverKind.CREDIT_CHECK), POLICY, BUYER, RULES, same)
    assert d.status is CoverStatus.APPROVED and d.expires_on == dt.date(2027, 11, 20)
    over = decide(ask(20_000_01, CoverKind.CREDIT_CHECK), POLICY, BUYER, RULES, same)
    assert over.status is CoverStatus.REFUSED and "ABOVE_CREDIT_CHECK_MAX" in codes(over)


def test_every_outcome_is_explained() -> None:
    for grade in range(1, 11):
        for amount in (1_000_00, 100_000_00, 5_000_000_00):
            d = decide(ask(amount), POLICY, replace(BUYER, grade=grade), RULES, same)
            assert d.reasons, (grade, amount)
            assert all(r.code and r.text for r in d.reasons)
            assert 0 <= d.decided_amount <= amount


def test_derived_capacity() -> None:
    # Grade 3: 30% of equity 2,000,000.00 = 600,000.00; 120% of monthly sales 400,000.00
    # = 480,000.00: the smaller binds.
    amount, basis = derived_capacity(RULES, grade=3, equity=2_000_000_00, monthly_sales=400_000_00)
    assert amount == 480_000_00 and "monthly sales" in basis
    assert derived_capacity(RULES, grade=9, equity=10**12, monthly_sales=10**12)[0] == 0
    assert derived_capacity(RULES, grade=None, equity=10**12, monthly_sales=None)[0] == 0


def test_add_months_clamps_to_month_end() -> None:
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert add_months(dt.date(2026, 11, 20), -12) == dt.date(2025, 11, 20)
    assert add_months(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
