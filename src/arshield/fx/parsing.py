"""Reading rate rows (``date,base,quote,rate,source``) into typed values, row errors as data.

Pure code over Polars frames: no database. Rates are checked and made canonical with Polars
expressions over the whole column; only malformed cells go through ``domain.parse_rate`` for
its exact message.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from arshield.fx.domain import (
    DEFAULT_SOURCE,
    RATE_DECIMALS,
    RATE_INTEGER_DIGITS,
    SOURCE_LENGTH,
    parse_rate,
    rate_text,
)
from arshield.kit import tabular_columns as cols
from arshield.kit.errors import ValidationFailed
from arshield.kit.money import normalize_currency
from arshield.kit.tabular import ROW
from arshield.kit.time import EARLIEST_AS_OF, LATEST_AS_OF, parse_date

REQUIRED = ("date", "base", "quote", "rate")
OPTIONAL = ("source",)
COLUMNS = (*REQUIRED, *OPTIONAL)
_WELL_FORMED = r"^\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"


def parse_rate_date(value: str) -> dt.date:
    """A rate's date as ``kit.time.parse_date`` reads it, within 1900-2999."""
    date = parse_date(value)
    if not EARLIEST_AS_OF <= date <= LATEST_AS_OF:
        raise ValidationFailed(f"{value!r} is outside {EARLIEST_AS_OF} to {LATEST_AS_OF}")
    return date


def parse_rates(checks: cols.Checks) -> pl.DataFrame:
    """Typed rows: ``ROW``, date, base, quote, rate (canonical text) and source.

    Records every problem in ``checks``: missing or bad values, base equal to quote, and the
    same (date, base, quote) on more than one row.
    """
    frame = checks.frame
    date = cols.mapped(checks, "date", parse=parse_rate_date, dtype=pl.Date, required=True)
    base = cols.mapped(checks, "base", parse=normalize_currency, dtype=pl.Utf8, required=True)
    quote = cols.mapped(checks, "quote", parse=normalize_currency, dtype=pl.Utf8, required=True)
    checks.add(
        base.is_not_null() & (base == quote),
        "quote",
        pl.select(pl.lit("quote equals base ") + base + pl.lit("; a pair needs two currencies"))
        .to_series()
        .alias("reason"),
    )
    rate = rates(checks, "rate")
    source = cols.text(checks, "source", required=False, max_length=SOURCE_LENGTH)
    typed = pl.DataFrame(
        {
            ROW: frame[ROW],
            "date": date,
            "base": base,
            "quote": quote,
            "rate": rate,
            "source": source.fill_null(DEFAULT_SOURCE),
        }
    )
    cols.duplicates(
        checks, typed.select("date", "base", "quote"), column="date", label="date / base / quote"
    )
    return typed


def rates(checks: cols.Checks, name: str) -> pl.Series:
    """Rate cells as canonical text ("7.10" -> "7.1", "+100.0" -> "100"); null where rejected."""
    values = cols.raw(checks.frame, name)
    checks.add(values.is_null(), name, cols.MISSING)
    canonical = canonical_rates(values)
    flagged = values.is_not_null() & canonical.is_null()
    if not flagged.any():
        return canonical.alias(name)
    reasons: list[str | None] = [None] * values.len()
    for index in flagged.arg_true().to_list():
        try:
            # The fast path refused it, so this raises; a value it accepts is kept all the same.
            canonical[index] = rate_text(parse_rate(values[index]))
        except ValidationFailed as exc:
            reasons[index] = str(exc.detail)
    checks.add(pl.Series(reasons).is_not_null(), name, pl.Series(reasons, dtype=pl.Utf8))
    return canonical.alias(name)


def canonical_rates(values: pl.Series) -> pl.Series:
    """Vectorised ``rate_text(parse_rate(v))``: null for any text that is not a usable rate."""
    frame = values.cast(pl.Utf8).to_frame("v")
    text = pl.col("v").str.strip_prefix("+")
    parts = text.str.split_exact(".", 1)
    whole = parts.struct.field("field_0").str.strip_chars_start("0")
    fraction = parts.struct.field("field_1").fill_null("").str.strip_chars_end("0")
    digits = pl.when(whole == "").then(pl.lit("0")).otherwise(whole)
    canonical = (
        pl.when(fraction == "")
        .then(digits)
        .otherwise(pl.concat_str([digits, pl.lit("."), fraction]))
    )
    ok = (
        pl.col("v").str.contains(_WELL_FORMED)
        & (fraction.str.len_bytes() <= RATE_DECIMALS)
        & (whole.str.len_bytes() <= RATE_INTEGER_DIGITS)
        & (canonical != "0")
    )
    return frame.select(pl.when(ok).then(canonical).alias("rate"))["rate"]
