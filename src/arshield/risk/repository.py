"""Every query on stored grades, including the bulk write of a grading run."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import polars as pl
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from arshield.buyers.models import Company
from arshield.risk.models import GradeRecord

GRADE_COLUMNS = (
    "company_id",
    "as_of",
    "model_version",
    "score",
    "grade",
    "pd",
    "confidence",
    "reasons",
    "data_quality",
    "created_at",
)
_CHUNK = 50_000


def get_grade(
    session: Session, *, company_id: uuid.UUID, as_of: dt.date, model_version: str
) -> GradeRecord | None:
    return session.get(GradeRecord, (company_id, as_of, model_version))


def grade_history(session: Session, *, company_id: uuid.UUID) -> list[GradeRecord]:
    query = (
        select(GradeRecord)
        .where(GradeRecord.company_id == company_id)
        .order_by(GradeRecord.as_of, GradeRecord.model_version)
    )
    return list(session.scalars(query))


def stored_grades(
    session: Session, *, as_of: dt.date, model_version: str
) -> list[tuple[str, int, int, float, list[dict[str, Any]]]]:
    """(company_ref, score, grade, pd, reasons) of every company in one stored run."""
    rows = session.execute(
        select(
            Company.ref, GradeRecord.score, GradeRecord.grade, GradeRecord.pd, GradeRecord.reasons
        )
        .join(Company, Company.id == GradeRecord.company_id)
        .where(GradeRecord.as_of == as_of, GradeRecord.model_version == model_version)
        .order_by(Company.ref)
    ).all()
    return [(r[0], r[1], r[2], r[3], r[4]) for r in rows]


def count_stored(session: Session, *, as_of: dt.date, model_version: str) -> int:
    from sqlalchemy import func

    query = select(func.count()).where(
        GradeRecord.as_of == as_of, GradeRecord.model_version == model_version
    )
    return int(session.scalar(query) or 0)


def replace_run(
    session: Session,
    *,
    frame: pl.DataFrame,
    as_of: dt.date,
    model_version: str,
    created_at: dt.datetime,
) -> int:
    """Replace the stored grades of one (as_of, model version) run with ``frame`` in bulk.

    ``frame`` holds ``company_id`` as the database stores it (from the bulk reader), ``score``,
    ``grade``, ``pd``, ``confidence``, ``reasons_json`` and ``data_quality_json``.
    """
    session.execute(
        delete(GradeRecord).where(
            GradeRecord.as_of == as_of, GradeRecord.model_version == model_version
        )
    )
    session.flush()
    dialect = session.get_bind().dialect.name
    stamp = created_at.astimezone(dt.UTC)
    out = frame.select(
        "company_id",
        pl.lit(as_of.isoformat()).alias("as_of"),
        pl.lit(model_version).alias("model_version"),
        pl.col("score").cast(pl.Int64),
        pl.col("grade").cast(pl.Int64),
        "pd",
        "confidence",
        "reasons_json",
        "data_quality_json",
        pl.lit(
            stamp.replace(tzinfo=None).isoformat(sep=" ")
            if dialect == "sqlite"
            else stamp.isoformat()
        ).alias("created_at"),
    )
    raw: Any = session.connection().connection.driver_connection
    columns = ", ".join(GRADE_COLUMNS)
    if dialect == "postgresql":
        with raw.cursor().copy(f"COPY grades ({columns}) FROM STDIN") as copy:
            for row in out.iter_rows():
                copy.write_row(row)
    else:
        placeholders = ", ".join("?" for _ in GRADE_COLUMNS)
        sql = f"INSERT INTO grades ({columns}) VALUES ({placeholders})"
        cursor = raw.cursor()
        for start in range(0, out.height, _CHUNK):
            cursor.executemany(sql, out.slice(start, _CHUNK).iter_rows())
        cursor.close()
    return out.height
