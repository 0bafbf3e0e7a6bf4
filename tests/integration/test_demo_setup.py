"""`arshield demo setup` loads a graded portfolio and issues working keys; a rerun adds nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.buyers.models import Company, FinancialStatement
from arshield.demo.setup import setup_demo
from arshield.kit.db import unit_of_work
from arshield.receivables.models import Invoice, Payment
from arshield.risk.models import GradeRecord

NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)


def test_demo_setup_end_to_end(
    db: sessionmaker[Session], client: TestClient, tmp_path: Path
) -> None:
    first = setup_demo(db, companies=300, seed=3, out_dir=tmp_path / "demo", now=NOW)
    assert first.imported["companies"] == 300
    assert first.graded == 300
    assert first.backtest.buyers == 300
    # The expert model separates the generated defaulters well above chance.
    assert first.backtest.auc > 0.75
    with unit_of_work(db) as session:
        statements = session.scalar(select(func.count()).select_from(FinancialStatement))
    assert statements == first.imported["financials"]

    second = setup_demo(db, companies=300, seed=3, out_dir=tmp_path / "demo", now=NOW)
    with unit_of_work(db) as session:
        assert session.scalar(select(func.count()).select_from(Company)) == 300
        assert session.scalar(select(func.count()).select_from(FinancialStatement)) == statements
        assert session.scalar(select(func.count()).select_from(GradeRecord)) == 300

    seller = next(k for k in second.keys if k.role.value == "seller")
    headers = {"Authorization": f"Bearer {seller.secret}"}
    page = client.get("/api/v1/buyers?limit=5", headers=headers).json()
    assert page["total"] == 300
    buyer = page["items"][0]["id"]
    grade = client.get(f"/api/v1/buyers/{buyer}/grade?as_of=2026-06-30", headers=headers).json()
    assert grade["source"] == "stored"
    # The demo seller's ledger is loaded once (a rerun finds every row unchanged) and reports.
    assert first.ledger["invoices"] == second.ledger["invoices"] == 4000
    with unit_of_work(db) as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 4000
        assert session.scalar(select(func.count()).select_from(Payment)) == first.ledger["payments"]
    aging = client.get(
        "/api/v1/reports/aging",
        headers=headers,
        params={"as_of": "2026-06-30", "by": "currency", "currency": "CNY"},
    ).json()
    assert aging["tables"]["aging"][0]["currency"] == "CNY"
    assert {r["from"] for r in aging["rates"]} == {"CNY", "EUR", "USD"}
