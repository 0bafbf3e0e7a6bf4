"""Money: exact minor units, strict parsing, ISO 4217 exponents."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arshield.kit.money import (
    Money,
    MoneyError,
    currency_exponent,
    from_minor,
    parse_decimal,
    parse_minor,
    to_minor,
)


@pytest.mark.parametrize(
    ("code", "exponent"), [("JPY", 0), ("CNY", 2), ("EUR", 2), ("KWD", 3), ("krw", 0)]
)
def test_iso_4217_exponents(code: str, exponent: int) -> None:
    assert currency_exponent(code) == exponent


@pytest.mark.parametrize("code", ["XXX", "XAU", "ABC", "", "EURO"])
def test_unknown_or_non_trade_currencies_are_refused(code: str) -> None:
    with pytest.raises(MoneyError):
        currency_exponent(code)


@pytest.mark.parametrize(
    ("text", "currency", "minor"),
    [
        ("1234.56", "CNY", 123456),
        ("-0.5", "EUR", -50),
        ("1500", "JPY", 1500),
        ("1.234", "KWD", 1234),
        (".5", "USD", 50),
    ],
)
def test_parse_minor_worked_examples(text: str, currency: str, minor: int) -> None:
    assert parse_minor(text, currency) == minor


@pytest.mark.parametrize(
    "text",
    [
        "NaN",
        "nan",
        "Infinity",
        "-inf",
        "1e3",
        "1E-2",
        "１２３",
        "12,5",
        "1 000",
        "",
        "=1+1",
        "0x10",
        "1.2.3",
    ],
)
def test_parse_rejects_anything_but_plain_decimals(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_decimal(text)


@pytest.mark.parametrize(
    ("text", "currency"), [("1.5", "JPY"), ("1.234", "CNY"), ("0.0001", "KWD")]
)
def test_more_decimals_than_the_currency_allows_are_rejected_not_rounded(
    text: str, currency: str
) -> None:
    with pytest.raises(MoneyError, match="allows at most"):
        parse_minor(text, currency)


def test_trailing_zeros_within_the_exponent_are_fine() -> None:
    assert parse_minor("100.00", "JPY") == 100
    assert parse_minor("1.230", "CNY") == 123


currencies = st.sampled_from(["JPY", "CNY", "EUR", "KWD", "USD", "CLF"])


@given(st.integers(min_value=-(10**15), max_value=10**15), currencies)
def test_minor_units_round_trip_exactly(minor: int, currency: str) -> None:
    amount = from_minor(minor, currency)
    assert to_minor(amount, currency) == minor
    assert parse_minor(str(amount), currency) == minor
    assert Money.of_minor(minor, currency).minor == minor


@given(
    st.lists(st.integers(min_value=-(10**12), max_value=10**12), min_size=1, max_size=20),
    currencies,
)
def test_sums_are_exact(minors: list[int], currency: str) -> None:
    total = Money.of_minor(0, currency)
    for minor in minors:
        total = total + Money.of_minor(minor, currency)
    assert total.minor == sum(minors)


def test_money_refuses_floats_and_mixed_currencies() -> None:
    with pytest.raises(MoneyError):
        Money(1.5, "EUR")  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="cannot combine"):
        _ = Money(Decimal(1), "EUR") + Money(Decimal(1), "USD")


def test_multiply_rounds_explicitly() -> None:
    price = Money(Decimal("10.05"), "EUR")
    assert price.multiply(Decimal("0.5")).amount == Decimal("5.02")  # half-even
    assert price.multiply(Decimal("0.5"), rounding=ROUND_HALF_UP).amount == Decimal("5.03")
    assert Money(Decimal(1001), "JPY").multiply(Decimal("0.9")).amount == Decimal(901)


def test_large_amounts_stay_exact_or_are_refused() -> None:
    # 31 significant digits: beyond the default decimal context, still exact here.
    assert (
        parse_minor("1234567890123456789012345678901", "USD") == 123456789012345678901234567890100
    )
    with pytest.raises(MoneyError, match="out of range"):
        from_minor(10**70, "USD")
