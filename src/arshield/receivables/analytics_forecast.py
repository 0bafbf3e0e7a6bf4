"""Expected payment dates of open invoices and the weekly cash-in forecast.

A buyer's delay is learnt from its settled invoices: an invoice is settled on ``as_of`` when
its outstanding amount is zero, and it was settled on the date of its last entry (the day the
outstanding amount reached zero); its delay is that date minus its due date (negative when
paid early). The delays are averaged weighted by invoice amount, within one currency (weights
in two currencies' minor units are never added), and the exact weighted mean is rounded
half-even to whole days. An open invoice's expected payment date is its due date plus the
delay of its buyer in the invoice's currency; failing that, the seller-wide delay in that
currency; failing that, zero. Expected dates before ``as_of`` are moved to ``as_of``.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Final

import polars as pl

from arshield.kit.errors import ValidationFailed
from arshield.kit.time import check_as_of
from arshield.receivables.analytics_ledger import (
    OUTSTANDING,
    checked,
    divide_half_even,
    outstanding,
)
from arshield.receivables.frames import ENTRIES

WEEKS: Final = 13
LATER: Final = "later"


class DelayBasis(StrEnum):
    """Where an invoice's expected delay comes from."""

    BUYER = "buyer"
    SELLER = "seller"
    NONE = "none"


def _weighted_delay(frame: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    weighted = (pl.col("delay").cast(pl.Int128) * pl.col("amount").cast(pl.Int128)).sum()
    return (
        frame.group_by(keys)
        .agg(
            weighted.alias("weighted"),
            pl.col("amount").cast(pl.Int128).sum().alias("weight"),
            pl.len().alias("settled_invoices"),
        )
        .select(
            *keys,
            "settled_invoices",
            divide_half_even(pl.col("weighted"), pl.col("weight")).cast(pl.Int64).alias("delay"),
        )
    )


def _settled(
    state: pl.LazyFrame, entries: pl.DataFrame, as_of: dt.date, window_days: int | None
) -> pl.LazyFrame:
    last_entry = (
        checked(entries, ENTRIES, "entries")
        .filter(pl.col("date") <= as_of)
        .group_by("invoice_id")
        .agg(pl.col("date").max().alias("settled_on"))
    )
    settled = (
        state.filter((pl.col(OUTSTANDING) == 0) & (pl.col("amount") > 0))
        .join(last_entry, on="invoice_id")
        .with_columns((pl.col("settled_on") - pl.col("due_date")).dt.total_days().alias("delay"))
    )
    if window_days is not None:
        if window_days < 1:
            raise ValidationFailed(f"window_days must be at least 1, got {window_days}")
        settled = settled.filter(pl.col("settled_on") > as_of - dt.timedelta(days=window_days))
    return settled


def payment_delays(
    invoices: pl.DataFrame,
    entries: pl.DataFrame,
    *,
    as_of: dt.date,
    window_days: int | None = None,
) -> pl.DataFrame:
    """Each buyer's average payment delay in days, per currency.

    Columns: company_id, currency, settled_invoices, delay (Int64 days: the invoice-amount
    weighted mean of settlement date - due date over invoices settled on or before ``as_of``,
    only those settled in the last ``window_days`` days if given, rounded half-even).
    """
    check_as_of(as_of)
    state = outstanding(invoices, entries, as_of=as_of).lazy()
    settled = _settled(state, entries, as_of, window_days)
    return (
        _weighted_delay(settled, ["company_id", "currency"])
        .sort("company_id", "currency")
        .collect()
    )


def expected_payments(
    invoices: pl.DataFrame,
    entries: pl.DataFrame,
    *,
    as_of: dt.date,
    window_days: int | None = None,
) -> pl.DataFrame:
    """Each open invoice's expected payment date.

    Columns: invoice_id, invoice_ref, company_id, currency, due_date, outstanding, delay
    (days), delay_basis (buyer, seller or none), expected_date and moved_to_as_of (true when
    due date + delay fell before ``as_of``: the invoice is overdue and expected now).
    """
    return (
        _expected(invoices, entries, as_of, window_days)
        .sort("expected_date", "invoice_ref")
        .collect()
    )


def _expected(
    invoices: pl.DataFrame, entries: pl.DataFrame, as_of: dt.date, window_days: int | None
) -> pl.LazyFrame:
    check_as_of(as_of)
    state = outstanding(invoices, entries, as_of=as_of).lazy()
    settled = _settled(state, entries, as_of, window_days)
    by_buyer = _weighted_delay(settled, ["company_id", "currency"]).select(
        "company_id", "currency", pl.col("delay").alias("buyer_delay")
    )
    by_seller = _weighted_delay(settled, ["currency"]).select(
        "currency", pl.col("delay").alias("seller_delay")
    )
    open_ = state.filter(pl.col(OUTSTANDING) != 0)
    basis = (
        pl.when(pl.col("buyer_delay").is_not_null())
        .then(pl.lit(DelayBasis.BUYER.value))
        .when(pl.col("seller_delay").is_not_null())
        .then(pl.lit(DelayBasis.SELLER.value))
        .otherwise(pl.lit(DelayBasis.NONE.value))
    )
    delay = pl.coalesce("buyer_delay", "seller_delay", pl.lit(0, dtype=pl.Int64))
    raw = pl.col("due_date") + pl.duration(days=pl.col("delay"))
    return (
        open_.join(by_buyer, on=["company_id", "currency"], how="left")
        .join(by_seller, on="currency", how="left")
        .with_columns(delay.alias("delay"), basis.alias("delay_basis"))
        .with_columns(
            pl.max_horizontal(raw, pl.lit(as_of)).alias("expected_date"),
            (raw < pl.lit(as_of)).alias("moved_to_as_of"),
        )
        .select(
            "invoice_id",
            "invoice_ref",
            "company_id",
            "currency",
            "due_date",
            OUTSTANDING,
            "delay",
            "delay_basis",
            "expected_date",
            "moved_to_as_of",
        )
    )


def cash_forecast(
    invoices: pl.DataFrame,
    entries: pl.DataFrame,
    *,
    as_of: dt.date,
    weeks: int = WEEKS,
    window_days: int | None = None,
) -> pl.DataFrame:
    """Expected cash-in per currency and week from ``as_of``, plus a ``later`` row.

    Week 1 is [as_of, as_of + 6 days], week k starts as_of + 7(k-1) days. Columns: currency,
    week ("1".."<weeks>" or "later"), week_start, week_end (null for later), expected (Int64
    minor units). Every currency with open invoices gets every week, zero where none falls.
    """
    if weeks < 1:
        raise ValidationFailed(f"weeks must be at least 1, got {weeks}")
    payments = _expected(invoices, entries, as_of, window_days)
    index = ((pl.col("expected_date") - pl.lit(as_of)).dt.total_days() // 7).clip(upper_bound=weeks)
    sums = (
        payments.group_by("currency", index.alias("slot")).agg(pl.col(OUTSTANDING).sum()).collect()
    )
    slots = pl.DataFrame(
        {
            "slot": list(range(weeks + 1)),
            "week": [str(i + 1) for i in range(weeks)] + [LATER],
            "week_start": [as_of + dt.timedelta(days=7 * i) for i in range(weeks + 1)],
            "week_end": [as_of + dt.timedelta(days=7 * i + 6) for i in range(weeks)] + [None],
        },
        schema={"slot": pl.Int64, "week": pl.Utf8, "week_start": pl.Date, "week_end": pl.Date},
    )
    grid = sums.select(pl.col("currency").unique()).join(slots, how="cross")
    return (
        grid.join(sums, on=["currency", "slot"], how="left")
        .with_columns(pl.col(OUTSTANDING).fill_null(0).alias("expected"))
        .sort("currency", "slot")
        .select("currency", "week", "week_start", "week_end", "expected")
    )
