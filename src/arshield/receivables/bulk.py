"""Bulk reads and writes of ledger rows, as Polars frames, on SQLite and PostgreSQL.

Large imports never go through the ORM: existing keys are read in one query per organisation
(or in chunks of ``IN`` lists for small files), new rows are written with the driver's fastest
path (``executemany`` of tuples on SQLite, ``COPY`` on PostgreSQL). Nothing here commits.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import polars as pl
from sqlalchemy import String, Table, cast, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

LOOKUP_CHUNK = 2_000
WHOLE_TABLE_FROM = 20_000  # distinct keys from which one scan beats chunked IN lists
WRITE_CHUNK = 20_000
SQLITE_BULK_CACHE_KIB = -524_288  # negative: KiB, so 512 MiB at most, allocated as used


def table_of(model: type[Any]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def hex_id(column: pl.Expr) -> pl.Expr:
    """A UUID as stored (with or without dashes) as 32 lower-case hex digits."""
    return column.str.replace_all("-", "", literal=True).str.to_lowercase()


def select_frame(
    session: Session,
    columns: Sequence[ColumnElement[Any]],
    schema: dict[str, Any],
    *,
    where: Sequence[ColumnElement[bool]] = (),
    key: ColumnElement[Any] | None = None,
    keys: Sequence[Any] | None = None,
) -> pl.DataFrame:
    """Rows as a typed frame: ids as 32-digit hex, dates as ``Date``, integers as ``Int64``.

    With ``key``/``keys`` only rows whose key is in ``keys`` are read: in chunks for few keys, by
    one scan (filtered in Polars) for many.
    """
    wire = wire_select(columns, schema)
    records: list[Any] = []
    if key is None or keys is None or len(keys) >= WHOLE_TABLE_FROM:
        records.extend(session.execute(select(*wire).where(*where)).fetchall())
    else:
        for start in range(0, len(keys), LOOKUP_CHUNK):
            chunk = keys[start : start + LOOKUP_CHUNK]
            records.extend(session.execute(select(*wire).where(*where, key.in_(chunk))).fetchall())
    text_schema = {n: (pl.Int64 if d == pl.Int64 else pl.Utf8) for n, d in schema.items()}
    return typed(pl.DataFrame(records, schema=text_schema, orient="row"), schema)


def wire_select(columns: Sequence[ColumnElement[Any]], schema: dict[str, Any]) -> list[Any]:
    """The columns as read in bulk: integers as they are, everything else as SQL text."""
    return [
        (c if schema[n] == pl.Int64 else cast(c, String)).label(n)
        for c, n in zip(columns, schema, strict=True)
    ]


def typed(frame: pl.DataFrame, schema: dict[str, Any]) -> pl.DataFrame:
    """A frame read as text and integers, typed: ids as 32-digit lower-case hex, dates as
    ``Date`` (SQLite hands them over as text), integers as ``Int64``."""
    if frame.height == 0:
        return pl.DataFrame(schema=schema)
    fixes = []
    for name, dtype in schema.items():
        column = pl.col(name)
        if dtype == pl.Date:
            fixes.append(column.cast(pl.Utf8).str.slice(0, 10).str.to_date("%Y-%m-%d"))
        elif name == "id" or name.endswith("_id"):
            fixes.append(hex_id(column.cast(pl.Utf8)))
        else:
            fixes.append(column.cast(dtype))
    return frame.select(fixes)


def new_ids(count: int) -> pl.Series:
    """``count`` fresh random (version 4) UUIDs as hex, sorted so rows land in key order.

    Made from one read of the system's random source, not one call per id.
    """
    raw = np.frombuffer(os.urandom(16 * count), dtype=np.uint8).reshape(count, 16).copy()
    raw[:, 6] = (raw[:, 6] & 0x0F) | 0x40  # version 4
    raw[:, 8] = (raw[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    text = raw.tobytes().hex()
    return pl.Series([text[i : i + 32] for i in range(0, 32 * count, 32)], dtype=pl.Utf8).sort()


def insert_frame(
    session: Session,
    table: Table,
    frame: pl.DataFrame,
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert every row of ``frame`` (columns named as the table's) in bulk.

    Id columns hold 32-digit hex, dates ``Date``, datetimes UTC ``Datetime``; on PostgreSQL rows
    go through ``COPY``, on SQLite through ``executemany`` of plain tuples.
    """
    if frame.height == 0:
        return 0
    dialect = session.get_bind().dialect.name
    columns = frame.columns
    raw: Any = session.connection().connection.driver_connection
    names = ", ".join(columns)
    if dialect == "postgresql":
        out = frame.with_columns(
            pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S%.f+00:00")
            for c, d in frame.schema.items()
            if isinstance(d, pl.Datetime)
        )
        with raw.cursor().copy(f"COPY {table.name} ({names}) FROM STDIN (FORMAT csv)") as copy:
            for start in range(0, out.height, WRITE_CHUNK * 5):
                copy.write(out.slice(start, WRITE_CHUNK * 5).write_csv(include_header=False))
                if progress is not None:
                    progress(min(start + WRITE_CHUNK * 5, out.height))
        return frame.height
    out = frame.with_columns(
        *(pl.col(c).cast(pl.Utf8) for c, d in frame.schema.items() if d == pl.Date),
        *(
            pl.col(c).dt.strftime("%Y-%m-%d %H:%M:%S.%6f")
            for c, d in frame.schema.items()
            if isinstance(d, pl.Datetime)
        ),
    )
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' for _ in columns)})"
    cursor = raw.cursor()
    # A large page cache while inserting (this connection only): index pages stay in memory
    # instead of being written and re-read for every batch.
    previous = cursor.execute("PRAGMA cache_size").fetchone()[0]
    cursor.execute(f"PRAGMA cache_size = {SQLITE_BULK_CACHE_KIB}")
    try:
        for start in range(0, out.height, WRITE_CHUNK):
            cursor.executemany(sql, out.slice(start, WRITE_CHUNK).iter_rows())
            if progress is not None:
                progress(min(start + WRITE_CHUNK, out.height))
    finally:
        cursor.execute(f"PRAGMA cache_size = {int(previous)}")
        cursor.close()
    return frame.height


def stamp(now: dt.datetime) -> pl.Expr:
    """A UTC timestamp literal for every row."""
    return pl.lit(now.astimezone(dt.UTC).replace(tzinfo=None), dtype=pl.Datetime("us"))
