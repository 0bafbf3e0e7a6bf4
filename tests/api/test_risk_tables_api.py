"""Country and sector risk routes: reads for every role, edits for admins and analysts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from arshield.kit.db import unit_of_work
from arshield.risk.tables import service
from tests.builders import Caller, standard_callers

CN_BODY = {
    "short_term": 3,
    "medium_term": "BB",
    "effective_from": "2026-01-01",
    "reason": "payment delays rising",
}


@pytest.fixture
def callers(db: sessionmaker[Session]) -> dict[str, Caller]:
    with unit_of_work(db) as session:
        service.load_defaults(session)
    return standard_callers(db)


def test_routes_need_a_key(client: TestClient) -> None:
    for path in ("/api/v1/countries", "/api/v1/countries/CN", "/api/v1/sectors/F/history"):
        response = client.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"] == "unauthorized"
    assert client.put("/api/v1/countries/CN", json=CN_BODY).status_code == 401
    assert client.put("/api/v1/sectors/F", json={}).status_code == 401


def test_every_role_reads(client: TestClient, callers: dict[str, Caller]) -> None:
    for caller in callers.values():
        listing = client.get("/api/v1/countries?as_of=2025-01-01", headers=caller.headers)
        assert listing.status_code == 200, caller.role
        assert len(listing.json()) == 249
        sectors = client.get("/api/v1/sectors", headers=caller.headers)
        assert sectors.status_code == 200
        assert [s["section"] for s in sectors.json()] == list("ABCDEFGHIJKLMNOPQRSTU")
    cn = client.get("/api/v1/countries/cn", headers=callers["seller_a"].headers).json()
    assert cn == {
        "country": "CN",
        "name": "China",
        "short_term": 2,
        "medium_term": "A",
        "valid_from": "2000-01-01",
        "valid_to": None,
        "changed_by": "system",
        "reason": cn["reason"],
    }
    assert cn["reason"].startswith("platform default: ")
    f = client.get("/api/v1/sectors/F", headers=callers["seller_a"].headers).json()
    assert (f["section"], f["name"], f["risk"]) == ("F", "Construction", "high")


def test_only_admin_and_analyst_edit(client: TestClient, callers: dict[str, Caller]) -> None:
    for role in ("seller_a", "underwriter"):
        denied = client.put("/api/v1/countries/CN", json=CN_BODY, headers=callers[role].headers)
        assert denied.status_code == 403, role
        assert denied.json()["error"] == "forbidden"
        body = {"risk": "high", "effective_from": "2026-01-01", "reason": "x"}
        assert (
            client.put("/api/v1/sectors/C", json=body, headers=callers[role].headers).status_code
            == 403
        )
    done = client.put("/api/v1/countries/CN", json=CN_BODY, headers=callers["analyst"].headers)
    assert done.status_code == 200
    out = done.json()
    assert (out["short_term"], out["medium_term"], out["valid_from"], out["valid_to"]) == (
        3,
        "BB",
        "2026-01-01",
        None,
    )
    assert out["changed_by"].startswith("analyst@INS key ")
    assert out["reason"] == "payment delays rising"
    admin_body = {"risk": "sensitive", "effective_from": "2025-07-01", "reason": "tariffs"}
    sector = client.put("/api/v1/sectors/C", json=admin_body, headers=callers["admin"].headers)
    assert sector.status_code == 200
    assert sector.json()["risk"] == "sensitive"


def test_history_and_as_of_through_the_api(client: TestClient, callers: dict[str, Caller]) -> None:
    headers = callers["analyst"].headers
    assert client.put("/api/v1/countries/CN", json=CN_BODY, headers=headers).status_code == 200
    before = client.get("/api/v1/countries/CN?as_of=2025-12-31", headers=headers).json()
    after = client.get("/api/v1/countries/CN?as_of=2026-01-01", headers=headers).json()
    assert (before["short_term"], before["medium_term"]) == (2, "A")
    assert (after["short_term"], after["medium_term"]) == (3, "BB")
    history = client.get("/api/v1/countries/CN/history", headers=headers).json()
    assert [(h["valid_from"], h["valid_to"], h["medium_term"]) for h in history] == [
        ("2000-01-01", "2026-01-01", "A"),
        ("2026-01-01", None, "BB"),
    ]
    # Same change again: 200 and nothing new.
    assert client.put("/api/v1/countries/CN", json=CN_BODY, headers=headers).status_code == 200
    assert len(client.get("/api/v1/countries/CN/history", headers=headers).json()) == 2
    # Back-dated or same-day changes with other values: 409.
    backdated = {**CN_BODY, "short_term": 4, "medium_term": "C", "effective_from": "2025-01-01"}
    conflict = client.put("/api/v1/countries/CN", json=backdated, headers=headers)
    assert conflict.status_code == 409
    assert conflict.json()["error"] == "history_conflict"
    same_day = {**CN_BODY, "short_term": 4, "medium_term": "C"}
    assert client.put("/api/v1/countries/CN", json=same_day, headers=headers).status_code == 409
    assert len(client.get("/api/v1/countries/CN/history", headers=headers).json()) == 2


def test_unknown_codes_are_404(client: TestClient, callers: dict[str, Caller]) -> None:
    headers = callers["analyst"].headers
    for path in ("/api/v1/countries/XX", "/api/v1/countries/XX/history", "/api/v1/sectors/Z"):
        response = client.get(path, headers=headers)
        assert response.status_code == 404, path
        assert "XX" in response.json()["detail"] or "Z" in response.json()["detail"]
    put = client.put("/api/v1/countries/XX", json=CN_BODY, headers=headers)
    assert put.status_code == 404
    assert put.json()["error"] == "unknown_country"
    before = client.get("/api/v1/countries/CN?as_of=1999-12-31", headers=headers)
    assert before.status_code == 404


def test_bodies_are_validated(client: TestClient, callers: dict[str, Caller]) -> None:
    headers = callers["analyst"].headers
    bad_bodies = [
        {**CN_BODY, "valid_to": "2030-01-01"},
        {**CN_BODY, "changed_by": "someone else"},
        {**CN_BODY, "short_term": 5},
        {**CN_BODY, "medium_term": "AAA"},
        {**CN_BODY, "reason": ""},
        {key: value for key, value in CN_BODY.items() if key != "reason"},
        {**CN_BODY, "effective_from": "01/02/2026"},
    ]
    for body in bad_bodies:
        response = client.put("/api/v1/countries/CN", json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.json()["error"] == "validation_failed"
    sector = {"risk": "extreme", "effective_from": "2026-01-01", "reason": "x"}
    assert client.put("/api/v1/sectors/F", json=sector, headers=headers).status_code == 422
    extra = {"risk": "high", "effective_from": "2026-01-01", "reason": "x", "section": "A"}
    assert client.put("/api/v1/sectors/F", json=extra, headers=headers).status_code == 422
    assert client.get("/api/v1/countries?as_of=yesterday", headers=headers).status_code == 422
    assert len(client.get("/api/v1/countries/CN/history", headers=headers).json()) == 1
