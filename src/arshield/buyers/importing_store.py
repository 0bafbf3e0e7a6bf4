"""Bulk reads and writes for imports: existing keys loaded in chunks, rows written by executemany.

Never a query per row: keys are looked up ``LOOKUP_CHUNK`` at a time, rows are inserted and
updated ``WRITE_CHUNK`` at a time with SQLAlchemy Core. Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import polars as pl
from sqlalchemy import String, Table, bindparam, cast, insert, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from arshield.buyers.models import (
    Company,
    CompanyEvent,
    CompanyIdentifier,
    FinancialStatement,
    PaymentExperience,
)

LOOKUP_CHUNK = 2_000
WRITE_CHUNK = 5_000
SQLITE_BULK_CACHE_KIB = -262_144  # negative: KiB, so 256 MiB at most, allocated as used

Progress = Callable[[str, int, int], None]
"""Called as ``progress(stage, done, total)`` while a long import runs."""

INSERTED, UPDATED, UNCHANGED = "inserted", "updated", "unchanged"


def no_progress(_stage: str, _done: int, _total: int) -> None:
    """The default progress callback: silent."""


@dataclass(frozen=True, slots=True)
class Counts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


def _select_in(
    session: Session,
    columns: Sequence[ColumnElement[Any]],
    schema: dict[str, Any],
    key: ColumnElement[Any],
    keys: Sequence[Any],
) -> pl.DataFrame:
    """Rows of ``columns`` whose ``key`` is in ``keys``, fetched in chunks, as a frame.

    Ids, dates and enums are read as SQL text (no per-value conversion in Python), then typed
    in Polars: ids become 32-digit lower-case hex on every backend (``id_text``).
    """
    wire: list[ColumnElement[Any]] = []
    for column, dtype in zip(columns, schema.values(), strict=True):
        wire.append(column if dtype == pl.Int64 else cast(column, String))
    records: list[Any] = []
    for start in range(0, len(keys), LOOKUP_CHUNK):
        stmt = select(*wire).where(key.in_(keys[start : start + LOOKUP_CHUNK]))
        records.extend(session.execute(stmt).tuples())
    text_schema = {name: (pl.Int64 if d == pl.Int64 else pl.Utf8) for name, d in schema.items()}
    frame = pl.DataFrame(records, schema=text_schema, orient="row")
    fixes: list[pl.Expr] = []
    for name, dtype in schema.items():
        if dtype == pl.Date:
            fixes.append(pl.col(name).str.slice(0, 10).str.to_date("%Y-%m-%d"))
        elif name == "id" or name.endswith("_id"):
            fixes.append(id_text(pl.col(name)))
    return frame.with_columns(fixes) if fixes else frame


def id_text(column: pl.Expr) -> pl.Expr:
    """A UUID as stored (with or without dashes) -> 32 lower-case hex digits."""
    return column.str.replace_all("-", "", literal=True).str.to_lowercase()


def _distinct(series: pl.Series) -> list[Any]:
    return series.drop_nulls().unique().to_list()


def _uuids(values: Sequence[str]) -> list[uuid.UUID]:
    return [uuid.UUID(v) for v in values]


# --- lookups -------------------------------------------------------------------------------------

COMPANY_FIELDS = (
    "name", "name_latin", "search_key", "country", "sector", "founded", "employees", "status",
)  # fmt: skip
_COMPANY_SCHEMA: dict[str, Any] = {
    "company_id": pl.Utf8, "ref": pl.Utf8, "name": pl.Utf8, "name_latin": pl.Utf8,
    "search_key": pl.Utf8, "country": pl.Utf8, "sector": pl.Utf8, "founded": pl.Date,
    "employees": pl.Int64, "status": pl.Utf8,
}  # fmt: skip


def companies_by_ref(session: Session, refs: pl.Series) -> pl.DataFrame:
    """Existing companies among ``refs`` with their stored fields (``company_id`` as hex)."""
    t = COMPANIES
    columns = [t.c.id, t.c.ref, *(t.c[name] for name in COMPANY_FIELDS)]
    return _select_in(session, columns, _COMPANY_SCHEMA, t.c.ref, _distinct(refs))


def identifier_holders(session: Session, values: pl.Series) -> pl.DataFrame:
    """(id_type, registration_id, holder_ref) for stored identifiers with these values."""
    i, c = IDENTIFIERS, COMPANIES
    schema = {"id_type": pl.Utf8, "registration_id": pl.Utf8, "holder_ref": pl.Utf8}
    records: list[Any] = []
    keys = _distinct(values)
    for start in range(0, len(keys), LOOKUP_CHUNK):
        stmt = (
            select(cast(i.c.id_type, String), i.c.value, c.c.ref)
            .join(c, c.c.id == i.c.company_id)
            .where(i.c.value.in_(keys[start : start + LOOKUP_CHUNK]))
        )
        records.extend(session.execute(stmt).tuples())
    return pl.DataFrame(records, schema=schema, orient="row")


def identifiers_of(session: Session, company_ids: pl.Series) -> pl.DataFrame:
    """Stored identifiers of these companies: identifier_id, company_id, id_type, value."""
    i = IDENTIFIERS
    schema = {"identifier_id": pl.Utf8, "company_id": pl.Utf8, "id_type": pl.Utf8, "value": pl.Utf8}
    columns = [i.c.id, i.c.company_id, i.c.id_type, i.c.value]
    return _select_in(session, columns, schema, i.c.company_id, _uuids(_distinct(company_ids)))


def children_of(
    session: Session, table: Table, company_ids: pl.Series, schema: dict[str, Any]
) -> pl.DataFrame:
    """Existing rows of ``table`` for these companies; ``schema`` names the columns to read."""
    columns = [table.c[name] for name in schema]
    ids = _uuids(_distinct(company_ids))
    return _select_in(session, columns, schema, table.c.company_id, ids)


# --- writes --------------------------------------------------------------------------------------


def apply_rows(
    session: Session,
    table: Table,
    *,
    rows: pl.DataFrame,
    existing: pl.DataFrame,
    key: Sequence[str],
    values: Sequence[str],
    now: dt.datetime,
    progress: Progress,
    extra_insert: dict[str, Any] | None = None,
) -> pl.DataFrame:
    """Insert new keys, update changed rows, leave equal rows alone.

    ``existing`` holds ``id`` (text) plus the key and value columns. Returns ``rows``' keys with
    ``id`` and ``outcome`` (inserted, updated or unchanged).
    """
    stored = existing.select("id", *key, *(pl.col(v).alias(f"{v}__db") for v in values))
    joined = rows.join(stored, on=list(key), how="left", maintain_order="left")
    changed = pl.lit(False)
    for name in values:
        changed = changed | pl.col(name).ne_missing(pl.col(f"{name}__db"))
    joined = joined.with_columns(
        outcome=pl.when(pl.col("id").is_null())
        .then(pl.lit(INSERTED))
        .when(changed)
        .then(pl.lit(UPDATED))
        .otherwise(pl.lit(UNCHANGED))
    )
    new = joined.filter(pl.col("outcome") == INSERTED)
    new_ids = [uuid.uuid4() for _ in range(new.height)]
    new_at = joined["outcome"].eq(INSERTED).arg_true()
    ids = joined["id"].clone().scatter(new_at, pl.Series([u.hex for u in new_ids], dtype=pl.Utf8))
    joined = joined.with_columns(ids)
    columns = [*key, *values]
    inserts = new.select(columns).to_dicts()
    owners = {v: uuid.UUID(v) for v in _distinct(new["company_id"])} if "company_id" in key else {}
    fixed = {"created_at": now, **(extra_insert or {})}
    for record, new_id in zip(inserts, new_ids, strict=True):
        record["id"] = new_id
        record.update(fixed)
        if owners:
            record["company_id"] = owners[record["company_id"]]
    changed_rows = joined.filter(pl.col("outcome") == UPDATED).select("id", *values).to_dicts()
    updates = [
        {"b_id": uuid.UUID(r["id"]), "b_updated_at": now, **{f"b_{v}": r[v] for v in values}}
        for r in changed_rows
    ]
    insert_rows(session, table, inserts, progress=progress, stage=f"writing {table.name}")
    update_rows(session, table, updates, values=values)
    return joined.select(*key, "id", "outcome")


@contextmanager
def bulk_writes(session: Session) -> Iterator[None]:
    """On SQLite, a larger page cache for the duration (random-key index inserts); else no-op."""
    if session.get_bind().dialect.name != "sqlite":
        yield
        return
    connection = session.connection()
    previous = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql(f"PRAGMA cache_size={SQLITE_BULK_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(previous or -2000)}")


def insert_rows(
    session: Session, table: Table, records: list[dict[str, Any]], *, progress: Progress, stage: str
) -> None:
    """Insert ``records`` with executemany, ``WRITE_CHUNK`` rows at a time."""
    connection = session.connection()
    total = len(records)
    progress(stage, 0, total)
    for start in range(0, total, WRITE_CHUNK):
        connection.execute(insert(table), records[start : start + WRITE_CHUNK])
        progress(stage, min(start + WRITE_CHUNK, total), total)


def update_rows(
    session: Session, table: Table, records: list[dict[str, Any]], *, values: Sequence[str]
) -> None:
    """Update rows by id; ``records`` carry ``b_id``, ``b_updated_at`` and ``b_<column>``."""
    if not records:
        return
    targets: dict[str, Any] = {v: bindparam(f"b_{v}") for v in values}
    if "updated_at" in table.c:
        targets["updated_at"] = bindparam("b_updated_at")
    stmt = update(table).where(table.c.id == bindparam("b_id")).values(targets)
    connection = session.connection()
    for start in range(0, len(records), WRITE_CHUNK):
        connection.execute(stmt, records[start : start + WRITE_CHUNK])


def counts_of(outcomes: pl.Series) -> Counts:
    """Inserted / updated / unchanged totals of an ``outcome`` column."""
    tally = outcomes.value_counts()
    found = dict(zip(tally[outcomes.name].to_list(), tally["count"].to_list(), strict=True))
    return Counts(
        inserted=int(found.get(INSERTED, 0)),
        updated=int(found.get(UPDATED, 0)),
        unchanged=int(found.get(UNCHANGED, 0)),
    )


def table_of(model: type[Any]) -> Table:
    """The Core table of a mapped class."""
    table = model.__table__
    assert isinstance(table, Table)
    return table


COMPANIES = table_of(Company)
IDENTIFIERS = table_of(CompanyIdentifier)
STATEMENTS = table_of(FinancialStatement)
PAYMENTS = table_of(PaymentExperience)
EVENTS = table_of(CompanyEvent)
