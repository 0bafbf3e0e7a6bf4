"""Files an ERP really produces, refused with a clear reason and nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.kit.db import unit_of_work
from arshield.kit.tabular import TableError
from arshield.receivables.importing import (
    ImportOptions,
    ReceivableKind,
    ReceivablesImportRejected,
    import_file,
)
from arshield.receivables.models import Invoice
from tests.integration.receivables.conftest import NOW, Ledger

HEADER = "invoice_ref,company_ref,issue_date,due_date,currency,amount\n"


def _import(db: sessionmaker[Session], lg: Ledger, path: Path, max_bytes: int = 10**6) -> None:
    with unit_of_work(db) as session:
        import_file(
            session,
            org_id=lg.org_id,
            kind=ReceivableKind.INVOICES,
            path=path,
            options=ImportOptions(),
            actor="t",
            max_bytes=max_bytes,
            now=NOW,
        )


def _count(db: sessionmaker[Session]) -> int:
    with unit_of_work(db) as session:
        return int(session.scalar(select(func.count()).select_from(Invoice)) or 0)


@pytest.mark.parametrize(
    ("line", "column", "reason"),
    [
        ("A,B1,2026-01-10,2026-02-09,CNY,12.345", "amount", "CNY allows at most 2"),
        ("A,B1,2026-01-10,2026-02-09,JPY,100.5", "amount", "JPY allows at most 0"),
        ("A,B1,2026-01-10,2026-02-09,KWD,1.0001", "amount", "KWD allows at most 3"),
        ("A,B1,2026-01-10,2026-02-09,CNY,1e3", "amount", "not a plain decimal"),
        ("A,B1,2026-01-10,2026-02-09,CNY,１２.００", "amount", "non-ASCII"),
        ("A,B1,2026-01-10,2026-02-09,CNY,NaN", "amount", "not a plain decimal"),
        ("A,B1,2026-01-10,2026-02-09,XYZ,1.00", "currency", "unknown ISO 4217"),
        ("A,B1,2026-02-30,2026-03-09,CNY,1.00", "issue_date", ""),
        ("A,B1,10/01/2026,2026-03-09,CNY,1.00", "issue_date", ""),
        ("A,B1,2026-01-10,,CNY,1.00", "due_date", "missing"),
        ("A,B1,2026-01-10,2026-02-09,CNY,0", "amount", "above zero"),
        (",B1,2026-01-10,2026-02-09,CNY,1.00", "invoice_ref", "missing"),
        ("A,B1,2026-01-10,2026-02-09,CNY,=SUM(A1)", "amount", "not a plain decimal"),
    ],
)
def test_bad_cells_name_row_column_reason(
    db: sessionmaker[Session], ledger: Ledger, tmp_path: Path, line: str, column: str, reason: str
) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(
        HEADER + "OK-1,B1,2026-01-10,2026-02-09,CNY,1.00\n" + line + "\n", encoding="utf-8"
    )
    with pytest.raises(ReceivablesImportRejected) as caught:
        _import(db, ledger, path)
    errors = caught.value.report.errors
    assert [(e.row, e.column) for e in errors] == [(3, column)]
    assert reason.lower() in errors[0].reason.lower()
    assert _count(db) == 0


def test_missing_column_undecodable_and_oversized_files(
    db: sessionmaker[Session], ledger: Ledger, tmp_path: Path
) -> None:
    missing = tmp_path / "missing.csv"
    missing.write_text(
        "invoice_ref,company_ref,issue_date,currency,amount\nA,B1,2026-01-10,CNY,1\n"
    )
    with pytest.raises(ReceivablesImportRejected) as caught:
        _import(db, ledger, missing)
    assert [(e.row, e.column, e.reason) for e in caught.value.report.errors] == [
        (1, "due_date", "required column is missing")
    ]
    garbage = tmp_path / "garbage.csv"
    garbage.write_bytes(HEADER.encode() + b"A,B1,2026-01-10,2026-02-09,CNY,\xff\xfe\x81\n")
    with pytest.raises(TableError, match="neither UTF-8 nor GB18030"):
        _import(db, ledger, garbage)
    big = tmp_path / "big.csv"
    big.write_text(HEADER + "A,B1,2026-01-10,2026-02-09,CNY,1.00\n" * 100)
    with pytest.raises(TableError, match="limit"):
        _import(db, ledger, big, max_bytes=1000)
    assert _count(db) == 0


def test_excel_file_with_bom_csv_twin_gives_same_rows(
    db: sessionmaker[Session], ledger: Ledger, tmp_path: Path
) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    sheet.append(["X-1", "B1", "2026-01-10", "2026-02-09", "CNY", "1234.50"])
    sheet.append(["X-2", "B3", "2026-01-10", "2026-02-09", "JPY", 5000])
    book.save(tmp_path / "inv.xlsx")
    _import(db, ledger, tmp_path / "inv.xlsx")
    twin = tmp_path / "twin.csv"
    twin.write_bytes(
        (
            "\ufeff" + HEADER + "X-1,B1,2026-01-10,2026-02-09,CNY,1234.50\n"
            "X-2,B3,2026-01-10,2026-02-09,JPY,5000\n"
        ).encode("utf-8")
    )
    with unit_of_work(db) as session:
        report = import_file(
            session,
            org_id=ledger.org_id,
            kind=ReceivableKind.INVOICES,
            path=twin,
            options=ImportOptions(),
            actor="t",
            max_bytes=10**6,
            now=NOW,
        )
    assert (report.unchanged, report.inserted) == (2, 0)
