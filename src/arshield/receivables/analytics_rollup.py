"""Open receivables rolled up per (buyer, currency, bucket of days past due).

This is the hot path of aging and concentration over millions of invoices. It reads the
frames' integer keys (:mod:`arshield.receivables.analytics_keys`): entries and disputes are
summed per invoice key, buyers are located by company key, currencies become small codes, and
the sums run as exact Int64 scatter-adds into a dense (buyer, currency, bucket) array; no text
is hashed and no float is involved. When that array would be too large, the same figures come
from plain Polars group-bys over the open items (:func:`rollup_reference`), which the tests
compare with.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import polars as pl

from arshield.kit.errors import ValidationFailed
from arshield.kit.time import check_as_of
from arshield.receivables.analytics_keys import (
    company_key_size,
    currency_codes,
    keyed,
    named,
    require_no_nulls,
)
from arshield.receivables.analytics_ledger import (
    DISPUTED,
    OUTSTANDING,
    checked,
    dispute_inputs,
    disputed_amounts,
    invoice_inputs,
    invoice_state,
    open_items,
)
from arshield.receivables.frames import BUYERS, COMPANY_KEY, Keyed

_MAX_CELLS: Final = 40_000_000  # dense (buyer, currency, bucket) array: 320 MB of Int64
EPOCH: Final = dt.date(1970, 1, 1)
_MAX_TABLE_DAYS: Final = 1_000_000


def bucket_expr(bounds: tuple[int, ...], as_of: dt.date) -> pl.Expr:
    """Bucket index of each invoice: the first ``bounds`` entry >= its days past due."""
    days = pl.lit((as_of - EPOCH).days, dtype=pl.Int32) - pl.col("due_date").cast(pl.Int32)
    series = pl.Series(bounds, dtype=pl.Int32)
    return pl.lit(series).search_sorted(days, side="left").cast(pl.Int64)


def _check_buyers(buyers: pl.DataFrame) -> pl.DataFrame:
    checked(buyers, BUYERS, "buyers")
    require_no_nulls(buyers, ("company_id", "company_ref"), "buyers")
    if buyers["company_id"].n_unique() != buyers.height:
        dupes = buyers.filter(pl.col("company_id").is_duplicated())["company_id"].unique()
        raise ValidationFailed(f"buyers: company_id repeats: {named(sorted(dupes.to_list()))}")
    return buyers.select(BUYERS.names())


def _unknown_buyers(company_ids: pl.Series) -> None:
    raise ValidationFailed(
        "invoices name buyer(s) missing from the buyers frame: "
        + named(sorted(company_ids.unique().to_list()))
    )


def _wide(
    frame: pl.DataFrame, n_buckets: int, keys: list[str], buyers: pl.DataFrame
) -> pl.DataFrame:
    """From one row per (company_id, currency, bucket) to one column per bucket."""
    wide = frame.group_by("company_id", "currency").agg(
        *(
            pl.col(OUTSTANDING).filter(pl.col("bucket") == i).sum().alias(f"b{i}")
            for i in range(n_buckets)
        ),
        pl.col(DISPUTED).sum(),
    )
    joined = wide.join(buyers, on="company_id", how="left")
    missing = joined.filter(pl.col("company_ref").is_null())
    if missing.height:
        _unknown_buyers(missing["company_id"])
    return joined.select(*keys, "currency", *(f"b{i}" for i in range(n_buckets)), DISPUTED)


def rollup_reference(
    invoices: pl.DataFrame,
    entries: pl.DataFrame,
    disputes: pl.DataFrame,
    buyers: pl.DataFrame,
    *,
    as_of: dt.date,
    bounds: tuple[int, ...],
) -> pl.DataFrame:
    """:func:`rollup` computed with plain Polars group-bys over the open items."""
    buyers = _check_buyers(buyers)
    long = (
        open_items(invoices, entries, disputes, as_of=as_of)
        .with_columns(bucket_expr(bounds, as_of).alias("bucket"))
        .group_by("company_id", "currency", "bucket")
        .agg(pl.col(OUTSTANDING, DISPUTED).sum())
        .collect()
    )
    return _wide(long, len(bounds) + 1, BUYERS.names(), buyers)


def rollup(
    invoices: pl.DataFrame,
    entries: pl.DataFrame,
    disputes: pl.DataFrame,
    buyers: pl.DataFrame,
    *,
    as_of: dt.date,
    bounds: tuple[int, ...],
) -> pl.DataFrame:
    """Open receivables on ``as_of`` per buyer and currency, one Int64 column per bucket.

    Columns: the buyers frame's columns, ``currency``, ``b0`` .. ``b<len(bounds)>`` (bucket
    ``i`` holds invoices whose days past due d satisfy ``bounds[i-1] < d <= bounds[i]``) and
    ``disputed``. Only (buyer, currency) pairs with at least one invoice whose outstanding
    amount is not zero appear. Raises ValidationFailed on a negative outstanding amount or an
    invoice naming an unknown buyer.
    """
    check_as_of(as_of)
    invoice_inputs(invoices, entries)
    dispute_inputs(disputes)
    _check_buyers(buyers)
    frames = keyed(invoices, entries, disputes, buyers)
    fast = _rollup_dense(frames, as_of=as_of, bounds=bounds)
    if fast is not None:
        return fast
    return rollup_reference(invoices, entries, disputes, buyers, as_of=as_of, bounds=bounds)


def _buckets(due_date: pl.Series, as_of: dt.date, bounds: tuple[int, ...]) -> np.ndarray:
    """Bucket index of each due date (see :func:`bucket_expr`), read from a table of the
    bucket of every day count from 0 to just past the last bound."""
    if not bounds:
        return np.zeros(due_date.len(), dtype=np.int32)
    days = (as_of - EPOCH).days - due_date.cast(pl.Int32).to_numpy().astype(np.int64)
    edges = np.asarray(bounds, dtype=np.int64)
    if bounds[-1] > _MAX_TABLE_DAYS:
        return np.searchsorted(edges, days, side="left").astype(np.int32)
    lowest = min(bounds[0], 0)
    table = np.searchsorted(edges, np.arange(lowest, bounds[-1] + 2), side="left")
    buckets: np.ndarray = table.astype(np.int32)[np.clip(days, lowest, bounds[-1] + 1) - lowest]
    return buckets


def _rollup_dense(frames: Keyed, *, as_of: dt.date, bounds: tuple[int, ...]) -> pl.DataFrame | None:
    buyers = frames.buyers
    n_buckets = len(bounds) + 1
    issued, left = invoice_state(frames, as_of=as_of)
    codes, currencies = currency_codes(issued)
    n_currencies = max(len(currencies), 1)
    pairs = buyers.height * n_currencies
    if pairs * n_buckets > _MAX_CELLS:
        return None
    claimed, disputed = disputed_amounts(frames, issued, left, as_of=as_of)

    # Cell indices fit in 32 bits (at most _MAX_CELLS cells), which halves the memory traffic.
    buyer_of_key = np.full(company_key_size(issued, buyers), -1, dtype=np.int32)
    buyer_of_key[buyers[COMPANY_KEY].to_numpy()] = np.arange(buyers.height, dtype=np.int32)
    buyer = buyer_of_key[issued[COMPANY_KEY].to_numpy()]
    unknown = buyer < 0
    if unknown.any():
        _unknown_buyers(issued.filter(pl.Series(unknown))["company_id"])
    pair = buyer * np.int32(n_currencies) + codes.astype(np.int32)

    # Outstanding amounts are never negative here, so a (buyer, currency) pair has an open
    # invoice exactly when its total is positive.
    totals = np.zeros(pairs * n_buckets, dtype=np.int64)
    cell = pair * np.int32(n_buckets) + _buckets(issued["due_date"], as_of, bounds)
    np.add.at(totals, cell, left)
    by_pair = totals.reshape(pairs, n_buckets)
    disputed_sum = np.zeros(pairs, dtype=np.int64)
    np.add.at(disputed_sum, pair[claimed], disputed)

    keep = np.flatnonzero(by_pair.sum(axis=1) > 0)
    frame = pl.DataFrame(
        {
            "buyer": keep // n_currencies,
            "currency": pl.Series(currencies, dtype=pl.Utf8).gather(keep % n_currencies),
            **{f"b{i}": by_pair[keep, i] for i in range(n_buckets)},
            DISPUTED: disputed_sum[keep],
        },
        schema_overrides={"currency": pl.Utf8},
    )
    buyer_rows = buyers.with_row_index("buyer").with_columns(pl.col("buyer").cast(pl.Int64))
    return frame.join(buyer_rows, on="buyer", how="left").select(
        *BUYERS.names(), "currency", *(f"b{i}" for i in range(n_buckets)), DISPUTED
    )
