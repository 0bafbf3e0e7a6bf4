"""kill -9 in the middle of an import leaves none of the file's rows behind."""

from __future__ import annotations

import signal
from pathlib import Path

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.buyers.models import Company, CompanyIdentifier, ImportBatch
from arshield.kit.db import unit_of_work
from tests.killing import kill_while_writing

ROWS = 120_000


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
    code = kill_while_writing(
        ["buyers", "import", "companies", str(path)],
        database_url=database_url,
        stage="writing companies",
    )
    assert code == -signal.SIGKILL
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
