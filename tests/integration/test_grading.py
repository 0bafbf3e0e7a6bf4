"""Grading through the database: bulk runs, history, live grades, export, API and CLI."""

from __future__ import annotations

import csv
import datetime as dt
import json
import uuid
from pathlib import Path

import polars as pl
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from arshield.buyers.domain import EventType, Severity
from arshield.buyers.models import Company, CompanyEvent, FinancialStatement, PaymentExperience
from arshield.cli.main import app as cli_app
from arshield.kit.db import unit_of_work
from arshield.risk import service
from arshield.risk.models import GradeRecord
from arshield.risk.tables import service as tables_service
from tests.builders import standard_callers

AS_OF = dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 7, 1, 8, 0, tzinfo=dt.UTC)


def _statement(company_id: uuid.UUID, year: int, scale: int, *, weak: bool) -> FinancialStatement:
    ta = 1_000_000 * scale
    tl = ta * (95 if weak else 40) // 100
    return FinancialStatement(
        company_id=company_id,
        fiscal_year_end=dt.date(year, 12, 31),
        currency="CNY",
        total_assets=ta,
        current_assets=ta * 6 // 10,
        cash=ta // 10,
        receivables=ta // 5,
        inventory=ta // 10,
        total_liabilities=tl,
        current_liabilities=ta * (7 if weak else 3) // 10,
        equity=ta - tl,
        retained_earnings=-ta // 10 if weak else ta * 3 // 10,
        sales=ta * (2 if weak else 1),
        ebit=-ta // 50 if weak else ta // 10,
        net_income=-ta // 25 if weak else ta * 7 // 100,
    )


def seed_registry(factory: sessionmaker[Session], n: int = 6) -> list[Company]:
    """n companies: alternating strong and weak, one insolvent, one with no statements."""
    companies: list[Company] = []
    with unit_of_work(factory) as session:
        tables_service.load_defaults(session)
        for i in range(n):
            comp = Company(
                ref=f"B{i:03d}",
                name=f"买方{i}有限公司",
                search_key=f"mai fang {i}",
                country="CN" if i % 2 else "DE",
                sector="C25.11",
                founded=dt.date(2000 + i, 1, 1),
                employees=50 * (i + 1),
            )
            session.add(comp)
            session.flush()
            companies.append(comp)
            if i == n - 1:
                continue  # no statements at all
            for year in (2023, 2024, 2025):
                session.add(_statement(comp.id, year, i + 1, weak=bool(i % 2)))
            for month in range(1, 7):
                session.add(
                    PaymentExperience(
                        company_id=comp.id,
                        month=dt.date(2026, month, 1),
                        currency="CNY",
                        amount_paid=100_000,
                        amount_overdue=40_000 if i % 2 else 0,
                        days_beyond_terms=30 if i % 2 else 0,
                    )
                )
        session.add(
            CompanyEvent(
                company_id=companies[1].id,
                date=dt.date(2026, 5, 2),
                type=EventType.INSOLVENCY_FILING,
                severity=Severity.CRITICAL,
                description="filed",
                dedupe_key="k1",
            )
        )
    return companies


def test_run_stores_one_grade_per_buyer_and_keeps_history(db: sessionmaker[Session]) -> None:
    companies = seed_registry(db)
    with unit_of_work(db) as session:
        first = service.run_grading(session, as_of=AS_OF, now=NOW)
    assert first.graded == len(companies)
    assert sum(first.by_grade.values()) == len(companies)
    assert first.by_grade.get(10) == 1
    with unit_of_work(db) as session:
        service.run_grading(session, as_of=AS_OF, now=NOW)  # same run again: replaced, not added
        service.run_grading(session, as_of=dt.date(2026, 3, 31), now=NOW)
    with unit_of_work(db) as session:
        assert session.scalar(select(func.count()).select_from(GradeRecord)) == 2 * len(companies)
        history = service.grade_history(session, company_id=companies[1].id)
    assert [g.as_of for g in history] == [dt.date(2026, 3, 31), AS_OF]
    # The insolvency filing of 2026-05-02 is not known on 2026-03-31.
    assert history[0].grade < 10
    assert history[1].grade == 10
    assert history[1].reasons[0].code == "INSOLVENCY_FILING"


def test_stored_grade_equals_live_grade_of_one_buyer(db: sessionmaker[Session]) -> None:
    companies = seed_registry(db)
    with unit_of_work(db) as session:
        service.run_grading(session, as_of=AS_OF, now=NOW)
    with unit_of_work(db) as session:
        for comp in companies:
            stored = service.get_grade(session, company_id=comp.id, as_of=AS_OF)
            live = service.compute_grades(session, company_ids=[comp.id], as_of=AS_OF)[0]
            assert stored.source == "stored"
            assert live.source == "computed"
            assert (stored.score, stored.grade, stored.pd, stored.confidence) == (
                live.score,
                live.grade,
                live.pd,
                live.confidence,
            )
            assert [r.code for r in stored.reasons] == [r.code for r in live.reasons]
            assert [r.contribution for r in stored.reasons] == pytest.approx(
                [r.contribution for r in live.reasons]
            )
            assert stored.data_quality == live.data_quality


def test_no_statements_lowers_confidence_and_caps_grade(db: sessionmaker[Session]) -> None:
    companies = seed_registry(db)
    with unit_of_work(db) as session:
        grade = service.get_grade(session, company_id=companies[-1].id, as_of=AS_OF)
    assert grade.confidence == "low"
    assert grade.grade >= 6
    assert grade.reasons[0].code == "NO_USABLE_STATEMENTS"


def test_export_csv_and_parquet_agree_with_stored_run(
    db: sessionmaker[Session], tmp_path: Path
) -> None:
    seed_registry(db)
    with unit_of_work(db) as session:
        live = service.export_frame(session, as_of=AS_OF)
        service.run_grading(session, as_of=AS_OF, now=NOW)
    with unit_of_work(db) as session:
        stored = service.export_frame(session, as_of=AS_OF)
    assert live.columns == ["company_ref", "score", "grade", "pd", "reasons"]
    assert live.drop("reasons").equals(stored.drop("reasons"))
    assert live["reasons"].to_list() == stored["reasons"].to_list()


def test_api_grade_routes(client: TestClient, db: sessionmaker[Session]) -> None:
    companies = seed_registry(db)
    callers = standard_callers(db)
    buyer = companies[0].id
    assert client.get(f"/api/v1/buyers/{buyer}/grade?as_of=2026-06-30").status_code == 401
    live = client.get(
        f"/api/v1/buyers/{buyer}/grade?as_of=2026-06-30", headers=callers["seller_a"].headers
    )
    assert live.status_code == 200
    body = live.json()
    assert body["source"] == "computed"
    assert 1 <= body["grade"] <= 10 and 1 <= body["score"] <= 100
    assert body["reasons"] and all(r["text"] for r in body["reasons"])
    denied = client.post(
        "/api/v1/grades/run", json={"as_of": "2026-06-30"}, headers=callers["seller_a"].headers
    )
    assert denied.status_code == 403
    run = client.post(
        "/api/v1/grades/run", json={"as_of": "2026-06-30"}, headers=callers["analyst"].headers
    )
    assert run.status_code == 200
    assert run.json()["graded"] == len(companies)
    stored = client.get(
        f"/api/v1/buyers/{buyer}/grade?as_of=2026-06-30", headers=callers["seller_a"].headers
    )
    assert stored.json()["source"] == "stored"
    assert stored.json()["grade"] == body["grade"]
    history = client.get(
        f"/api/v1/buyers/{buyer}/grade/history", headers=callers["underwriter"].headers
    )
    assert [h["as_of"] for h in history.json()] == ["2026-06-30"]
    missing = client.get(f"/api/v1/buyers/{uuid.uuid4()}/grade", headers=callers["admin"].headers)
    assert missing.status_code == 404
    assert missing.json()["error"] == "not_found"
    extra = client.post(
        "/api/v1/grades/run",
        json={"as_of": "2026-06-30", "grade": 1},
        headers=callers["analyst"].headers,
    )
    assert extra.status_code == 422
    scale = client.get("/api/v1/master-scale", headers=callers["seller_b"].headers).json()
    assert [b["grade"] for b in scale] == list(range(1, 11))


def test_cli_run_show_export(db: sessionmaker[Session], cli_env: object, tmp_path: Path) -> None:
    seed_registry(db)
    runner = CliRunner()
    result = runner.invoke(cli_app, ["grade", "run", "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    assert "graded 6 buyers" in result.output
    shown = runner.invoke(cli_app, ["grade", "show", "B001", "--as-of", "2026-06-30", "--json"])
    assert shown.exit_code == 0, shown.output
    data = json.loads(shown.output)
    assert data["grade"] == 10 and data["source"] == "stored"
    out = tmp_path / "grades.csv"
    exported = runner.invoke(cli_app, ["grade", "export", str(out), "--as-of", "2026-06-30"])
    assert exported.exit_code == 0, exported.output
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["company_ref", "score", "grade", "pd", "reasons"]
    assert [r["company_ref"] for r in rows] == [f"B{i:03d}" for i in range(6)]
    parquet = tmp_path / "grades.parquet"
    assert (
        runner.invoke(cli_app, ["grade", "export", str(parquet), "--as-of", "2026-06-30"]).exit_code
        == 0
    )
    assert pl.read_parquet(parquet).height == 6
    unknown = runner.invoke(cli_app, ["grade", "show", "NOPE"])
    assert unknown.exit_code == 1
    bad = runner.invoke(cli_app, ["grade", "export", str(tmp_path / "x.txt")])
    assert bad.exit_code == 1


def test_api_backtest(client: TestClient, db: sessionmaker[Session]) -> None:
    companies = seed_registry(db)
    callers = standard_callers(db)
    lines = ["company_ref,defaulted_within_12m"] + [
        f"{c.ref},{1 if i % 2 else 0}" for i, c in enumerate(companies)
    ]
    files = {"outcomes": ("outcomes.csv", "\n".join(lines).encode(), "text/csv")}
    denied = client.post(
        "/api/v1/grades/backtest", files=files, headers=callers["seller_a"].headers
    )
    assert denied.status_code == 403
    response = client.post(
        "/api/v1/grades/backtest?as_of=2026-06-30", files=files, headers=callers["analyst"].headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["buyers"] == len(companies)
    assert body["defaults"] == len(companies) // 2
    assert sum(row["buyers"] for row in body["by_grade"]) == len(companies)
    # Weak (odd) buyers are the defaulters here, and the model grades them worse: perfect ranking.
    assert body["auc"] == 1.0
    bad = {"outcomes": ("o.csv", b"company_ref,defaulted_within_12m\nB000,maybe\n", "text/csv")}
    rejected = client.post("/api/v1/grades/backtest", files=bad, headers=callers["analyst"].headers)
    assert rejected.status_code == 422


def test_seller_admin_cannot_change_shared_data(
    client: TestClient, db: sessionmaker[Session]
) -> None:
    from arshield.orgs.domain import OrgKind, Role
    from tests.builders import make_caller

    seed_registry(db)
    seller_admin = make_caller(db, org_ref="SELLER-A", kind=OrgKind.SELLER, role=Role.ADMIN)
    run = client.post(
        "/api/v1/grades/run", json={"as_of": "2026-06-30"}, headers=seller_admin.headers
    )
    assert run.status_code == 403
    edit = client.put(
        "/api/v1/countries/CN",
        json={"short_term": 4, "medium_term": "D", "effective_from": "2026-07-01", "reason": "x"},
        headers=seller_admin.headers,
    )
    assert edit.status_code == 403
    upload = client.post(
        "/api/v1/buyers/import/companies",
        files={
            "file": (
                "c.csv",
                b"company_ref,name,country,registration_id,id_type,sector,founded,employees\n",
                "text/csv",
            )
        },
        headers=seller_admin.headers,
    )
    assert upload.status_code == 403


def test_as_of_outside_the_supported_range_is_422(
    client: TestClient, db: sessionmaker[Session]
) -> None:
    companies = seed_registry(db)
    callers = standard_callers(db)
    response = client.get(
        f"/api/v1/buyers/{companies[0].id}/grade?as_of=0001-01-01",
        headers=callers["analyst"].headers,
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_date"


def test_csv_export_neutralises_formula_refs(
    db: sessionmaker[Session], cli_env: object, tmp_path: Path
) -> None:
    companies = seed_registry(db, n=2)
    with unit_of_work(db) as session:
        session.get(Company, companies[0].id).ref = "=HYPERLINK(1)"  # type: ignore[union-attr]
    out = tmp_path / "g.csv"
    result = CliRunner().invoke(cli_app, ["grade", "export", str(out), "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    refs = [r["company_ref"] for r in csv.DictReader(out.open(newline=""))]
    assert "'=HYPERLINK(1)" in refs
    assert "B001" in refs
