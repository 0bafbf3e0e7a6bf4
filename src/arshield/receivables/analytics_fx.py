"""Conversion of grouped amounts into one reporting currency, exactly.

Rates are Decimal: units of the reporting currency per one unit of the source currency. Each
(group, source currency) subtotal is converted once, rounded half-even to the reporting
currency's minor unit, and only then summed per group, so a report's converted total is the
sum of its converted rows.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

import polars as pl

from arshield.kit.errors import ValidationFailed
from arshield.kit.money import currency_exponent, normalize_currency
from arshield.receivables.analytics_ledger import check_currencies, divide_half_even

_INT128_SAFE: Final = 2**125


@dataclass(frozen=True, slots=True)
class Converted:
    """Amounts in ``to_currency`` and the rate applied to each source currency."""

    frame: pl.DataFrame
    to_currency: str
    rates: dict[str, Decimal]


def _factor(rate: Decimal, source: str, target: str) -> tuple[int, int]:
    """Minor units of ``target`` per minor unit of ``source``, as an exact integer ratio."""
    scaled = rate.scaleb(currency_exponent(target) - currency_exponent(source))
    numerator, denominator = scaled.as_integer_ratio()
    return numerator, denominator


def _check_rate(currency: str, rate: object) -> Decimal:
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0:
        raise ValidationFailed(f"rate for {currency} must be a positive Decimal, got {rate!r}")
    return rate


def convert_groups(
    frame: pl.DataFrame,
    *,
    amount_columns: Sequence[str],
    rates: Mapping[str, Decimal],
    to_currency: str,
    key_columns: Sequence[str],
) -> Converted:
    """Convert each row's amounts from its ``currency`` into ``to_currency`` and sum by key.

    Rows are first summed per (key, currency); each such subtotal is multiplied by its rate and
    rounded half-even to the minor unit of ``to_currency``; the rounded amounts are then
    summed per key. Amounts already in ``to_currency`` pass unchanged (rate 1). A currency
    without a rate raises ValidationFailed naming it. Returns the frame (key columns,
    ``currency`` = ``to_currency``, the amount columns as Int64) and the rates applied.
    """
    target = normalize_currency(to_currency)
    needed = [*key_columns, "currency", *amount_columns]
    missing_columns = [c for c in needed if c not in frame.columns]
    if missing_columns:
        raise ValidationFailed(f"cannot convert: column(s) {', '.join(missing_columns)} missing")
    for column in amount_columns:
        if frame.schema[column] != pl.Int64:
            raise ValidationFailed(f"cannot convert {column!r}: expected Int64 minor units")
    keys = list(key_columns)
    subtotals = frame.group_by([*keys, "currency"]).agg(pl.col(*amount_columns).sum())
    currencies = check_currencies(subtotals["currency"].to_list())
    absent = [c for c in currencies if c != target and c not in rates]
    if absent:
        raise ValidationFailed(f"no exchange rate to {target} for {', '.join(absent)}")
    applied = {c: Decimal(1) if c == target else _check_rate(c, rates[c]) for c in currencies}
    factors = {c: _factor(rate, c, target) for c, rate in applied.items()}
    parts = []
    for currency, (numerator, denominator) in factors.items():
        part = subtotals.filter(pl.col("currency") == currency)
        largest = max(
            (abs(v) for c in amount_columns for v in part[c].drop_nulls().to_list()), default=0
        )
        if largest * numerator >= _INT128_SAFE or denominator >= _INT128_SAFE:
            raise ValidationFailed(
                f"{currency} amounts too large to convert at {applied[currency]}"
            )
        try:
            parts.append(
                part.with_columns(
                    divide_half_even(
                        pl.col(c).cast(pl.Int128) * pl.lit(numerator, dtype=pl.Int128),
                        pl.lit(denominator, dtype=pl.Int128),
                    )
                    .cast(pl.Int64, strict=True)
                    .alias(c)
                    for c in amount_columns
                )
            )
        except pl.exceptions.InvalidOperationError:
            raise ValidationFailed(
                f"{currency} amounts converted at {applied[currency]} exceed the range of "
                f"{target} minor units"
            ) from None
    schema = pl.Schema(
        [*((k, frame.schema[k]) for k in keys), *((c, pl.Int64()) for c in amount_columns)]
    )
    converted = pl.concat(parts) if parts else subtotals
    if keys:
        result = converted.group_by(keys).agg(pl.col(*amount_columns).sum()).sort(keys)
    else:
        result = converted.select(pl.col(*amount_columns).sum())
    result = result.with_columns(pl.lit(target).alias("currency")).select(
        *keys, "currency", *amount_columns
    )
    if result.is_empty():
        result = pl.DataFrame(schema=pl.Schema([*schema.items(), ("currency", pl.Utf8())])).select(
            *keys, "currency", *amount_columns
        )
    return Converted(frame=result, to_currency=target, rates=applied)
