"""Vectorised checks of text columns: each parser returns typed values and records row errors.

Fast paths run as Polars expressions over whole columns; Python runs only on distinct values
(dates, codes) or on the rare rows a fast path flags, to produce the exact error message.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import polars as pl

from arshield.kit.errors import ValidationFailed
from arshield.kit.money import parse_minor
from arshield.kit.tabular import ROW, RowError

MISSING = "required value is missing"
_INT64_MAX = 2**63 - 1
_AMOUNT = r"^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$"
_INTEGER = r"^[+-]?[0-9]+$"
_BLANK = " \t\r\n"


class Checks:
    """Row errors collected over one frame (which carries the ``ROW`` column)."""

    def __init__(self, frame: pl.DataFrame) -> None:
        self.frame = frame
        self._parts: list[pl.DataFrame] = []

    def add(self, mask: pl.Series, column: str | None, reason: str | pl.Series) -> None:
        """Record ``reason`` (one text, or one per row) for every row where ``mask`` is true."""
        mask = mask.fill_null(False)
        if not mask.any():
            return
        reasons = (
            reason if isinstance(reason, pl.Series) else pl.repeat(reason, mask.len(), eager=True)
        )
        part = pl.DataFrame(
            {
                "row": self.frame[ROW].filter(mask),
                "column": pl.repeat(column, int(mask.sum()), dtype=pl.Utf8, eager=True),
                "reason": reasons.cast(pl.Utf8).filter(mask),
            }
        )
        self._parts.append(part)

    def add_rows(self, errors: Sequence[RowError]) -> None:
        """Record errors found elsewhere (e.g. by the file reader)."""
        if errors:
            self._parts.append(
                pl.DataFrame(
                    {
                        "row": [e.row for e in errors],
                        "column": [e.column for e in errors],
                        "reason": [e.reason for e in errors],
                    },
                    schema={"row": pl.Int64, "column": pl.Utf8, "reason": pl.Utf8},
                )
            )

    def frame_of_errors(self) -> pl.DataFrame:
        """Every error, by row, then by the column's place in the file (whole-row errors first)."""
        schema = {"row": pl.Int64, "column": pl.Utf8, "reason": pl.Utf8}
        if not self._parts:
            return pl.DataFrame(schema=schema)
        parts = [p.cast(schema) for p in self._parts]  # type: ignore[arg-type]
        position = {name: index for index, name in enumerate(self.frame.columns)}
        place = (
            pl.when(pl.col("column").is_null())
            .then(pl.lit(-1, dtype=pl.Int64))
            .otherwise(
                pl.col("column").replace_strict(
                    position, default=len(position), return_dtype=pl.Int64
                )
            )
        )
        return (
            pl.concat(parts)
            .with_row_index("_n")
            .with_columns(_place=place)
            .sort("row", "_place", "_n")
            .drop("_n", "_place")
        )

    def bad_rows(self) -> pl.Series:
        """Source row numbers with at least one error."""
        return self.frame_of_errors()["row"].unique()

    def row_errors(self) -> list[RowError]:
        return [RowError(r, c, m) for r, c, m in self.frame_of_errors().iter_rows()]


def raw(frame: pl.DataFrame, name: str) -> pl.Series:
    """The column's text with surrounding blanks stripped, empty as null (all null if absent)."""
    if name not in frame.columns:
        return pl.Series(name, [None] * frame.height, dtype=pl.Utf8)
    stripped = frame[name].str.strip_chars(_BLANK)
    return pl.select(pl.when(stripped == "").then(None).otherwise(stripped)).to_series().alias(name)


def text(checks: Checks, name: str, *, required: bool, max_length: int) -> pl.Series:
    """Free text, stripped; too long or (if required) missing is an error."""
    values = raw(checks.frame, name)
    if required:
        checks.add(values.is_null(), name, MISSING)
    checks.add(values.str.len_chars() > max_length, name, f"longer than {max_length} characters")
    return values


def mapped(
    checks: Checks,
    name: str,
    *,
    parse: Callable[[str], Any],
    dtype: pl.DataType | type[pl.DataType],
    required: bool,
    values: pl.Series | None = None,
) -> pl.Series:
    """Apply ``parse`` once per distinct value; its ``ValidationFailed`` becomes a row error."""
    source = raw(checks.frame, name) if values is None else values
    if required:
        checks.add(source.is_null(), name, MISSING)
    parsed, errors = map_distinct(source, parse, dtype=dtype)
    checks.add(errors.is_not_null(), name, errors)
    return parsed.alias(name)


def map_distinct(
    source: pl.Series, parse: Callable[[Any], Any], *, dtype: pl.DataType | type[pl.DataType]
) -> tuple[pl.Series, pl.Series]:
    """(parsed values, error messages) for ``source``, calling ``parse`` once per distinct value."""
    distinct = source.drop_nulls().unique()
    keys: list[Any] = []
    results: list[Any] = []
    messages: list[str | None] = []
    for value in distinct.to_list():
        keys.append(value)
        try:
            results.append(parse(value))
            messages.append(None)
        except ValidationFailed as exc:
            results.append(None)
            messages.append(str(exc.detail))
    table = pl.DataFrame(
        {
            "key": pl.Series(keys, dtype=source.dtype),
            "value": pl.Series(results, dtype=dtype),
            "error": pl.Series(messages, dtype=pl.Utf8),
        }
    )
    joined = source.to_frame("key").join(table, on="key", how="left", maintain_order="left")
    return joined["value"], joined["error"]


def integer(checks: Checks, name: str, *, required: bool, minimum: int, maximum: int) -> pl.Series:
    """A whole number written with ASCII digits, within [minimum, maximum]."""
    values = raw(checks.frame, name)
    if required:
        checks.add(values.is_null(), name, MISSING)
    well_formed = values.str.contains(_INTEGER)
    checks.add(~well_formed, name, _quoted(values) + " is not a whole number")
    number = pl.select(
        pl.when(well_formed).then(values.str.strip_prefix("+").cast(pl.Int64, strict=False))
    ).to_series()
    checks.add(well_formed & number.is_null(), name, _quoted(values) + " is too large")
    checks.add(number < minimum, name, _quoted(values) + f" must be at least {minimum}")
    checks.add(number > maximum, name, _quoted(values) + f" must be at most {maximum}")
    return (
        pl.select(pl.when((number >= minimum) & (number <= maximum)).then(number))
        .to_series()
        .alias(name)
    )


def minor_units(
    checks: Checks,
    name: str,
    *,
    currency: pl.Series,
    exponent: pl.Series,
    required: bool,
    non_negative: bool = False,
) -> pl.Series:
    """Amounts as integer minor units, exactly as ``kit.money.parse_minor`` reads them.

    Rows whose ``exponent`` is null (unknown currency) are skipped: the currency error stands.
    """
    values = raw(checks.frame, name)
    minor = minor_units_series(values, exponent)
    known = exponent.is_not_null()
    if required:
        checks.add(values.is_null() & known, name, MISSING)
    flagged = values.is_not_null() & known & minor.is_null()
    if flagged.any():
        minor, reasons = _exact_amounts(values, currency, minor, flagged)
        checks.add(reasons.is_not_null(), name, reasons)
    if non_negative:
        checks.add(minor < 0, name, _quoted(values) + " must not be negative")
    return minor.alias(name)


def minor_units_series(values: pl.Series, exponent: pl.Series) -> pl.Series:
    """Vectorised strict amount parsing; null where the text is not an exact amount."""
    frame = pl.DataFrame({"v": values, "e": exponent.cast(pl.Int64)})
    text_value = pl.col("v")
    parts = text_value.str.strip_chars_start("+-").str.split_exact(".", 1)
    whole = parts.struct.field("field_0")
    fraction = parts.struct.field("field_1").fill_null("").str.strip_chars_end("0")
    width = pl.col("e").clip(0, None).cast(pl.UInt32)
    digits = pl.concat_str([whole, fraction.str.pad_end(width, "0")])
    magnitude = (
        pl.when(digits == "").then(pl.lit("0")).otherwise(digits).cast(pl.Int64, strict=False)
    )
    value = pl.when(text_value.str.starts_with("-")).then(-magnitude).otherwise(magnitude)
    ok = text_value.str.contains(_AMOUNT) & (fraction.str.len_bytes() <= pl.col("e"))
    return frame.select(pl.when(ok).then(value).alias("minor"))["minor"]


def _exact_amounts(
    values: pl.Series, currency: pl.Series, minor: pl.Series, flagged: pl.Series
) -> tuple[pl.Series, pl.Series]:
    """Re-read flagged cells with the scalar parser for its exact message (or value)."""
    reasons: list[str | None] = [None] * values.len()
    fixed = minor.to_list()
    for index in flagged.arg_true().to_list():
        text_value = values[index]
        try:
            amount = parse_minor(text_value, currency[index])
        except ValidationFailed as exc:
            reasons[index] = str(exc.detail)
            continue
        if abs(amount) > _INT64_MAX:
            reasons[index] = f"{text_value!r} is too large to store"
        else:
            fixed[index] = amount
    return pl.Series(fixed, dtype=pl.Int64), pl.Series(reasons, dtype=pl.Utf8)


def duplicates(checks: Checks, key: pl.DataFrame, *, column: str, label: str) -> None:
    """Reject every row whose (non-null) key occurs more than once, naming all its rows."""
    keyed = key.with_columns(checks.frame[ROW]).drop_nulls()
    names = list(key.columns)
    groups = (
        keyed.group_by(names, maintain_order=True)
        .agg(pl.col(ROW))
        .filter(pl.col(ROW).list.len() > 1)
    )
    if not groups.height:
        return
    errors: list[RowError] = []
    for record in groups.iter_rows(named=True):
        rows = sorted(record[ROW])
        shown = ", ".join(str(r) for r in rows[:10]) + (" ..." if len(rows) > 10 else "")
        value = " / ".join(str(record[n]) for n in names)
        reason = f"duplicate {label} {value!r} in this file (rows {shown})"
        errors.extend(RowError(r, column, reason) for r in rows)
    checks.add_rows(errors)


def _quoted(values: pl.Series) -> pl.Series:
    """Each value as ``'text'`` for messages."""
    return pl.select(pl.lit("'") + values + pl.lit("'")).to_series()
