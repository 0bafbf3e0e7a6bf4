"""Every query on stored grades, including the bulk write of a grading run."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import polars as pl
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from arshield.risk.inputs import read_frames
from arshield.risk.models import GradeRecord

GRADE_COLUMNS = (
    "company_id",
    "as_of",
    "model_version",
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
    "created_at",
)
_CHUNK = 50_000


def get_grade(
    session: Session, *, company_id: uuid.UUID, as_of: dt.date, model_version: str
) -> GradeRecord | None:
    return session.get(GradeRecord, (as_of, model_version, company_id))


def grade_history(session: Session, *, company_id: uuid.UUID) -> list[GradeRecord]:
    query = (
        select(GradeRecord)
        .where(GradeRecord.company_id == company_id)
        .order_by(GradeRecord.as_of, GradeRecord.model_version)
    )
    return list(session.scalars(query))


def read_stored_run(*, database_url: str, as_of: dt.date, model_version: str) -> pl.DataFrame:
    """``company_ref,score,grade,pd,reasons`` of one stored run, read in bulk, by company_ref."""
    version = model_version.replace("'", "''")
    sql = (
        "SELECT c.ref AS company_ref, g.score, g.grade, g.pd, g.reasons FROM grades g"
        " JOIN companies c ON c.id = g.company_id"
        f" WHERE g.as_of = '{as_of.isoformat()}' AND g.model_version = '{version}'"
        " ORDER BY c.ref"
    )
    return read_frames(database_url=database_url, sqls={"grades": sql})["grades"]


def count_stored(session: Session, *, as_of: dt.date, model_version: str) -> int:
    query = select(func.count()).where(
        GradeRecord.as_of == as_of, GradeRecord.model_version == model_version
    )
    return int(session.scalar(query) or 0)


@contextmanager
def bulk_writing(session: Session) -> Iterator[None]:
    """Writing a whole run: on SQLite a large page cache for the session's connection meanwhile."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    raw: Any = session.connection().connection.driver_connection
    raw.execute("PRAGMA cache_size = -262144")
    try:
        yield
    finally:
        raw.execute("PRAGMA cache_size = -2000")


def delete_run(session: Session, *, as_of: dt.date, model_version: str) -> None:
    """Delete the stored grades of one (as_of, model version) run, in the session's transaction."""
    session.execute(
        delete(GradeRecord).where(
            GradeRecord.as_of == as_of, GradeRecord.model_version == model_version
        )
    )
    session.flush()


def insert_grades(
    session: Session,
    *,
    frame: pl.DataFrame,
    as_of: dt.date,
    model_version: str,
    created_at: dt.datetime,
) -> int:
    """Write ``frame`` as stored grades of one run in bulk, in the session's transaction.

    ``frame`` holds ``company_id`` as the database stores it (from the bulk reader) and the
    engine's output columns named in ``GRADE_COLUMNS``. The run must hold none of its companies
    yet (see :func:`delete_run`).
    """
    dialect = session.get_bind().dialect.name
    stamp = created_at.astimezone(dt.UTC)
    out = frame.select(
        "company_id",
        pl.lit(as_of.isoformat()).alias("as_of"),
        pl.lit(model_version).alias("model_version"),
        pl.col("score").cast(pl.Int64),
        pl.col("grade").cast(pl.Int64),
        "pd",
        pl.col("model_pd").round(6),
        "confidence",
        pl.col("cap_grade").cast(pl.Int64),
        pl.col("statement_date").cast(pl.Utf8),
        pl.col("statement_years").cast(pl.Int64),
        pl.col("payment_months").cast(pl.Int64),
        "reasons",
        pl.lit(
            stamp.replace(tzinfo=None).isoformat(sep=" ")
            if dialect == "sqlite"
            else stamp.isoformat()
        ).alias("created_at"),
    )
    # Rows in key order append to the primary-key index instead of landing at random in it.
    out = out.sort("company_id")
    raw: Any = session.connection().connection.driver_connection
    columns = ", ".join(GRADE_COLUMNS)
    if dialect == "postgresql":
        # COPY in CSV written by Polars: no Python object per value.
        with raw.cursor().copy(f"COPY grades ({columns}) FROM STDIN (FORMAT csv)") as copy:
            for start in range(0, out.height, _CHUNK):
                copy.write(out.slice(start, _CHUNK).write_csv(include_header=False))
    else:
        # The run's constants go into the statement as literals: fewer values to bind per row.
        constants = {"as_of", "model_version", "created_at"}
        varying = [c for c in GRADE_COLUMNS if c not in constants]
        literals = {
            "as_of": _sql_text(as_of.isoformat()),
            "model_version": _sql_text(model_version),
            "created_at": _sql_text(stamp.replace(tzinfo=None).isoformat(sep=" ")),
        }
        values = ", ".join(literals.get(c, "?") for c in GRADE_COLUMNS)
        sql = f"INSERT INTO grades ({columns}) VALUES ({values})"
        cursor = raw.cursor()
        rows = out.select(varying)
        for start in range(0, rows.height, _CHUNK):
            cursor.executemany(sql, rows.slice(start, _CHUNK).iter_rows())
        cursor.close()
    return out.height


def replace_run(
    session: Session,
    *,
    frame: pl.DataFrame,
    as_of: dt.date,
    model_version: str,
    created_at: dt.datetime,
) -> int:
    """Replace the stored grades of one (as_of, model version) run with ``frame`` in bulk."""
    with bulk_writing(session):
        delete_run(session, as_of=as_of, model_version=model_version)
        return insert_grades(
            session, frame=frame, as_of=as_of, model_version=model_version, created_at=created_at
        )


def _sql_text(value: str) -> str:
    """A SQL string literal (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"
