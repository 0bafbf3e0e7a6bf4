"""POST /credit-checks takes two paths: a check that writes nothing is answered on the
connection its key was read on; one that holds an order or stores its response under an
Idempotency-Key runs in the request's transaction. Both answer alike, byte for byte, and
refuse bad requests in the same order as the other write routes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.cover.models import CheckedOrder
from arshield.kit import idempotency as store
from arshield.kit.db import unit_of_work
from arshield.kit.time import today
from tests.builders import Caller, standard_callers
from tests.buyer_builders import make_company
from tests.integration.cover.conftest import Book, build_book, grade

URL = "/api/v1/credit-checks"


@pytest.fixture
def world(client: TestClient, db: sessionmaker[Session]) -> tuple[Book, dict[str, Caller]]:
    book = build_book(db, as_of=today())
    with unit_of_work(db) as session:
        # A buyer whose reference is not ASCII: both paths must send the same bytes for it.
        company = make_company(session, ref="买家-1", name="北京买家有限公司", country="DE")
        grade(session, company.id, 3, 0.003, today())
        book.buyers["CN-REF"] = company.id
    callers = standard_callers(db)
    cover = {
        "policy_id": str(book.policies["A"]),
        "buyer_id": str(book.buyers["GOOD"]),
        "amount": "40000.00",
        "currency": "EUR",
    }
    created = client.post("/api/v1/covers", json=cover, headers=callers["seller_a"].headers)
    assert created.status_code == 201, created.text
    return book, callers


def body(book: Book, buyer: str = "GOOD", amount: str = "1000.00", **kw: Any) -> dict[str, Any]:
    return {"buyer_id": str(book.buyers[buyer]), "amount": amount, "currency": "EUR", **kw}


def post(client: TestClient, caller: Caller, json: Any, key: str | None = None) -> httpx.Response:
    headers = dict(caller.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(URL, json=json, headers=headers)


def rows(db: sessionmaker[Session], model: type[Any]) -> int:
    with unit_of_work(db) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.mark.parametrize("buyer", ["GOOD", "CN-REF", "GONE"])
def test_both_paths_send_the_same_bytes(
    client: TestClient, world: tuple[Book, dict[str, Caller]], buyer: str
) -> None:
    book, c = world
    plain = post(client, c["seller_a"], body(book, buyer))
    keyed = post(client, c["seller_a"], body(book, buyer), key=f"same-{buyer}")
    assert plain.status_code == keyed.status_code == 200, plain.text
    assert plain.content == keyed.content
    assert plain.headers["content-type"] == keyed.headers["content-type"] == "application/json"
    replay = post(client, c["seller_a"], body(book, buyer), key=f"same-{buyer}")
    assert replay.content == plain.content and replay.headers["Idempotent-Replayed"] == "true"
    held = post(client, c["seller_a"], body(book, buyer, order_ref=f"SO-{buyer}"))
    assert held.json() == plain.json() | {"order_ref": f"SO-{buyer}"}


def test_a_check_without_order_or_key_writes_nothing(
    client: TestClient, world: tuple[Book, dict[str, Caller]], db: sessionmaker[Session]
) -> None:
    book, c = world
    before = (rows(db, CheckedOrder), rows(db, store.IdempotencyKey))
    for amount in ("100.00", "39000.00", "50000.00"):  # ok, warn, block
        assert post(client, c["seller_a"], body(book, amount=amount)).status_code == 200
    assert (rows(db, CheckedOrder), rows(db, store.IdempotencyKey)) == before
    assert post(client, c["seller_a"], body(book), key="stored").status_code == 200
    assert rows(db, store.IdempotencyKey) == before[1] + 1
    assert post(client, c["seller_a"], body(book, order_ref="SO-1")).status_code == 200
    assert rows(db, CheckedOrder) == before[0] + 1
    # The held order now counts on the read path too.
    exposure = post(client, c["seller_a"], body(book)).json()["exposure"]
    assert exposure["checked_orders"] == "1000.00"


def test_refusals_come_in_the_same_order_as_on_other_write_routes(
    client: TestClient, world: tuple[Book, dict[str, Caller]]
) -> None:
    book, c = world
    seller, underwriter = c["seller_a"], c["underwriter"]
    # 401 before anything about the body; then a malformed key; then the role; then the body.
    assert client.post(URL, json={}).status_code == 401
    bad_key = post(client, underwriter, {}, key=" spaced ")
    assert (bad_key.status_code, bad_key.json()["error"]) == (422, "invalid_idempotency_key")
    assert post(client, underwriter, body(book)).status_code == 403
    assert post(client, underwriter, body(book), key="k-uw").status_code == 403
    invalid = post(client, seller, {"buyer_id": str(book.buyers["GOOD"])})
    assert (invalid.status_code, invalid.json()["error"]) == (422, "validation_failed")
    for key in (None, "k-missing"):
        missing = post(client, seller, body(book) | {"buyer_id": str(book.policies["A"])}, key)
        assert missing.status_code == 404
        cents = post(client, seller, body(book, amount="10.001"), key)
        assert cents.status_code == 422


def test_refused_and_malformed_requests_hand_their_connection_back(
    client: TestClient, world: tuple[Book, dict[str, Caller]]
) -> None:
    book, c = world
    # More than the pool holds: a connection kept by any of them would block the last check.
    for n in range(25):
        assert post(client, c["seller_a"], {"amount": "1.00"}).status_code == 422
        assert post(client, c["underwriter"], body(book)).status_code == 403
        assert post(client, c["seller_a"], body(book, "RUS")).status_code == 200
        ship = (today() + dt.timedelta(days=400)).isoformat()
        assert post(client, c["seller_a"], body(book, ship_date=ship)).status_code == 422, n
    assert post(client, c["seller_a"], body(book)).json()["result"] == "ok"
