"""Days sales outstanding and collection effectiveness, per currency.

Definitions (period [start, end], both days included, D = its number of days):

- AR(d): the sum, over invoices issued on or before d, of their outstanding amount on d.
- credit sales: the amounts of invoices issued in the period.
- standard DSO = AR(end) / credit sales x D.
- countback DSO: walk back calendar months from ``end`` (the first month runs from its first
  day to ``end``), taking each month's credit sales off AR(end); a month whose sales do not
  exhaust what is left counts all its days, the month that does counts the fraction
  left / sales of its days. Zero when AR(end) <= 0; if history runs out first, the days
  walked.
- best possible DSO = current AR(end) (not yet due on ``end``) / credit sales x D.
- average days delinquent (ADD) = DSO - best possible DSO.
- CEI = (opening AR + credit sales - closing AR) /
        (opening AR + credit sales - closing current AR) x 100, opening AR = AR(start - 1 day).

Every figure is computed from exact integers and rounded half-even to one decimal at the end.
A figure whose denominator is zero (no credit sales; for CEI a zero denominator) is None.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Final

import numpy as np
import polars as pl

from arshield.kit.errors import ValidationFailed
from arshield.kit.time import check_as_of
from arshield.receivables.analytics_keys import currency_codes, key_size, keyed, positions
from arshield.receivables.analytics_ledger import invoice_inputs, round_half_even
from arshield.receivables.frames import INVOICE_KEY

_DAY = dt.timedelta(days=1)
_EPOCH = dt.date(1970, 1, 1)
_DAYS_1DP = pl.Decimal(38, 1)
_DENSE_DAYS: Final = 200_000  # a day grid this long is indexed directly, not searched


@dataclass(frozen=True, slots=True)
class _Movements:
    """One currency's invoices issued and reductions, cumulated by day."""

    days: np.ndarray  # sorted epoch days, every day with a movement among them
    issued: np.ndarray  # cumulative amounts issued up to and including each day
    reduced: np.ndarray  # cumulative reductions effective up to and including each day
    first: int  # epoch day of the currency's first invoice

    def _at(self, cumulative: np.ndarray, day: dt.date) -> int:
        index = int(np.searchsorted(self.days, (day - _EPOCH).days, side="right"))
        return int(cumulative[index - 1]) if index else 0

    def ar(self, day: dt.date) -> int:
        return self._at(self.issued, day) - self._at(self.reduced, day)

    def sales(self, first: dt.date, last: dt.date) -> int:
        return self._at(self.issued, last) - self._at(self.issued, first - _DAY)

    @property
    def first_day(self) -> dt.date:
        return _EPOCH + dt.timedelta(days=self.first)


def _epoch_days(dates: pl.Series) -> np.ndarray:
    return dates.cast(pl.Int32).to_numpy().astype(np.int64)


@dataclass(frozen=True, slots=True)
class _Ledger:
    """Invoices (all of them) and the entries naming them, as arrays."""

    currencies: list[str]
    codes: np.ndarray  # per invoice, index into currencies
    issue: np.ndarray  # epoch days
    due: np.ndarray
    amount: np.ndarray
    entry_row: np.ndarray  # per entry, the row of its invoice
    entry_date: np.ndarray
    entry_amount: np.ndarray


def _ledger(invoices: pl.DataFrame, entries: pl.DataFrame) -> _Ledger:
    invoice_inputs(invoices, entries)
    frames = keyed(invoices, entries)
    inv, ent = frames.invoices, frames.entries
    codes, currencies = currency_codes(inv)
    size = key_size(inv)
    rows = positions(inv, size)
    keys = ent[INVOICE_KEY].to_numpy()
    inside = keys < size
    entry_row = rows[keys[inside]]
    found = entry_row >= 0
    return _Ledger(
        currencies=currencies,
        codes=codes,
        issue=_epoch_days(inv["issue_date"]),
        due=_epoch_days(inv["due_date"]),
        amount=inv["amount"].to_numpy(),
        entry_row=entry_row[found],
        entry_date=_epoch_days(ent["date"])[inside][found],
        entry_amount=ent["amount"].to_numpy()[inside][found],
    )


def _day_grid(
    issue: np.ndarray, effective: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted days holding every issue and effective day, and each one's index in it."""
    low = int(issue.min())
    high = max(int(issue.max()), int(effective.max()) if effective.size else low)
    if high - low < _DENSE_DAYS:
        return np.arange(low, high + 1, dtype=np.int64), issue - low, effective - low
    grid = np.union1d(
        pl.Series(issue).unique().to_numpy(), pl.Series(effective).unique().to_numpy()
    )
    return grid, np.searchsorted(grid, issue), np.searchsorted(grid, effective)


def _movements(ledger: _Ledger) -> dict[str, _Movements]:
    """Per currency, daily cumulative issues and reductions.

    An entry counts towards AR(d) when both it and its invoice are dated on or before d, i.e.
    from the later of the two dates.
    """
    if not ledger.currencies:
        return {}
    effective = np.maximum(ledger.entry_date, ledger.issue[ledger.entry_row])
    grid, issue_at, effective_at = _day_grid(ledger.issue, effective)
    n_days, n_currencies = grid.size, len(ledger.currencies)
    issued = np.zeros(n_currencies * n_days, dtype=np.int64)
    np.add.at(issued, ledger.codes * n_days + issue_at, ledger.amount)
    reduced = np.zeros(n_currencies * n_days, dtype=np.int64)
    np.add.at(reduced, ledger.codes[ledger.entry_row] * n_days + effective_at, ledger.entry_amount)
    first = np.full(n_currencies, n_days, dtype=np.int64)
    np.minimum.at(first, ledger.codes, issue_at)
    issued_by_day = issued.reshape(n_currencies, n_days).cumsum(axis=1)
    reduced_by_day = reduced.reshape(n_currencies, n_days).cumsum(axis=1)
    return {
        currency: _Movements(
            days=grid,
            issued=issued_by_day[code],
            reduced=reduced_by_day[code],
            first=int(grid[first[code]]),
        )
        for code, currency in enumerate(ledger.currencies)
    }


def _current_ar(ledger: _Ledger, day: dt.date) -> dict[str, int]:
    """Per currency, the outstanding amount on ``day`` of invoices not yet due (due >= day)."""
    epoch_day = (day - _EPOCH).days
    current = (ledger.issue <= epoch_day) & (ledger.due >= epoch_day)
    totals = np.zeros(len(ledger.currencies), dtype=np.int64)
    np.add.at(totals, ledger.codes[current], ledger.amount[current])
    counted = (ledger.entry_date <= epoch_day) & current[ledger.entry_row]
    rows = ledger.entry_row[counted]
    np.subtract.at(totals, ledger.codes[rows], ledger.entry_amount[counted])
    return {currency: int(totals[code]) for code, currency in enumerate(ledger.currencies)}


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _countback(moves: _Movements, end: dt.date) -> Fraction:
    remaining = moves.ar(end)
    days = Fraction(0)
    if remaining <= 0:
        return days
    segment_end = end
    while True:
        segment_start = _month_start(segment_end)
        length = (segment_end - segment_start).days + 1
        sales = moves.sales(segment_start, segment_end)
        if sales > 0 and sales >= remaining:
            return days + Fraction(remaining, sales) * length
        days += length
        remaining -= sales
        if segment_start <= moves.first_day:
            return days
        segment_end = segment_start - _DAY


def _ratio(numerator: int, denominator: int, factor: int) -> Fraction | None:
    return None if denominator == 0 else Fraction(numerator * factor, denominator)


def _one(value: Fraction | None) -> Decimal | None:
    return None if value is None else round_half_even(value, 1)


def dso(
    invoices: pl.DataFrame, entries: pl.DataFrame, *, start: dt.date, end: dt.date
) -> pl.DataFrame:
    """DSO, countback DSO, best possible DSO, ADD and CEI for [start, end], per currency.

    Columns: currency, days, opening_ar, credit_sales, closing_ar, closing_current_ar (Int64
    minor units), dso, countback_dso, best_possible_dso, add, cei (Decimal, one place; None
    where the denominator is zero). One row per currency with any invoice issued by ``end``.
    """
    check_as_of(start)
    check_as_of(end)
    if start > end:
        raise ValidationFailed(f"DSO period starts {start}, after its end {end}")
    period_days = (end - start).days + 1
    ledger = _ledger(invoices, entries)
    moves = _movements(ledger)
    current = _current_ar(ledger, end)
    rows = []
    for currency, m in sorted(moves.items()):
        if m.first_day > end:
            continue
        opening, closing = m.ar(start - _DAY), m.ar(end)
        sales = m.sales(start, end)
        closing_current = current.get(currency, 0)
        standard = _ratio(closing, sales, period_days)
        best = _ratio(closing_current, sales, period_days)
        add = None if standard is None or best is None else standard - best
        cei_denominator = opening + sales - closing_current
        cei = _ratio(opening + sales - closing, cei_denominator, 100)
        rows.append(
            {
                "currency": currency,
                "days": period_days,
                "opening_ar": opening,
                "credit_sales": sales,
                "closing_ar": closing,
                "closing_current_ar": closing_current,
                "dso": _one(standard),
                "countback_dso": _one(_countback(m, end)),
                "best_possible_dso": _one(best),
                "add": _one(add),
                "cei": _one(cei),
            }
        )
    schema = pl.Schema(
        {
            "currency": pl.Utf8(),
            "days": pl.Int64(),
            "opening_ar": pl.Int64(),
            "credit_sales": pl.Int64(),
            "closing_ar": pl.Int64(),
            "closing_current_ar": pl.Int64(),
            **dict.fromkeys(("dso", "countback_dso", "best_possible_dso", "add", "cei"), _DAYS_1DP),
        }
    )
    return pl.DataFrame(rows, schema=schema)


def _month_end(month_start: dt.date) -> dt.date:
    following = (month_start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - _DAY


def dso_trend(
    invoices: pl.DataFrame, entries: pl.DataFrame, *, end: dt.date, months: int = 12
) -> pl.DataFrame:
    """Monthly standard DSO for the ``months`` calendar months ending with ``end``'s month.

    Columns: currency, month (its first day), credit_sales (issued in the month), ar (AR at
    the month's end; for ``end``'s month, on ``end``), dso (ar / credit_sales x the month's
    days, up to ``end`` for the last month; None without sales). Rows by currency and month.
    """
    check_as_of(end)
    if months < 1:
        raise ValidationFailed(f"months must be at least 1, got {months}")
    starts = [_month_start(end)]
    for _ in range(months - 1):
        starts.insert(0, _month_start(starts[0] - _DAY))
    rows = []
    for currency, m in sorted(_movements(_ledger(invoices, entries)).items()):
        if m.first_day > end:
            continue
        for first in starts:
            last = min(_month_end(first), end)
            sales, ar = m.sales(first, last), m.ar(last)
            rows.append(
                {
                    "currency": currency,
                    "month": first,
                    "credit_sales": sales,
                    "ar": ar,
                    "dso": _one(_ratio(ar, sales, (last - first).days + 1)),
                }
            )
    schema = pl.Schema(
        {
            "currency": pl.Utf8(),
            "month": pl.Date(),
            "credit_sales": pl.Int64(),
            "ar": pl.Int64(),
            "dso": _DAYS_1DP,
        }
    )
    return pl.DataFrame(rows, schema=schema)
