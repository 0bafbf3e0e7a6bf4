"""Every query on the rate table. Plain SQL that SQLite and PostgreSQL agree on."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

import polars as pl
from sqlalchemy import Table, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from arshield.fx.models import FxRate

LOOKUP_CHUNK = 500
WRITE_CHUNK = 5_000
STORED_SCHEMA: dict[str, Any] = {
    "id": pl.Utf8,
    "date": pl.Date,
    "base": pl.Utf8,
    "quote": pl.Utf8,
    "rate__db": pl.Utf8,
    "source__db": pl.Utf8,
}


def _table() -> Table:
    table = FxRate.__table__
    assert isinstance(table, Table)
    return table


RATES = _table()


def stored_for_dates(
    session: Session, *, org_id: uuid.UUID, dates: Sequence[dt.date]
) -> pl.DataFrame:
    """The organisation's stored rows on ``dates``: id (text), date, base, quote, and the stored
    rate and source as ``rate__db`` and ``source__db``."""
    t = RATES
    records: list[tuple[Any, ...]] = []
    for start in range(0, len(dates), LOOKUP_CHUNK):
        stmt = select(t.c.id, t.c.date, t.c.base, t.c.quote, t.c.rate, t.c.source).where(
            t.c.org_id == org_id, t.c.date.in_(dates[start : start + LOOKUP_CHUNK])
        )
        records.extend((str(i), d, b, q, r, s) for i, d, b, q, r, s in session.execute(stmt))
    return pl.DataFrame(records, schema=STORED_SCHEMA, orient="row")


def insert_rates(session: Session, records: list[dict[str, Any]]) -> None:
    """Insert rows (dicts of column values) with executemany, ``WRITE_CHUNK`` at a time."""
    connection = session.connection()
    for start in range(0, len(records), WRITE_CHUNK):
        connection.execute(insert(RATES), records[start : start + WRITE_CHUNK])


def update_rates(session: Session, records: list[dict[str, Any]]) -> None:
    """Set rate, source and updated_at by id; records carry b_id, b_rate, b_source, b_at."""
    if not records:
        return
    stmt = (
        update(RATES)
        .where(RATES.c.id == bindparam("b_id"))
        .values(
            rate=bindparam("b_rate"), source=bindparam("b_source"), updated_at=bindparam("b_at")
        )
    )
    connection = session.connection()
    for start in range(0, len(records), WRITE_CHUNK):
        connection.execute(stmt, records[start : start + WRITE_CHUNK])


def list_rates(
    session: Session,
    *,
    org_id: uuid.UUID,
    base: str | None,
    quote: str | None,
    date_from: dt.date | None,
    date_to: dt.date | None,
    limit: int | None,
    offset: int,
) -> tuple[list[FxRate], int]:
    """The organisation's rates, newest date first, then by pair; and the total count."""
    conditions = [FxRate.org_id == org_id]
    if base is not None:
        conditions.append(FxRate.base == base)
    if quote is not None:
        conditions.append(FxRate.quote == quote)
    if date_from is not None:
        conditions.append(FxRate.date >= date_from)
    if date_to is not None:
        conditions.append(FxRate.date <= date_to)
    total = session.scalar(select(func.count()).select_from(FxRate).where(*conditions)) or 0
    query = (
        select(FxRate)
        .where(*conditions)
        .order_by(FxRate.date.desc(), FxRate.base, FxRate.quote)
        .offset(offset)
    )
    if limit is not None:
        query = query.limit(limit)
    return list(session.scalars(query)), int(total)


def rates_in_window(
    session: Session,
    *,
    org_id: uuid.UUID,
    currencies: Sequence[str],
    to: str,
    earliest: dt.date | None,
    latest: dt.date,
) -> list[FxRate]:
    """Rates of ``c``/``to`` and ``to``/``c`` for every ``c`` in ``currencies``, dated within
    [earliest, latest] (from the beginning when ``earliest`` is None), in one query."""
    pairs = or_(
        and_(FxRate.base.in_(currencies), FxRate.quote == to),
        and_(FxRate.base == to, FxRate.quote.in_(currencies)),
    )
    conditions = [FxRate.org_id == org_id, pairs, FxRate.date <= latest]
    if earliest is not None:
        conditions.append(FxRate.date >= earliest)
    return list(session.scalars(select(FxRate).where(*conditions)))


def latest_dates(
    session: Session, *, org_id: uuid.UUID, currencies: Sequence[str], to: str, latest: dt.date
) -> dict[tuple[str, str], dt.date]:
    """The newest date on or before ``latest`` of each stored pair between ``currencies`` and
    ``to`` (both directions), in one query."""
    pairs = or_(
        and_(FxRate.base.in_(currencies), FxRate.quote == to),
        and_(FxRate.base == to, FxRate.quote.in_(currencies)),
    )
    stmt = (
        select(FxRate.base, FxRate.quote, func.max(FxRate.date))
        .where(FxRate.org_id == org_id, pairs, FxRate.date <= latest)
        .group_by(FxRate.base, FxRate.quote)
    )
    return {(b, q): d for b, q, d in session.execute(stmt).tuples()}
