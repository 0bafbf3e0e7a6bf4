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

import numpy as np
import polars as pl

from arshield.kit.errors import ValidationFailed
from arshield.kit.time import check_as_of
from arshield.receivables.analytics_ledger import checked, require_no_nulls, round_half_even
from arshield.receivables.frames import ENTRIES, INVOICES

_DAY = dt.timedelta(days=1)
_EPOCH = dt.date(1970, 1, 1)
_DAYS_1DP = pl.Decimal(38, 1)


@dataclass(frozen=True, slots=True)
class _Movements:
    """One currency's invoices issued and reductions, cumulated by day."""

    days: np.ndarray  # sorted epoch days with a movement
    issued: np.ndarray  # cumulative amounts issued up to and including each day
    reduced: np.ndarray  # cumulative reductions effective up to and including each day

    def _at(self, cumulative: np.ndarray, day: dt.date) -> int:
        index = int(np.searchsorted(self.days, (day - _EPOCH).days, side="right"))
        return int(cumulative[index - 1]) if index else 0

    def ar(self, day: dt.date) -> int:
        return self._at(self.issued, day) - self._at(self.reduced, day)

    def sales(self, first: dt.date, last: dt.date) -> int:
        return self._at(self.issued, last) - self._at(self.issued, first - _DAY)

    @property
    def first_day(self) -> dt.date:
        return _EPOCH + dt.timedelta(days=int(self.days[0])) if self.days.size else _EPOCH


def _inputs(invoices: pl.DataFrame, entries: pl.DataFrame) -> tuple[pl.LazyFrame, pl.LazyFrame]:
    checked(invoices, INVOICES, "invoices")
    checked(entries, ENTRIES, "entries")
    require_no_nulls(invoices, INVOICES.names(), "invoices")
    require_no_nulls(entries, ENTRIES.names(), "entries")
    return invoices.lazy(), entries.lazy()


def _movements(invoices: pl.DataFrame, entries: pl.DataFrame) -> dict[str, _Movements]:
    """Per currency, daily cumulative issues and reductions.

    An entry counts towards AR(d) when both it and its invoice are dated on or before d, i.e.
    from the later of the two dates.
    """
    inv, ent = _inputs(invoices, entries)
    issued = inv.group_by("currency", pl.col("issue_date").alias("day")).agg(
        pl.col("amount").sum().alias("issued")
    )
    reduced = (
        ent.join(inv.select("invoice_id", "issue_date", "currency"), on="invoice_id")
        .group_by("currency", pl.max_horizontal("date", "issue_date").alias("day"))
        .agg(pl.col("amount").sum().alias("reduced"))
    )
    daily = (
        pl.concat([issued, reduced], how="diagonal")
        .group_by("currency", "day")
        .agg(pl.col("issued").sum(), pl.col("reduced").sum())
        .sort("currency", "day")
        .with_columns(
            pl.col("issued").cum_sum().over("currency"),
            pl.col("reduced").cum_sum().over("currency"),
        )
        .collect()
    )
    return {
        str(currency): _Movements(
            days=part["day"].cast(pl.Int32).to_numpy(),
            issued=part["issued"].to_numpy(),
            reduced=part["reduced"].to_numpy(),
        )
        for (currency,), part in daily.partition_by("currency", as_dict=True).items()
    }


def _current_ar(invoices: pl.DataFrame, entries: pl.DataFrame, day: dt.date) -> dict[str, int]:
    """Per currency, the outstanding amount on ``day`` of invoices not yet due (due >= day)."""
    inv, ent = _inputs(invoices, entries)
    current = inv.filter((pl.col("issue_date") <= day) & (pl.col("due_date") >= day))
    reduced = (
        ent.filter(pl.col("date") <= day)
        .join(current.select("invoice_id", "currency"), on="invoice_id")
        .group_by("currency")
        .agg(pl.col("amount").sum().alias("reduced"))
    )
    totals = (
        current.group_by("currency")
        .agg(pl.col("amount").sum())
        .join(reduced, on="currency", how="left")
        .select("currency", (pl.col("amount") - pl.col("reduced").fill_null(0)).alias("ar"))
        .collect()
    )
    return dict(zip(totals["currency"].to_list(), totals["ar"].to_list(), strict=True))


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
    moves = _movements(invoices, entries)
    current = _current_ar(invoices, entries, end)
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
    for currency, m in sorted(_movements(invoices, entries).items()):
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
