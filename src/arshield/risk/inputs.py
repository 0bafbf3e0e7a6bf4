"""Load the grading engine's input frames with one set of SQL queries.

A full run reads the registry in bulk, columnar, through ADBC; grading a few buyers runs the same
queries, filtered to their ids, on the request's session. Both give the same columns and types,
so the model sees one shape of data whether it grades one buyer or millions.

The bulk read runs in child processes, one per core: ADBC links its own copy of SQLite, and two
copies of SQLite in one process must never open the same database file (their POSIX locks would
interfere); processes also read in parallel where threads of one process do not. The children
write Arrow IPC files that the parent reads back. A full grading run goes one step further
(:class:`BulkGrading`): each child reads *and grades* whole ranges of company ids, so the model
runs on every core too, and the parent only stores the graded parts as they arrive.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Final, Self

import polars as pl

from arshield.risk.expert import DEFAULT_SPEC, ExpertSpec, build_features, grade_frame

# SQLAlchemy (and arshield.kit.db, which needs it) is imported where it is used, not here: the
# bulk child imports this module to grade, and starts faster without it.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

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


SCANNED_IN_RANGES: Final = frozenset({"companies", "statements", "events"})


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
    On SQLite a range of ids is read from the tables in ``SCANNED_IN_RANGES`` by a scan of the
    table (``+column`` keeps the index out of it): reading rows in storage order and skipping
    those outside the range costs less than looking up each row of the range from the index.
    The payment totals keep the index: it hands the rows over grouped by company, with no sort.
    """
    as_text = "CAST({} AS TEXT)" if dialect == "postgresql" else "{}"
    big = "CAST({} AS BIGINT)" if dialect == "postgresql" else "{}"
    day = f"'{as_of.isoformat()}'"
    first = f"'{window_start(as_of, payment_months).isoformat()}'"

    def where(column: str, table: str) -> str:
        clause = f" AND {column} IN :ids" if filtered else ""
        ranged = f"+{column}" if dialect == "sqlite" and table in SCANNED_IN_RANGES else column
        if id_range is not None and id_range[0] is not None:
            clause += f" AND {ranged} >= '{id_range[0]}'"
        if id_range is not None and id_range[1] is not None:
            clause += f" AND {ranged} < '{id_range[1]}'"
        return clause

    return {
        "companies": (
            f"SELECT {as_text.format('id')} AS company_id, ref AS company_ref, country, sector,"
            f" founded, employees, status FROM companies WHERE 1 = 1{where('id', 'companies')}"
        ),
        "statements": (
            f"SELECT {as_text.format('company_id')} AS company_id, fiscal_year_end,"
            f" {', '.join(STATEMENT_COLUMNS)} FROM financial_statements"
            f" WHERE fiscal_year_end <= {day}{where('company_id', 'statements')}"
        ),
        "payments": (
            f"SELECT {as_text.format('company_id')} AS company_id, COUNT(*) AS payment_months,"
            f" {big.format('SUM(amount_paid)')} AS amount_paid,"
            f" {big.format('SUM(amount_overdue)')} AS amount_overdue,"
            f" {big.format('SUM(days_beyond_terms)')} AS days_sum"
            f" FROM payment_experiences WHERE month >= {first} AND month <= {day}"
            f"{where('company_id', 'payments')} GROUP BY company_id"
        ),
        "events": (
            f"SELECT {as_text.format('company_id')} AS company_id, date, type, severity"
            f" FROM company_events WHERE date <= {day}{where('company_id', 'events')}"
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
# A full run grades the registry in this many ranges of company ids, dealt to the workers in
# turn, so the parent stores the first parts while the workers still grade the last ones.
GRADE_PARTS: Final = 4
# The engine's output columns a grading run stores (and a test compares across code paths).
GRADED_COLUMNS: Final = (
    "company_id",
    "company_ref",
    "score",
    "grade",
    "pd",
    "model_pd",
    "confidence",
    "cap_grade",
    "statement_date",
    "statement_years",
    "payment_months",
    "reasons",
)


def _start_child(spec: dict[str, Any], *, stdout: int | None = None) -> subprocess.Popen[bytes]:
    """A bulk child process, given its job on standard input."""
    child = subprocess.Popen(
        [sys.executable, "-m", "arshield.risk.bulk_child"], stdin=subprocess.PIPE, stdout=stdout
    )
    assert child.stdin is not None
    child.stdin.write(json.dumps(spec).encode())
    child.stdin.close()
    return child


def _stop(children: Sequence[subprocess.Popen[bytes]]) -> None:
    """End children that are still running (after a failure elsewhere) and reap them all."""
    for child in children:
        if child.poll() is None:
            child.kill()
    for child in children:
        child.wait()
        if child.stdout is not None:
            child.stdout.close()


def read_frames(*, database_url: str, sqls: dict[str, str]) -> dict[str, pl.DataFrame]:
    """Run read-only queries in bulk through ADBC in child processes; raw frames by name.

    Queries are dealt to ``BULK_WORKERS`` child processes in the order given (largest first
    gives the best balance), which write Arrow IPC files this process then reads.
    """
    from arshield.kit.db import sqlalchemy_url_to_adbc

    driver, uri = sqlalchemy_url_to_adbc(database_url)
    names = list(sqls)
    groups = [names[i::BULK_WORKERS] for i in range(BULK_WORKERS)]
    frames: dict[str, pl.DataFrame] = {}
    with tempfile.TemporaryDirectory(prefix="arshield-read-") as tmp:
        children = [
            _start_child(
                {"driver": driver, "uri": uri, "queries": {n: sqls[n] for n in group}, "out": tmp}
            )
            for group in groups
            if group
        ]
        try:
            failed = [c.args for c in children if c.wait() != 0]
        finally:
            _stop(children)
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
    from arshield.kit.db import sqlalchemy_url_to_adbc

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


def spec_to_json(spec: ExpertSpec) -> dict[str, Any]:
    """The model's coefficients as JSON values; mappings as key-value pairs (keys keep types)."""
    return {
        field.name: list(value.items()) if isinstance(value, dict) else value
        for field in dataclasses.fields(spec)
        for value in [getattr(spec, field.name)]
    }


def spec_from_json(data: dict[str, Any]) -> ExpertSpec:
    """The inverse of :func:`spec_to_json`."""
    values: dict[str, Any] = {}
    for field in dataclasses.fields(ExpertSpec):
        value, kind = data[field.name], getattr(DEFAULT_SPEC, field.name)
        if isinstance(kind, dict):
            value = dict(value)
        elif isinstance(kind, tuple):
            value = tuple(value)
        values[field.name] = value
    return ExpertSpec(**values)


def grade_raw(
    raw: dict[str, pl.DataFrame],
    *,
    as_of: dt.date,
    spec: ExpertSpec,
    country_short_term: dict[str, int],
    sector_risk: dict[str, str],
) -> pl.DataFrame:
    """Grade input frames as the queries return them: ``GRADED_COLUMNS``, one row per company."""
    frames = {name: conform(frame, SCHEMAS[name]) for name, frame in raw.items()}
    features = build_features(
        **frames,
        country_short_term=country_short_term,
        sector_risk=sector_risk,
        as_of=as_of,
        spec=spec,
    )
    return grade_frame(features, as_of=as_of, spec=spec).select(GRADED_COLUMNS)


class BulkGrading:
    """Grade the whole registry in child processes, in parts by range of company id.

    Each of ``BULK_WORKERS`` children reads and grades its parts (every input frame of a range
    of company ids, so a part is graded exactly as the whole would be) and hands each graded part
    over as soon as it is done. Starting it returns at once; :meth:`parts` yields the graded
    parts in company-id order. Use it as a context manager: leaving it early (an error while the
    caller stores a part) ends the children.
    """

    def __init__(
        self,
        *,
        database_url: str,
        as_of: dt.date,
        spec: ExpertSpec,
        country_short_term: dict[str, int],
        sector_risk: dict[str, str],
        parts: int = GRADE_PARTS,
    ) -> None:
        from arshield.kit.db import sqlalchemy_url_to_adbc

        driver, uri = sqlalchemy_url_to_adbc(database_url)
        self._tmp = tempfile.TemporaryDirectory(prefix="arshield-grade-")
        self._out = Path(self._tmp.name)
        self._names = [f"part{index}" for index in range(parts)]
        self._seconds = {"read": 0.0, "grade": 0.0}
        job = {
            "as_of": as_of.isoformat(),
            "spec": spec_to_json(spec),
            "country_short_term": country_short_term,
            "sector_risk": sector_risk,
        }
        sqls = {
            name: queries(
                dialect=driver,
                as_of=as_of,
                payment_months=spec.pay_window_months,
                filtered=False,
                id_range=id_range,
            )
            for name, id_range in zip(self._names, id_ranges(parts, dialect=driver), strict=True)
        }
        workers = min(BULK_WORKERS, parts)
        self._children: list[subprocess.Popen[bytes]] = []
        try:
            for w in range(workers):
                job_of_child = {
                    "driver": driver,
                    "uri": uri,
                    "out": str(self._out),
                    "parts": {name: sqls[name] for name in self._names[w::workers]},
                    "grade": job,
                }
                self._children.append(_start_child(job_of_child, stdout=subprocess.PIPE))
        except BaseException:
            self.close()
            raise

    def parts(self) -> Iterator[pl.DataFrame]:
        """The graded parts (``GRADED_COLUMNS``) in company-id order, each once it is ready."""
        workers = len(self._children)
        for index, name in enumerate(self._names):
            child = self._children[index % workers]
            assert child.stdout is not None
            # Each child does its parts in order and names each one when its file is complete.
            announced = child.stdout.readline().decode().split()
            if announced[:1] != [name]:
                code = child.wait()
                raise RuntimeError(f"bulk grading failed in part {name} (exit code {code})")
            self._seconds["read"] += float(announced[1])
            self._seconds["grade"] += float(announced[2])
            path = self._out / f"{name}.arrow"
            part = pl.read_ipc(path, memory_map=False)
            path.unlink()
            yield part
        failed = [c.args for c in self._children if c.wait() != 0]
        if failed:
            raise RuntimeError(f"bulk grading failed: {failed}")

    def child_seconds(self) -> dict[str, float]:
        """Seconds the children spent reading and grading the parts handed over so far."""
        return dict(self._seconds)

    def close(self) -> None:
        """End any child still running and remove the parts' files."""
        _stop(self._children)
        self._tmp.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def load_for(
    session: Session, *, company_ids: Sequence[uuid.UUID], as_of: dt.date, payment_months: int = 12
) -> GradingInputs:
    """Read the inputs of a few companies known on ``as_of`` through the session."""
    from sqlalchemy import Uuid, bindparam, text

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
