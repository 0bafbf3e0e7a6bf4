"""The buyer registry routes: authentication, every role reads, shapes, bounds and errors."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from arshield.buyers.domain import EventType, IdType, Severity
from arshield.kit.db import unit_of_work
from arshield.kit.time import today
from tests.builders import Caller, standard_callers
from tests.buyer_builders import (
    USCC_BAD_CHECK,
    USCC_HUAWEI,
    USCC_TENCENT,
    add_event,
    add_payment,
    add_statement,
    chinese_and_european_registry,
    make_company,
)

ROLES = ["admin", "analyst", "underwriter", "seller_a", "seller_b"]


@pytest.fixture
def callers(db: sessionmaker[Session]) -> dict[str, Caller]:
    chinese_and_european_registry(db)
    return standard_callers(db)


def test_routes_need_a_bearer_key(client: TestClient, callers: dict[str, Caller]) -> None:
    for method, url in [
        ("GET", "/api/v1/buyers"),
        ("GET", "/api/v1/buyers/by-ref/CN-BYD"),
        ("GET", f"/api/v1/buyers/{uuid.uuid4()}"),
        ("POST", "/api/v1/buyers/match"),
    ]:
        response = client.request(method, url, json={"name": "x"} if method == "POST" else None)
        assert response.status_code == 401, url
        assert response.json()["error"] == "unauthorized"


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_registry(
    client: TestClient, callers: dict[str, Caller], role: str
) -> None:
    headers = callers[role].headers
    page = client.get("/api/v1/buyers", params={"q": "华为"}, headers=headers)
    assert page.status_code == 200
    assert page.json()["total"] == 2
    buyer_id = page.json()["items"][0]["id"]
    assert client.get(f"/api/v1/buyers/{buyer_id}", headers=headers).status_code == 200
    assert client.get("/api/v1/buyers/by-ref/CN-BYD", headers=headers).status_code == 200
    match = client.post("/api/v1/buyers/match", json={"name": "比亚迪"}, headers=headers)
    assert match.status_code == 200
    assert match.json()["candidates"][0]["buyer"]["company_ref"] == "CN-BYD"


def test_search_page_shape(client: TestClient, callers: dict[str, Caller]) -> None:
    headers = callers["seller_a"].headers
    body = client.get(
        "/api/v1/buyers", params={"q": "huawei", "limit": 2, "offset": 0}, headers=headers
    ).json()
    assert (body["total"], body["limit"], body["offset"], len(body["items"])) == (5, 2, 0, 2)
    by_id = client.get("/api/v1/buyers", params={"identifier": USCC_HUAWEI}, headers=headers).json()
    assert by_id["total"] == 1
    assert by_id["items"][0] == {
        "id": by_id["items"][0]["id"],
        "company_ref": "CN-HUAWEI",
        "name": "华为技术有限公司",
        "name_latin": "Huawei Technologies Co., Ltd.",
        "country": "CN",
        "sector": None,
        "status": "active",
        "verified": True,
        "identifiers": [{"id_type": "uscc", "value": USCC_HUAWEI}],
    }
    only_de = client.get(
        "/api/v1/buyers", params={"q": "huawei", "country": "DE"}, headers=headers
    ).json()
    assert [b["company_ref"] for b in only_de["items"]] == ["DE-HUAWEI"]


@pytest.mark.parametrize(
    "params",
    [{"limit": 0}, {"limit": 501}, {"offset": -1}, {"country": "XX"}, {"q": "x" * 301}],
)
def test_search_bounds_are_422(
    client: TestClient, callers: dict[str, Caller], params: dict[str, object]
) -> None:
    response = client.get("/api/v1/buyers", params=params, headers=callers["admin"].headers)
    assert response.status_code == 422
    assert response.json()["error"] == "validation_failed"


def test_limit_500_is_accepted(client: TestClient, callers: dict[str, Caller]) -> None:
    response = client.get("/api/v1/buyers", params={"limit": 500}, headers=callers["admin"].headers)
    assert response.status_code == 200
    assert response.json()["total"] == 11


def test_unknown_buyer_is_404_with_error_body(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    headers = callers["seller_b"].headers
    for url in (f"/api/v1/buyers/{uuid.uuid4()}", "/api/v1/buyers/by-ref/NOPE"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404
        body = response.json()
        assert body["error"] == "not_found"
        assert "no buyer" in body["detail"]


def test_detail_money_is_decimal_text_with_currency(
    client: TestClient, db: sessionmaker[Session], callers: dict[str, Caller]
) -> None:
    this_month = today().replace(day=1)
    with unit_of_work(db) as session:
        company = make_company(
            session,
            ref="JP-SONY/TOKYO",
            name="ソニーグループ株式会社",
            name_latin="Sony Group Corporation",
            country="JP",
            identifiers={IdType.OTHER: "5010401067252"},
            founded=dt.date(1946, 5, 7),
            employees=113000,
        )
        add_statement(
            session,
            company,
            fiscal_year_end=dt.date(2024, 3, 31),
            currency="JPY",
            total_assets=35_000_000,
            equity=8_000_000,
            depreciation=12_345,
        )
        add_statement(
            session,
            company,
            fiscal_year_end=dt.date(2023, 3, 31),
            currency="USD",
            total_assets=123_456_789,
        )
        add_payment(
            session,
            company,
            month=this_month,
            currency="EUR",
            amount_paid=1_000_05,
            amount_overdue=250_50,
            days_beyond_terms=12,
        )
        add_payment(session, company, month=dt.date(2000, 1, 1))  # outside the 24 months
        add_event(session, company, date=dt.date(2024, 1, 2), description="suit")
        add_event(
            session,
            company,
            date=dt.date(2024, 6, 1),
            type=EventType.PAYMENT_INCIDENT,
            severity=Severity.LOW,
            description="late",
        )
    response = client.get(
        "/api/v1/buyers/by-ref/JP-SONY/TOKYO", headers=callers["seller_a"].headers
    )
    assert response.status_code == 200
    body = response.json()
    assert body["founded"] == "1946-05-07"
    assert body["identifiers"] == [{"id_type": "other", "value": "5010401067252"}]
    jpy, usd = body["financial_statements"]
    assert (jpy["currency"], jpy["total_assets"], jpy["equity"], jpy["depreciation"]) == (
        "JPY",
        "35000000",
        "8000000",
        "12345",
    )
    assert (usd["currency"], usd["total_assets"], usd["depreciation"]) == (
        "USD",
        "1234567.89",
        None,
    )
    assert body["payment_experience"] == [
        {
            "month": this_month.strftime("%Y-%m"),
            "currency": "EUR",
            "amount_paid": "1000.05",
            "amount_overdue": "250.50",
            "days_beyond_terms": 12,
        }
    ]
    assert body["payment_experience_to"] == this_month.strftime("%Y-%m")
    assert [e["description"] for e in body["events"]] == ["late", "suit"]
    same = client.get(f"/api/v1/buyers/{body['id']}", headers=callers["admin"].headers).json()
    assert same == body
    # A past as_of moves the 24-month window back to 1998-02 .. 2000-01.
    old = client.get(
        f"/api/v1/buyers/{body['id']}",
        params={"as_of": "2000-01-31"},
        headers=callers["admin"].headers,
    ).json()
    assert [p["month"] for p in old["payment_experience"]] == ["2000-01"]
    assert old["payment_experience_from"] == "1998-02"


def test_match_ranks_identifier_first_with_reasons(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    body = {
        "name": "Huawei Technologies",
        "country": "CN",
        "registration_id": USCC_TENCENT,
        "id_type": "uscc",
        "limit": 3,
    }
    response = client.post(
        "/api/v1/buyers/match", json=body, headers=callers["underwriter"].headers
    )
    assert response.status_code == 200
    candidates = response.json()["candidates"]
    assert len(candidates) == 3
    first = candidates[0]
    assert (first["buyer"]["company_ref"], first["score"]) == ("CN-TENCENT", 100)
    assert first["match_reasons"] == ["identifier_exact", "country_match"]
    assert [c["score"] for c in candidates] == sorted(
        (c["score"] for c in candidates), reverse=True
    )


def test_match_body_is_strict(client: TestClient, callers: dict[str, Caller]) -> None:
    headers = callers["analyst"].headers
    for body in (
        {"name": "Huawei", "status": "approved"},
        {"name": ""},
        {"name": "Huawei", "limit": 51},
        {"name": "Huawei", "id_type": "passport", "registration_id": "X"},
        {"name": "Tencent", "id_type": "uscc", "registration_id": USCC_BAD_CHECK},
        {"name": "Huawei", "country": "ZZ"},
    ):
        response = client.post("/api/v1/buyers/match", json=body, headers=headers)
        assert response.status_code == 422, body
        assert response.json()["error"] == "validation_failed"


def test_openapi_lists_the_routes_and_malformed_ids_find_no_route(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {
        "/api/v1/buyers",
        "/api/v1/buyers/match",
        "/api/v1/buyers/{company_id}",
        "/api/v1/buyers/by-ref/{company_ref}",
    } <= set(paths)
    assert "404" in paths["/api/v1/buyers/{company_id}"]["get"]["responses"]
    # Only UUIDs reach the detail route, so other /buyers/<word> routes stay free.
    response = client.get("/api/v1/buyers/not-a-uuid", headers=callers["admin"].headers)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
