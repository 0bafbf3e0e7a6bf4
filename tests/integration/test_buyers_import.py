"""Importing the buyer registry: worked examples, idempotency, formats and partial imports."""

from __future__ import annotations

import csv
import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.buyers.domain import search_key
from arshield.buyers.importing import ImportKind, ImportRejected, import_buyers
from arshield.buyers.models import (
    Company,
    CompanyEvent,
    CompanyIdentifier,
    FinancialStatement,
    ImportBatch,
    PaymentExperience,
)
from arshield.kit.db import unit_of_work
from arshield.kit.tabular import ImportReport

LIMIT = 50_000_000
NOW = dt.datetime(2025, 1, 15, 9, 30, tzinfo=dt.UTC)


def run(
    db: sessionmaker[Session], kind: str, path: Path, *, partial: bool = False, **kw: Any
) -> ImportReport:
    with unit_of_work(db) as session:
        return import_buyers(
            session, kind=ImportKind(kind), path=path, partial=partial, actor="test",
            max_bytes=LIMIT, now=NOW, **kw,
        )  # fmt: skip


def count(db: sessionmaker[Session], model: type[Any]) -> int:
    with db() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def companies(db: sessionmaker[Session]) -> dict[str, Company]:
    with db() as session:
        return {c.ref: c for c in session.scalars(select(Company))}


def identifiers(db: sessionmaker[Session]) -> set[tuple[str, str, str]]:
    with db() as session:
        rows = session.execute(
            select(Company.ref, CompanyIdentifier.id_type, CompanyIdentifier.value).join(
                Company, Company.id == CompanyIdentifier.company_id
            )
        )
        return {(ref, str(kind), value) for ref, kind, value in rows}


@pytest.fixture
def registry(db: sessionmaker[Session], data_dir: Path) -> Path:
    """The fixture companies imported; returns the fixture folder."""
    folder = data_dir / "imports"
    run(db, "companies", folder / "companies.csv")
    return folder


# --- worked examples ---------------------------------------------------------------------------


def test_companies_import_worked_example(db: sessionmaker[Session], data_dir: Path) -> None:
    report = run(db, "companies", data_dir / "imports" / "companies.csv")
    assert (report.rows_read, report.accepted, report.rejected) == (5, 5, 0)
    assert (report.inserted, report.updated, report.unchanged) == (5, 0, 0)
    assert (report.encoding, report.delimiter, report.errors) == ("utf-8", ",", [])
    found = companies(db)
    cn = found["CN-001"]
    assert cn.name == "北京华信科技有限公司"
    assert cn.search_key == search_key("北京华信科技有限公司 Beijing Huaxin Technology Co Ltd")
    assert (cn.country, cn.sector, cn.founded, cn.employees) == (
        "CN", "C26.20", dt.date(2003, 5, 18), 420,
    )  # fmt: skip
    assert found["CN-002"].country == "CN" and found["CN-002"].sector == "G46.90"
    assert found["JP-001"].founded == dt.date(1988, 4, 1)
    assert found["KW-001"].founded == dt.date(1999, 9, 9)
    assert found["KW-001"].status == "insolvent" and found["CN-002"].status == "active"
    assert found["KW-001"].employees is None
    assert identifiers(db) == {
        ("CN-001", "uscc", "91110000600037341L"),
        ("CN-002", "uscc", "91310000MA1FL8TQ36"),
        ("DE-001", "vat", "DE123456789"),
    }
    with db() as session:
        batch = session.scalars(select(ImportBatch)).one()
    assert (batch.kind, batch.file_name, batch.rows_read, batch.inserted) == (
        "companies", "companies.csv", 5, 5,
    )  # fmt: skip
    assert len(batch.sha256) == 64 and batch.actor == "test" and batch.created_at == NOW


def test_financials_are_stored_in_exact_minor_units(
    db: sessionmaker[Session], registry: Path
) -> None:
    report = run(db, "financials", registry / "financials.csv")
    assert (report.rows_read, report.inserted, report.rejected) == (4, 4, 0)
    with db() as session:
        rows = {
            (s.currency, s.fiscal_year_end): s for s in session.scalars(select(FinancialStatement))
        }
    cny = rows["CNY", dt.date(2023, 12, 31)]
    # 1,250,000.50 CNY = 125,000,050 fen; -12.5 = -1,250 fen; depreciation 35,000 = 3,500,000.
    assert (cny.total_assets, cny.cash, cny.net_income, cny.depreciation) == (
        125_000_050, 15_000_025, -1_250, 3_500_000,
    )  # fmt: skip
    assert rows["CNY", dt.date(2022, 12, 31)].depreciation is None
    jpy = rows["JPY", dt.date(2023, 3, 31)]
    assert (jpy.total_assets, jpy.equity) == (98_765_432, 48_765_432)  # JPY has no minor unit
    kwd = rows["KWD", dt.date(2023, 12, 31)]
    assert (kwd.total_assets, kwd.current_assets, kwd.sales) == (1_234_567, 600_500, 5_000_250)


def test_payments_default_to_the_country_currency(
    db: sessionmaker[Session], registry: Path
) -> None:
    report = run(db, "payments", registry / "payments.csv")
    assert (report.accepted, report.inserted) == (4, 4)
    with db() as session:
        found = {
            (ref, p.month): p
            for p, ref in session.execute(
                select(PaymentExperience, Company.ref).join(
                    Company, Company.id == PaymentExperience.company_id
                )
            )
        }
    feb = found["CN-001", dt.date(2024, 2, 1)]  # 2024-02-15 is stored as its month
    assert (feb.currency, feb.amount_paid, feb.amount_overdue, feb.days_beyond_terms) == (
        "CNY", 9_000_050, 1_200_025, 17,
    )  # fmt: skip
    assert found["DE-001", dt.date(2024, 1, 1)].currency == "EUR"
    assert found["JP-001", dt.date(2024, 1, 1)].currency == "JPY"
    assert found["JP-001", dt.date(2024, 1, 1)].amount_paid == 1_000_000


def test_events_import_and_dedupe(
    db: sessionmaker[Session], registry: Path, tmp_path: Path
) -> None:
    report = run(db, "events", registry / "events.csv")
    assert (report.accepted, report.inserted) == (4, 4)
    with db() as session:
        events = {(e.type, e.severity) for e in session.scalars(select(CompanyEvent))}
    assert ("lawsuit", "high") in events and ("insolvency_opened", "critical") in events
    assert ("management_change", "low") in events
    # The same event again, spelled with other case and spacing and a new severity: one update.
    changed = tmp_path / "events.csv"
    changed.write_text(
        (registry / "events.csv")
        .read_text("utf-8")
        .replace("3,Sued by a supplier", "critical,sued  BY a supplier"),
        encoding="utf-8",
    )
    report = run(db, "events", changed)
    assert (report.inserted, report.updated, report.unchanged) == (0, 1, 3)
    assert count(db, CompanyEvent) == 4
    with db() as session:
        lawsuit = session.scalars(select(CompanyEvent).where(CompanyEvent.type == "lawsuit")).one()
    assert (lawsuit.severity, lawsuit.description) == (
        "critical",
        "sued  BY a supplier for unpaid invoices",
    )


# --- idempotency ---------------------------------------------------------------------------------


def _snapshot(db: sessionmaker[Session]) -> list[tuple[Any, ...]]:
    with db() as session:
        rows: list[tuple[Any, ...]] = []
        for model in (
            Company,
            CompanyIdentifier,
            FinancialStatement,
            PaymentExperience,
            CompanyEvent,
        ):
            table = model.__table__
            rows.extend(tuple(r) for r in session.execute(select(table)).all())
        return sorted(rows, key=repr)


def test_reimport_changes_nothing(db: sessionmaker[Session], registry: Path) -> None:
    for kind in ("financials", "payments", "events"):
        run(db, kind, registry / f"{kind}.csv")
    before = _snapshot(db)
    for kind in ("companies", "financials", "payments", "events"):
        report = run(db, kind, registry / f"{kind}.csv")
        assert report.inserted == report.updated == 0
        assert report.unchanged == report.rows_read
    assert _snapshot(db) == before


def test_changed_rows_update_and_identifier_is_corrected(
    db: sessionmaker[Session], registry: Path, tmp_path: Path
) -> None:
    text = (registry / "companies.csv").read_text("utf-8")
    text = text.replace(
        "Sakura Kogyo KK,JP,,,C25,1988/4/1,300", "Sakura Kogyo KK,JP,,,C25,1988/4/1,310"
    )
    text = text.replace("DE123456789,vat", "DE999999999,vat")
    path = tmp_path / "companies.csv"
    path.write_text(text, encoding="utf-8")
    report = run(db, "companies", path)
    assert (report.inserted, report.updated, report.unchanged) == (0, 2, 3)
    assert companies(db)["JP-001"].employees == 310
    assert companies(db)["JP-001"].updated_at == NOW
    assert ("DE-001", "vat", "DE999999999") in identifiers(db)
    assert ("DE-001", "vat", "DE123456789") not in identifiers(db)


def test_missing_status_keeps_the_stored_status(
    db: sessionmaker[Session], registry: Path, tmp_path: Path
) -> None:
    path = tmp_path / "c.csv"
    path.write_text(
        "company_ref,name,country,registration_id,id_type,sector,founded,employees\n"
        "KW-001,Gulf Trading Co,KW,,,G46,19990909,\n",
        encoding="utf-8",
    )
    report = run(db, "companies", path)
    assert report.unchanged == 1
    assert companies(db)["KW-001"].status == "insolvent"


# --- formats ------------------------------------------------------------------------------------


def _csv_records(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def _as_format(source: Path, target: Path) -> Path:
    header, records = _csv_records(source)
    if target.suffix == ".xlsx":
        book = openpyxl.Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(header)
        for record in records:
            sheet.append([record[h] or None for h in header])
        book.save(target)
    elif target.suffix == ".jsonl":
        lines = [json.dumps({h: r[h] or None for h in header}, ensure_ascii=False) for r in records]
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
    elif target.suffix == ".parquet":
        pl.DataFrame(
            {h: [r[h] or None for r in records] for h in header},
            schema=dict.fromkeys(header, pl.Utf8),
        ).write_parquet(target)
    else:
        shutil.copy(source, target)
    return target


@pytest.mark.parametrize("suffix", [".xlsx", ".jsonl", ".parquet"])
def test_other_formats_carry_the_same_data(
    db: sessionmaker[Session], registry: Path, tmp_path: Path, suffix: str
) -> None:
    run(db, "financials", registry / "financials.csv")
    before = _snapshot(db)
    for kind in ("companies", "financials"):
        path = _as_format(registry / f"{kind}.csv", tmp_path / f"{kind}{suffix}")
        report = run(db, kind, path)
        assert report.file_format == suffix.lstrip(".")
        assert (report.rejected, report.inserted, report.updated) == (0, 0, 0), report.errors
        assert report.unchanged == report.rows_read > 0
    assert _snapshot(db) == before


def test_jsonl_numbers_are_read_as_written(
    db: sessionmaker[Session], registry: Path, tmp_path: Path
) -> None:
    lines = [
        '{"company_ref": "CN-001", "month": "2024-03", "amount_paid": 1500.25, '
        '"amount_overdue": 0, "days_beyond_terms": 0}',
        '{"company_ref": "JP-001", "month": "2024-03", "amount_paid": 1e5, '
        '"amount_overdue": 0, "days_beyond_terms": 0}',
    ]
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        run(db, "payments", path)
    (error,) = caught.value.report.errors
    assert (error.row, error.column) == (2, "amount_paid")
    assert "no exponents" in error.reason


def test_gbk_csv_imports_with_chinese_names_intact(
    db: sessionmaker[Session], data_dir: Path
) -> None:
    report = run(db, "companies", data_dir / "imports" / "companies_gbk.csv")
    assert (report.encoding, report.inserted) == ("gb18030", 2)
    assert companies(db)["CN-002"].name == "上海东方贸易有限公司"


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_files_import(
    db: sessionmaker[Session], data_dir: Path, tmp_path: Path, delimiter: str
) -> None:
    header, records = _csv_records(data_dir / "imports" / "companies.csv")
    path = tmp_path / "companies.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows([r[h] for h in header] for r in records)
    report = run(db, "companies", path)
    assert (report.delimiter, report.encoding, report.inserted) == (delimiter, "utf-8-sig", 5)
    assert companies(db)["DE-001"].name == "Müller Maschinenbau GmbH"


# --- partial imports ----------------------------------------------------------------------------


def test_partial_writes_good_rows_and_the_rejects_file(
    db: sessionmaker[Session], registry: Path, tmp_path: Path
) -> None:
    text = (registry / "financials.csv").read_text("utf-8")
    text = text.replace("98765432,40000000", "=1+1,40000000")  # JP-001 row 4
    path = tmp_path / "financials.csv"
    path.write_text(text, encoding="utf-8")
    rejects = tmp_path / "rejects.csv"
    with pytest.raises(ImportRejected):
        run(db, "financials", path, rejects=rejects)
    assert count(db, FinancialStatement) == 0
    report = run(db, "financials", path, partial=True, rejects=rejects)
    assert (report.rows_read, report.accepted, report.rejected, report.inserted) == (4, 3, 1, 3)
    assert report.applied and count(db, FinancialStatement) == 3
    assert [(e.row, e.column) for e in report.errors] == [(4, "total_assets")]
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 1
    assert (rows[0]["source_row"], rows[0]["company_ref"], rows[0]["total_assets"]) == (
        "4", "JP-001", "'=1+1",
    )  # fmt: skip
    assert rows[0]["reason"].startswith("total_assets: '=1+1' is not a plain decimal number")


# --- invariant over random files -------------------------------------------------------------

_DEFECTS = {
    "good": {},
    "bad country": {"country": "ZZ"},
    "bad uscc": {"registration_id": "91110000600037342L", "id_type": "uscc"},
    "bad date": {"founded": "2001-13-01"},
    "bad employees": {"employees": "1.5"},
    "no name": {"name": ""},
}


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kinds=st.lists(st.sampled_from(sorted(_DEFECTS)), min_size=1, max_size=12),
    partial=st.booleans(),
)
def test_rows_read_is_accepted_plus_rejected_and_only_accepted_rows_land(
    db: sessionmaker[Session],
    tmp_path_factory: pytest.TempPathFactory,
    kinds: list[str],
    partial: bool,
) -> None:
    folder = tmp_path_factory.mktemp("random")
    prefix = folder.name
    header = [
        "company_ref",
        "name",
        "country",
        "registration_id",
        "id_type",
        "sector",
        "founded",
        "employees",
    ]
    path = folder / "companies.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for index, defect in enumerate(kinds):
            row = {"company_ref": f"{prefix}-{index}", "name": f"Co {index}", "country": "DE",
                   "registration_id": "", "id_type": "", "sector": "C25", "founded": "2001-01-01",
                   "employees": "7"} | _DEFECTS[defect]  # fmt: skip
            writer.writerow([row[h] for h in header])
    good = kinds.count("good")
    before = count(db, Company)
    try:
        report = run(db, "companies", path, partial=partial)
    except ImportRejected as exc:
        report = exc.report
    assert report.rows_read == report.accepted + report.rejected == len(kinds)
    assert (report.accepted, report.rejected) == (good, len(kinds) - good)
    assert {e.row for e in report.errors} == {i + 2 for i, k in enumerate(kinds) if k != "good"}
    written = good if (partial or good == len(kinds)) else 0
    assert report.inserted == written
    assert count(db, Company) == before + written
