"""Database plumbing: declarative base, column types, engines and the unit of work.

Money lives in integer minor-unit columns (``BigInteger``) beside a currency code; SQLite
mangles ``Numeric`` so it is never used for money.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    DateTime,
    Engine,
    MetaData,
    String,
    TypeDecorator,
    Uuid,
    create_engine,
    event,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import NullPool

from arshield.kit.errors import ServiceUnavailable

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base for every table, with a constraint naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite stores them naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; pass a timezone-aware UTC value")
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        assert isinstance(value, dt.datetime)
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


E = TypeVar("E", bound=enum.StrEnum)


class StrEnumType(TypeDecorator[E], Generic[E]):
    """A ``StrEnum`` stored as its text value, so SQLite and PostgreSQL agree."""

    impl = String(32)
    cache_ok = True

    def __init__(self, enum_cls: type[E], length: int = 32) -> None:
        super().__init__(length)
        self.enum_cls = enum_cls

    def process_bind_param(self, value: E | str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return self.enum_cls(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.enum_cls(value)


class IdMixin:
    """UUID primary key."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)


class TimestampMixin:
    """Creation and update times, set by the application in UTC."""

    created_at: Mapped[dt.datetime] = mapped_column(
        UTCDateTime, default=lambda: dt.datetime.now(dt.UTC)
    )
    updated_at: Mapped[dt.datetime | None] = mapped_column(
        UTCDateTime, default=None, onupdate=lambda: dt.datetime.now(dt.UTC)
    )


def _prepare_sqlite(engine: Engine) -> None:
    """Foreign keys on, WAL, a busy timeout, and transactions SQLAlchemy really controls."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Writers that check then act ask for the write lock up front (BEGIN IMMEDIATE).
        immediate = conn.get_execution_options().get("sqlite_immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


# Connections per process (to a server, or to a SQLite file): a fixed pool. The API lets half
# as many requests use the database at once (``api.deps.DB_SLOTS``). With overflow connections, a
# steady load a little above the pool's size opened and closed a PostgreSQL backend for every
# few requests (overflow connections are closed on return to a full pool). Twenty leaves room
# for the API's thread pool under load: 64 concurrent credit checks on two workers ran at
# about the same rate with 10, 16 or 32 connections per worker (BENCHMARKS.md).
POOL_SIZE = 20
MAX_OVERFLOW = 0


def make_engine(url: str, *, echo: bool = False, pool: bool = True) -> Engine:
    """An engine for ``url`` with the platform's settings for SQLite or PostgreSQL."""
    kwargs: dict[str, Any] = {"echo": echo, "pool_pre_ping": True}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
        if not pool:
            kwargs["poolclass"] = NullPool
        elif ":memory:" not in url and "mode=memory" not in url:
            kwargs["pool_size"], kwargs["max_overflow"] = POOL_SIZE, MAX_OVERFLOW
    elif pool:
        kwargs["pool_size"], kwargs["max_overflow"] = POOL_SIZE, MAX_OVERFLOW
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        _prepare_sqlite(engine)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that never expire objects on commit (services return them afterwards)."""
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=False)


@contextmanager
def unit_of_work(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A transaction owned by the caller: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except (OperationalError, DBAPIError) as exc:
        session.rollback()
        if getattr(exc, "connection_invalidated", False):
            raise ServiceUnavailable("the database connection was lost; try again") from exc
        raise
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def autocommit_reads(session: Session) -> None:
    """Let a session that only reads run each statement on its own on PostgreSQL (autocommit).

    Under READ COMMITTED every statement already reads its own snapshot, so a reading
    transaction adds nothing but its BEGIN and COMMIT round trips. Call it before the session's
    first statement; it does nothing on SQLite or once a transaction has begun.
    """
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def lock_for_write(session: Session) -> None:
    """Take the database write lock now on SQLite (BEGIN IMMEDIATE); no-op elsewhere."""
    if session.get_bind().dialect.name == "sqlite" and not session.in_transaction():
        session.connection(execution_options={"sqlite_immediate": True})


def sqlalchemy_url_to_adbc(url: str) -> tuple[str, str]:
    """Map a SQLAlchemy URL to (driver, uri) for bulk columnar reads through ADBC."""
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[1] if ":///" in url else ":memory:"
        return "sqlite", path
    if url.startswith("postgresql"):
        _scheme, rest = url.split("://", 1)
        return "postgresql", f"postgresql://{rest}"
    raise ValueError(f"no bulk reader for {url!r}")
