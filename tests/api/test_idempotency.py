"""Idempotency-Key over HTTP: one effect per key, replays, refusals, failures and races."""

from __future__ import annotations

import datetime as dt
import threading
import uuid
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.api.app import create_app
from arshield.buyers.models import Company
from arshield.config import Settings
from arshield.fx.models import FxRate
from arshield.kit import idempotency as store
from arshield.kit.db import unit_of_work
from arshield.kit.idempotency import IdempotencyKey
from arshield.orgs import service as orgs_service
from arshield.orgs.models import Organisation
from arshield.receivables import endpoints as receivables_endpoints
from arshield.receivables import ledger
from arshield.receivables.models import Invoice, LedgerEntry, Payment
from tests.builders import Caller, standard_callers
from tests.buyer_builders import make_company

V = "/api/v1"
PARALLEL = 12

PAYMENT = {
    "payment_ref": "P-1",
    "company_ref": "B1",
    "date": "2026-02-10",
    "currency": "EUR",
    "amount": "1200.00",
}
INVOICES = {
    "rows": [
        {
            "invoice_ref": "A-1",
            "company_ref": "B1",
            "issue_date": "2026-01-05",
            "due_date": "2026-02-04",
            "currency": "EUR",
            "amount": "1000.00",
        }
    ]
}


@pytest.fixture
def callers(db: sessionmaker[Session]) -> dict[str, Caller]:
    with unit_of_work(db) as session:
        make_company(session, ref="B1", name="Acme GmbH", country="DE")
    return standard_callers(db)


def post(
    client: TestClient | httpx.Client,
    caller: Caller,
    path: str,
    body: Any = None,
    *,
    key: str | bytes | None = None,
    **params: Any,
) -> httpx.Response:
    headers: dict[str, Any] = dict(caller.headers)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(V + path, json=body, headers=headers, params=params)


def count(db: sessionmaker[Session], model: type[Any], **where: Any) -> int:
    with unit_of_work(db) as session:
        query = select(func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return int(session.scalar(query) or 0)


def org_id(db: sessionmaker[Session], ref: str) -> uuid.UUID:
    with unit_of_work(db) as session:
        return orgs_service.get_org_by_ref(session, ref).id


# --- replay, refusal, scope ----------------------------------------------------------------------


def test_the_same_request_again_replays_the_first_response_with_one_effect(
    client: TestClient, callers: dict[str, Caller], db: sessionmaker[Session]
) -> None:
    a = callers["seller_a"]
    first = post(client, a, "/payments", PAYMENT, key="pay-1")
    assert first.status_code == 201, first.text
    assert "Idempotent-Replayed" not in first.headers
    # Same data, other key order and spacing: the same request.
    reordered = dict(reversed(list(PAYMENT.items())))
    for _ in range(3):
        again = post(client, a, "/payments", reordered, key="pay-1")
        assert again.status_code == 201
        assert again.content == first.content
        assert again.headers["Idempotent-Replayed"] == "true"
    assert count(db, Payment) == 1
    # The stored response is the one a client reads afterwards.
    listed = client.get(V + "/payments", headers=a.headers).json()
    assert listed["total"] == 1 and listed["items"][0]["id"] == first.json()["id"]


def test_the_same_key_with_another_body_is_refused(
    client: TestClient, callers: dict[str, Caller], db: sessionmaker[Session]
) -> None:
    a = callers["seller_a"]
    assert post(client, a, "/payments", PAYMENT, key="pay-1").status_code == 201
    other = post(client, a, "/payments", {**PAYMENT, "amount": "1200.01"}, key="pay-1")
    assert other.status_code == 422
    assert other.json() == {
        "error": "idempotency_key_reused",
        "detail": "this Idempotency-Key was used with a different request",
    }
    # Another route or another object is another request too.
    pid = post(client, a, "/payments", {**PAYMENT, "payment_ref": "P-2"}).json()["id"]
    assert post(client, a, f"/payments/{pid}/auto-allocate", key="pay-1").status_code == 422
    assert count(db, Payment) == 2


def test_a_request_still_in_progress_is_a_409(
    client: TestClient,
    callers: dict[str, Caller],
    db: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = callers["seller_a"]
    working, finish = threading.Event(), threading.Event()
    real = receivables_endpoints._company

    def slow(*args: Any, **kwargs: Any) -> Company:
        # After the claim, before the request's transaction starts (on SQLite that transaction
        # holds the write lock, so a second request would wait for it and get the replay).
        working.set()
        assert finish.wait(timeout=30)
        return real(*args, **kwargs)

    monkeypatch.setattr(receivables_endpoints, "_company", slow)
    first: list[httpx.Response] = []

    def first_request() -> None:
        with TestClient(client.app) as own_client:
            first.append(post(own_client, a, "/payments", PAYMENT, key="pay-1"))

    thread = threading.Thread(target=first_request)
    thread.start()
    try:
        assert working.wait(timeout=30)
        second = post(client, a, "/payments", PAYMENT, key="pay-1")
    finally:
        finish.set()
        thread.join()
    assert second.status_code == 409
    assert second.json() == {
        "error": "idempotency_key_in_progress",
        "detail": "a request with this Idempotency-Key is still in progress",
    }
    assert first[0].status_code == 201, first[0].text
    assert post(client, a, "/payments", PAYMENT, key="pay-1").content == first[0].content
    assert count(db, Payment) == 1


def test_a_key_held_by_another_running_request_is_refused(
    client: TestClient, callers: dict[str, Caller], db: sessionmaker[Session]
) -> None:
    held = store.claim(
        db,
        org_id=org_id(db, "SELLER-A"),
        key="pay-1",
        fingerprint="f" * 64,  # some other request's
        now=dt.datetime.now(dt.UTC),
    )
    assert isinstance(held, store.Claim)
    response = post(client, callers["seller_a"], "/payments", PAYMENT, key="pay-1")
    assert response.status_code == 422
    assert response.json()["error"] == "idempotency_key_reused"
    assert count(db, Payment) == 0


def test_an_abandoned_claim_is_taken_over(
    client: TestClient, callers: dict[str, Caller], db: sessionmaker[Session]
) -> None:
    a = callers["seller_a"]
    long_ago = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)
    store.claim(db, org_id=org_id(db, "SELLER-A"), key="pay-1", fingerprint="f" * 64, now=long_ago)
    taken = post(client, a, "/payments", PAYMENT, key="pay-1")
    assert taken.status_code == 201, taken.text
    assert post(client, a, "/payments", PAYMENT, key="pay-1").content == taken.content
    assert count(db, Payment) == 1


def test_keys_are_scoped_per_seller(
    client: TestClient, callers: dict[str, Caller], db: sessionmaker[Session]
) -> None:
    a, b = callers["seller_a"], callers["seller_b"]
    from_a = post(client, a, "/payments", PAYMENT, key="shared-key")
    from_b = post(client, b, "/payments", PAYMENT, key="shared-key")
    assert from_a.status_code == from_b.status_code == 201
    assert "Idempotent-Replayed" not in from_b.headers
    assert from_a.json()["id"] != from_b.json()["id"]
    assert count(db, Payment, org_id=org_id(db, "SELLER-A")) == 1
    assert count(db, Payment, org_id=org_id(db, "SELLER-B")) == 1
    # B's replay is B's own payment; A's key never answers for B.
    assert post(client, b, "/payments", PAYMENT, key="shared-key").content == from_b.content


def test_an_invalid_key_is_refused(client: TestClient, callers: dict[str, Caller]) -> None:
    a = callers["seller_a"]
    for key in ("k" * 256, "clé".encode()):
        response = post(client, a, "/payments", PAYMENT, key=key)
        assert response.status_code == 422
        assert response.json()["error"] == "invalid_idempotency_key"
    assert post(client, a, "/payments", PAYMENT, key="k" * 255).status_code == 201


def test_without_a_key_nothing_is_stored(
    client: TestClient, callers: dict[str, Caller], db: sessionmaker[Session]
) -> None:
    a = callers["seller_a"]
    assert post(client, a, "/payments", PAYMENT).status_code == 201
    assert post(client, a, "/payments", PAYMENT).status_code == 409  # the ref exists
    assert count(db, IdempotencyKey) == 0


# --- failures release the key --------------------------------------------------------------------


def test_a_request_that_failed_can_be_sent_again_with_its_key(
    client: TestClient, callers: dict[str, Caller], db: sessionmaker[Session]
) -> None:
    a = callers["seller_a"]
    unknown_buyer = {**PAYMENT, "company_ref": "B9"}
    failed = post(client, a, "/payments", unknown_buyer, key="pay-9")
    assert failed.status_code == 404
    assert count(db, IdempotencyKey) == 0
    with unit_of_work(db) as session:
        make_company(session, ref="B9", name="Late Buyer Ltd", country="GB")
    retried = post(client, a, "/payments", unknown_buyer, key="pay-9")
    assert retried.status_code == 201, retried.text
    assert count(db, Payment) == 1


def test_a_failed_commit_is_an_error_response_and_releases_the_key(
    settings: Settings,
    callers: dict[str, Caller],
    db: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = callers["seller_a"]
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        real = ledger.record_payment

        def breaking(session: Session, *args: Any, **kwargs: Any) -> Payment:
            payment = real(session, *args, **kwargs)
            session.add(Organisation(ref="SELLER-A", name="twin", kind="seller"))  # not flushed
            return payment

        monkeypatch.setattr(ledger, "record_payment", breaking)
        for key in ("pay-1", None):
            failed = post(client, a, "/payments", PAYMENT, key=key)
            # The commit runs before the response: the client hears of the failure.
            assert failed.status_code == 409, failed.text
            assert failed.json()["error"] == "conflict"
        assert count(db, Payment) == 0
        assert count(db, IdempotencyKey) == 0
        monkeypatch.setattr(ledger, "record_payment", real)
        retried = post(client, a, "/payments", PAYMENT, key="pay-1")
        assert retried.status_code == 201, retried.text
    app.state.engine.dispose()
    assert count(db, Payment) == 1


# --- every money route ---------------------------------------------------------------------------


def test_every_ledger_write_replays_instead_of_repeating(
    client: TestClient, callers: dict[str, Caller], db: sessionmaker[Session]
) -> None:
    a = callers["seller_a"]

    def twice(path: str, body: Any = None, status: int = 201, **params: Any) -> Any:
        """Send a write twice with one key: the second answer is the first, replayed."""
        key = f"{path}:{uuid.uuid4()}"
        first = post(client, a, path, body, key=key, **params)
        assert first.status_code == status, (path, first.text)
        again = post(client, a, path, body, key=key, **params)
        assert (again.status_code, again.content) == (status, first.content), path
        assert again.headers["Idempotent-Replayed"] == "true"
        return first.json()

    report = twice("/receivables/invoices:batch", INVOICES, status=200)
    assert report["inserted"] == 1
    invoice_id = client.get(V + "/invoices", headers=a.headers).json()["items"][0]["id"]
    payment = twice("/payments", {**PAYMENT, "amount": "300.00"})
    twice(f"/payments/{payment['id']}/allocations", {"invoice_id": invoice_id, "amount": "100"})
    twice(f"/payments/{payment['id']}/auto-allocate", status=200)
    note = {
        "credit_note_ref": "CN-1",
        "invoice_id": invoice_id,
        "date": "2026-01-20",
        "currency": "EUR",
        "amount": "10.00",
    }
    twice("/credit-notes", note)
    dispute = twice(
        f"/invoices/{invoice_id}/disputes",
        {"reason_code": "quality", "amount": "50.00", "opened_on": "2026-03-05"},
    )
    twice(
        f"/disputes/{dispute['id']}/resolve",
        {"outcome": "rejected", "resolved_on": "2026-03-20"},
        status=200,
    )
    twice(
        "/promises",
        {
            "company_ref": "B1",
            "made_on": "2026-03-01",
            "promised_for": "2026-03-31",
            "currency": "EUR",
            "amount": "100.00",
        },
    )
    plan = twice(
        "/payment-plans",
        {
            "plan_ref": "PL-1",
            "invoice_ids": [invoice_id],
            "instalments": [{"due_date": "2026-04-30", "amount": "690.00"}],
            "agreed_on": "2026-04-01",
        },
    )
    twice(f"/payment-plans/{plan['id']}/cancel", status=200, on="2026-04-15")
    wo = twice(f"/invoices/{invoice_id}/write-offs", {"date": "2026-06-01", "reason": "bad"})
    twice(f"/entries/{wo['id']}/reverse", {"date": "2026-06-02", "reason": "x"}, 200)
    twice(f"/payments/{payment['id']}/reverse", {"date": "2026-06-10", "reason": "bounced"}, 200)
    twice("/fx-rates:batch", {"rows": [_rate("2026-01-02")]}, status=200)
    # One effect each: the ledger holds what one call of each made.
    assert count(db, Invoice) == 1
    assert count(db, Payment) == 2  # the payment and its reversal twin
    # allocation 100 + auto 200, credit note, write-off and its reversal, 2 reversed allocations
    assert count(db, LedgerEntry) == 7
    assert count(db, FxRate) == 1


def _rate(day: str) -> dict[str, str]:
    return {"date": day, "base": "EUR", "quote": "CNY", "rate": "7.8", "source": "test"}


def test_file_uploads_are_fingerprinted_by_their_content(
    client: TestClient, callers: dict[str, Caller], db: sessionmaker[Session]
) -> None:
    a = callers["seller_a"]
    csv_1 = b"date,base,quote,rate,source\n2026-01-02,EUR,CNY,7.8,test\n"
    csv_2 = b"date,base,quote,rate,source\n2026-01-02,EUR,CNY,7.9,test\n"

    def upload(content: bytes) -> httpx.Response:
        return client.post(
            V + "/fx-rates/import",
            headers={**a.headers, "Idempotency-Key": "file-1"},
            files={"file": ("rates.csv", content, "text/csv")},
        )

    first = upload(csv_1)
    assert first.status_code == 200, first.text
    assert first.json()["inserted"] == 1
    again = upload(csv_1)
    assert again.content == first.content and again.headers["Idempotent-Replayed"] == "true"
    assert upload(csv_2).status_code == 422
    assert count(db, FxRate) == 1


def test_the_header_is_documented(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    params = spec["paths"]["/api/v1/payments"]["post"]["parameters"]
    (header,) = [p for p in params if p["name"] == "Idempotency-Key"]
    assert header["in"] == "header" and not header.get("required", False)
    assert "replays the first response" in header["description"]
    for path, method in (
        ("/api/v1/credit-notes", "post"),
        ("/api/v1/fx-rates:batch", "post"),
        ("/api/v1/receivables/{kind}:batch", "post"),
    ):
        names = [p["name"] for p in spec["paths"][path][method]["parameters"]]
        assert "Idempotency-Key" in names, path


# --- parallel clients ----------------------------------------------------------------------------


def test_parallel_clients_with_one_key_make_one_effect(
    settings: Settings, callers: dict[str, Caller], db: sessionmaker[Session]
) -> None:
    a = callers["seller_a"]
    app = create_app(settings)
    barrier = threading.Barrier(PARALLEL)
    results: list[tuple[int, bytes]] = []
    lock = threading.Lock()

    def client_thread() -> None:
        with TestClient(app) as own_client:
            barrier.wait()
            response = post(own_client, a, "/payments", PAYMENT, key="race")
        with lock:
            results.append((response.status_code, response.content))

    threads = [threading.Thread(target=client_thread) for _ in range(PARALLEL)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    app.state.engine.dispose()
    statuses = sorted(status for status, _ in results)
    assert len(results) == PARALLEL
    assert set(statuses) <= {201, 409}, statuses
    created = {content for status, content in results if status == 201}
    assert len(created) == 1  # every 201 is the same payment, first or replayed
    assert count(db, Payment) == 1
    assert count(db, IdempotencyKey) == 1


# --- a property over keys and bodies -------------------------------------------------------------


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    key=st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=64),
    cents=st.integers(min_value=1, max_value=10**9),
    other=st.integers(min_value=1, max_value=10**9),
)
def test_any_key_and_amount_replay_and_refuse_alike(
    client: TestClient,
    callers: dict[str, Caller],
    db: sessionmaker[Session],
    key: str,
    cents: int,
    other: int,
) -> None:
    a = callers["seller_a"]
    key = f"{uuid.uuid4().hex[:8]}{key}"  # each example its own key
    body = {**PAYMENT, "payment_ref": key[:60], "amount": f"{cents // 100}.{cents % 100:02d}"}
    before = count(db, Payment)
    first = post(client, a, "/payments", body, key=key)
    assert first.status_code == 201, first.text
    assert post(client, a, "/payments", body, key=key).content == first.content
    changed = {**body, "amount": f"{other // 100}.{other % 100:02d}"}
    expected = 201 if other == cents else 422
    assert post(client, a, "/payments", changed, key=key).status_code == expected
    assert count(db, Payment) == before + 1
