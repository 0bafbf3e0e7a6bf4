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

import numpy as np
import polars as pl

from arshield.kit.errors import ValidationFailed
from arshield.kit.money import currency_exponent
from arshield.kit.time import check_as_of
from arshield.receivables.analytics_keys import (
    key_size,
    keyed,
    named,
    require_no_nulls,
    sums_by_key,
)
from arshield.receivables.frames import DISPUTES, ENTRIES, INVOICE_KEY, INVOICES, Keyed

OUTSTANDING: Final = "outstanding"
DISPUTED: Final = "disputed"


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


def check_currencies(currencies: Iterable[str]) -> dict[str, int]:
    """ISO 4217 exponent of each distinct currency; raise naming an unknown one."""
    return {code: currency_exponent(code) for code in sorted(set(currencies))}


def invoice_inputs(invoices: pl.DataFrame, entries: pl.DataFrame) -> None:
    """Raise unless invoices and entries have the frames' columns and types, without nulls."""
    checked(invoices, INVOICES, "invoices")
    checked(entries, ENTRIES, "entries")
    require_no_nulls(invoices, INVOICES.names(), "invoices")
    require_no_nulls(entries, ENTRIES.names(), "entries")


def dispute_inputs(disputes: pl.DataFrame) -> None:
    """Raise unless disputes have the frames' columns and types, and the required values."""
    checked(disputes, DISPUTES, "disputes")
    require_no_nulls(disputes, ("invoice_id", "amount", "opened_on"), "disputes")


def issued_on(invoices: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """The invoices issued on or before ``as_of``."""
    if invoices.height and invoices["issue_date"].max() > as_of:  # type: ignore[operator]
        return invoices.filter(pl.col("issue_date") <= as_of)
    return invoices


def raise_negative(frame: pl.DataFrame, *, as_of: dt.date) -> None:
    refs = frame.sort("invoice_ref")["invoice_ref"].to_list()
    raise ValidationFailed(
        f"invoice(s) {named(refs)} have a negative outstanding amount on {as_of}: the entries "
        "dated on or before that day exceed the invoice amount"
    )


def invoice_state(frames: Keyed, *, as_of: dt.date) -> tuple[pl.DataFrame, np.ndarray]:
    """The keyed invoices issued on or before ``as_of`` and, per row, their outstanding amount
    on that day (amount minus the entries dated on or before it). Raises ValidationFailed,
    naming the invoice references, if any is negative."""
    issued = issued_on(frames.invoices, as_of)
    entries = frames.entries
    if entries.height and entries["date"].max() > as_of:  # type: ignore[operator]
        entries = entries.filter(pl.col("date") <= as_of)
    reduced = sums_by_key(entries[INVOICE_KEY], entries["amount"], key_size(issued))
    left = issued["amount"].to_numpy() - reduced[issued[INVOICE_KEY].to_numpy()]
    negative = left < 0
    if negative.any():
        raise_negative(issued.filter(pl.Series(negative)), as_of=as_of)
    return issued, left


def disputed_amounts(
    frames: Keyed, issued: pl.DataFrame, left: np.ndarray, *, as_of: dt.date
) -> tuple[np.ndarray, np.ndarray]:
    """The rows of ``issued`` with disputes open on ``as_of`` and, for each, the disputed
    amount capped at its outstanding amount ``left`` (never below 0).

    A dispute is open on D when ``opened_on <= D`` and it is unresolved or resolved after D.
    """
    open_ = frames.disputes.filter(
        (pl.col("opened_on") <= as_of)
        & (pl.col("resolved_on").is_null() | (pl.col("resolved_on") > as_of))
    )
    claimed = sums_by_key(open_[INVOICE_KEY], open_["amount"], key_size(issued))
    on_row = claimed[issued[INVOICE_KEY].to_numpy()]
    rows = np.flatnonzero(on_row)
    capped: np.ndarray = np.minimum(on_row[rows], left[rows])
    return rows, capped.clip(min=0)


def outstanding(invoices: pl.DataFrame, entries: pl.DataFrame, *, as_of: dt.date) -> pl.DataFrame:
    """Invoices issued on or before ``as_of`` with their ``outstanding`` amount on that day.

    Columns: those of ``frames.INVOICES`` and ``outstanding`` (Int64, minor units of the
    invoice's currency): the invoice amount minus the entries dated on or before ``as_of``.
    Raises ValidationFailed, naming the invoice references, if any is negative.
    """
    check_as_of(as_of)
    invoice_inputs(invoices, entries)
    issued, left = invoice_state(keyed(invoices, entries), as_of=as_of)
    return issued.select(INVOICES.names()).with_columns(pl.Series(OUTSTANDING, left))


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
    """
    check_as_of(as_of)
    invoice_inputs(invoices, entries)
    dispute_inputs(disputes)
    frames = keyed(invoices, entries, disputes)
    issued, left = invoice_state(frames, as_of=as_of)
    rows, capped = disputed_amounts(frames, issued, left, as_of=as_of)
    disputed = np.zeros(issued.height, dtype=np.int64)
    disputed[rows] = capped
    return (
        issued.select("invoice_id", "invoice_ref", "company_id", "due_date", "currency")
        .with_columns(pl.Series(OUTSTANDING, left), pl.Series(DISPUTED, disputed))
        .filter(pl.col(OUTSTANDING) != 0)
        .lazy()
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
