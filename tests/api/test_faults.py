"""A lost database gives a clean 503, and the next request works."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from arshield.api.app import create_app
from arshield.config import Settings
from arshield.kit.db import make_engine
from tests.builders import standard_callers


def test_unreachable_database_is_a_503() -> None:
    app = create_app(Settings(database_url="postgresql+psycopg://postgres@127.0.0.1:1/none"))
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/api/v1/me", headers={"Authorization": "Bearer ars_x"})
    assert response.status_code == 503
    assert response.json()["error"] == "service_unavailable"


def test_connections_killed_by_the_server_are_replaced(
    client: TestClient, db: sessionmaker[Session], database_url: str
) -> None:
    callers = standard_callers(db)
    assert client.get("/api/v1/me", headers=callers["analyst"].headers).status_code == 200
    if database_url.startswith("postgresql"):
        admin = make_engine(database_url, pool=False)
        with admin.begin() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
        admin.dispose()
    else:
        client.app.state.engine.pool.dispose()  # type: ignore[attr-defined]
    assert client.get("/api/v1/me", headers=callers["analyst"].headers).status_code == 200
