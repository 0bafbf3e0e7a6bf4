"""Rate rows read from text columns: typed values, canonical rates and row errors as data."""

from __future__ import annotations

import datetime as dt

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from arshield.fx.domain import parse_rate, rate_text
from arshield.fx.parsing import canonical_rates, parse_rates
from arshield.kit import tabular_columns as cols
from arshield.kit.errors import ValidationFailed
from arshield.kit.tabular import ROW, RowError


def _frame(rows: list[dict[str, str | None]], *, first_row: int = 2) -> pl.DataFrame:
    columns = ["date", "base", "quote", "rate", "source"]
    data: dict[str, pl.Series] = {
        ROW: pl.Series(ROW, range(first_row, first_row + len(rows)), dtype=pl.Int64)
    }
    for name in columns:
        data[name] = pl.Series(name, [r.get(name) for r in rows], dtype=pl.Utf8)
    return pl.DataFrame(data)


def _row(**over: str | None) -> dict[str, str | None]:
    row: dict[str, str | None] = {
        "date": "2024-03-01", "base": "USD", "quote": "CNY", "rate": "7.1023", "source": "PBOC",
    }  # fmt: skip
    row.update(over)
    return row


def test_good_rows_are_typed_and_rates_made_canonical() -> None:
    checks = cols.Checks(
        _frame(
            [
                _row(),
                _row(date="20240302", base="eur", quote="jpy", rate="162.50", source=None),
                _row(date="2024/3/3", base="KWD", quote="USD", rate="+3.2500"),
            ]
        )
    )
    typed = parse_rates(checks)
    assert checks.row_errors() == []
    assert typed.select("date", "base", "quote", "rate", "source").rows() == [
        (dt.date(2024, 3, 1), "USD", "CNY", "7.1023", "PBOC"),
        (dt.date(2024, 3, 2), "EUR", "JPY", "162.5", "manual"),
        (dt.date(2024, 3, 3), "KWD", "USD", "3.25", "PBOC"),
    ]


def test_every_bad_row_is_reported_with_row_column_and_reason() -> None:
    checks = cols.Checks(
        _frame(
            [
                _row(date="2024-03-02", base="ABC"),  # row 2
                _row(date="2024-03-03", quote="USD", base="usd"),  # row 3
                _row(date="2024-03-04", rate="-7.1"),  # row 4
                _row(date="2024-03-05", rate="0"),  # row 5
                _row(date="2024-03-06", rate="7.1e0"),  # row 6
                _row(date="2024-03-07", rate="７.１"),  # row 7: full-width digits
                _row(date="2024-02-30"),  # row 8
                _row(date="01/03/2024"),  # row 9: ambiguous order
                _row(rate=None, date=None),  # row 10
                _row(date="2024-03-11", rate="1.0000000000001"),  # row 11: 13 decimals
                _row(date="2024-03-12", source="x" * 65),  # row 12
            ]
        )
    )
    parse_rates(checks)
    errors = checks.row_errors()
    assert [(e.row, e.column) for e in errors] == [
        (2, "base"),
        (3, "quote"),
        (4, "rate"),
        (5, "rate"),
        (6, "rate"),
        (7, "rate"),
        (8, "date"),
        (9, "date"),
        (10, "date"),
        (10, "rate"),
        (11, "rate"),
        (12, "source"),
    ]
    reasons = {(e.row, e.column): e.reason for e in errors}
    assert reasons[(2, "base")] == "unknown ISO 4217 currency 'ABC'"
    assert reasons[(3, "quote")] == "quote equals base USD; a pair needs two currencies"
    assert reasons[(4, "rate")] == "rate -7.1 must be greater than zero"
    assert reasons[(5, "rate")] == "rate 0 must be greater than zero"
    assert "not a plain decimal rate" in reasons[(6, "rate")]
    assert "non-ASCII" in reasons[(7, "rate")]
    assert "not a valid date" in reasons[(8, "date")]
    assert reasons[(10, "rate")] == cols.MISSING
    assert reasons[(11, "rate")] == "rate 1.0000000000001 has 13 decimals; at most 12 allowed"
    assert reasons[(12, "source")] == "longer than 64 characters"


def test_duplicate_keys_are_rejected_naming_both_rows() -> None:
    checks = cols.Checks(
        _frame([_row(), _row(date="2024-03-02"), _row(base="usd", rate="7.2")], first_row=2)
    )
    parse_rates(checks)
    reason = "duplicate date / base / quote '2024-03-01 / USD / CNY' in this file (rows 2, 4)"
    assert checks.row_errors() == [RowError(2, "date", reason), RowError(4, "date", reason)]


def test_a_pair_and_its_inverse_on_the_same_day_are_both_accepted() -> None:
    checks = cols.Checks(_frame([_row(), _row(base="CNY", quote="USD", rate="0.1408")]))
    assert parse_rates(checks).height == 2
    assert checks.row_errors() == []


def _scalar(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return rate_text(parse_rate(text))
    except ValidationFailed:
        return None


rate_like = st.one_of(
    st.from_regex(r"\A[+-]?[0-9]{0,17}(\.[0-9]{0,15})?\Z"),
    st.text(alphabet="0123456789.+-eE ７", max_size=12),
)


@given(st.lists(rate_like, max_size=30))
def test_vectorised_rates_agree_with_the_scalar_parser(texts: list[str]) -> None:
    # cols.raw strips blanks before the fast path, so compare on stripped text.
    values = [t.strip(" ") or None for t in texts]
    fast = canonical_rates(pl.Series("rate", values, dtype=pl.Utf8)).to_list()
    for text, got in zip(values, fast, strict=True):
        expected = _scalar(text)
        # The fast path may leave a value to the scalar parser but never disagrees with it.
        assert got is None or got == expected, text
        if expected is not None and text is not None and text.isascii() and "e" not in text.lower():
            assert got == expected, text
