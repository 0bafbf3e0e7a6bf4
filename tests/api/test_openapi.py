"""The API documents itself and every route the platform promises exists."""

from __future__ import annotations

from fastapi.testclient import TestClient

PROMISED = {
    ("get", "/api/v1/buyers"),
    ("get", "/api/v1/buyers/{company_id}"),
    ("post", "/api/v1/buyers/match"),
    ("get", "/api/v1/buyers/{buyer_id}/grade"),
    ("get", "/api/v1/buyers/{buyer_id}/grade/history"),
    ("post", "/api/v1/buyers/import/{kind}"),
    ("get", "/api/v1/countries"),
    ("put", "/api/v1/countries/{code}"),
    ("get", "/api/v1/sectors"),
    ("put", "/api/v1/sectors/{section}"),
    ("post", "/api/v1/grades/run"),
    ("post", "/api/v1/grades/backtest"),
    ("post", "/api/v1/orgs"),
    ("post", "/api/v1/apikeys"),
    ("get", "/healthz"),
}


def test_openapi_lists_promised_routes(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    found = {(method, path) for path, ops in spec["paths"].items() for method in ops}
    missing = PROMISED - found
    assert not missing, missing


def test_docs_and_health(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
