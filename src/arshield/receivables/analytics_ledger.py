"""Shared steps of the receivables reports: input checks, outstanding amounts, open disputes,
exact rounding and rendering of minor units.

Every function is pure: Polars frames in (the shapes of :mod:`arshield.receivables.frames`),
frames or values out, an explicit ``as_of``. Money stays integer minor units of each row's own
currency; nothing here ever adds amounts of two currencies together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from fractions import Fraction
from typing import Final

import polars as pl

from arshield.kit.errors import ValidationFailed
from arshield.kit.money import currency_exponent
from arshield.kit.time import check_as_of
from arshield.receivables.frames import DISPUTES, ENTRIES, INVOICES

OUTSTANDING: Final = "outstanding"
DISPUTED: Final = "disputed"
_SHOWN: Final = 5  # offending keys named in an error message


def checked(frame: pl.DataFrame, schema: pl.Schema, name: str) -> pl.LazyFrame:
    """The columns of ``schema`` from ``frame``, lazily; raise if one is missing or mistyped."""
    if not isinstance(frame, pl.DataFrame):
        raise ValidationFailed(f"{name}: expected a Polars DataFrame, got {type(frame).__name__}")
    problems = []
    for column, dtype in schema.items():
        if column not in frame.columns:
            problems.append(f"column {column!r} is missing")
        elif frame.schema[column] != dtype:
            problems.append(f"column {column!r} is {frame.schema[column]}, expected {dtype}")
    if problems:
        raise ValidationFailed(f"{name}: " + "; ".join(problems))
    return frame.lazy().select(schema.names())


def require_no_nulls(frame: pl.DataFrame, columns: Iterable[str], name: str) -> None:
    """Raise if any of ``columns`` holds a null (counted from metadata, no scan)."""
    nulls = [c for c in columns if frame[c].null_count()]
    if nulls:
        raise ValidationFailed(f"{name}: null values in required column(s) {', '.join(nulls)}")


def named(values: Sequence[object]) -> str:
    """A short list of offending keys for an error message."""
    shown = ", ".join(str(v) for v in values[:_SHOWN])
    more = len(values) - _SHOWN
    return shown + (f" and {more} more" if more > 0 else "")


def check_currencies(currencies: Iterable[str]) -> dict[str, int]:
    """ISO 4217 exponent of each distinct currency; raise naming an unknown one."""
    return {code: currency_exponent(code) for code in sorted(set(currencies))}


def _invoice_inputs(invoices: pl.DataFrame, entries: pl.DataFrame) -> None:
    checked(invoices, INVOICES, "invoices")
    checked(entries, ENTRIES, "entries")
    require_no_nulls(invoices, INVOICES.names(), "invoices")
    require_no_nulls(entries, ENTRIES.names(), "entries")


def reductions(entries: pl.DataFrame, *, as_of: dt.date) -> pl.LazyFrame:
    """Per invoice, the sum of ledger entries dated on or before ``as_of`` (``reduced``)."""
    return (
        checked(entries, ENTRIES, "entries")
        .filter(pl.col("date") <= as_of)
        .group_by("invoice_id")
        .agg(pl.col("amount").sum().alias("reduced"))
    )


def disputed_on(disputes: pl.DataFrame, *, as_of: dt.date) -> pl.LazyFrame:
    """Per invoice, the sum of dispute amounts open on ``as_of`` (``dispute_amount``).

    A dispute is open on D when ``opened_on <= D`` and it is unresolved or resolved after D.
    """
    frame = checked(disputes, DISPUTES, "disputes")
    return (
        frame.filter(
            (pl.col("opened_on") <= as_of)
            & (pl.col("resolved_on").is_null() | (pl.col("resolved_on") > as_of))
        )
        .group_by("invoice_id")
        .agg(pl.col("amount").sum().alias("dispute_amount"))
    )


def raise_negative(frame: pl.DataFrame, *, as_of: dt.date) -> None:
    refs = frame.sort("invoice_ref")["invoice_ref"].to_list()
    raise ValidationFailed(
        f"invoice(s) {named(refs)} have a negative outstanding amount on {as_of}: the entries "
        "dated on or before that day exceed the invoice amount"
    )


def outstanding(invoices: pl.DataFrame, entries: pl.DataFrame, *, as_of: dt.date) -> pl.DataFrame:
    """Invoices issued on or before ``as_of`` with their ``outstanding`` amount on that day.

    ``outstanding`` (Int64, minor units of the invoice's currency) is the invoice amount minus
    the entries dated on or before ``as_of``. Raises ValidationFailed, naming the invoice
    references, if any is negative.
    """
    check_as_of(as_of)
    _invoice_inputs(invoices, entries)
    frame = (
        invoices.lazy()
        .filter(pl.col("issue_date") <= as_of)
        .join(reductions(entries, as_of=as_of), on="invoice_id", how="left", maintain_order="left")
        .with_columns((pl.col("amount") - pl.col("reduced").fill_null(0)).alias(OUTSTANDING))
        .drop("reduced")
        .collect()
    )
    negative = frame.filter(pl.col(OUTSTANDING) < 0)
    if negative.height:
        raise_negative(negative, as_of=as_of)
    return frame


def open_items(
    invoices: pl.DataFrame,
    entries: pl.DataFrame,
    disputes: pl.DataFrame,
    *,
    as_of: dt.date,
) -> pl.LazyFrame:
    """Invoices issued on or before ``as_of`` whose outstanding amount is not zero.

    Columns: invoice_id, invoice_ref, company_id, due_date, currency, ``outstanding`` and
    ``disputed`` (open disputes on the invoice, capped at its outstanding amount, never below 0).
    Entries and disputes are aggregated per invoice and joined once.
    """
    check_as_of(as_of)
    _invoice_inputs(invoices, entries)
    checked(disputes, DISPUTES, "disputes")
    require_no_nulls(disputes, ("invoice_id", "amount", "opened_on"), "disputes")
    adjustments = pl.concat(
        [
            reductions(entries, as_of=as_of).with_columns(
                pl.lit(0, dtype=pl.Int64).alias("dispute_amount")
            ),
            disputed_on(disputes, as_of=as_of)
            .with_columns(pl.lit(0, dtype=pl.Int64).alias("reduced"))
            .select("invoice_id", "reduced", "dispute_amount"),
        ]
    )
    adjustments = adjustments.group_by("invoice_id").agg(
        pl.col("reduced").sum(), pl.col("dispute_amount").sum()
    )
    frame = (
        invoices.lazy()
        .filter(pl.col("issue_date") <= as_of)
        .select("invoice_id", "invoice_ref", "company_id", "due_date", "currency", "amount")
        .join(adjustments, on="invoice_id", how="left")
        .with_columns((pl.col("amount") - pl.col("reduced").fill_null(0)).alias(OUTSTANDING))
    )
    negative = frame.filter(pl.col(OUTSTANDING) < 0).select("invoice_ref").collect()
    if negative.height:
        raise_negative(negative, as_of=as_of)
    return (
        frame.filter(pl.col(OUTSTANDING) != 0)
        .with_columns(
            pl.min_horizontal(pl.col("dispute_amount").fill_null(0), pl.col(OUTSTANDING))
            .clip(lower_bound=0)
            .alias(DISPUTED)
        )
        .drop("amount", "reduced", "dispute_amount")
    )


def round_half_even(value: Fraction, places: int) -> Decimal:
    """``value`` rounded half-even to ``places`` decimals, exactly (no float, no context)."""
    scaled = value * 10**places
    quotient, remainder = divmod(scaled.numerator, scaled.denominator)
    twice = 2 * remainder
    if twice > scaled.denominator or (twice == scaled.denominator and quotient % 2):
        quotient += 1
    return Decimal(quotient).scaleb(-places)


def divide_half_even(numerator: pl.Expr, denominator: pl.Expr) -> pl.Expr:
    """Integer ``numerator / denominator`` rounded half-even (denominator > 0), columnar."""
    quotient = numerator // denominator
    twice = (numerator - quotient * denominator) * 2
    up = (twice > denominator) | ((twice == denominator) & (quotient % 2 == 1))
    return quotient + up.cast(pl.Int64)


def _render(minor: pl.Expr, exponent: int) -> pl.Expr:
    text = minor.cast(pl.Utf8)
    sign = pl.when(minor < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    digits = text.str.strip_chars_start("-")
    if exponent == 0:
        return pl.concat_str(sign, digits)
    padded = digits.str.zfill(exponent + 1)
    whole = padded.str.slice(0, padded.str.len_chars() - exponent)
    fraction = padded.str.slice(-exponent)
    return pl.concat_str(sign, whole, pl.lit("."), fraction)


def render_minor(
    frame: pl.DataFrame, columns: Sequence[str], *, currency_column: str = "currency"
) -> pl.DataFrame:
    """Replace Int64 minor-unit ``columns`` by exact decimal text in each row's currency.

    123456 CNY -> "1234.56", -5 KWD -> "-0.005", 7 JPY -> "7"; nulls stay null. Pure text and
    integer operations: no float is involved.
    """
    if not columns or frame.height == 0:
        return frame.with_columns(pl.col(c).cast(pl.Utf8) for c in columns)
    exponents = check_currencies(frame[currency_column].drop_nulls().to_list())
    if frame[currency_column].null_count():
        raise ValidationFailed(f"column {currency_column!r} has rows without a currency")
    by_exponent: dict[int, list[str]] = {}
    for code, exponent in exponents.items():
        by_exponent.setdefault(exponent, []).append(code)
    rendered = []
    for column in columns:
        expr: pl.Expr = pl.lit(None, dtype=pl.Utf8)
        for exponent, codes in sorted(by_exponent.items()):
            in_codes = pl.col(currency_column).is_in(codes)
            expr = pl.when(in_codes).then(_render(pl.col(column), exponent)).otherwise(expr)
        rendered.append(expr.alias(column))
    return frame.with_columns(rendered)
