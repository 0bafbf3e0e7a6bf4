"""Bodies over the limit are refused with 413, whether their length is declared or streamed."""

from __future__ import annotations

from collections.abc import Iterator

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from arshield.api.app import create_app
from arshield.config import Settings
from tests.builders import standard_callers


def test_declared_and_streamed_bodies_over_the_limit(
    settings: Settings, db: sessionmaker[Session]
) -> None:
    callers = standard_callers(db)
    small = settings.model_copy(update={"max_body_bytes": 200})
    app = create_app(small)
    with TestClient(app) as client:
        big = {"ref": "X" * 10, "name": "N" * 500, "kind": "seller"}
        declared = client.post("/api/v1/orgs", json=big, headers=callers["admin"].headers)
        assert declared.status_code == 413
        assert declared.json()["error"] == "payload_too_large"

        def chunks() -> Iterator[bytes]:
            yield b'{"ref": "X1", "name": "'
            for _ in range(10):
                yield b"N" * 100
            yield b'", "kind": "seller"}'

        headers = {**callers["admin"].headers, "Content-Type": "application/json"}
        streamed = client.post("/api/v1/orgs", content=chunks(), headers=headers)
        assert streamed.status_code == 413
        ok = client.post(
            "/api/v1/orgs",
            json={"ref": "X2", "name": "n", "kind": "seller"},
            headers=callers["admin"].headers,
        )
        assert ok.status_code == 201
    app.state.engine.dispose()
