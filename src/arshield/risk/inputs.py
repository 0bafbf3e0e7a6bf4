"""Load the grading engine's input frames with one set of SQL queries.

A full run reads the registry in bulk, columnar, through ADBC; grading a few buyers runs the same
queries, filtered to their ids, on the request's session. Both give the same columns and types,
so the model sees one shape of data whether it grades one buyer or millions.

The bulk read runs in child processes, one per core: ADBC links its own copy of SQLite, and two
copies of SQLite in one process must never open the same database file (their POSIX locks would
interfere); processes also read in parallel where threads of one process do not. The children
write Arrow IPC files that the parent reads back.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl
from sqlalchemy import Uuid, bindparam, text
from sqlalchemy.orm import Session

from arshield.kit.db import sqlalchemy_url_to_adbc

COMPANY_SCHEMA: Final = {
    "company_id": pl.Utf8,
    "company_ref": pl.Utf8,
    "country": pl.Utf8,
    "sector": pl.Utf8,
    "founded": pl.Date,
    "employees": pl.Int64,
    "status": pl.Utf8,
}
STATEMENT_COLUMNS: Final = (
    "total_assets",
    "current_assets",
    "current_liabilities",
    "total_liabilities",
    "equity",
    "retained_earnings",
    "ebit",
    "net_income",
    "sales",
)
STATEMENT_SCHEMA: Final = {
    "company_id": pl.Utf8,
    "fiscal_year_end": pl.Date,
    **dict.fromkeys(STATEMENT_COLUMNS, pl.Int64),
}
PAYMENT_SCHEMA: Final = {
    "company_id": pl.Utf8,
    "payment_months": pl.Int64,
    "amount_paid": pl.Int64,
    "amount_overdue": pl.Int64,
    "days_sum": pl.Int64,
}
EVENT_SCHEMA: Final = {
    "company_id": pl.Utf8,
    "date": pl.Date,
    "type": pl.Utf8,
    "severity": pl.Utf8,
}
SCHEMAS: Final = {
    "companies": COMPANY_SCHEMA,
    "statements": STATEMENT_SCHEMA,
    "payments": PAYMENT_SCHEMA,
    "events": EVENT_SCHEMA,
}


@dataclass(frozen=True, slots=True)
class GradingInputs:
    """Everything the model reads: companies, statements, payment totals, events."""

    companies: pl.DataFrame
    statements: pl.DataFrame
    payments: pl.DataFrame
    events: pl.DataFrame


def window_start(as_of: dt.date, months: int) -> dt.date:
    """First day of the earliest month in a window of ``months`` months ending with ``as_of``."""
    index = as_of.year * 12 + as_of.month - 1 - (months - 1)
    return dt.date(index // 12, index % 12 + 1, 1)


def aggregate_payments(
    monthly: pl.DataFrame, *, as_of: dt.date, payment_months: int
) -> pl.DataFrame:
    """Per-company payment totals over the window: the Polars twin of the ``payments`` query."""
    first = window_start(as_of, payment_months)
    window = monthly.filter((pl.col("month") >= first) & (pl.col("month") <= as_of))
    return conform(
        window.group_by("company_id").agg(
            pl.len().alias("payment_months"),
            pl.col("amount_paid").sum(),
            pl.col("amount_overdue").sum(),
            pl.col("days_beyond_terms").sum().alias("days_sum"),
        ),
        PAYMENT_SCHEMA,
    )


def queries(
    *,
    dialect: str,
    as_of: dt.date,
    payment_months: int,
    filtered: bool,
    id_range: tuple[str | None, str | None] | None = None,
) -> dict[str, str]:
    """The SQL for each input frame.

    ``filtered`` adds ``IN :ids`` on the company id; ``id_range`` keeps stored ids in
    ``[low, high)`` (SQLite stores them as hex text), so big reads can be split across cores.
    """
    as_text = "CAST({} AS TEXT)" if dialect == "postgresql" else "{}"
    big = "CAST({} AS BIGINT)" if dialect == "postgresql" else "{}"
    day = f"'{as_of.isoformat()}'"
    first = f"'{window_start(as_of, payment_months).isoformat()}'"

    def where(column: str) -> str:
        clause = f" AND {column} IN :ids" if filtered else ""
        if id_range is not None and id_range[0] is not None:
            clause += f" AND {column} >= '{id_range[0]}'"
        if id_range is not None and id_range[1] is not None:
            clause += f" AND {column} < '{id_range[1]}'"
        return clause

    return {
        "companies": (
            f"SELECT {as_text.format('id')} AS company_id, ref AS company_ref, country, sector,"
            f" founded, employees, status FROM companies WHERE 1 = 1{where('id')}"
        ),
        "statements": (
            f"SELECT {as_text.format('company_id')} AS company_id, fiscal_year_end,"
            f" {', '.join(STATEMENT_COLUMNS)} FROM financial_statements"
            f" WHERE fiscal_year_end <= {day}{where('company_id')}"
        ),
        "payments": (
            f"SELECT {as_text.format('company_id')} AS company_id, COUNT(*) AS payment_months,"
            f" {big.format('SUM(amount_paid)')} AS amount_paid,"
            f" {big.format('SUM(amount_overdue)')} AS amount_overdue,"
            f" {big.format('SUM(days_beyond_terms)')} AS days_sum"
            f" FROM payment_experiences WHERE month >= {first} AND month <= {day}"
            f"{where('company_id')} GROUP BY company_id"
        ),
        "events": (
            f"SELECT {as_text.format('company_id')} AS company_id, date, type, severity"
            f" FROM company_events WHERE date <= {day}{where('company_id')}"
        ),
    }


def conform(frame: pl.DataFrame, schema: dict[str, Any]) -> pl.DataFrame:
    """Cast to the engine's schema (SQLite hands dates over as text)."""
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    exprs = []
    for name, dtype in schema.items():
        col = pl.col(name)
        if dtype == pl.Date and frame.schema[name] == pl.Utf8:
            exprs.append(col.str.slice(0, 10).str.to_date("%Y-%m-%d").alias(name))
        else:
            exprs.append(col.cast(dtype).alias(name))
    return frame.select(exprs)


BULK_WORKERS: Final = 2


def read_frames(*, database_url: str, sqls: dict[str, str]) -> dict[str, pl.DataFrame]:
    """Run read-only queries in bulk through ADBC in child processes; raw frames by name.

    Queries are dealt to ``BULK_WORKERS`` child processes in the order given (largest first
    gives the best balance), which write Arrow IPC files this process then reads.
    """
    driver, uri = sqlalchemy_url_to_adbc(database_url)
    names = list(sqls)
    groups = [names[i::BULK_WORKERS] for i in range(BULK_WORKERS)]
    frames: dict[str, pl.DataFrame] = {}
    with tempfile.TemporaryDirectory(prefix="arshield-read-") as tmp:
        children = []
        for group in (g for g in groups if g):
            spec = json.dumps(
                {"driver": driver, "uri": uri, "queries": {n: sqls[n] for n in group}, "out": tmp}
            )
            child = subprocess.Popen(
                [sys.executable, "-m", "arshield.risk.bulk_child"],
                stdin=subprocess.PIPE,
                text=True,
            )
            assert child.stdin is not None
            child.stdin.write(spec)
            child.stdin.close()
            children.append(child)
        failed = [c.args for c in children if c.wait() != 0]
        if failed:
            raise RuntimeError(f"bulk reader failed: {failed}")
        for name in names:
            frames[name] = pl.read_ipc(Path(tmp) / f"{name}.arrow", memory_map=False)
    return frames


# One query runs on one core: the large reads are split by ranges of the company id.
BULK_SPLITS: Final = {"payments": 4, "statements": 2}


def id_ranges(parts: int, *, dialect: str) -> list[tuple[str | None, str | None]]:
    """``parts`` ranges of company ids by their first hex digit, as the database compares them."""
    digits = [f"{round(i * 16 / parts):x}" for i in range(1, parts)]
    if dialect == "postgresql":
        digits = [f"{d}0000000-0000-0000-0000-000000000000" for d in digits]
    edges: list[str | None] = [None, *digits, None]
    return list(itertools.pairwise(edges))


def load_bulk(*, database_url: str, as_of: dt.date, payment_months: int = 12) -> GradingInputs:
    """Read every company's inputs known on ``as_of`` in a few columnar queries."""
    driver, _uri = sqlalchemy_url_to_adbc(database_url)
    whole = queries(dialect=driver, as_of=as_of, payment_months=payment_months, filtered=False)
    # Largest reads first, split by id range, so the workers share them and finish together.
    sqls: dict[str, str] = {}
    for name, parts in BULK_SPLITS.items():
        for index, id_range in enumerate(id_ranges(parts, dialect=driver)):
            sqls[f"{name}#{index}"] = queries(
                dialect=driver,
                as_of=as_of,
                payment_months=payment_months,
                filtered=False,
                id_range=id_range,
            )[name]
    sqls.update({name: sql for name, sql in whole.items() if name not in BULK_SPLITS})
    raw = read_frames(database_url=database_url, sqls=sqls)
    frames: dict[str, list[pl.DataFrame]] = {}
    for key, frame in raw.items():
        frames.setdefault(key.split("#", 1)[0], []).append(
            conform(frame, SCHEMAS[key.split("#")[0]])
        )
    return GradingInputs(**{name: pl.concat(parts) for name, parts in frames.items()})


def load_for(
    session: Session, *, company_ids: Sequence[uuid.UUID], as_of: dt.date, payment_months: int = 12
) -> GradingInputs:
    """Read the inputs of a few companies known on ``as_of`` through the session."""
    dialect = session.get_bind().dialect.name
    sqls = queries(dialect=dialect, as_of=as_of, payment_months=payment_months, filtered=True)
    ids = bindparam("ids", value=list(company_ids), expanding=True, type_=Uuid())
    frames = {}
    for name, sql in sqls.items():
        result = session.execute(text(sql).bindparams(ids))
        columns = list(SCHEMAS[name])
        rows = [dict(zip(columns, row, strict=True)) for row in result.all()]
        frames[name] = conform(_frame_from_rows(rows, columns), SCHEMAS[name])
    return GradingInputs(**frames)


def _frame_from_rows(rows: list[dict[str, Any]], columns: list[str]) -> pl.DataFrame:
    data = {c: [_plain(r[c]) for r in rows] for c in columns}
    return pl.DataFrame(data, strict=False)


def _plain(value: Any) -> Any:
    """Database values as the bulk reader sees them (dates as ISO text, ids as text)."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value
