"""The expert model: hand-checked worked examples and agreement with the per-row reference."""

from __future__ import annotations

import datetime as dt
import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arshield.risk.expert import FACTORS, build_features, grade_frame
from arshield.risk.inputs import aggregate_payments
from arshield.risk.reasons import parse_reasons
from arshield.risk.reference import grade_rows
from tests.unit.risk.frames import company, frame, random_portfolio, statement

AS_OF = dt.date(2026, 6, 30)
COUNTRIES = {"DE": 1, "CN": 2, "US": 1, "VE": 4}
SECTORS = {"C": "medium", "F": "high", "G": "sensitive", "D": "low", "K": "medium"}


def codes_of(row: dict[str, object]) -> list[str]:
    return [code for code, _factor, _value in parse_reasons(str(row["reasons"]))]


def grade(
    companies: list[dict[str, object]],
    statements: list[dict[str, object]] | None = None,
    payments: list[dict[str, object]] | None = None,
    events: list[dict[str, object]] | None = None,
    as_of: dt.date = AS_OF,
) -> pl.DataFrame:
    features = build_features(
        companies=frame("companies", companies),
        statements=frame("statements", statements or []),
        payments=aggregate_payments(
            frame("payments", payments or []), as_of=as_of, payment_months=12
        ),
        events=frame("events", events or []),
        country_short_term=COUNTRIES,
        sector_risk=SECTORS,
        as_of=as_of,
    )
    return grade_frame(features, as_of=as_of)


def test_worked_example_strong_german_manufacturer() -> None:
    # TA 1000, CA 600, CL 300, TL 400, equity 600, RE 300, EBIT 100, NI 70; sales 1000 -> 1200.
    statements = [
        statement("a", 2023, sales=1000),
        statement("a", 2024, sales=1100),
        statement("a", 2025, sales=1200),
    ]
    row = grade([company("a")], statements).row(0, named=True)
    # X1 = 0.3, X2 = 0.3, X3 = 0.1, X4 = 1.5: Z'' = 1.968 + 0.978 + 0.672 + 1.575 = 5.193;
    # EM = 8.443; -0.55 x (8.443 - 5) = -1.894, clipped to -1.2.
    assert row["c_altman"] == pytest.approx(-1.2)
    assert row["c_liquidity"] == pytest.approx(-0.8 * math.log(2.0 / 1.3))  # -0.3446
    assert row["c_leverage"] == pytest.approx(-0.6)  # 3 x (0.4 - 0.6)
    assert row["c_profitability"] == pytest.approx(-0.32)  # -8 x (0.07 - 0.03)
    # Sales grew 20% over 731 days = 2.0014 years: 9.54% a year; -3 x (0.0954 - 0.03) = -0.1961.
    assert row["c_trend"] == pytest.approx(-0.19613, abs=1e-5)
    assert row["c_payments"] == 0.0  # no payment experience
    assert row["c_events"] == 0.0
    assert row["c_age"] == pytest.approx(-0.3)  # 36.5 years: 0.6 - 0.25 x ln(37.5) = -0.306
    assert row["c_size"] == pytest.approx(0.3 - 0.1 * math.log(501))  # -0.3217
    assert row["c_country"] == pytest.approx(-0.2)  # DE short-term level 1
    assert row["c_sector"] == 0.0  # C manufacturing: medium
    # logit = ln(0.01/0.99) - 3.4824 = -8.0775; PD = 0.000310.
    assert row["model_pd"] == pytest.approx(0.000310, abs=2e-6)
    assert row["grade"] == 1
    assert row["score"] == 100
    assert row["confidence"] == "medium"  # no payment experience
    codes = codes_of(row)
    assert codes[:2] == ["ALTMAN_SAFE", "LOW_LEVERAGE"]


def test_worked_example_distressed_buyer_paying_late() -> None:
    statements = [
        statement(
            "b",
            y,
            current_assets=300,
            current_liabilities=500,
            total_liabilities=950,
            equity=50,
            retained_earnings=-100,
            ebit=-20,
            net_income=-40,
            sales=s,
        )
        for y, s in ((2023, 1000), (2024, 900), (2025, 800))
    ]
    payments = [
        {
            "company_id": "b",
            "month": dt.date(2026, m, 1),
            "amount_paid": 100,
            "amount_overdue": 50,
            "days_beyond_terms": 45,
        }
        for m in range(1, 7)
    ]
    events = [
        {"company_id": "b", "date": dt.date(2026, 3, 1), "type": "lawsuit", "severity": "high"}
    ]
    row = grade(
        [company("b", country="CN", sector="F41.20", founded=dt.date(2022, 1, 1), employees=12)],
        statements,
        payments,
        events,
    ).row(0, named=True)
    # Overdue share 300/900 = 1/3, 45 days: 4 x 1/3 + 0.03 x 45 - 0.25 = 2.4333.
    assert row["c_payments"] == pytest.approx(4 / 3 + 1.35 - 0.25)
    # Lawsuit, high: 0.6 x 1.0 x exp(-121/365.25) = 0.4308.
    assert row["c_events"] == pytest.approx(0.6 * math.exp(-121 / 365.25))
    assert row["c_sector"] == pytest.approx(0.5)
    assert row["model_pd"] == pytest.approx(0.6)  # capped at the PD ceiling
    assert row["grade"] == 9
    assert row["score"] == 2
    # Paying late (+2.433) outweighs the weak Altman score (+1.907).
    assert codes_of(row)[:2] == ["PAYS_LATE", "ALTMAN_DISTRESS"]


def test_insolvency_forces_grade_10_only_from_its_date() -> None:
    statements = [statement("d", 2024), statement("d", 2025)]
    events = [
        {
            "company_id": "d",
            "date": dt.date(2026, 3, 1),
            "type": "insolvency_opened",
            "severity": "critical",
        }
    ]
    before = grade([company("d")], statements, events=events, as_of=dt.date(2026, 2, 28)).row(
        0, named=True
    )
    after = grade([company("d")], statements, events=events, as_of=dt.date(2026, 3, 1)).row(
        0, named=True
    )
    assert before["grade"] < 10
    assert after["grade"] == 10
    assert after["pd"] == 1.0
    assert after["score"] == 1
    assert codes_of(after)[0] == "INSOLVENCY_OPENED"


def test_missing_and_stale_statements_cap_the_best_grade() -> None:
    rows = grade(
        [company("fresh"), company("stale"), company("none")],
        [statement("fresh", 2025), statement("stale", 2024), statement("none", 2022)],
    ).sort("company_id")
    by_id = {r["company_id"]: r for r in rows.iter_rows(named=True)}
    assert by_id["fresh"]["cap_grade"] == 1
    # FY2024 ended 546 days before as_of: not yet stale (548 days).
    assert by_id["stale"]["cap_grade"] == 1
    assert by_id["none"]["cap_grade"] == 6  # FY2022 is over 30 months old: unusable
    assert by_id["none"]["grade"] >= 6
    assert by_id["none"]["confidence"] == "low"
    stale = grade([company("s")], [statement("s", 2024)], as_of=dt.date(2026, 7, 15)).row(
        0, named=True
    )
    assert stale["cap_grade"] == 4
    assert stale["grade"] >= 4
    assert codes_of(stale)[0] == "STALE_STATEMENTS"


def test_data_dated_after_as_of_is_ignored() -> None:
    base = grade([company("x")], [statement("x", 2025)]).row(0, named=True)
    later = grade(
        [company("x")],
        [statement("x", 2025), statement("x", 2026, ebit=-500, net_income=-600)],
        events=[
            {
                "company_id": "x",
                "date": dt.date(2026, 7, 1),
                "type": "default",
                "severity": "critical",
            }
        ],
    ).row(0, named=True)
    assert later["grade"] == base["grade"]
    assert later["model_pd"] == pytest.approx(base["model_pd"])


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10**9))
def test_vectorised_engine_matches_per_row_reference(seed: int) -> None:
    data = random_portfolio(seed)
    vectorised = grade(
        data["companies"], data["statements"], data["payments"], data["events"]
    ).sort("company_id")
    reference = sorted(
        grade_rows(**data, country_short_term=COUNTRIES, sector_risk=SECTORS, as_of=AS_OF),
        key=lambda r: r["company_id"],
    )
    for got, want in zip(vectorised.iter_rows(named=True), reference, strict=True):
        assert got["company_id"] == want["company_id"]
        for name in FACTORS:
            assert got[f"c_{name}"] == pytest.approx(want["contributions"][name], abs=1e-9), name
        assert got["model_pd"] == pytest.approx(want["model_pd"], rel=1e-9)
        assert (got["grade"], got["score"], got["pd"], got["cap_grade"]) == (
            want["grade"],
            want["score"],
            want["pd"],
            want["cap_grade"],
        )


def test_one_buyer_is_a_batch_of_one() -> None:
    data = random_portfolio(7, n=12)
    full = grade(data["companies"], data["statements"], data["payments"], data["events"])
    for comp in data["companies"]:
        cid = comp["company_id"]
        alone = grade(
            [comp],
            [r for r in data["statements"] if r["company_id"] == cid],
            [r for r in data["payments"] if r["company_id"] == cid],
            [r for r in data["events"] if r["company_id"] == cid],
        ).row(0, named=True)
        together = full.filter(pl.col("company_id") == cid).row(0, named=True)
        assert (alone["grade"], alone["score"], alone["pd"]) == (
            together["grade"],
            together["score"],
            together["pd"],
        )
        assert alone["reasons"] == together["reasons"]


def test_reasons_text_worked_example() -> None:
    statements = [statement("a", 2023, sales=1000), statement("a", 2025, sales=1200)]
    row = grade([company("a")], statements).row(0, named=True)
    # Largest magnitude first: altman -1.2, leverage -0.6, liquidity -0.345, size -0.322.
    assert row["reasons"] == (
        "ALTMAN_SAFE:-1.2;LOW_LEVERAGE:-0.6;STRONG_LIQUIDITY:-0.345;LARGE_FIRM:-0.322"
    )
    assert parse_reasons(row["reasons"])[0] == ("ALTMAN_SAFE", "altman", -1.2)
