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
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

import numpy as np
import polars as pl

from arshield.kit.errors import ValidationFailed
from arshield.kit.time import check_as_of
from arshield.receivables.analytics_keys import currency_codes, key_size, keyed
from arshield.receivables.analytics_ledger import (
    OUTSTANDING,
    divide_half_even,
    invoice_inputs,
    invoice_state,
)
from arshield.receivables.frames import COMPANY_KEY, INVOICE_KEY

WEEKS: Final = 13
LATER: Final = "later"
_EPOCH: Final = dt.date(1970, 1, 1)
_NEVER: Final = np.iinfo(np.int64).min


class DelayBasis(StrEnum):
    """Where an invoice's expected delay comes from."""

    BUYER = "buyer"
    SELLER = "seller"
    NONE = "none"


_BASES: Final = (DelayBasis.BUYER.value, DelayBasis.SELLER.value, DelayBasis.NONE.value)


def _weighted_delay(frame: pl.LazyFrame, keys: list[str]) -> pl.LazyFrame:
    weighted = (pl.col("delay").cast(pl.Int128) * pl.col("amount").cast(pl.Int128)).sum()
    return (
        frame.group_by(keys)
        .agg(
            weighted.alias("weighted"),
            pl.col("amount").cast(pl.Int128).sum().alias("weight"),
            pl.len().alias("settled_invoices"),
            pl.col("company_id").first(),
        )
        .select(
            *keys,
            "company_id",
            "settled_invoices",
            divide_half_even(pl.col("weighted"), pl.col("weight")).cast(pl.Int64).alias("delay"),
        )
    )


def _settled(
    invoices: pl.DataFrame, entries: pl.DataFrame, as_of: dt.date, window_days: int | None
) -> tuple[pl.DataFrame, np.ndarray, pl.DataFrame]:
    """The keyed invoices issued by ``as_of``, their outstanding amounts, and the settled ones
    (outstanding zero, amount positive) with ``delay``: the date of their last entry on or
    before ``as_of`` minus their due date, only those settled in the window if one is given."""
    check_as_of(as_of)
    invoice_inputs(invoices, entries)
    if window_days is not None and window_days < 1:
        raise ValidationFailed(f"window_days must be at least 1, got {window_days}")
    frames = keyed(invoices, entries)
    issued, left = invoice_state(frames, as_of=as_of)
    on_day = frames.entries.filter(pl.col("date") <= as_of)
    last_entry = np.full(key_size(issued), _NEVER, dtype=np.int64)
    keys = on_day[INVOICE_KEY].to_numpy()
    inside = keys < last_entry.size
    np.maximum.at(last_entry, keys[inside], _days(on_day["date"])[inside])
    settled_on = last_entry[issued[INVOICE_KEY].to_numpy()]
    settled = (left == 0) & (issued["amount"].to_numpy() > 0) & (settled_on != _NEVER)
    if window_days is not None:
        settled &= settled_on > (as_of - _EPOCH).days - window_days
    delay = settled_on[settled] - _days(issued.filter(pl.Series(settled))["due_date"])
    frame = issued.filter(pl.Series(settled)).select(
        COMPANY_KEY, "company_id", "currency", "amount", pl.Series("delay", delay)
    )
    return issued, left, frame


def _days(dates: pl.Series) -> np.ndarray:
    return dates.cast(pl.Int32).to_numpy().astype(np.int64)


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
    _, _, settled = _settled(invoices, entries, as_of, window_days)
    return (
        _weighted_delay(settled.lazy(), [COMPANY_KEY, "currency"])
        .select("company_id", "currency", "settled_invoices", "delay")
        .sort("company_id", "currency")
        .collect()
    )


@dataclass(frozen=True, slots=True)
class _Expected:
    """Open invoices and, per row, their expected payment."""

    open: pl.DataFrame  # keyed invoice rows with ``outstanding``
    currencies: list[str]
    codes: np.ndarray  # index into currencies
    delay: np.ndarray
    basis: np.ndarray  # index into _BASES
    raw: np.ndarray  # epoch day of due date + delay
    expected: np.ndarray  # raw, moved to as_of when earlier


def _lookup(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, ...]:
    """``values`` at ``wanted`` among distinct ``keys``, and where each was found."""
    if not keys.size:
        return np.zeros(wanted.size, dtype=np.int64), np.zeros(wanted.size, dtype=bool)
    order = np.argsort(keys)
    keys, values = keys[order], values[order]
    at = np.minimum(np.searchsorted(keys, wanted), keys.size - 1)
    return values[at], keys[at] == wanted


def _expected(
    invoices: pl.DataFrame, entries: pl.DataFrame, as_of: dt.date, window_days: int | None
) -> _Expected:
    issued, left, settled = _settled(invoices, entries, as_of, window_days)
    is_open = left != 0
    open_ = issued.filter(pl.Series(is_open)).with_columns(pl.Series(OUTSTANDING, left[is_open]))
    codes, currencies = currency_codes(open_)
    n_currencies = max(len(currencies), 1)
    code_of = {currency: code for code, currency in enumerate(currencies)}

    by_seller = _weighted_delay(settled.lazy(), ["currency"]).collect()
    seller = np.zeros(n_currencies, dtype=np.int64)
    has_seller = np.zeros(n_currencies, dtype=bool)
    for currency, delay in zip(by_seller["currency"], by_seller["delay"], strict=True):
        if currency in code_of:
            seller[code_of[currency]], has_seller[code_of[currency]] = delay, True

    by_buyer = (
        _weighted_delay(settled.lazy(), [COMPANY_KEY, "currency"])
        .filter(pl.col("currency").is_in(currencies))
        .collect()
    )
    buyer_codes = by_buyer["currency"].replace_strict(code_of, return_dtype=pl.Int64)
    buyer_delay, found = _lookup(
        by_buyer[COMPANY_KEY].cast(pl.Int64).to_numpy() * n_currencies + buyer_codes.to_numpy(),
        by_buyer["delay"].to_numpy(),
        open_[COMPANY_KEY].cast(pl.Int64).to_numpy() * n_currencies + codes,
    )
    from_seller = ~found & has_seller[codes]
    delay = np.where(found, buyer_delay, np.where(from_seller, seller[codes], 0))
    raw = _days(open_["due_date"]) + delay
    return _Expected(
        open=open_,
        currencies=currencies,
        codes=codes,
        delay=delay,
        basis=np.where(found, 0, np.where(from_seller, 1, 2)),
        raw=raw,
        expected=np.maximum(raw, (as_of - _EPOCH).days),
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
    found = _expected(invoices, entries, as_of, window_days)
    return (
        found.open.select(
            "invoice_id", "invoice_ref", "company_id", "currency", "due_date", OUTSTANDING
        )
        .with_columns(
            pl.Series("delay", found.delay, dtype=pl.Int64),
            pl.Series("delay_basis", _BASES, dtype=pl.Utf8).gather(found.basis),
            pl.Series("expected_date", found.expected).cast(pl.Int32).cast(pl.Date),
            pl.Series("moved_to_as_of", found.raw < (as_of - _EPOCH).days),
        )
        .sort("expected_date", "invoice_ref")
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
    found = _expected(invoices, entries, as_of, window_days)
    slots = weeks + 1
    slot = np.minimum((found.expected - (as_of - _EPOCH).days) // 7, weeks)
    sums = np.zeros(max(len(found.currencies), 1) * slots, dtype=np.int64)
    np.add.at(sums, found.codes * slots + slot, found.open[OUTSTANDING].to_numpy())
    n = len(found.currencies)
    return pl.DataFrame(
        {
            "currency": [c for c in found.currencies for _ in range(slots)],
            "week": ([str(i + 1) for i in range(weeks)] + [LATER]) * n,
            "week_start": [as_of + dt.timedelta(days=7 * i) for i in range(slots)] * n,
            "week_end": ([as_of + dt.timedelta(days=7 * i + 6) for i in range(weeks)] + [None]) * n,
            "expected": sums[: n * slots],
        },
        schema={
            "currency": pl.Utf8,
            "week": pl.Utf8,
            "week_start": pl.Date,
            "week_end": pl.Date,
            "expected": pl.Int64,
        },
    )
