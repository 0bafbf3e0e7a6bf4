"""Bad input: every rejected row named with row, column and reason, and nothing imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

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
from arshield.kit.tabular import RowError, TableError

COMPANY_HEADER = "company_ref,name,country,registration_id,id_type,sector,founded,employees"
GOOD_COMPANY = "CN-001,北京华信科技有限公司,CN,91110000600037341L,uscc,C26,2003-05-18,420"
FIN_HEADER = (
    "company_ref,fiscal_year_end,currency,total_assets,current_assets,cash,receivables,inventory,"
    "total_liabilities,current_liabilities,equity,retained_earnings,sales,ebit,net_income"
)
# total 1000.00 = liabilities 600.00 + equity 400.00
GOOD_FIN = "CN-001,2023-12-31,CNY,1000.00,500,100,200,100,600,300,400,50,2000,100,80"
PAY_HEADER = "company_ref,month,amount_paid,amount_overdue,days_beyond_terms,currency"
EVENT_HEADER = "company_ref,date,type,severity,description"
MODELS = (Company, CompanyIdentifier, FinancialStatement, PaymentExperience, CompanyEvent)


def _import(db: sessionmaker[Session], kind: str, path: Path, **kw: Any) -> Any:
    with unit_of_work(db) as session:
        return import_buyers(
            session, kind=ImportKind(kind), path=path, actor="test", max_bytes=10_000_000, **kw
        )


def _counts(db: sessionmaker[Session]) -> dict[str, int]:
    with db() as session:
        return {
            m.__name__: int(session.scalar(select(func.count()).select_from(m)) or 0)
            for m in (*MODELS, ImportBatch)
        }


def _fin(**changes: str) -> str:
    names = FIN_HEADER.split(",")
    values = dict(zip(names, GOOD_FIN.split(","), strict=True)) | changes
    return ",".join(values[n] for n in names)


def _with_company(db: sessionmaker[Session], tmp_path: Path, extra: str = "") -> None:
    path = tmp_path / "seed.csv"
    rows = [GOOD_COMPANY, "JP-001,Sakura KK,JP,,,C25,1988-04-01,3", "KW-001,Gulf Co,KW,,,G46,,"]
    path.write_text("\n".join([COMPANY_HEADER, *rows, extra]).strip() + "\n", encoding="utf-8")
    _import(db, "companies", path)


CASES: list[tuple[str, str, list[str], list[tuple[int, str | None, str]]]] = [
    (
        "unknown country",
        "companies",
        [COMPANY_HEADER, "X-1,A Co,XX,,,C26,2003-05-18,4"],
        [(2, "country", "'XX' is not an ISO 3166-1 alpha-2 country code")],
    ),
    (
        "invalid unified social credit code",
        "companies",
        [COMPANY_HEADER, GOOD_COMPANY.replace("CN-001", "X-1").replace("341L", "342L")],
        [(2, "registration_id", "'91110000600037342L' is not a valid unified social credit code")],
    ),
    (
        "identifier without its type, and unparseable dates",
        "companies",
        [COMPANY_HEADER, "X-1,A Co,DE,DE1,,C,31/12/2001,5", "X-2,B Co,DE,,,C,2001-02-30,-1"],
        [
            (2, "id_type", "id_type is required when registration_id is given"),
            (2, "founded", "'31/12/2001' is not a date in YYYY-MM-DD form"),
            (3, "founded", "'2001-02-30' is not a valid date"),
            (3, "employees", "'-1' must be at least 0"),
        ],
    ),
    (
        "duplicate references in one file",
        "companies",
        [COMPANY_HEADER, "X-1,A Co,DE,,,,,", "X-2,B Co,DE,,,,,", "X-1,A Co again,DE,,,,,"],
        [
            (2, "company_ref", "duplicate company_ref 'X-1' in this file (rows 2, 4)"),
            (4, "company_ref", "duplicate company_ref 'X-1' in this file (rows 2, 4)"),
        ],
    ),
    (
        "identifier held by another company",
        "companies",
        [COMPANY_HEADER, GOOD_COMPANY.replace("CN-001", "CN-009")],
        [(2, "registration_id", "is already held by company_ref 'CN-001'")],
    ),
    (
        "negative total assets",
        "financials",
        [FIN_HEADER, _fin(total_assets="-1000.00", current_assets="0", total_liabilities="-1400")],
        [(2, "total_assets", "'-1000.00' must not be negative")],
    ),
    (
        "liabilities + equity off total assets by more than 1%",
        "financials",
        [FIN_HEADER, _fin(equity="411"), _fin(equity="410", fiscal_year_end="2022-12-31")],
        [
            (
                2,
                "total_assets",
                "total_liabilities + equity (1011.00) differs from total_assets (1000.00) by more",
            )
        ],
    ),
    (
        "current assets above total assets",
        "financials",
        [FIN_HEADER, _fin(current_assets="1000.01")],
        [(2, "current_assets", "current_assets 1000.01 exceed total_assets 1000.00")],
    ),
    (
        "NaN, Infinity, exponent and full-width amounts",
        "financials",
        [FIN_HEADER, _fin(cash="NaN", receivables="Infinity", inventory="1e2", ebit="１００")],
        [
            (2, "cash", "'NaN' is not a plain decimal number"),
            (2, "receivables", "'Infinity' is not a plain decimal number"),
            (2, "inventory", "'1e2' is not a plain decimal number"),
            (2, "ebit", "contains non-ASCII characters"),
        ],
    ),
    (
        "too many decimals for the currency (JPY 0, KWD 3)",
        "financials",
        [
            FIN_HEADER,
            _fin(company_ref="JP-001", currency="JPY", cash="100.5"),
            _fin(company_ref="KW-001", currency="KWD", cash="100.1234"),
            _fin(
                company_ref="KW-001", currency="KWD", cash="100.123", fiscal_year_end="2022-12-31"
            ),
        ],
        [
            (2, "cash", "100.5 has 1 decimals; JPY allows at most 0"),
            (3, "cash", "100.1234 has 4 decimals; KWD allows at most 3"),
        ],
    ),
    (
        "unknown company and unparseable fiscal year end",
        "financials",
        [FIN_HEADER, _fin(company_ref="NOPE"), _fin(fiscal_year_end="2023/13/01")],
        [
            (2, "company_ref", "unknown company_ref 'NOPE'"),
            (3, "fiscal_year_end", "'2023/13/01' is not a valid date"),
        ],
    ),
    (
        "duplicate statement key and unknown currency",
        "financials",
        [FIN_HEADER, GOOD_FIN, GOOD_FIN, _fin(currency="XXX", fiscal_year_end="2021-12-31")],
        [
            (2, "fiscal_year_end", "duplicate company_ref / fiscal_year_end"),
            (3, "fiscal_year_end", "duplicate company_ref / fiscal_year_end"),
            (4, "currency", "currency 'XXX' has no minor unit"),
        ],
    ),
    (
        "missing required columns, all named",
        "financials",
        [FIN_HEADER.replace(",cash", "").replace(",ebit", ""), _fin().replace(",100,", ",", 2)],
        [
            (1, "cash", "required column is missing"),
            (1, "ebit", "required column is missing"),
        ],
    ),
    (
        "negative payment amounts and days, bad month",
        "payments",
        [PAY_HEADER, "CN-001,2024-01,-5,0,-1,", "CN-001,2024-13,5,0,0,"],
        [
            (2, "amount_paid", "'-5' must not be negative"),
            (2, "days_beyond_terms", "'-1' must be at least 0"),
            (3, "month", "'2024-13' is not a valid month"),
        ],
    ),
    (
        "unknown event type and severity",
        "events",
        [EVENT_HEADER, "CN-001,2024-01-01,rumour,5,x", "CN-001,,lawsuit,low,y"],
        [
            (2, "type", "unknown event type 'rumour'"),
            (2, "severity", "unknown severity '5'"),
            (3, "date", "required value is missing"),
        ],
    ),
]


@pytest.mark.parametrize(("label", "kind", "lines", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_rows_are_named_and_nothing_is_imported(
    db: sessionmaker[Session],
    tmp_path: Path,
    label: str,
    kind: str,
    lines: list[str],
    expected: list[tuple[int, str | None, str]],
) -> None:
    _with_company(db, tmp_path)
    before = _counts(db)
    path = tmp_path / "input.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(ImportRejected) as caught:
        _import(db, kind, path)
    report = caught.value.report
    got = [(e.row, e.column, e.reason) for e in report.errors]
    assert len(got) == len(expected), got
    for (row, column, reason), (want_row, want_column, want_reason) in zip(
        got, expected, strict=True
    ):
        assert (row, column) == (want_row, want_column), got
        assert want_reason in reason, got
    assert report.rows_read == report.accepted + report.rejected == len(lines) - 1
    assert not report.applied
    assert _counts(db) == before, label
    assert caught.value.status_code == 422
    assert caught.value.detail["errors"][0]["row"] == expected[0][0]


def test_formula_cell_in_xlsx_is_rejected(db: sessionmaker[Session], tmp_path: Path) -> None:
    _with_company(db, tmp_path)
    before = _counts(db)
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(FIN_HEADER.split(","))
    sheet.append(GOOD_FIN.split(","))
    formula = GOOD_FIN.split(",")
    formula[1] = "2022-12-31"
    formula[14] = "=M3-L3"  # net_income, column O
    sheet.append(formula)
    path = tmp_path / "fin.xlsx"
    book.save(path)
    with pytest.raises(ImportRejected) as caught:
        _import(db, "financials", path)
    report = caught.value.report
    assert (report.rows_read, report.accepted, report.rejected) == (2, 1, 1)
    assert report.errors[0] == RowError(
        3, "net_income", "cell O3 holds the formula '=M3-L3'; import values, not formulas"
    )
    assert _counts(db) == before


def test_unreadable_file_raises_a_file_error(db: sessionmaker[Session], tmp_path: Path) -> None:
    path = tmp_path / "input.csv"
    path.write_text("company_ref,name\nA,B,C\n", encoding="utf-8")
    with pytest.raises(TableError, match="row 2 has 3 fields; the header has 2"):
        _import(db, "companies", path)
    assert _counts(db)["Company"] == 0
