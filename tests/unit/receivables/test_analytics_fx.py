"""Conversion into a reporting currency: worked example, errors, rounding exactness."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from arshield.kit.errors import ValidationFailed
from arshield.receivables.analytics import convert_groups


def test_each_group_currency_subtotal_is_converted_once() -> None:
    frame = pl.DataFrame(
        {
            "buyer": ["a", "a", "a", "b"],
            "currency": ["JPY", "JPY", "KWD", "CNY"],
            "amount": [503, 502, 1234, 100],
        }
    )
    result = convert_groups(
        frame,
        amount_columns=["amount"],
        rates={"JPY": Decimal("0.05"), "KWD": Decimal("23.4567")},
        to_currency="CNY",
        key_columns=["buyer"],
    )
    # a: JPY 503 + 502 = 1005 yen x 0.05 = 50.25 CNY = 5025 fen (converting 503 and 502
    # apart would give 2515 + 2510 = 5025 too, but 25.15/25.10 show why one conversion per
    # subtotal matters in general); KWD 1.234 x 23.4567 = 28.9455678 CNY -> 2894.55678 fen
    # -> 2895. Total 7920. b: CNY passes unchanged.
    assert result.frame.rows() == [("a", "CNY", 7920), ("b", "CNY", 100)]
    assert result.rates == {"CNY": Decimal(1), "JPY": Decimal("0.05"), "KWD": Decimal("23.4567")}


def test_half_even_on_the_target_minor_unit() -> None:
    frame = pl.DataFrame({"currency": ["CNY", "CNY"], "k": [1, 2], "x": [25, 35]})
    # 0.25 CNY x 10 = 2.5 JPY -> 2; 0.35 x 10 = 3.5 -> 4.
    result = convert_groups(frame, amount_columns=["x"], rates={"CNY": Decimal(10)},
                            to_currency="JPY", key_columns=["k"])  # fmt: skip
    assert result.frame["x"].to_list() == [2, 4]


def test_missing_or_bad_rate_is_named() -> None:
    frame = pl.DataFrame({"currency": ["USD", "KWD"], "x": [1, 1]})
    with pytest.raises(ValidationFailed, match="KWD, USD"):
        convert_groups(frame, amount_columns=["x"], rates={}, to_currency="CNY", key_columns=[])
    with pytest.raises(ValidationFailed, match="positive"):
        convert_groups(frame, amount_columns=["x"], rates={"USD": Decimal(0), "KWD": Decimal(1)},
                       to_currency="CNY", key_columns=[])  # fmt: skip


@given(
    st.lists(st.integers(-(10**15), 10**15), min_size=1, max_size=20),
    st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("100000"), places=6),
    st.sampled_from(["JPY", "KWD", "USD"]),
    st.sampled_from(["JPY", "KWD", "EUR"]),
)
def test_conversion_matches_decimal_arithmetic(
    amounts: list[int], rate: Decimal, source: str, target: str
) -> None:
    exponents = {"JPY": 0, "KWD": 3, "USD": 2, "EUR": 2}
    frame = pl.DataFrame(
        {"k": list(range(len(amounts))), "currency": [source] * len(amounts), "x": amounts}
    )
    expected = [
        a if source == target else int(
            (Decimal(a).scaleb(-exponents[source]) * rate)
            .scaleb(exponents[target])
            .quantize(Decimal(1), rounding=ROUND_HALF_EVEN)
        )
        for a in amounts
    ]  # fmt: skip
    if any(abs(e) >= 2**63 for e in expected):
        with pytest.raises(ValidationFailed, match="exceed the range"):
            convert_groups(frame, amount_columns=["x"], rates={source: rate},
                           to_currency=target, key_columns=["k"])  # fmt: skip
        return
    result = convert_groups(frame, amount_columns=["x"], rates={source: rate},
                            to_currency=target, key_columns=["k"])  # fmt: skip
    assert result.frame["x"].to_list() == expected
