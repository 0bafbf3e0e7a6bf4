"""Platform features as documented, the alias check at activation, and grading with a model."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import polars as pl
import pytest

from arshield.risk.inputs import COMPANY_SCHEMA, EVENT_SCHEMA, PAYMENT_SCHEMA
from arshield.risk.reasons import CODE_FACTOR, parse_reasons
from arshield.workbench.calibration import Platt
from arshield.workbench.domain import ActivationRefused, Algorithm
from arshield.workbench.features import (
    CATALOGUE,
    EXTENDED_STATEMENT_SCHEMA,
    PLATFORM_FEATURES,
    check_computable,
    feature_matrix,
    platform_frame,
    resolve,
)
from arshield.workbench.grading import grade_platform_frame
from arshield.workbench.scorecard import fit_scorecard
from arshield.workbench.training import TrainedModel

AS_OF = dt.date(2026, 6, 30)


def _statement(cid: str, year: int, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "company_id": cid,
        "fiscal_year_end": dt.date(year, 12, 31),
        "currency": "CNY",
        "total_assets": 1000.0,
        "current_assets": 600.0,
        "current_liabilities": 300.0,
        "total_liabilities": 400.0,
        "equity": 600.0,
        "retained_earnings": 300.0,
        "ebit": 100.0,
        "net_income": 70.0,
        "sales": 1200.0,
        "cash": 100.0,
        "receivables": 200.0,
        "inventory": 150.0,
        "depreciation": 30.0,
        "interest_expense": 20.0,
        "operating_cash_flow": 80.0,
        "cost_of_sales": 900.0,
    }
    row.update(overrides)
    return row


def _company(cid: str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "company_id": cid,
        "company_ref": cid.upper(),
        "country": "DE",
        "sector": "C25.11",
        "founded": dt.date(2000, 6, 30),
        "employees": 120,
        "status": "active",
    }
    row.update(overrides)
    return row


def _frames(
    companies: list[dict[str, Any]],
    statements: list[dict[str, Any]],
    events: list[dict[str, Any]] | None = None,
) -> pl.DataFrame:
    payments = pl.DataFrame(
        [
            {
                "company_id": c["company_id"],
                "payment_months": 12,
                "amount_paid": 900,
                "amount_overdue": 100,
                "days_sum": 60,
            }
            for c in companies
        ],
        schema=PAYMENT_SCHEMA,
        orient="row",
    )
    return platform_frame(
        companies=pl.DataFrame(companies, schema=COMPANY_SCHEMA, orient="row"),
        statements=pl.DataFrame(statements, schema=EXTENDED_STATEMENT_SCHEMA, orient="row"),
        payments=payments,
        events=pl.DataFrame(events or [], schema=EVENT_SCHEMA, orient="row"),
        country_short_term={"DE": 1, "CN": 2},
        sector_risk={"C": "medium"},
        as_of=AS_OF,
    )


def test_features_follow_their_documented_definitions() -> None:
    frame = _frames(
        [_company("a")],
        [_statement("a", 2024, sales=1000.0), _statement("a", 2025)],
    )
    row = frame.row(0, named=True)
    assert row["ni_ta"] == pytest.approx(70 / 1000)
    assert row["tl_ta"] == pytest.approx(0.4)
    assert row["wc_ta"] == pytest.approx(0.3)
    assert row["current_ratio"] == pytest.approx(2.0)
    assert row["equity_tl"] == pytest.approx(1.5)
    assert row["sales_ta"] == pytest.approx(1.2)
    assert row["inventory_days"] == pytest.approx(150 * 365 / 1200)
    assert row["sales_growth_1y"] == pytest.approx(1.2)
    assert row["ni_dep_tl"] == pytest.approx(100 / 400)
    assert row["cash_cl"] == pytest.approx((600 - 150 - 200) / 300)
    assert row["quick_ratio"] == pytest.approx(450 / 300)
    assert row["cl_days_cogs"] == pytest.approx(300 * 365 / 900)
    assert row["gross_margin"] == pytest.approx(300 / 1200)
    assert row["ltl_equity"] == pytest.approx(100 / 600)
    assert row["interest_cover"] == pytest.approx(5.0)
    assert row["overdue_share"] == pytest.approx(0.1)
    assert row["days_beyond_terms"] == pytest.approx(5.0)
    assert row["payment_months"] == 12
    assert row["age_years"] == pytest.approx(26.0, abs=0.01)
    assert row["country_short_term"] == 1.0
    assert row["sector_risk_level"] == 1.0
    assert set(PLATFORM_FEATURES) <= set(frame.columns)


def test_zero_or_unknown_denominators_are_missing() -> None:
    frame = _frames(
        [_company("a")],
        [_statement("a", 2025, inventory=0.0, cost_of_sales=None, interest_expense=None)],
    )
    row = frame.row(0, named=True)
    assert row["sales_inventory"] is None and row["ni_inventory"] is None
    assert row["cl_days_cogs"] is None and row["interest_cover"] is None
    # One year of statements: no year-on-year growth.
    assert row["sales_growth_1y"] is None


def test_only_statements_known_on_as_of_count() -> None:
    frame = _frames(
        [_company("a")], [_statement("a", 2025), _statement("a", 2026, net_income=-500.0)]
    )
    assert frame.row(0, named=True)["ni_ta"] == pytest.approx(0.07)


def test_aliases_name_the_same_definitions() -> None:
    assert resolve("Attr1") == resolve("ni_ta")
    assert resolve("Attr9") == resolve("Attr36") == resolve("sales_ta")
    assert resolve("Attr5") is None
    assert len({f.name for f in CATALOGUE}) == len(CATALOGUE)


def test_activation_check_names_the_features_the_platform_lacks() -> None:
    assert [f.name for f in check_computable(("Attr3", "overdue_share"), model="m@1")] == [
        "wc_ta",
        "overdue_share",
    ]
    with pytest.raises(ActivationRefused, match=r"2 of its 3 features .*Attr5, Attr11"):
        check_computable(("Attr3", "Attr5", "Attr11"), model="m@1")


def _model(frame: pl.DataFrame, names: tuple[str, ...]) -> TrainedModel:
    features = tuple(f for n in names if (f := resolve(n)) is not None)
    matrix = feature_matrix(frame, features).to_numpy()
    labels = np.array([i % 2 for i in range(frame.height)], dtype=np.int8)
    card = fit_scorecard(np.tile(matrix, (20, 1)), np.tile(labels, 20), names)
    return TrainedModel(
        algorithm=Algorithm.SCORECARD, scorer=card, platt=Platt(), feature_names=names
    )


def test_grading_with_a_model_keeps_the_platform_rules() -> None:
    companies = [_company(c) for c in ("a", "b", "c", "d")]
    companies[2]["status"] = "insolvent"
    statements = [
        _statement("a", 2025, total_liabilities=950.0, equity=50.0, net_income=-100.0),
        _statement("b", 2025),
        _statement("c", 2025),
    ]  # d has no statement
    events = [
        {"company_id": "b", "date": dt.date(2026, 5, 1), "type": "default", "severity": "high"}
    ]
    frame = _frames(companies, statements, events)
    names = ("tl_ta", "ni_ta", "overdue_share")
    model = _model(frame, names)
    features = tuple(f for n in names if (f := resolve(n)) is not None)
    graded = grade_platform_frame(frame, model=model, features=features, as_of=AS_OF)
    rows = {r["company_ref"]: r for r in graded.iter_rows(named=True)}
    assert rows["B"]["grade"] == 10 and rows["B"]["reasons"].startswith("DEFAULT:")
    assert rows["C"]["grade"] == 10 and rows["C"]["reasons"].startswith("STATUS_INSOLVENT:")
    assert rows["D"]["confidence"] == "low" and rows["D"]["grade"] >= 6
    assert rows["D"]["reasons"].startswith("NO_USABLE_STATEMENTS:")
    assert rows["A"]["confidence"] == "medium"  # one year of statements
    for row in rows.values():
        assert 1 <= row["score"] <= 100
        for code, factor, _value in parse_reasons(row["reasons"]):
            assert code in CODE_FACTOR and factor != "other"
