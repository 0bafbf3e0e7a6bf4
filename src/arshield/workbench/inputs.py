"""Reading the platform's data for trained models: the grading engine's queries, plus every
statement column (the catalogue's ratios use cash, receivables, inventory, depreciation,
interest, operating cash flow and cost of sales, which the expert model does not read).

The registry is read in bulk through ADBC child processes, as a grading run reads it; a few
buyers are read through the session, with the same columns and types.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import Uuid, bindparam, text
from sqlalchemy.orm import Session

from arshield.kit.db import sqlalchemy_url_to_adbc
from arshield.risk.inputs import SCHEMAS, STATEMENT_COLUMNS, conform, queries, read_frames
from arshield.risk.tables import service as tables_service
from arshield.workbench.features import (
    EXTENDED_STATEMENT_SCHEMA,
    OPTIONAL_STATEMENT_COLUMNS,
    platform_frame,
)

PAYMENT_MONTHS = 12


def _statement_sql(*, dialect: str, as_of: dt.date, filtered: bool) -> str:
    company = "CAST(company_id AS TEXT)" if dialect == "postgresql" else "company_id"
    columns = ", ".join((*STATEMENT_COLUMNS, *OPTIONAL_STATEMENT_COLUMNS))
    where = " AND company_id IN :ids" if filtered else ""
    return (
        f"SELECT {company} AS company_id, fiscal_year_end, currency, {columns}"
        f" FROM financial_statements WHERE fiscal_year_end <= '{as_of.isoformat()}'{where}"
    )


def _schemas() -> dict[str, dict[str, Any]]:
    return {**SCHEMAS, "statements": EXTENDED_STATEMENT_SCHEMA}


def risk_tables(session: Session, *, as_of: dt.date) -> tuple[dict[str, int], dict[str, str]]:
    """Country short-term risk levels and sector risks in force on ``as_of``."""
    countries = tables_service.country_risk_as_of(session, as_of=as_of)
    sectors = tables_service.sector_risk_as_of(session, as_of=as_of)
    return {code: rating.short_term for code, rating in countries.items()}, sectors


def read_bulk(*, database_url: str, as_of: dt.date) -> dict[str, pl.DataFrame]:
    """Every company's inputs known on ``as_of``, in columnar bulk reads."""
    driver, _uri = sqlalchemy_url_to_adbc(database_url)
    sqls = queries(dialect=driver, as_of=as_of, payment_months=PAYMENT_MONTHS, filtered=False)
    sqls["statements"] = _statement_sql(dialect=driver, as_of=as_of, filtered=False)
    # Largest first: the bulk reader deals queries to its workers in this order.
    order = ("payments", "statements", "companies", "events")
    raw = read_frames(database_url=database_url, sqls={name: sqls[name] for name in order})
    schemas = _schemas()
    return {name: conform(frame, schemas[name]) for name, frame in raw.items()}


def read_for(
    session: Session, *, company_ids: Sequence[uuid.UUID], as_of: dt.date
) -> dict[str, pl.DataFrame]:
    """The inputs of a few companies known on ``as_of``, through the session."""
    dialect = session.get_bind().dialect.name
    sqls = queries(dialect=dialect, as_of=as_of, payment_months=PAYMENT_MONTHS, filtered=True)
    sqls["statements"] = _statement_sql(dialect=dialect, as_of=as_of, filtered=True)
    ids = bindparam("ids", value=list(company_ids), expanding=True, type_=Uuid())
    schemas = _schemas()
    frames: dict[str, pl.DataFrame] = {}
    for name, sql in sqls.items():
        columns = list(schemas[name])
        rows = session.execute(text(sql).bindparams(ids)).all()
        data = {c: [_plain(row[i]) for row in rows] for i, c in enumerate(columns)}
        frames[name] = conform(pl.DataFrame(data, strict=False), schemas[name])
    return frames


def _plain(value: Any) -> Any:
    """Database values as the bulk reader gives them (ids and dates as text)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def features_from(
    session: Session, frames: dict[str, pl.DataFrame], *, as_of: dt.date
) -> pl.DataFrame:
    """The platform feature frame (:func:`platform_frame`) of the companies in ``frames``."""
    country, sector = risk_tables(session, as_of=as_of)
    return platform_frame(
        companies=frames["companies"],
        statements=frames["statements"],
        payments=frames["payments"],
        events=frames["events"],
        country_short_term=country,
        sector_risk=sector,
        as_of=as_of,
    )
