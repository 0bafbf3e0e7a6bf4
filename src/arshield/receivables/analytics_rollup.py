"""Open receivables rolled up per (buyer, currency, bucket of days past due).

This is the hot path of aging and concentration over millions of invoices. Text ids are
hashed once to 64-bit integers and the sums run as exact Int64 scatter-adds into a dense
(buyer, currency, bucket) array; no float is involved. Safeguards on the hashes:

- entries and disputes are grouped by one hash of the invoice id, and a second, independent
  hash must agree within each group;
- the invoices that have entries or disputes are matched to them by hash and then compared
  as text, so a collision cannot move an amount to another invoice;
- buyers are matched by hash after checking that no two buyers share one. (An invoice naming
  a company missing from the buyers frame is refused; only if that unknown id also had the
  64-bit hash of a known buyer would it be counted under that buyer instead.)

When a check fails, or the dense array would be too large, the same figures come from plain
Polars joins and group-bys (:func:`rollup_reference`), which the tests compare with.
"""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import polars as pl

from arshield.kit.errors import ValidationFailed
from arshield.kit.time import check_as_of
from arshield.receivables.analytics_ledger import (
    DISPUTED,
    OUTSTANDING,
    checked,
    named,
    open_items,
    raise_negative,
    require_no_nulls,
)
from arshield.receivables.frames import BUYERS, DISPUTES, ENTRIES, INVOICES

_SEED: Final = 0x5EED
_CHECK_SEED: Final = 0xC0FFEE
_MAX_CELLS: Final = 40_000_000  # dense (buyer, currency, bucket) array: 320 MB of Int64
EPOCH: Final = dt.date(1970, 1, 1)


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
    """:func:`rollup` computed with plain Polars joins and group-bys."""
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
    for frame, schema, name in (
        (invoices, INVOICES, "invoices"),
        (entries, ENTRIES, "entries"),
        (disputes, DISPUTES, "disputes"),
    ):
        checked(frame, schema, name)
    require_no_nulls(invoices, INVOICES.names(), "invoices")
    require_no_nulls(entries, ENTRIES.names(), "entries")
    require_no_nulls(disputes, ("invoice_id", "amount", "opened_on"), "disputes")
    buyers = _check_buyers(buyers)
    fast = _rollup_dense(invoices, entries, disputes, buyers, as_of=as_of, bounds=bounds)
    if fast is not None:
        return fast
    return rollup_reference(invoices, entries, disputes, buyers, as_of=as_of, bounds=bounds)


def _adjustments(
    entries: pl.DataFrame, disputes: pl.DataFrame, as_of: dt.date
) -> pl.DataFrame | None:
    """Per invoice hash ``h`` with entries or open disputes: ``invoice_id``, ``reduced`` and
    ``dispute_amount``; None if two different invoice ids share a hash."""
    zero = pl.lit(0, dtype=pl.Int64)
    on_day = checked(disputes, DISPUTES, "disputes").filter(
        (pl.col("opened_on") <= as_of)
        & (pl.col("resolved_on").is_null() | (pl.col("resolved_on") > as_of))
    )
    parts = pl.concat(
        [
            checked(entries, ENTRIES, "entries")
            .filter(pl.col("date") <= as_of)
            .select("invoice_id", pl.col("amount").alias("reduced"), zero.alias("dispute_amount")),
            on_day.select(
                "invoice_id", zero.alias("reduced"), pl.col("amount").alias("dispute_amount")
            ),
        ]
    )
    # Grouped by one 64-bit hash of the id; a second, independent hash must agree within each
    # group, so two ids could only merge if both hashes collided at once.
    grouped = (
        parts.group_by(pl.col("invoice_id").hash(_SEED).alias("h"))
        .agg(
            pl.col("invoice_id").first(),
            pl.col("invoice_id").hash(_CHECK_SEED).min().alias("check_min"),
            pl.col("invoice_id").hash(_CHECK_SEED).max().alias("check_max"),
            pl.col("reduced").sum(),
            pl.col("dispute_amount").sum(),
        )
        .collect()
    )
    if not (grouped["check_min"] == grouped["check_max"]).all():
        return None
    return grouped.drop("check_min", "check_max")


def _dense_codes(values: pl.Series) -> tuple[np.ndarray, list[str]] | None:
    """Dense codes (sorted order) of a text column with few distinct values, via its hash;
    None on a hash collision."""
    hashes = values.hash(_SEED)
    firsts = hashes.arg_unique()
    distinct = values.gather(firsts)
    order = distinct.arg_sort()
    distinct, keys = distinct.gather(order), hashes.gather(firsts).gather(order)
    by_hash = keys.arg_sort()
    codes = by_hash.to_numpy()[
        np.searchsorted(keys.to_numpy()[by_hash.to_numpy()], hashes.to_numpy())
    ]
    if not (values == distinct.gather(codes)).all():
        return None
    return codes.astype(np.int64), distinct.to_list()


def _rollup_dense(
    invoices: pl.DataFrame,
    entries: pl.DataFrame,
    disputes: pl.DataFrame,
    buyers: pl.DataFrame,
    *,
    as_of: dt.date,
    bounds: tuple[int, ...],
) -> pl.DataFrame | None:
    n_buckets = len(bounds) + 1
    issued = invoices
    if invoices.height and invoices["issue_date"].max() > as_of:  # type: ignore[operator]
        issued = invoices.filter(pl.col("issue_date") <= as_of)
    adjustments = _adjustments(entries, disputes, as_of)
    currency_codes = _dense_codes(issued["currency"])
    buyer_hash = buyers.select(
        pl.col("company_id").hash(_SEED).alias("ch"),
        pl.int_range(pl.len(), dtype=pl.Int64).alias("buyer"),
    )
    if (
        adjustments is None
        or currency_codes is None
        or buyer_hash["ch"].n_unique() != buyers.height
    ):
        return None
    codes, currencies = currency_codes
    per_buyer = max(len(currencies), 1) * n_buckets
    cells = buyers.height * per_buyer
    if cells > _MAX_CELLS:
        return None
    epoch_day = (as_of - EPOCH).days
    base = issued.select(
        pl.col("invoice_id").hash(_SEED).alias("h"),
        pl.col("company_id").hash(_SEED).alias("ch"),
        (pl.lit(epoch_day, dtype=pl.Int32) - pl.col("due_date").cast(pl.Int32)).alias("days"),
        "amount",
    )
    bucket = np.searchsorted(np.asarray(bounds, dtype=np.int32), base["days"].to_numpy())
    base = base.with_columns(pl.Series("partial", codes * n_buckets + bucket))
    adjusted_mask = base["h"].is_in(adjustments["h"].implode())

    located = base.select("ch", "partial", "amount").join(buyer_hash, on="ch", how="left")
    if located["buyer"].null_count():
        unknown = located.filter(pl.col("buyer").is_null())["ch"].unique()
        _unknown_buyers(issued.filter(base["ch"].is_in(unknown.implode()))["company_id"])
    cell_all = (located["buyer"] * per_buyer + located["partial"]).to_numpy()

    adjusted = (
        issued.filter(adjusted_mask)
        .select("invoice_id", "amount")
        .with_columns(base.filter(adjusted_mask).select("h", "ch", "partial"))
        .join(adjustments, on="h", how="inner", suffix="_adj")
        .join(buyer_hash, on="ch", how="inner")
    )
    if not (adjusted["invoice_id"] == adjusted["invoice_id_adj"]).all():
        return None  # two invoice ids share a 64-bit hash: take the plain path
    adjusted = adjusted.with_columns(
        (pl.col("amount") - pl.col("reduced")).alias(OUTSTANDING),
        (pl.col("buyer") * per_buyer + pl.col("partial")).alias("cell"),
    )
    negative = adjusted.filter(pl.col(OUTSTANDING) < 0)["invoice_id"]
    if negative.len():
        raise_negative(issued.filter(pl.col("invoice_id").is_in(negative.implode())), as_of=as_of)
    adjusted = adjusted.with_columns(
        pl.min_horizontal("dispute_amount", OUTSTANDING).clip(lower_bound=0).alias(DISPUTED)
    )

    cell_adj = adjusted["cell"].to_numpy()
    totals = np.zeros(cells, dtype=np.int64)
    np.add.at(totals, cell_all, located["amount"].to_numpy())
    np.add.at(totals, cell_adj, -adjusted["reduced"].to_numpy())
    disputed = np.zeros(cells, dtype=np.int64)
    np.add.at(disputed, cell_adj, adjusted[DISPUTED].to_numpy())
    counts = np.bincount(cell_all, minlength=cells)
    settled = adjusted.filter(pl.col(OUTSTANDING) == 0)["cell"].to_numpy()
    counts -= np.bincount(settled, minlength=cells)

    shape = (buyers.height * max(len(currencies), 1), n_buckets)
    keep = np.flatnonzero(counts.reshape(shape).sum(axis=1) > 0)
    by_bucket = totals.reshape(shape)[keep]
    frame = pl.DataFrame(
        {
            "buyer": keep // max(len(currencies), 1),
            "currency": pl.Series(currencies, dtype=pl.Utf8).gather(keep % max(len(currencies), 1)),
            **{f"b{i}": by_bucket[:, i] for i in range(n_buckets)},
            DISPUTED: disputed.reshape(shape)[keep].sum(axis=1),
        },
        schema_overrides={"currency": pl.Utf8},
    )
    buyer_rows = buyers.with_row_index("buyer").with_columns(pl.col("buyer").cast(pl.Int64))
    return frame.join(buyer_rows, on="buyer", how="left").select(
        *BUYERS.names(), "currency", *(f"b{i}" for i in range(n_buckets)), DISPUTED
    )
