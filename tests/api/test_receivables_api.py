"""The ledger over HTTP: batch import, reads, operations, and tenant isolation on every route."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from arshield.kit.db import unit_of_work
from tests.builders import Caller, standard_callers
from tests.buyer_builders import make_company

V = "/api/v1"


@pytest.fixture
def callers(db: sessionmaker[Session]) -> dict[str, Caller]:
    with unit_of_work(db) as session:
        make_company(session, ref="B1", name="Acme GmbH", country="DE")
        make_company(session, ref="B2", name="Tokyo KK", country="JP")
    return standard_callers(db)


def post(client: TestClient, caller: Caller, path: str, body: Any = None, **params: Any) -> Any:
    return client.post(V + path, json=body, headers=caller.headers, params=params)


def get(client: TestClient, caller: Caller, path: str, **params: Any) -> Any:
    return client.get(V + path, headers=caller.headers, params=params)


ROWS = {
    "rows": [
        {
            "invoice_ref": "A-1",
            "company_ref": "B1",
            "issue_date": "2026-01-05",
            "due_date": "2026-02-04",
            "currency": "EUR",
            "amount": "1000.00",
        },
        {
            "invoice_ref": "A-2",
            "company_ref": "B1",
            "issue_date": "2026-02-01",
            "due_date": "2026-03-03",
            "currency": "EUR",
            "amount": 500.5,
        },
        {
            "invoice_ref": "A-3",
            "company_ref": "B2",
            "issue_date": "2026-02-01",
            "due_date": "2026-03-03",
            "currency": "JPY",
            "amount": "70000",
        },
    ]
}


def seed(client: TestClient, caller: Caller) -> dict[str, str]:
    response = post(client, caller, "/receivables/invoices:batch", ROWS)
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == 3
    items = get(client, caller, "/invoices", as_of="2026-06-30").json()["items"]
    return {i["invoice_ref"]: i["id"] for i in items}


def test_batch_import_reads_numbers_exactly_and_reports_bad_rows(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    ids = seed(client, callers["seller_a"])
    invoice = get(client, callers["seller_a"], f"/invoices/{ids['A-2']}").json()
    assert invoice["amount"] == "500.50" and invoice["outstanding"] == "500.50"
    bad = {"rows": [{**ROWS["rows"][0], "invoice_ref": "X", "amount": "1.001"}]}
    response = post(client, callers["seller_a"], "/receivables/invoices:batch", bad)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert detail["errors"][0]["row"] == 1 and detail["errors"][0]["column"] == "amount"
    malformed = client.post(
        V + "/receivables/invoices:batch", content=b"{not json", headers=callers["seller_a"].headers
    )
    assert malformed.status_code == 422


def test_payment_allocation_write_off_dispute_and_reversal(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    a = callers["seller_a"]
    ids = seed(client, a)
    pay = post(
        client,
        a,
        "/payments",
        {
            "payment_ref": "P-1",
            "company_ref": "B1",
            "date": "2026-02-10",
            "currency": "EUR",
            "amount": "1200.00",
        },
    )
    assert pay.status_code == 201, pay.text
    pid = pay.json()["id"]
    auto = post(client, a, f"/payments/{pid}/auto-allocate").json()
    # oldest first: A-1 takes 1000.00, A-2 takes the other 200.00
    assert [(x["invoice_ref"], x["amount"]) for x in auto["allocations"]] == [
        ("A-1", "1000.00"),
        ("A-2", "200.00"),
    ]
    assert auto["unallocated"] == "0.00"
    over = post(
        client, a, f"/payments/{pid}/allocations", {"invoice_id": ids["A-2"], "amount": "1"}
    )
    assert over.status_code == 409
    dispute = post(
        client,
        a,
        f"/invoices/{ids['A-2']}/disputes",
        {"reason_code": "quality", "amount": "100.00", "opened_on": "2026-03-05"},
    )
    assert dispute.status_code == 201, dispute.text
    assert get(client, a, "/invoices", status="disputed", as_of="2026-06-30").json()["total"] == 1
    resolved = post(
        client,
        a,
        f"/disputes/{dispute.json()['id']}/resolve",
        {"outcome": "credit_note", "resolved_on": "2026-03-20", "credit_note_ref": "CN-1"},
    )
    assert resolved.status_code == 200, resolved.text
    wo = post(
        client,
        a,
        f"/invoices/{ids['A-2']}/write-offs",
        {"date": "2026-06-01", "reason": "insolvent"},
    )
    assert wo.status_code == 201 and wo.json()["amount"] == "200.50"  # 500.50 - 200 - 100
    detail = get(client, a, f"/invoices/{ids['A-2']}", as_of="2026-06-30").json()
    assert detail["outstanding"] == "0.00" and detail["status"] == "paid"
    bounced = post(
        client, a, f"/payments/{pid}/reverse", {"date": "2026-06-10", "reason": "bounced"}
    )
    assert bounced.status_code == 200 and bounced.json()["reversed"] is True
    after = get(client, a, f"/invoices/{ids['A-1']}", as_of="2026-06-30").json()
    assert after["outstanding"] == "1000.00"
    again = post(client, a, f"/payments/{pid}/reverse", {"date": "2026-06-11", "reason": "x"})
    assert again.status_code == 409


def test_tenant_isolation_on_every_route(client: TestClient, callers: dict[str, Caller]) -> None:
    a, b = callers["seller_a"], callers["seller_b"]
    ids = seed(client, a)
    pid = post(
        client,
        a,
        "/payments",
        {
            "payment_ref": "P-1",
            "company_ref": "B1",
            "date": "2026-02-10",
            "currency": "EUR",
            "amount": "10.00",
        },
    ).json()["id"]
    note = post(
        client,
        a,
        "/credit-notes",
        {
            "credit_note_ref": "CN-A",
            "invoice_id": ids["A-1"],
            "date": "2026-01-20",
            "currency": "EUR",
            "amount": "1.00",
        },
    ).json()
    # Lists are empty for seller B; A's objects are 404 for B; naming A's ledger is 404.
    for path in ("/invoices", "/payments", "/credit-notes"):
        assert get(client, b, path).json()["total"] == 0
    for path in ("/disputes", "/payment-plans", "/promises"):
        assert get(client, b, path).json() == []
    assert get(client, b, f"/invoices/{ids['A-1']}").status_code == 404
    assert get(client, b, f"/payments/{pid}").status_code == 404
    assert get(client, b, f"/credit-notes/{note['id']}").status_code == 404
    assert get(client, b, "/invoices", org="SELLER-A").status_code == 404
    # B cannot write A's ledger through A's ids.
    assert (
        post(client, b, f"/payments/{pid}/allocations", {"invoice_id": ids["A-1"]}).status_code
        == 404
    )
    assert (
        post(
            client, b, f"/payments/{pid}/reverse", {"date": "2026-03-01", "reason": "x"}
        ).status_code
        == 404
    )
    assert (
        post(
            client, b, f"/invoices/{ids['A-1']}/write-offs", {"date": "2026-03-01", "reason": "x"}
        ).status_code
        == 404
    )
    assert (
        post(
            client,
            b,
            f"/invoices/{ids['A-1']}/disputes",
            {"reason_code": "price", "opened_on": "2026-03-01"},
        ).status_code
        == 404
    )
    assert (
        post(
            client,
            b,
            "/credit-notes",
            {
                "credit_note_ref": "CN-B",
                "invoice_id": ids["A-1"],
                "date": "2026-01-20",
                "currency": "EUR",
                "amount": "1.00",
            },
        ).status_code
        == 404
    )
    entry_id = get(client, a, f"/invoices/{ids['A-1']}").json()["entries"][0]["id"]
    assert (
        post(
            client, b, f"/entries/{entry_id}/reverse", {"date": "2026-03-01", "reason": "x"}
        ).status_code
        == 404
    )
    # A's ledger is unchanged.
    assert (
        get(client, a, f"/invoices/{ids['A-1']}", as_of="2026-06-30").json()["outstanding"]
        == "999.00"
    )
    # The insurer reads by naming the seller, and never writes.
    analyst = callers["analyst"]
    assert get(client, analyst, "/invoices", org="SELLER-A").json()["total"] == 3
    assert get(client, analyst, "/invoices").status_code == 422
    assert post(client, analyst, "/receivables/invoices:batch", ROWS).status_code == 403
    # No key: 401.
    assert client.get(V + "/invoices").status_code == 401
