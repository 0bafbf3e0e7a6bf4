"""Concentration: shares, top-N, HHI, grades and countries, with and without conversion."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from arshield.receivables.analytics import concentration, hhi
from tests.unit.receivables import D, buyers, entries, invoices

AS_OF = D(2025, 6, 30)
BUYERS = buyers(
    ("a", "A", "Alpha", "CN", 3),
    ("b", "B", "Beta", "CN", 3),
    ("c", "C", "Gamma", "SG", None),
    ("d", "D", "Delta", "KW", 5),
)
INVOICES_ = invoices(
    ("1", "a", D(2025, 5, 1), D(2025, 6, 1), "CNY", 8000),
    ("2", "b", D(2025, 5, 1), D(2025, 6, 1), "CNY", 3000),
    ("3", "c", D(2025, 5, 1), D(2025, 6, 1), "CNY", 1000),
    ("4", "d", D(2025, 5, 1), D(2025, 6, 1), "KWD", 7),
)
ENTRIES_ = entries(("1", D(2025, 6, 2), 2000))  # a: 8000 - 2000 = 6000


def test_per_currency_worked_example() -> None:
    report = concentration(INVOICES_, ENTRIES_, BUYERS, as_of=AS_OF, top_n=2)
    cny = report.buyers.filter(pl.col("currency") == "CNY")
    # Exposures 6000, 3000, 1000 of 10000: shares 0.6, 0.3, 0.1.
    assert cny.select("rank", "company_ref", "exposure", "share").rows() == [
        (1, "A", 6000, Decimal("0.6000")),
        (2, "B", 3000, Decimal("0.3000")),
        (3, "C", 1000, Decimal("0.1000")),
    ]
    summary = {r["currency"]: r for r in report.summary.to_dicts()}
    # Top 2: 9000 / 10000; HHI = (0.36 + 0.09 + 0.01) x 10000 = 4600.
    assert summary["CNY"]["top_n_exposure"] == 9000
    assert summary["CNY"]["top_n_share"] == Decimal("0.9000")
    assert summary["CNY"]["hhi"] == Decimal("4600.00")
    assert summary["KWD"]["hhi"] == Decimal("10000.00")  # one buyer
    assert report.by_grade.filter(pl.col("currency") == "CNY").select(
        "grade", "exposure", "share"
    ).rows() == [
        (3, 9000, Decimal("0.9000")),
        (None, 1000, Decimal("0.1000")),
    ]
    assert report.by_country.select("currency", "country", "buyers", "share").rows() == [
        ("CNY", "CN", 2, Decimal("0.9000")),
        ("CNY", "SG", 1, Decimal("0.1000")),
        ("KWD", "KW", 1, Decimal("1.0000")),
    ]
    assert report.rates is None


def test_converted_into_one_currency() -> None:
    report = concentration(
        INVOICES_,
        ENTRIES_,
        BUYERS,
        as_of=AS_OF,
        rates={"KWD": Decimal("23.4567")},
        to_currency="CNY",
    )
    # D: 0.007 KWD x 23.4567 = 0.1641969 CNY = 16.41969 fen -> 16. Total 10016.
    assert report.buyers.select("company_ref", "exposure").rows() == [
        ("A", 6000), ("B", 3000), ("C", 1000), ("D", 16)
    ]  # fmt: skip
    # A: 6000 / 10016 = 0.59904... -> 0.5990.
    assert report.buyers["share"][0] == Decimal("0.5990")
    # HHI = (6000² + 3000² + 1000² + 16²) / 10016² x 10000 = 46000256e4 / 100320256
    #     = 4585.3413... -> 4585.34.
    assert report.summary["hhi"].to_list() == [Decimal("4585.34")]
    assert report.rates == {"CNY": Decimal(1), "KWD": Decimal("23.4567")}


@given(st.lists(st.integers(1, 10**15), min_size=1, max_size=30))
def test_hhi_bounds(exposures: list[int]) -> None:
    value = hhi(exposures)
    assert value is not None and Decimal(0) <= value <= Decimal(10000)
    exact = Fraction(sum(e * e for e in exposures) * 10000, sum(exposures) ** 2)
    assert abs(Fraction(value) - exact) <= Fraction(1, 200)
    assert hhi(exposures[:1]) == Decimal("10000.00")
