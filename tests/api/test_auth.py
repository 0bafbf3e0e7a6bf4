"""Authentication and role checks on the organisation routes."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.builders import standard_callers


def test_routes_need_a_bearer_key(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_whoami_reports_org_and_role(client: TestClient, db: sessionmaker[Session]) -> None:
    callers = standard_callers(db)
    body = client.get("/api/v1/me", headers=callers["seller_a"].headers).json()
    assert body == {"org_ref": "SELLER-A", "org_kind": "seller", "role": "seller"}


def test_revoked_key_is_refused_at_once(client: TestClient, db: sessionmaker[Session]) -> None:
    callers = standard_callers(db)
    keys = client.get("/api/v1/apikeys", headers=callers["admin"].headers).json()
    seller_key = next(k for k in keys if k["role"] == "seller")
    assert client.get("/api/v1/me", headers=callers["seller_a"].headers).status_code in (200, 401)
    revoked = client.post(
        f"/api/v1/apikeys/{seller_key['id']}/revoke", headers=callers["admin"].headers
    )
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    # Exactly one of the two seller keys was revoked; it no longer works.
    statuses = {
        c.org_ref: client.get("/api/v1/me", headers=c.headers).status_code
        for c in (callers["seller_a"], callers["seller_b"])
    }
    assert sorted(statuses.values()) == [200, 401]


def test_sellers_cannot_manage_organisations(client: TestClient, db: sessionmaker[Session]) -> None:
    callers = standard_callers(db)
    body = {"ref": "NEW", "name": "New", "kind": "seller"}
    assert (
        client.post("/api/v1/orgs", json=body, headers=callers["seller_a"].headers).status_code
        == 403
    )
    assert (
        client.post("/api/v1/orgs", json=body, headers=callers["analyst"].headers).status_code
        == 403
    )
    created = client.post("/api/v1/orgs", json=body, headers=callers["admin"].headers)
    assert created.status_code == 201
    assert (
        client.post("/api/v1/orgs", json=body, headers=callers["admin"].headers).status_code == 409
    )


def test_request_bodies_forbid_unknown_fields(
    client: TestClient, db: sessionmaker[Session]
) -> None:
    callers = standard_callers(db)
    body = {"ref": "X1", "name": "X", "kind": "seller", "status": "approved"}
    response = client.post("/api/v1/orgs", json=body, headers=callers["admin"].headers)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_failed"


def test_issued_key_has_requested_role_and_seller_cannot_be_underwriter(
    client: TestClient, db: sessionmaker[Session]
) -> None:
    callers = standard_callers(db)
    bad = client.post(
        "/api/v1/apikeys",
        json={"org_ref": "SELLER-A", "role": "underwriter"},
        headers=callers["admin"].headers,
    )
    assert bad.status_code == 422
    good = client.post(
        "/api/v1/apikeys",
        json={"org_ref": "SELLER-A", "role": "seller"},
        headers=callers["admin"].headers,
    )
    assert good.status_code == 201
    secret = good.json()["key"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).json()
    assert me["role"] == "seller"


def test_seller_admin_cannot_touch_another_sellers_key(
    client: TestClient, db: sessionmaker[Session]
) -> None:
    from arshield.orgs.domain import OrgKind, Role
    from tests.builders import make_caller

    callers = standard_callers(db)
    seller_admin = make_caller(db, org_ref="SELLER-A", kind=OrgKind.SELLER, role=Role.ADMIN)
    all_keys = client.get("/api/v1/apikeys", headers=callers["admin"].headers).json()
    own = client.get("/api/v1/apikeys", headers=seller_admin.headers).json()
    assert own and len(own) < len(all_keys)
    b_org = next(
        o["id"]
        for o in client.get("/api/v1/orgs", headers=callers["admin"].headers).json()
        if o["ref"] == "SELLER-B"
    )
    b_key = next(k for k in all_keys if k["org_id"] == b_org)
    response = client.post(f"/api/v1/apikeys/{b_key['id']}/revoke", headers=seller_admin.headers)
    assert response.status_code == 404
    assert client.get("/api/v1/me", headers=callers["seller_b"].headers).status_code == 200
