"""kill -9 while an invoice file is being written leaves none of its rows behind."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.buyers.models import ImportBatch
from arshield.receivables.models import Invoice
from tests.integration.receivables.conftest import Ledger

ROWS = 200_000
CLI = "from arshield.cli.main import main; main()"


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
    env = os.environ | {"ARSHIELD_DATABASE_URL": database_url}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            CLI,
            "receivables",
            "import",
            "invoices",
            str(path),
            "--org",
            "SELLER-A",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert proc.stderr is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + 300
    seen: list[str] = []
    killed = False
    while time.monotonic() < deadline and proc.poll() is None:
        if not selector.select(timeout=1):
            continue
        line = proc.stderr.readline()
        seen.append(line)
        stage, _, progress = line.strip().rpartition(" ")
        done, _, total = progress.partition("/")
        # Batches are going in and the writing is far from over: kill it now.
        if stage == "writing invoices" and 0 < int(done) < int(total):
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
            break
    proc.wait(timeout=60)
    assert killed, f"never saw the import writing; stderr: {seen}"
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 0
        assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0
