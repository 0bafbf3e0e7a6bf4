"""Policies, cover, capacity, accumulation and credit checks over HTTP: status codes, scoping
by tenant and role, and Idempotency-Key on the POSTs."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.cover.models import CoverDecision, CoverRequest
from arshield.kit.db import unit_of_work
from arshield.kit.time import today, utcnow
from arshield.orgs import service as orgs_service
from arshield.orgs.domain import OrgKind, Role
from tests.builders import Caller, make_caller, standard_callers
from tests.integration.cover.conftest import Book, build_book

API = "/api/v1"


@pytest.fixture
def world(db: sessionmaker[Session]) -> tuple[Book, dict[str, Caller]]:
    book = build_book(db, as_of=today())
    callers = standard_callers(db)
    callers["seller_a_admin"] = make_caller(
        db, org_ref="SELLER-A", kind=OrgKind.SELLER, role=Role.ADMIN
    )
    return book, callers


def cover_body(book: Book, buyer: str, amount: str, policy: str = "A", **kw: Any) -> dict[str, Any]:
    return {
        "policy_id": str(book.policies[policy]),
        "buyer_id": str(book.buyers[buyer]),
        "amount": amount,
        "currency": "EUR",
        **kw,
    }


def test_policy_routes(client: TestClient, world: tuple[Book, dict[str, Caller]]) -> None:
    _book, c = world
    body = {
        "number": "POL-NEW",
        "seller": "SELLER-A",
        "currency": "EUR",
        "starts_on": "2026-01-01",
        "ends_on": "2027-01-01",
        "countries": ["de", "FR"],
        "max_credit_days": 120,
        "indemnity_percentage": "92.5",
        "discretionary_max_amount": "25000.00",
        "stop_delivery_days": 45,
    }
    assert (
        client.post(f"{API}/policies", json=body, headers=c["seller_a"].headers).status_code == 403
    )
    created = client.post(f"{API}/policies", json=body, headers=c["underwriter"].headers)
    assert created.status_code == 201, created.text
    policy = created.json()
    assert policy["countries"] == ["DE", "FR"] and policy["indemnity_percentage"] == "92.5"
    assert policy["discretionary_max_amount"] == "25000.00" and policy["version"] == 1
    again = client.post(f"{API}/policies", json=body, headers=c["underwriter"].headers)
    assert again.status_code == 409
    bad = client.post(
        f"{API}/policies",
        json={**body, "number": "X", "countries": ["ZZ"]},
        headers=c["admin"].headers,
    )
    assert bad.status_code == 422 and "ZZ" in bad.text
    sneaky = client.post(
        f"{API}/policies", json={**body, "number": "Y", "version": 9}, headers=c["admin"].headers
    )
    assert sneaky.status_code == 422
    pid = policy["id"]
    assert client.get(f"{API}/policies/{pid}", headers=c["seller_a"].headers).status_code == 200
    assert client.get(f"{API}/policies/{pid}", headers=c["seller_b"].headers).status_code == 404
    mine = client.get(f"{API}/policies", headers=c["seller_b"].headers).json()
    assert {p["number"] for p in mine["items"]} == {"POL-B"}
    assert client.get(f"{API}/policies", headers=c["analyst"].headers).json()["total"] == 3
    patch = {"reason": "tighter", "stop_delivery_days": 30, "declaration_threshold": "1000.00"}
    assert (
        client.patch(f"{API}/policies/{pid}", json=patch, headers=c["seller_a"].headers).status_code
        == 403
    )
    edited = client.patch(f"{API}/policies/{pid}", json=patch, headers=c["underwriter"].headers)
    assert edited.status_code == 200
    assert edited.json()["version"] == 2 and edited.json()["stop_delivery_days"] == 30
    assert edited.json()["declaration_threshold"] == "1000.00"


def test_cover_request_201_and_202(
    client: TestClient, world: tuple[Book, dict[str, Caller]], db: sessionmaker[Session]
) -> None:
    book, c = world
    approved = client.post(
        f"{API}/covers", json=cover_body(book, "GOOD", "40000.00"), headers=c["seller_a"].headers
    )
    assert approved.status_code == 201, approved.text
    out = approved.json()
    assert out["status"] == "approved" and out["decided_amount"] == "40000.00"
    assert out["decision"]["decided_by"] == "rules:2026.11"
    assert out["in_force"]["amount"] == "40000.00"
    assert out["suggested_amount"] is None  # the rules' suggestion is the insurer's business
    assert {x["code"] for x in out["decision"]["conditions"]} >= {"MAX_TERMS"}
    referred = client.post(
        f"{API}/covers", json=cover_body(book, "WEAK", "30000.00"), headers=c["seller_a"].headers
    )
    assert referred.status_code == 202 and referred.json()["status"] == "referred"
    assert referred.json()["decided_amount"] == "0.00"
    cover_id = referred.json()["id"]
    # Sellers cannot call underwriter transitions.
    decision = {"status": "partially_approved", "amount": "20000.00", "comment": "references ok"}
    for who in ("seller_a", "seller_a_admin", "seller_b", "analyst"):
        r = client.post(f"{API}/covers/{cover_id}/decision", json=decision, headers=c[who].headers)
        assert r.status_code == 403, who
    queue = client.get(f"{API}/covers/queue", headers=c["underwriter"].headers)
    assert queue.status_code == 200 and [i["cover"]["id"] for i in queue.json()["items"]] == [
        cover_id
    ]
    assert client.get(f"{API}/covers/queue", headers=c["seller_a"].headers).status_code == 403
    decided = client.post(
        f"{API}/covers/{cover_id}/decision", json=decision, headers=c["underwriter"].headers
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "partially_approved"
    assert decided.json()["decision"]["comment"] == "references ok"
    again = client.post(
        f"{API}/covers/{cover_id}/decision", json=decision, headers=c["underwriter"].headers
    )
    assert again.status_code == 409
    # Tenant isolation on reads.
    assert client.get(f"{API}/covers/{cover_id}", headers=c["seller_b"].headers).status_code == 404
    shown = client.get(f"{API}/covers/{cover_id}", headers=c["seller_a"].headers).json()
    assert [d["status"] for d in shown["history"]] == ["partially_approved"]
    assert client.get(f"{API}/covers", headers=c["seller_b"].headers).json()["total"] == 0
    assert client.get(f"{API}/covers", headers=c["seller_a"].headers).json()["total"] == 2
    # Seller B cannot ask for cover under seller A's policy.
    r = client.post(
        f"{API}/covers", json=cover_body(book, "GOOD", "1.00"), headers=c["seller_b"].headers
    )
    assert r.status_code == 404


def test_mass_assignment_is_refused(
    client: TestClient, world: tuple[Book, dict[str, Caller]]
) -> None:
    book, c = world
    for extra in ({"status": "approved"}, {"decided_amount": "1"}, {"org_id": str(uuid.uuid4())}):
        r = client.post(
            f"{API}/covers",
            json={**cover_body(book, "GOOD", "1.00"), **extra},
            headers=c["seller_a"].headers,
        )
        assert r.status_code == 422, extra


def test_reduce_and_cancel(client: TestClient, world: tuple[Book, dict[str, Caller]]) -> None:
    book, c = world
    cover_id = client.post(
        f"{API}/covers", json=cover_body(book, "GOOD", "40000.00"), headers=c["seller_a"].headers
    ).json()["id"]
    assert (
        client.post(
            f"{API}/covers/{cover_id}/reduce",
            json={"amount": "1.00", "reason": "x"},
            headers=c["seller_b"].headers,
        ).status_code
        == 404
    )
    reduced = client.post(
        f"{API}/covers/{cover_id}/reduce",
        json={"amount": "10000.00", "reason": "watch"},
        headers=c["underwriter"].headers,
    )
    assert reduced.status_code == 200 and reduced.json()["status"] == "reduced"
    assert reduced.json()["effective_from"] > str(today())
    cancelled = client.post(
        f"{API}/covers/{cover_id}/cancel",
        json={"reason": "stopped trading"},
        headers=c["seller_a"].headers,
    )
    assert cancelled.status_code == 200 and cancelled.json()["effective_from"] == str(today())
    shown = client.get(f"{API}/covers/{cover_id}", headers=c["seller_a"].headers).json()
    assert shown["in_force"]["state"] == "cancelled"


def test_capacity_and_accumulation(
    client: TestClient, world: tuple[Book, dict[str, Caller]]
) -> None:
    book, c = world
    url = f"{API}/buyers/{book.buyers['GOOD']}/capacity"
    body = {"amount": "70000.00", "currency": "EUR", "reason": "appetite"}
    assert client.put(url, json=body, headers=c["seller_a"].headers).status_code == 403
    assert client.put(url, json=body, headers=c["analyst"].headers).status_code == 403
    assert client.get(url, headers=c["seller_a"].headers).status_code == 403
    put = client.put(url, json=body, headers=c["underwriter"].headers)
    assert put.status_code == 200 and put.json()["source"] == "override"
    client.post(
        f"{API}/covers", json=cover_body(book, "GOOD", "45000.00"), headers=c["seller_a"].headers
    )
    second = client.post(
        f"{API}/covers",
        json=cover_body(book, "GOOD", "45000.00", "B"),
        headers=c["seller_b"].headers,
    )
    assert second.json()["decided_amount"] == "25000.00"
    cap = client.get(url, headers=c["analyst"].headers).json()
    assert (cap["used"], cap["available"]) == ("70000.00", "0.00")
    acc = client.get(f"{API}/accumulation?by=country", headers=c["analyst"].headers)
    assert acc.status_code == 200
    assert acc.json()["rows"] == [
        {
            "key": "DE",
            "label": "DE",
            "buyers": 1,
            "policies": 2,
            "cover": "70000.00",
            "share_percent": "100.00",
            "capacity": None,
            "capacity_source": None,
        }
    ]
    by_buyer = client.get(f"{API}/accumulation?by=buyer", headers=c["underwriter"].headers).json()
    assert by_buyer["rows"][0]["capacity"] == "70000.00"
    assert client.get(f"{API}/accumulation", headers=c["seller_a"].headers).status_code == 403
    missing = client.get(f"{API}/buyers/{uuid.uuid4()}/capacity", headers=c["analyst"].headers)
    assert missing.status_code == 404


def test_credit_check_route(client: TestClient, world: tuple[Book, dict[str, Caller]]) -> None:
    book, c = world
    client.post(
        f"{API}/covers", json=cover_body(book, "GOOD", "40000.00"), headers=c["seller_a"].headers
    )
    body = {
        "buyer_id": str(book.buyers["GOOD"]),
        "amount": "30000.00",
        "currency": "EUR",
        "order_ref": "SO-1",
    }
    ok = client.post(f"{API}/credit-checks", json=body, headers=c["seller_a"].headers)
    assert ok.status_code == 200, ok.text
    assert ok.json()["result"] == "ok" and ok.json()["available_after"] == "10000.00"
    block = client.post(
        f"{API}/credit-checks",
        json={**body, "order_ref": "SO-2", "amount": "10000.01"},
        headers=c["seller_a"].headers,
    )
    assert block.json()["result"] == "block"
    assert block.json()["exposure"]["checked_orders"] == "30000.00"
    assert {r["code"] for r in block.json()["reasons"]} == {"COVER_EXCEEDED"}
    other = client.post(f"{API}/credit-checks", json=body, headers=c["seller_b"].headers)
    assert other.json()["result"] == "block" and other.json()["exposure"]["total"] == "0.00"
    assert (
        client.post(f"{API}/credit-checks", json=body, headers=c["underwriter"].headers).status_code
        == 403
    )


def test_idempotent_cover_request(
    client: TestClient, world: tuple[Book, dict[str, Caller]], db: sessionmaker[Session]
) -> None:
    book, c = world
    headers = {**c["seller_a"].headers, "Idempotency-Key": "cover-1"}
    first = client.post(f"{API}/covers", json=cover_body(book, "WEAK", "30000.00"), headers=headers)
    second = client.post(
        f"{API}/covers", json=cover_body(book, "WEAK", "30000.00"), headers=headers
    )
    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    other = client.post(f"{API}/covers", json=cover_body(book, "WEAK", "31000.00"), headers=headers)
    assert other.status_code == 422
    with unit_of_work(db) as session:
        assert session.scalar(select(func.count()).select_from(CoverRequest)) == 1
        assert session.scalar(select(func.count()).select_from(CoverDecision)) == 0


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("post", "/policies"),
        ("get", "/policies"),
        ("get", f"/policies/{uuid.uuid4()}"),
        ("patch", f"/policies/{uuid.uuid4()}"),
        ("post", "/covers"),
        ("get", "/covers"),
        ("get", "/covers/queue"),
        ("get", f"/covers/{uuid.uuid4()}"),
        ("post", f"/covers/{uuid.uuid4()}/decision"),
        ("post", f"/covers/{uuid.uuid4()}/reduce"),
        ("post", f"/covers/{uuid.uuid4()}/cancel"),
        ("get", f"/buyers/{uuid.uuid4()}/capacity"),
        ("put", f"/buyers/{uuid.uuid4()}/capacity"),
        ("get", "/accumulation"),
        ("post", "/credit-checks"),
    ],
)
def test_anonymous_and_revoked_keys_get_401(
    client: TestClient, db: sessionmaker[Session], method: str, path: str
) -> None:
    caller = make_caller(db, org_ref="SELLER-A", kind=OrgKind.SELLER, role=Role.SELLER)
    kwargs: dict[str, Any] = {} if method == "get" else {"json": {}}
    assert client.request(method.upper(), f"{API}{path}", **kwargs).status_code == 401
    with unit_of_work(db) as session:
        key_id = orgs_service.authenticate(session, secret=caller.secret, now=utcnow()).key_id
        orgs_service.revoke_api_key(session, key_id=key_id, now=utcnow())
    assert (
        client.request(method.upper(), f"{API}{path}", headers=caller.headers, **kwargs).status_code
        == 401
    )


def test_parallel_http_clients_never_exceed_capacity(
    settings: Any, world: tuple[Book, dict[str, Caller]], db: sessionmaker[Session]
) -> None:
    from arshield.api.app import create_app
    from arshield.cover import policies
    from tests.integration.cover.conftest import terms

    book, c = world
    with unit_of_work(db) as session:
        from arshield.cover import service

        service.set_capacity(
            session,
            book.buyers["GOOD"],
            amount=100_000_00,
            currency="EUR",
            reason="race",
            actor=book.underwriter(),
        )
        policy_ids = [
            policies.create_policy(
                session,
                number=f"HTTP-{i}",
                seller_ref="SELLER-A",
                terms=terms(today()),
                actor=book.underwriter(),
            ).id
            for i in range(8)
        ]
    app = create_app(settings)
    barrier = threading.Barrier(len(policy_ids))
    results: list[dict[str, Any]] = []
    lock = threading.Lock()

    def client_thread(policy_id: uuid.UUID) -> None:
        body = {
            "policy_id": str(policy_id),
            "buyer_id": str(book.buyers["GOOD"]),
            "amount": "30000.00",
            "currency": "EUR",
        }
        with TestClient(app) as own:
            barrier.wait()
            response = own.post(f"{API}/covers", json=body, headers=c["seller_a"].headers)
        with lock:
            results.append({"code": response.status_code, **response.json()})

    threads = [threading.Thread(target=client_thread, args=(p,)) for p in policy_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    app.state.engine.dispose()
    assert {r["code"] for r in results} == {201}, results
    granted = sorted(r["decided_amount"] for r in results if r["status"] != "refused")
    assert granted == ["10000.00", "30000.00", "30000.00", "30000.00"], results
    with unit_of_work(db) as session:
        capacity = service.get_capacity(session, book.buyers["GOOD"], as_of=today())
        assert capacity.used == 100_000_00
