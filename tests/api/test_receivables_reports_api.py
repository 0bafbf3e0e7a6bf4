"""Reports over HTTP and the CLI: aging CSV layout and sums, conversion with recorded rates,
DSO, forecast, concentration, statements, and tenant isolation of every report."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from arshield.config import Settings
from arshield.kit.db import unit_of_work
from tests.builders import Caller, standard_callers
from tests.buyer_builders import make_company

V = "/api/v1"
ROWS = [
    # as of 2026-06-30: R-1 is 90 days past due, R-2 10 days, R-3 not due, R-4 (JPY) 31 days
    ("R-1", "B1", "2026-03-01", "2026-04-01", "EUR", "1000.00"),
    ("R-2", "B1", "2026-05-01", "2026-06-20", "EUR", "200.00"),
    ("R-3", "B2", "2026-06-15", "2026-07-15", "EUR", "300.00"),
    ("R-4", "B2", "2026-05-01", "2026-05-30", "JPY", "50000"),
]
KEYS = ("invoice_ref", "company_ref", "issue_date", "due_date", "currency", "amount")


@pytest.fixture
def callers(db: sessionmaker[Session]) -> dict[str, Caller]:
    with unit_of_work(db) as session:
        make_company(session, ref="B1", name="Acme GmbH", country="DE")
        make_company(session, ref="B2", name="Tokyo KK", country="JP")
    return standard_callers(db)


def _seed(client: TestClient, caller: Caller) -> None:
    body = {"rows": [dict(zip(KEYS, row, strict=True)) for row in ROWS]}
    h = caller.headers
    assert client.post(f"{V}/receivables/invoices:batch", json=body, headers=h).status_code == 200
    pay = {"rows": [{"payment_ref": "P-1", "company_ref": "B1", "date": "2026-04-11",
                     "currency": "EUR", "amount": "400.00", "invoice_ref": "R-1"}]}  # fmt: skip
    assert client.post(f"{V}/receivables/payments:batch", json=pay, headers=h).status_code == 200
    rates = {"rows": [{"date": "2026-06-30", "base": "EUR", "quote": "CNY", "rate": "7.8",
                       "source": "ECB"},
                      {"date": "2026-06-29", "base": "JPY", "quote": "CNY", "rate": "0.05",
                       "source": "ECB"}]}  # fmt: skip
    assert client.post(f"{V}/fx-rates:batch", json=rates, headers=h).status_code == 200


def _get(client: TestClient, caller: Caller, path: str, **params: Any) -> Any:
    return client.get(V + path, headers=caller.headers, params={"as_of": "2026-06-30", **params})


def test_aging_csv_layout_and_hand_checked_buckets(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    a = callers["seller_a"]
    _seed(client, a)
    response = _get(client, a, "/reports/aging", format="csv")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["company_ref", "currency", "not_due", "1-30", "31-60", "61-90",
                             "91-180", "181-360", "361-720", "720+", "total"]  # fmt: skip
    by = {(r["company_ref"], r["currency"]): r for r in rows}
    b1 = by[("B1", "EUR")]
    # 1000.00 - 400.00 paid = 600.00 at 90 days; R-2 200.00 at 10 days.
    assert (b1["61-90"], b1["1-30"], b1["total"]) == ("600.00", "200.00", "800.00")
    assert by[("B2", "JPY")]["31-60"] == "50000" and by[("B2", "EUR")]["not_due"] == "300.00"


def test_aging_converted_names_the_rates(client: TestClient, callers: dict[str, Caller]) -> None:
    a = callers["seller_a"]
    _seed(client, a)
    body = _get(client, a, "/reports/aging", by="currency", currency="CNY").json()
    (row,) = body["tables"]["aging"]
    # EUR 1100.00 x 7.8 = 8580.00 CNY; JPY 50000 x 0.05 = 2500.00 CNY; total 11080.00
    assert (row["currency"], row["total"]) == ("CNY", "11080.00")
    rates = {r["from"]: r for r in body["rates"]}
    assert rates["EUR"]["rate"] == "7.8" and rates["JPY"]["rate_date"] == "2026-06-29"
    missing = _get(client, a, "/reports/aging", currency="USD")
    assert missing.status_code == 422 and "USD" in missing.text


def test_dso_forecast_concentration_and_statement(
    client: TestClient, callers: dict[str, Caller]
) -> None:
    a = callers["seller_a"]
    _seed(client, a)
    dso = _get(client, a, "/reports/dso", **{"from": "2026-04-02"}).json()
    eur = next(r for r in dso["tables"]["dso"] if r["currency"] == "EUR")
    # period 2026-04-02..2026-06-30 (90 days): sales 200.00 + 300.00 = 500.00, closing AR 1100.00
    assert eur["credit_sales"] == "500.00" and eur["closing_ar"] == "1100.00"
    assert eur["dso"] == "198.0"  # 1100 / 500 x 90
    forecast = _get(client, a, "/reports/forecast").json()["tables"]["weeks"]
    assert len([w for w in forecast if w["currency"] == "EUR"]) == 14  # 13 weeks + later
    conc = _get(client, a, "/reports/concentration", currency="CNY").json()["tables"]
    assert conc["summary"][0]["total"] == "11080.00"
    page = client.get(f"{V}/buyers/B1/statement", headers=a.headers,
                      params={"from": "2026-01-01", "to": "2026-06-30"})  # fmt: skip
    assert (
        page.status_code == 200
        and "800.00" in page.text
        and "text/html" in page.headers["content-type"]
    )


def test_reports_are_tenant_scoped(client: TestClient, callers: dict[str, Caller]) -> None:
    a, b = callers["seller_a"], callers["seller_b"]
    _seed(client, a)
    assert _get(client, b, "/reports/aging").json()["tables"]["aging"] == []
    for name in ("aging", "dso", "forecast", "concentration"):
        assert _get(client, b, f"/reports/{name}", org="SELLER-A").status_code == 404
    b_statement = client.get(f"{V}/buyers/B1/statement", headers=b.headers)
    assert "1000.00" not in b_statement.text
    insurer = _get(client, callers["underwriter"], "/reports/aging", org="SELLER-A").json()
    assert len(insurer["tables"]["aging"]) == 3


def test_cli_report(client: TestClient, callers: dict[str, Caller], cli_env: Settings) -> None:
    from arshield.cli.main import app

    _seed(client, callers["seller_a"])
    result = CliRunner().invoke(
        app, ["report", "aging", "--org", "SELLER-A", "--as-of", "2026-06-30", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("company_ref,currency,not_due,1-30")
    result = CliRunner().invoke(
        app, ["report", "dso", "--org", "SELLER-A", "--as-of", "2026-06-30", "--format", "json"]
    )
    assert json.loads(result.stdout)["report"] == "dso"
    bad = CliRunner().invoke(app, ["report", "aging", "--org", "SELLER-A", "--buckets", "60,30"])
    assert bad.exit_code == 1
