"""kill -9 in the middle of an import leaves none of the file's rows behind."""

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

from arshield.buyers.models import Company, CompanyIdentifier, ImportBatch
from arshield.kit.db import unit_of_work

ROWS = 120_000
CLI = "from arshield.cli.main import main; main()"


def _big_companies(path: Path, rows: int) -> None:
    refs = [f"K{i:07d}" for i in range(rows)]
    pl.DataFrame(
        {
            "company_ref": refs,
            "name": [f"Kill Test Trading {i} Ltd" for i in range(rows)],
            "country": ["DE"] * rows,
            "registration_id": [f"DE{i:09d}" for i in range(rows)],
            "id_type": ["vat"] * rows,
            "sector": ["C25"] * rows,
            "founded": ["2001-01-01"] * rows,
            "employees": [str(i % 900) for i in range(rows)],
        }
    ).write_csv(path)


def _counts(db: sessionmaker[Session]) -> tuple[int, int, int]:
    with db() as session:
        return tuple(  # type: ignore[return-value]
            int(session.scalar(select(func.count()).select_from(m)) or 0)
            for m in (Company, CompanyIdentifier, ImportBatch)
        )


def test_sigkill_mid_import_leaves_nothing_half_imported(
    db: sessionmaker[Session], database_url: str, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    _big_companies(path, ROWS)
    env = os.environ | {"ARSHIELD_DATABASE_URL": database_url}
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, "buyers", "import", "companies", str(path)],
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
        # Rows are going in, and the writing is far from over: kill it now.
        if stage == "writing companies" and 0 < int(done) < int(total):
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
            break
    proc.wait(timeout=60)
    assert killed, f"never saw the import writing; stderr: {seen}"
    assert proc.returncode == -signal.SIGKILL
    # Nothing of the file is in the database, and the database still works.
    assert _counts(db) == (0, 0, 0)
    small = tmp_path / "small.csv"
    _big_companies(small, 3)
    from arshield.buyers.importing import ImportKind, import_buyers

    with unit_of_work(db) as session:
        report = import_buyers(
            session, kind=ImportKind.COMPANIES, path=small, actor="t", max_bytes=10**6
        )
    assert report.inserted == 3
    assert _counts(db) == (3, 3, 1)
