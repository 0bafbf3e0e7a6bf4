"""Receivables reports for the API and the CLI: aging, dso, forecast, concentration.

Each report reads the seller's ledger into columnar frames once (``queries.load_frames``), runs
the pure analytics over them, and renders money as exact decimal text in its currency. With a
reporting currency, amounts are converted with the seller's FX rate table as of the report date;
the report names every rate and date it used.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import polars as pl
from sqlalchemy.orm import Session

from arshield.fx import service as fx_service
from arshield.kit.errors import ValidationFailed
from arshield.kit.money import normalize_currency
from arshield.kit.time import check_as_of
from arshield.receivables import analytics, queries

MAX_WEEKS = 52


class ReportName(enum.StrEnum):
    AGING = "aging"
    DSO = "dso"
    FORECAST = "forecast"
    CONCENTRATION = "concentration"


@dataclass(frozen=True)
class ReportTable:
    """One table of a report: its columns in order and its rows (JSON-ready values)."""

    name: str
    columns: list[str]
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class Report:
    """A report: its parameters, its tables (the first is the one CSV gives, with
    ``csv_columns``) and the FX rates used when amounts were converted."""

    name: str
    as_of: dt.date
    parameters: dict[str, Any]
    tables: list[ReportTable]
    csv_columns: list[str]
    rates: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "report": self.name,
            "as_of": self.as_of.isoformat(),
            "parameters": self.parameters,
            "rates": self.rates,
            "tables": {t.name: t.rows for t in self.tables},
        }


@dataclass(frozen=True)
class ReportRequest:
    """What to report on. ``by``/``buckets`` for aging, ``date_from`` for dso, ``weeks`` for
    forecast, ``top`` for concentration; ``currency`` converts amounts into it."""

    as_of: dt.date
    by: str = "buyer"
    buckets: str | None = None
    currency: str | None = None
    date_from: dt.date | None = None
    weeks: int = analytics.WEEKS
    top: int = 10
    months: int = 12
    company_id: uuid.UUID | None = None


def build_report(
    session: Session, org_id: uuid.UUID, name: ReportName | str, request: ReportRequest
) -> Report:
    """Run report ``name`` on the ledger of ``org_id``."""
    check_as_of(request.as_of)
    name = ReportName(name)
    target = normalize_currency(request.currency) if request.currency else None
    frames = queries.load_frames(
        session, org_id, as_of=request.as_of, company_id=request.company_id
    )
    if name is ReportName.AGING:
        return _aging(session, org_id, frames, request, target)
    if name is ReportName.DSO:
        return _dso(frames, request)
    if name is ReportName.FORECAST:
        return _forecast(frames, request)
    return _concentration(session, org_id, frames, request, target)


def _rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return [{k: _plain(v) for k, v in row.items()} for row in frame.iter_rows(named=True)]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _rates(
    session: Session, org_id: uuid.UUID, currencies: list[str], target: str, on: dt.date
) -> tuple[dict[str, Decimal], list[dict[str, Any]]]:
    quotes = fx_service.rates_for(session, org_id=org_id, currencies=currencies, to=target, on=on)
    used = [
        {
            "from": code,
            "to": target,
            "rate": str(q.rate),
            "rate_date": q.date.isoformat() if q.date else None,
            "source": q.source,
            "inverted": q.inverted,
        }
        for code, q in sorted(quotes.items())
    ]
    return {code: q.rate for code, q in quotes.items()}, used


def _aging(
    session: Session,
    org_id: uuid.UUID,
    frames: queries.LedgerFrames,
    request: ReportRequest,
    target: str | None,
) -> Report:
    buckets = (
        analytics.AgingBuckets.parse(request.buckets)
        if request.buckets
        else analytics.DEFAULT_BUCKETS
    )
    try:
        by = analytics.AgingBy(request.by)
    except ValueError:
        allowed = ", ".join(b.value for b in analytics.AgingBy)
        raise ValidationFailed(f"aging by {request.by!r}: expected one of {allowed}") from None
    frame = analytics.aging(
        frames.invoices, frames.entries, frames.disputes, frames.buyers,
        as_of=request.as_of, buckets=buckets, by=by,
    )  # fmt: skip
    columns = analytics.aging_columns(by, buckets)
    used: list[dict[str, Any]] = []
    if target is not None and frame.height:
        amounts = [*buckets.labels, analytics.TOTAL, analytics.DISPUTED]
        keys = [c for c in columns if c not in amounts and c != "currency"]
        rates, used = _rates(
            session, org_id, frame["currency"].unique().to_list(), target, request.as_of
        )
        frame = analytics.convert_groups(
            frame, amount_columns=amounts, rates=rates, to_currency=target, key_columns=keys
        ).frame
    rendered = analytics.render_aging(frame, buckets) if frame.height else frame
    return Report(
        name="aging",
        as_of=request.as_of,
        parameters={"by": by.value, "buckets": list(buckets.labels), "currency": target},
        tables=[ReportTable("aging", columns, _rows(rendered.select(columns)))],
        csv_columns=analytics.aging_columns(by, buckets, csv=True),
        rates=used,
    )


_DSO_MONEY = ["opening_ar", "credit_sales", "closing_ar", "closing_current_ar"]


def _dso(frames: queries.LedgerFrames, request: ReportRequest) -> Report:
    start = request.date_from or (request.as_of - dt.timedelta(days=89))
    if start > request.as_of:
        raise ValidationFailed("the period starts after as_of")
    if not 1 <= request.months <= 60:
        raise ValidationFailed("months must be 1-60")
    summary = analytics.dso(frames.invoices, frames.entries, start=start, end=request.as_of)
    trend = analytics.dso_trend(
        frames.invoices, frames.entries, end=request.as_of, months=request.months
    )
    summary = analytics.render_minor(summary, _DSO_MONEY) if summary.height else summary
    trend = analytics.render_minor(trend, ["credit_sales", "ar"]) if trend.height else trend
    return Report(
        name="dso",
        as_of=request.as_of,
        parameters={
            "from": start.isoformat(),
            "to": request.as_of.isoformat(),
            "months": request.months,
        },
        tables=[
            ReportTable("dso", summary.columns, _rows(summary)),
            ReportTable("trend", trend.columns, _rows(trend)),
        ],
        csv_columns=summary.columns,
    )


def _forecast(frames: queries.LedgerFrames, request: ReportRequest) -> Report:
    if not 1 <= request.weeks <= MAX_WEEKS:
        raise ValidationFailed(f"weeks must be 1-{MAX_WEEKS}")
    weekly = analytics.cash_forecast(
        frames.invoices, frames.entries, as_of=request.as_of, weeks=request.weeks
    )
    money = [c for c, d in weekly.schema.items() if d == pl.Int64 and c not in ("week", "invoices")]
    weekly = analytics.render_minor(weekly, money) if weekly.height else weekly
    return Report(
        name="forecast",
        as_of=request.as_of,
        parameters={"weeks": request.weeks},
        tables=[ReportTable("weeks", weekly.columns, _rows(weekly))],
        csv_columns=weekly.columns,
    )


def _concentration(
    session: Session,
    org_id: uuid.UUID,
    frames: queries.LedgerFrames,
    request: ReportRequest,
    target: str | None,
) -> Report:
    if not 1 <= request.top <= 1000:
        raise ValidationFailed("top must be 1-1000")
    rates: dict[str, Decimal] | None = None
    used: list[dict[str, Any]] = []
    if target is not None and frames.invoices.height:
        rates, used = _rates(
            session, org_id, frames.invoices["currency"].unique().to_list(), target, request.as_of
        )
    result = analytics.concentration(
        frames.invoices, frames.entries, frames.buyers, as_of=request.as_of, top_n=request.top,
        rates=rates, to_currency=target,
    )  # fmt: skip
    tables = []
    for name, frame, money in (
        ("buyers", result.buyers.filter(pl.col("rank") <= request.top), ["exposure"]),
        ("summary", result.summary, ["total", "top_n_exposure"]),
        ("by_grade", result.by_grade, ["exposure"]),
        ("by_country", result.by_country, ["exposure"]),
    ):
        shown = analytics.render_minor(frame, money) if frame.height else frame
        tables.append(ReportTable(name, shown.columns, _rows(shown)))
    return Report(
        name="concentration",
        as_of=request.as_of,
        parameters={"top": request.top, "currency": target},
        tables=tables,
        csv_columns=tables[0].columns,
        rates=used,
    )
