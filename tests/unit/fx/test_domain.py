"""Rates: strict parsing, canonical text, inversion and exact conversion of minor units."""

from __future__ import annotations

import datetime as dt
from decimal import Context, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from arshield.fx.domain import (
    FxQuote,
    RateError,
    check_rate,
    convert_minor,
    identity_quote,
    invert_rate,
    parse_rate,
    rate_text,
    stored_quote,
)
from arshield.kit.errors import ValidationFailed
from arshield.kit.money import MoneyError, currency_exponent

INT64 = 2**63 - 1


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("7.1023", "7.1023"),
        ("7.10", "7.1"),
        ("+150", "150"),
        ("0150.0", "150"),
        (".5", "0.5"),
        ("0.000000000001", "0.000000000001"),  # 12 decimals: the most allowed
        ("7.1000000000000000", "7.1"),  # trailing zeros beyond 12 decimals change nothing
        ("123456789012345.123456789012", "123456789012345.123456789012"),
        (" 7.1 ", "7.1"),
    ],
)
def test_rates_parse_to_canonical_text(text: str, canonical: str) -> None:
    assert rate_text(parse_rate(text)) == canonical


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("0", "must be greater than zero"),
        ("0.000", "must be greater than zero"),
        ("-7.1", "must be greater than zero"),
        ("1e3", "not a plain decimal rate"),
        ("7.1E-2", "not a plain decimal rate"),
        ("NaN", "not a plain decimal rate"),
        ("Infinity", "not a plain decimal rate"),
        ("７.１", "non-ASCII"),  # full-width digits
        ("7,1", "not a plain decimal rate"),
        ("", "not a plain decimal rate"),
        ("0.0000000000001", "has 13 decimals; at most 12 allowed"),
        ("1234567890123456", "has 16 digits before the point; at most 15 allowed"),
    ],
)
def test_bad_rates_are_refused_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(RateError, match=reason):
        parse_rate(text)


def test_rate_error_is_a_validation_failure() -> None:
    assert issubclass(RateError, ValidationFailed)
    assert RateError.status_code == 422


def test_check_rate_never_returns_exponent_form() -> None:
    # Decimal("1E+2") is 100; stored text must be plain digits.
    assert rate_text(Decimal("1E+2")) == "100"
    assert str(check_rate(Decimal("1E+2"))) == "100"


@pytest.mark.parametrize(
    ("rate", "inverse"),
    [
        ("8", "0.125"),  # exact
        ("7.1", "0.140845070423"),  # 1/7.1 = 0.14084507042253..., 12 significant digits
        ("7000", "0.000142857142857"),  # 1/7000 = 0.000142857142857142..., 12 significant
        ("0.001", "1000"),  # never 1E+3
        ("3", "0.333333333333"),
        ("1.5", "0.666666666667"),  # ...6666|66 rounds up
    ],
)
def test_inverse_rates_have_12_significant_digits(rate: str, inverse: str) -> None:
    assert format(invert_rate(Decimal(rate)), "f") == inverse


@pytest.mark.parametrize(
    ("minor", "source", "target", "rate", "expected"),
    [
        # 100.00 USD x 151.235 = 15123.5 JPY -> half-even 15124 (4 is even)
        (10000, "USD", "JPY", "151.235", 15124),
        # 100.00 USD x 151.225 = 15122.5 JPY -> half-even 15122
        (10000, "USD", "JPY", "151.225", 15122),
        # 125 JPY x 0.00203 = 0.25375 KWD = 253.75 fils -> 254
        (125, "JPY", "KWD", "0.00203", 254),
        # 1.000 KWD x 23.456 = 23.456 CNY -> 2345.6 fen -> 2346
        (1000, "KWD", "CNY", "23.456", 2346),
        # -12.34 EUR x 7.8 = -96.252 CNY -> -9625.2 fen -> -9625 (credit notes convert too)
        (-1234, "EUR", "CNY", "7.8", -9625),
        # 0.05 CNY x 0.5 = 0.025 USD -> 2.5 cents -> 2 (half-even)
        (5, "CNY", "USD", "0.5", 2),
    ],
)
def test_convert_minor_worked_examples(
    minor: int, source: str, target: str, rate: str, expected: int
) -> None:
    result = convert_minor(minor, from_currency=source, to_currency=target, rate=Decimal(rate))
    assert result == expected


def test_convert_minor_refuses_floats_and_bad_rates() -> None:
    with pytest.raises(MoneyError):
        convert_minor(1.5, from_currency="USD", to_currency="CNY", rate=Decimal(7))  # type: ignore[arg-type]
    with pytest.raises(RateError):
        convert_minor(100, from_currency="USD", to_currency="CNY", rate=Decimal(0))
    with pytest.raises(RateError):
        convert_minor(100, from_currency="USD", to_currency="CNY", rate=7.1)  # type: ignore[arg-type]
    with pytest.raises(MoneyError, match="unknown ISO 4217"):
        convert_minor(100, from_currency="USD", to_currency="ZZZ", rate=Decimal(7))


def test_convert_minor_refuses_results_beyond_64_bits() -> None:
    with pytest.raises(MoneyError, match="64-bit"):
        convert_minor(INT64, from_currency="JPY", to_currency="KWD", rate=Decimal(2))


def test_quotes_invert_stored_rates_and_convert() -> None:
    day = dt.date(2024, 3, 1)
    direct = stored_quote(
        base="USD", quote="CNY", rate_text_value="7.1", date=day, source="PBOC", inverted=False
    )
    assert direct == FxQuote("USD", "CNY", Decimal("7.1"), day, "PBOC", False)
    inverse = stored_quote(
        base="USD", quote="CNY", rate_text_value="8", date=day, source="PBOC", inverted=True
    )
    assert inverse == FxQuote("CNY", "USD", Decimal("0.125"), day, "PBOC", True)
    # 80.00 CNY x 0.125 = 10.00 USD
    assert inverse.convert_minor(8000) == 1000
    assert identity_quote("jpy", day) == FxQuote("JPY", "JPY", Decimal(1), day, "identity", False)


# --- properties -------------------------------------------------------------------------------

CURRENCIES = ["JPY", "KRW", "CNY", "USD", "EUR", "KWD", "BHD", "TND"]
rates = st.decimals(
    min_value=Decimal("0.000000000001"),
    max_value=Decimal("999999999999999"),
    places=12,
    allow_nan=False,
    allow_infinity=False,
)
amounts = st.integers(min_value=-(10**15), max_value=10**15)


def _oracle(minor: int, source: str, target: str, rate: Decimal) -> int:
    """Exact rational product, rounded half-even by Python's round() on a Fraction."""
    shift = currency_exponent(target) - currency_exponent(source)
    exact = Fraction(minor) * Fraction(rate) * Fraction(10) ** shift
    return round(exact)


@given(amounts, st.sampled_from(CURRENCIES), st.sampled_from(CURRENCIES), rates)
def test_convert_minor_matches_a_fraction_oracle(
    minor: int, source: str, target: str, rate: Decimal
) -> None:
    assume(rate > 0)
    expected = _oracle(minor, source, target, rate)
    assume(abs(expected) <= INT64)
    assert convert_minor(minor, from_currency=source, to_currency=target, rate=rate) == expected


@given(
    amounts,
    st.sampled_from([("CNY", "USD"), ("EUR", "CNY"), ("JPY", "KRW"), ("KWD", "BHD")]),
)
def test_rate_one_between_same_exponent_currencies_is_identity(
    minor: int, pair: tuple[str, str]
) -> None:
    source, target = pair
    assert convert_minor(minor, from_currency=source, to_currency=target, rate=Decimal(1)) == minor


@given(amounts, amounts, st.sampled_from(CURRENCIES), st.sampled_from(CURRENCIES), rates)
def test_conversion_is_monotonic_in_the_amount(
    a: int, b: int, source: str, target: str, rate: Decimal
) -> None:
    assume(rate > 0)
    low, high = sorted((a, b))
    assume(abs(_oracle(low, source, target, rate)) <= INT64)
    assume(abs(_oracle(high, source, target, rate)) <= INT64)
    assert convert_minor(low, from_currency=source, to_currency=target, rate=rate) <= convert_minor(
        high, from_currency=source, to_currency=target, rate=rate
    )


@given(amounts, st.sampled_from(CURRENCIES), st.sampled_from(CURRENCIES), rates)
def test_negating_the_amount_negates_the_result(
    minor: int, source: str, target: str, rate: Decimal
) -> None:
    assume(rate > 0)
    assume(abs(_oracle(minor, source, target, rate)) <= INT64)
    forward = convert_minor(minor, from_currency=source, to_currency=target, rate=rate)
    assert convert_minor(-minor, from_currency=source, to_currency=target, rate=rate) == -forward


@given(rates)
def test_inverse_is_within_half_a_unit_of_the_12th_significant_digit(rate: Decimal) -> None:
    assume(rate > 0)
    inverse = invert_rate(rate)
    exact = 1 / Fraction(rate)
    # The 12th significant digit of 1/r sits at 10**(adjusted - 11).
    with localcontext(Context(prec=60)):
        adjusted = (Decimal(exact.numerator) / Decimal(exact.denominator)).adjusted()
    unit = Fraction(10) ** (adjusted - 11)
    assert abs(Fraction(inverse) - exact) <= unit / 2
    assert len(inverse.normalize().as_tuple().digits) <= 12


@given(rates)
def test_canonical_text_reads_back_to_the_same_rate(rate: Decimal) -> None:
    assume(rate > 0)
    text = rate_text(rate)
    assert parse_rate(text) == rate
    assert rate_text(parse_rate(text)) == text
    assert "E" not in text and "e" not in text
