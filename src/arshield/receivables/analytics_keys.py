"""Integer keys for the receivables reports: surrogate keys, currency codes, sums by key.

Reports match entries and disputes to invoices, and invoices to buyers, through the UInt32
keys of :mod:`arshield.receivables.frames` and dense NumPy arrays indexed by them: an exact
Int64 scatter-add per key, then a gather per invoice. No text is hashed and no float is
involved. Frames without keys, or with keys too sparse for dense arrays, are keyed from their
ids first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

import numpy as np
import polars as pl

from arshield.kit.errors import ValidationFailed
from arshield.receivables.frames import (
    BUYERS,
    COMPANY_KEY,
    CURRENCY_CODE,
    DISPUTES,
    INVOICE_KEY,
    KEY,
    KEY_COLUMNS,
    Keyed,
    with_keys,
)

# Dense arrays indexed by key are used while the largest key stays within this many slots per
# row (plus a constant), so a frame filtered from a larger one still qualifies.
_SLOTS_PER_ROW: Final = 4
_SLOTS_FREE: Final = 4096
_SHOWN: Final = 5  # offending keys named in an error message


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


def _has_keys(frame: pl.DataFrame, name: str) -> bool:
    columns = KEY_COLUMNS[name]
    present = [c for c in columns if c in frame.columns]
    for column in present:
        if frame.schema[column] != KEY:
            raise ValidationFailed(
                f"{name}: column {column!r} is {frame.schema[column]}, expected {KEY}"
            )
    require_no_nulls(frame, present, name)
    return len(present) == len(columns)


def _largest(*series: pl.Series) -> int:
    tops = [int(s.max()) for s in series if s.len()]  # type: ignore[arg-type]
    return max(tops, default=-1)


def keyed(
    invoices: pl.DataFrame,
    entries: pl.DataFrame,
    disputes: pl.DataFrame | None = None,
    buyers: pl.DataFrame | None = None,
) -> Keyed:
    """The frames with their keys: as given when every frame passed carries them and they are
    dense enough to index arrays, otherwise numbered from the ids (:func:`frames.with_keys`).
    A frame not passed is empty."""
    passed = {"invoices": invoices, "entries": entries, "disputes": disputes, "buyers": buyers}
    given = [
        _has_keys(frame, name)
        for name, frame in passed.items()
        if frame is not None and frame.height
    ]
    invoices, entries = _keys_if_empty(invoices, "invoices"), _keys_if_empty(entries, "entries")
    disputes = pl.DataFrame(schema=DISPUTES) if disputes is None else disputes
    buyers = pl.DataFrame(schema=BUYERS) if buyers is None else buyers
    disputes, buyers = _keys_if_empty(disputes, "disputes"), _keys_if_empty(buyers, "buyers")
    if all(given):
        invoice_limit = _SLOTS_PER_ROW * invoices.height + _SLOTS_FREE
        company_limit = _SLOTS_PER_ROW * (invoices.height + buyers.height) + _SLOTS_FREE
        if (
            _largest(invoices[INVOICE_KEY]) < invoice_limit
            and _largest(invoices[COMPANY_KEY], buyers[COMPANY_KEY]) < company_limit
        ):
            return Keyed(invoices, entries, disputes, buyers)
    return with_keys(invoices, entries, disputes, buyers)


def _keys_if_empty(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """An empty frame with its key columns added; other frames as they are."""
    if frame.height:
        return frame
    return frame.with_columns(pl.lit(None, dtype=KEY).alias(c) for c in KEY_COLUMNS[name])


def key_size(invoices: pl.DataFrame) -> int:
    """Length of an array indexed by the invoices' ``invoice_key``."""
    return _largest(invoices[INVOICE_KEY]) + 1


def company_key_size(invoices: pl.DataFrame, buyers: pl.DataFrame) -> int:
    """Length of an array indexed by ``company_key`` of invoices and buyers."""
    return _largest(invoices[COMPANY_KEY], buyers[COMPANY_KEY]) + 1


def sums_by_key(keys: pl.Series, amounts: pl.Series, size: int) -> np.ndarray:
    """Exact Int64 sum of ``amounts`` per key below ``size`` (other keys are left out)."""
    index = keys.to_numpy()
    values = amounts.to_numpy()
    inside = index < size
    if not inside.all():
        index, values = index[inside], values[inside]
    totals = np.zeros(size, dtype=np.int64)
    np.add.at(totals, index, values)
    return totals


def positions(invoices: pl.DataFrame, size: int) -> np.ndarray:
    """Row of each invoice key in ``invoices`` (-1 where none); raise if an id repeats."""
    rows = np.full(size, -1, dtype=np.int64)
    keys = invoices[INVOICE_KEY].to_numpy()
    rows[keys] = np.arange(invoices.height, dtype=np.int64)
    if np.count_nonzero(rows >= 0) != invoices.height:
        repeated = invoices.filter(pl.col("invoice_id").is_duplicated())["invoice_id"].unique()
        raise ValidationFailed(f"invoices: invoice_id repeats: {named(sorted(repeated.to_list()))}")
    return rows


def currency_codes(invoices: pl.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Each invoice's index into the sorted distinct currencies of ``invoices``, and those
    currencies; read from ``currency_code`` where the invoices carry it."""
    column = invoices.get_column(CURRENCY_CODE, default=None)
    if (
        column is None
        or not isinstance(column.dtype, pl.Enum)
        or column.null_count()
        or column.dtype.categories.to_list() != sorted(column.dtype.categories.to_list())
    ):
        distinct = invoices["currency"].unique().sort()
        column = invoices["currency"].cast(pl.Enum(distinct.to_list()))
    codes = column.to_physical().cast(pl.Int64).to_numpy()
    categories = column.dtype.categories.to_list()
    present = np.bincount(codes, minlength=len(categories)) > 0
    if present.all():
        return codes, categories
    renumbered = np.cumsum(present) - 1
    return renumbered[codes], [c for c, p in zip(categories, present, strict=True) if p]
