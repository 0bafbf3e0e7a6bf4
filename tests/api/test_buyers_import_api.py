"""``POST /api/v1/buyers/import/{kind}``: roles, the report, rejection and partial imports."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.buyers.models import Company, FinancialStatement, ImportBatch
from tests.builders import Caller, standard_callers

URL = "/api/v1/buyers/import"


@pytest.fixture
def callers(db: sessionmaker[Session]) -> dict[str, Caller]:
    return standard_callers(db)


@pytest.fixture
def folder(data_dir: Path) -> Path:
    return data_dir / "imports"


def _count(db: sessionmaker[Session], model: type[object]) -> int:
    with db() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _upload(path: Path, name: str | None = None) -> dict[str, tuple[str, bytes, str]]:
    return {"file": (name or path.name, path.read_bytes(), "application/octet-stream")}


def test_anonymous_callers_get_401(client: TestClient, folder: Path) -> None:
    response = client.post(f"{URL}/companies", files=_upload(folder / "companies.csv"))
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


@pytest.mark.parametrize("role", ["underwriter", "seller_a"])
def test_roles_without_write_registry_get_403(
    client: TestClient,
    db: sessionmaker[Session],
    callers: dict[str, Caller],
    folder: Path,
    role: str,
) -> None:
    response = client.post(
        f"{URL}/companies", files=_upload(folder / "companies.csv"), headers=callers[role].headers
    )
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
    assert _count(db, Company) == 0


@pytest.mark.parametrize("role", ["admin", "analyst"])
def test_writers_import_and_get_the_report(
    client: TestClient,
    db: sessionmaker[Session],
    callers: dict[str, Caller],
    folder: Path,
    role: str,
) -> None:
    headers = callers[role].headers
    response = client.post(
        f"{URL}/companies", files=_upload(folder / "companies.csv"), headers=headers
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["rows_read"], body["accepted"], body["rejected"], body["inserted"]) == (5, 5, 0, 5)
    assert (body["encoding"], body["delimiter"], body["applied"]) == ("utf-8", ",", True)
    assert _count(db, Company) == 5
    again = client.post(
        f"{URL}/companies", files=_upload(folder / "companies.csv"), headers=headers
    )
    assert again.json()["unchanged"] == 5
    with db() as session:
        batches = session.scalars(select(ImportBatch)).all()
    assert [b.file_name for b in batches] == ["companies.csv", "companies.csv"]
    assert all(b.actor.startswith("api:INS:") for b in batches)


def test_rejected_file_gives_422_with_the_report_and_writes_nothing(
    client: TestClient,
    db: sessionmaker[Session],
    callers: dict[str, Caller],
    folder: Path,
    tmp_path: Path,
) -> None:
    headers = callers["analyst"].headers
    client.post(f"{URL}/companies", files=_upload(folder / "companies.csv"), headers=headers)
    bad = tmp_path / "financials.csv"
    bad.write_text(
        (folder / "financials.csv").read_text("utf-8").replace("98765432,40000000", "NaN,40000000"),
        encoding="utf-8",
    )
    response = client.post(f"{URL}/financials", files=_upload(bad), headers=headers)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "import_rejected"
    detail = body["detail"]
    assert (detail["rows_read"], detail["accepted"], detail["rejected"]) == (4, 3, 1)
    assert detail["errors"] == [
        {
            "row": 4,
            "column": "total_assets",
            "reason": "'NaN' is not a plain decimal number (no exponents, NaN or Infinity)",
        }
    ]
    assert _count(db, FinancialStatement) == 0

    partial = client.post(
        f"{URL}/financials", files=_upload(bad), params={"partial": "true"}, headers=headers
    )
    assert partial.status_code == 200
    assert (partial.json()["inserted"], partial.json()["rejected"]) == (3, 1)
    assert _count(db, FinancialStatement) == 3


def test_unreadable_or_unknown_files_are_422(
    client: TestClient, callers: dict[str, Caller], tmp_path: Path
) -> None:
    headers = callers["admin"].headers
    path = tmp_path / "x.csv"
    path.write_text("company_ref,name\nA,B,C\n", encoding="utf-8")
    ragged = client.post(f"{URL}/companies", files=_upload(path), headers=headers)
    assert ragged.status_code == 422
    assert ragged.json()["error"] == "invalid_file"
    assert "row 2 has 3 fields" in ragged.json()["detail"]
    other = client.post(f"{URL}/companies", files=_upload(path, "x.exe"), headers=headers)
    assert other.status_code == 422 and "unknown file type" in other.json()["detail"]
    kind = client.post(f"{URL}/invoices", files=_upload(path), headers=headers)
    assert kind.status_code == 422


def test_missing_columns_are_named(
    client: TestClient, callers: dict[str, Caller], tmp_path: Path
) -> None:
    path = tmp_path / "c.jsonl"
    path.write_text('{"company_ref": "A", "name": "B"}\n', encoding="utf-8")
    response = client.post(
        f"{URL}/companies", files=_upload(path), headers=callers["admin"].headers
    )
    assert response.status_code == 422
    errors = response.json()["detail"]["errors"]
    assert [(e["row"], e["column"]) for e in errors] == [
        (0, "country"), (0, "registration_id"), (0, "id_type"), (0, "sector"), (0, "founded"),
        (0, "employees"),
    ]  # fmt: skip
