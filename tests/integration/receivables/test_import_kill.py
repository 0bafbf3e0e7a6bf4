"""kill -9 while an invoice file is being written leaves none of its rows behind."""

from __future__ import annotations

import signal
from pathlib import Path

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.buyers.models import ImportBatch
from arshield.receivables.models import Invoice
from tests.integration.receivables.conftest import Ledger
from tests.killing import kill_while_writing

ROWS = 200_000


def test_sigkill_mid_write_leaves_nothing(
    db: sessionmaker[Session], ledger: Ledger, database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    pl.DataFrame(
        {
            "invoice_ref": [f"K{i:07d}" for i in range(ROWS)],
            "company_ref": ["B1", "B2"] * (ROWS // 2),
            "issue_date": ["2026-01-10"] * ROWS,
            "due_date": ["2026-02-09"] * ROWS,
            "currency": ["EUR"] * ROWS,
            "amount": [f"{i}.50" for i in range(1, ROWS + 1)],
        }
    ).write_csv(path)
    code = kill_while_writing(
        ["receivables", "import", "invoices", str(path), "--org", "SELLER-A"],
        database_url=database_url,
        stage="writing invoices",
    )
    assert code == -signal.SIGKILL
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 0
        assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0
