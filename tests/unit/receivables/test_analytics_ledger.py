"""Outstanding amounts, exact rendering of minor units, exact half-even rounding."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from arshield.kit.money import from_minor
from arshield.receivables.analytics import outstanding, render_minor
from arshield.receivables.analytics_ledger import round_half_even
from tests.unit.receivables import D, entries, invoices


def test_outstanding_with_partial_payment_and_reversal() -> None:
    inv = invoices(
        ("A", "x", D(2025, 1, 1), D(2025, 2, 1), "CNY", 10000),
        ("B", "x", D(2025, 1, 5), D(2025, 2, 5), "JPY", 700),
        ("C", "x", D(2025, 3, 1), D(2025, 4, 1), "CNY", 500),  # issued after as_of
    )
    ent = entries(
        ("A", D(2025, 1, 10), 4000),
        ("A", D(2025, 1, 11), -4000),  # reversal
        ("A", D(2025, 1, 12), 2500),  # 10000 - 2500 = 7500
        ("B", D(2025, 1, 20), 700),  # settled
        ("B", D(2025, 3, 1), -700),  # reversal after as_of: ignored
    )
    frame = outstanding(inv, ent, as_of=D(2025, 2, 28))
    assert frame.select("invoice_ref", "outstanding").rows() == [("A", 7500), ("B", 0)]


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (123456, "CNY", "1234.56"),
        (-5, "KWD", "-0.005"),
        (7, "JPY", "7"),
        (0, "KWD", "0.000"),
        (-123456, "CNY", "-1234.56"),
        (5, "CNY", "0.05"),
        (-(2**63), "JPY", str(-(2**63))),
    ],
)
def test_render_minor_examples(minor: int, currency: str, text: str) -> None:
    frame = pl.DataFrame(
        {"currency": [currency], "x": [minor]}, schema={"currency": pl.Utf8, "x": pl.Int64}
    )
    assert render_minor(frame, ["x"])["x"].to_list() == [text]


@given(
    st.lists(
        st.tuples(st.integers(-(2**62), 2**62), st.sampled_from(["CNY", "JPY", "KWD", "BHD"])),
        max_size=20,
    )
)
def test_render_minor_matches_decimal(rows: list[tuple[int, str]]) -> None:
    frame = pl.DataFrame(rows, schema={"x": pl.Int64, "currency": pl.Utf8}, orient="row")
    got = render_minor(frame, ["x"])["x"].to_list()
    assert got == [str(from_minor(minor, currency)) for minor, currency in rows]


def test_round_half_even() -> None:
    assert round_half_even(Fraction(3875, 100), 1) == Decimal("38.8")
    assert round_half_even(Fraction(1125, 100), 1) == Decimal("11.2")
    assert round_half_even(Fraction(-1125, 100), 1) == Decimal("-11.2")
    assert round_half_even(Fraction(13, 2), 0) == Decimal("6")
