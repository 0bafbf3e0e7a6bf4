"""Fixtures: every database test runs on SQLite and, with ARSHIELD_TEST_DATABASE_URL, PostgreSQL."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from arshield.all_models import Base
from arshield.api.app import create_app
from arshield.config import Settings
from arshield.kit.append_only import drop_guard, install_guard, is_guarded
from arshield.kit.db import make_engine, make_session_factory, unit_of_work

PG_ENV = "ARSHIELD_TEST_DATABASE_URL"
PG_SKIP = (
    f"PostgreSQL tests skipped: set {PG_ENV}=postgresql+psycopg://postgres@127.0.0.1:5432/test "
    "to run the suite against a real server"
)


def pytest_report_header(config: pytest.Config) -> str:
    url = os.environ.get(PG_ENV)
    if url:
        return f"databases: SQLite and PostgreSQL ({url})"
    return f"databases: SQLite only. {PG_SKIP}"


def _reset_postgres(url: str) -> None:
    engine = make_engine(url, pool=False)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """An empty database of each backend with every table (migrations are tested apart)."""
    if request.param == "postgresql":
        url = os.environ.get(PG_ENV)
        if not url:
            pytest.skip(PG_SKIP)
        _reset_postgres(url)
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    engine = make_engine(url, pool=False)
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    eng = make_engine(database_url)
    yield eng
    eng.dispose()


def _truncate_all(engine: Engine) -> None:
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    guarded = [t.name for t in Base.metadata.sorted_tables if is_guarded(t)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # Append-only tables refuse TRUNCATE; replica mode skips their triggers (superuser).
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
        else:
            for name in guarded:
                drop_guard(conn, name)
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
            for name in guarded:
                install_guard(conn, name)


@pytest.fixture
def db(engine: Engine) -> sessionmaker[Session]:
    """A session factory on an emptied database."""
    _truncate_all(engine)
    return make_session_factory(engine)


@pytest.fixture
def session(db: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose work is committed when the test's block ends."""
    with unit_of_work(db) as s:
        yield s


@pytest.fixture
def settings(database_url: str, db: sessionmaker[Session]) -> Settings:
    return Settings(database_url=database_url)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings)
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()


@pytest.fixture
def cli_env(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Point the CLI at the test database."""
    from arshield import config
    from arshield.cli import common

    monkeypatch.setenv("ARSHIELD_DATABASE_URL", settings.database_url)
    config.get_settings.cache_clear()
    monkeypatch.setattr(common, "_factory", None)
    return settings


@pytest.fixture
def data_dir() -> Path:
    return Path(__file__).parent / "data"
