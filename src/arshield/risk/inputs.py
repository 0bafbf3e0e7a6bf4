"""Load the grading engine's input frames with one set of SQL queries.

A full run reads the registry in bulk, columnar, through ADBC; grading a few buyers runs the same
queries, filtered to their ids, on the request's session. Both give the same columns and types,
so the model sees one shape of data whether it grades one buyer or millions.

On SQLite the bulk read runs in a child process: ADBC links its own copy of SQLite, and two
copies of SQLite in one process must never open the same database file (their POSIX locks would
interfere). The child writes Arrow IPC files that the parent maps back in.
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
from concurrent.futures import ThreadPoolExecutor
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
    id_range: tuple[str, str] | None = None,
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
        if id_range is not None:
            clause += f" AND {column} >= '{id_range[0]}' AND {column} < '{id_range[1]}'"
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


def _read_adbc(driver: str, uri: str, sql: str) -> Any:
    if driver == "sqlite":
        import adbc_driver_sqlite.dbapi as dbapi
    else:
        import adbc_driver_postgresql.dbapi as dbapi  # type: ignore[no-redef]
    with dbapi.connect(uri) as conn, conn.cursor() as cur:
        cur.execute(sql)
        return cur.fetch_arrow_table()


def _read_all_adbc(driver: str, uri: str, sqls: dict[str, str]) -> dict[str, Any]:
    """Run the queries on two threads (ADBC releases the GIL while the database works)."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {name: pool.submit(_read_adbc, driver, uri, sql) for name, sql in sqls.items()}
        return {name: future.result() for name, future in futures.items()}


def read_frames(*, database_url: str, sqls: dict[str, str]) -> dict[str, pl.DataFrame]:
    """Run read-only queries in bulk through ADBC (a child process on SQLite); raw frames."""
    driver, uri = sqlalchemy_url_to_adbc(database_url)
    frames: dict[str, pl.DataFrame] = {}
    if driver == "sqlite":
        with tempfile.TemporaryDirectory(prefix="arshield-read-") as tmp:
            spec = json.dumps({"uri": uri, "queries": sqls, "out": tmp})
            subprocess.run(
                [sys.executable, "-m", "arshield.risk.bulk_child"],
                input=spec,
                text=True,
                check=True,
            )
            for name in sqls:
                frames[name] = pl.read_ipc(Path(tmp) / f"{name}.arrow", memory_map=False)
        return frames
    for name, table in _read_all_adbc(driver, uri, sqls).items():
        frame = pl.from_arrow(table)
        assert isinstance(frame, pl.DataFrame)
        frames[name] = frame
    return frames


# SQLite runs one query on one core: the large reads are split by ranges of the hex company id.
SQLITE_SPLITS: Final = {"payments": 4, "statements": 2}


def _hex_ranges(parts: int) -> list[tuple[str, str]]:
    edges = [f"{round(i * 16 / parts):x}" for i in range(parts)] + ["g"]
    return list(itertools.pairwise(edges))


def load_bulk(*, database_url: str, as_of: dt.date, payment_months: int = 12) -> GradingInputs:
    """Read every company's inputs known on ``as_of`` in a few columnar queries."""
    driver, _uri = sqlalchemy_url_to_adbc(database_url)
    sqls = queries(dialect=driver, as_of=as_of, payment_months=payment_months, filtered=False)
    if driver == "sqlite":
        small = {name: sql for name, sql in sqls.items() if name not in SQLITE_SPLITS}
        sqls = {}
        # Largest reads first, so the two workers finish together.
        for name, parts in SQLITE_SPLITS.items():
            for index, id_range in enumerate(_hex_ranges(parts)):
                sqls[f"{name}#{index}"] = queries(
                    dialect=driver,
                    as_of=as_of,
                    payment_months=payment_months,
                    filtered=False,
                    id_range=id_range,
                )[name]
        sqls.update(small)
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
