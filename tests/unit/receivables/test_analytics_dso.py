"""DSO family and monthly trend: a hand-checked CNY ledger and a JPY one without sales."""

from __future__ import annotations

from decimal import Decimal

import polars as pl
import pytest

from arshield.kit.errors import ValidationFailed
from arshield.receivables.analytics import dso, dso_trend
from arshield.receivables.frames import ENTRIES, INVOICES
from tests.unit.receivables import D, entries, invoices

INVOICES_ = invoices(
    ("A", "x", D(2025, 4, 10), D(2025, 5, 10), "CNY", 30000),
    ("E", "x", D(2025, 5, 1), D(2025, 5, 31), "CNY", 100000),
    ("B", "x", D(2025, 5, 15), D(2025, 6, 14), "CNY", 60000),
    ("C", "x", D(2025, 6, 5), D(2025, 7, 5), "CNY", 90000),
    ("D", "x", D(2025, 6, 20), D(2025, 7, 20), "CNY", 30000),
    ("J", "y", D(2025, 3, 1), D(2025, 3, 31), "JPY", 5000),
)
ENTRIES_ = entries(
    ("A", D(2025, 5, 20), 30000),
    ("E", D(2025, 6, 15), 100000),
    ("B", D(2025, 6, 10), 20000),
    ("B", D(2025, 6, 12), -5000),  # reversal
    ("C", D(2025, 6, 25), 10000),
)


def test_dso_family_worked_example() -> None:
    rows = {
        r["currency"]: r
        for r in dso(INVOICES_, ENTRIES_, start=D(2025, 6, 1), end=D(2025, 6, 30)).to_dicts()
    }
    cny = rows["CNY"]
    # Opening AR(31 May): A settled on 20 May; B 60000 + E 100000 = 160000.
    # Sales in June: C 90000 + D 30000 = 120000.
    # Closing AR(30 Jun): B 60000 - 20000 + 5000 = 45000; C 80000; D 30000 -> 155000.
    # Current (due >= 30 Jun): C 80000 + D 30000 = 110000.
    assert (cny["days"], cny["opening_ar"], cny["credit_sales"]) == (30, 160000, 120000)
    assert (cny["closing_ar"], cny["closing_current_ar"]) == (155000, 110000)
    # DSO = 155000 / 120000 x 30 = 38.75 -> 38.8 (half-even).
    assert cny["dso"] == Decimal("38.8")
    # Best possible = 110000 / 120000 x 30 = 27.5; ADD = 38.75 - 27.5 = 11.25 -> 11.2.
    assert cny["best_possible_dso"] == Decimal("27.5")
    assert cny["add"] == Decimal("11.2")
    # CEI = (160000 + 120000 - 155000) / (160000 + 120000 - 110000) x 100 = 73.529... -> 73.5.
    assert cny["cei"] == Decimal("73.5")
    # Countback: June's sales 120000 < 155000 -> 30 days, 35000 left; May's sales 160000
    # cover it: 35000 / 160000 x 31 = 6.78125 -> 36.78125 -> 36.8.
    assert cny["countback_dso"] == Decimal("36.8")


def test_no_sales_gives_none_not_a_division_by_zero() -> None:
    jpy = dso(INVOICES_, ENTRIES_, start=D(2025, 6, 1), end=D(2025, 6, 30)).row(1, named=True)
    assert jpy["currency"] == "JPY" and jpy["credit_sales"] == 0
    assert jpy["dso"] is None and jpy["best_possible_dso"] is None and jpy["add"] is None
    # CEI = (5000 + 0 - 5000) / (5000 + 0 - 0) x 100 = 0.
    assert jpy["cei"] == Decimal("0.0")
    # Countback: June 30, May 31, April 30 days without sales, then March's 5000 covers the
    # 5000 left: 5000/5000 x 31 -> 122 days.
    assert jpy["countback_dso"] == Decimal("122.0")


def test_monthly_trend() -> None:
    trend = dso_trend(INVOICES_, ENTRIES_, end=D(2025, 6, 30), months=3)
    cny = trend.filter(pl.col("currency") == "CNY")
    assert cny.select("month", "credit_sales", "ar").rows() == [
        (D(2025, 4, 1), 30000, 30000),  # A unpaid until 20 May
        (D(2025, 5, 1), 160000, 160000),  # E + B issued; A paid
        (D(2025, 6, 1), 120000, 155000),
    ]
    # 30000/30000 x 30 = 30; 160000/160000 x 31 = 31; 155000/120000 x 30 = 38.75 -> 38.8.
    assert cny["dso"].to_list() == [Decimal("30.0"), Decimal("31.0"), Decimal("38.8")]
    assert trend.filter(pl.col("currency") == "JPY")["dso"].to_list() == [None, None, None]
    assert dso_trend(INVOICES_, ENTRIES_, end=D(2025, 6, 30)).filter(pl.col("currency") == "CNY")[
        "month"
    ].to_list()[0] == D(2024, 7, 1)


def test_empty_ledger_and_bad_period() -> None:
    empty = dso(
        pl.DataFrame(schema=INVOICES),
        pl.DataFrame(schema=ENTRIES),
        start=D(2025, 1, 1),
        end=D(2025, 1, 31),
    )
    assert empty.height == 0 and "countback_dso" in empty.columns
    with pytest.raises(ValidationFailed, match="after its end"):
        dso(INVOICES_, ENTRIES_, start=D(2025, 7, 1), end=D(2025, 6, 30))
