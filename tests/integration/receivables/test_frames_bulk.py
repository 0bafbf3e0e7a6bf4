"""Large ledgers are read through ADBC in child processes; the frames equal the ORM driver's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy.orm import Session, sessionmaker

from arshield.kit.db import unit_of_work
from arshield.receivables import queries
from arshield.receivables.importing import ImportOptions, ReceivableKind, import_file
from tests.integration.receivables.conftest import NOW, Ledger, write


def _load(db: sessionmaker[Session], lg: Ledger, kind: str, path: Path) -> None:
    with unit_of_work(db) as session:
        import_file(
            session,
            org_id=lg.org_id,
            kind=ReceivableKind(kind),
            path=path,
            options=ImportOptions(auto_allocate=True),
            actor="t",
            max_bytes=10**6,
            now=NOW,
        )


@pytest.mark.parametrize("company", [None, "B1"])
def test_bulk_and_driver_reads_agree(
    db: sessionmaker[Session],
    ledger: Ledger,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    company: str | None,
) -> None:
    _load(
        db,
        ledger,
        "invoices",
        write(
            tmp_path / "i.csv",
            "invoice_ref,company_ref,issue_date,due_date,currency,amount\n"
            "F-1,B1,2026-01-05,2026-02-04,CNY,100.00\nF-2,B2,2026-02-10,2026-03-12,EUR,250.00\n"
            "F-3,B1,2026-07-01,2026-07-31,CNY,40.00\nF-4,B3,2026-03-01,2026-03-31,JPY,7000\n",
        ),
    )
    _load(
        db,
        ledger,
        "payments",
        write(
            tmp_path / "p.csv",
            "payment_ref,company_ref,date,currency,amount\nP-1,B1,2026-02-20,CNY,30.00\n"
            "P-2,B2,2026-06-01,EUR,250.00\nP-3,B1,2026-08-01,CNY,5.00\n",
        ),
    )
    as_of = dt.date(2026, 6, 30)
    company_id = ledger.buyers[company] if company else None
    with unit_of_work(db) as session:
        small = queries.load_frames(session, ledger.org_id, as_of=as_of, company_id=company_id)
    monkeypatch.setattr(queries, "BULK_READ_FROM", 0)
    with unit_of_work(db) as session:
        big = queries.load_frames(session, ledger.org_id, as_of=as_of, company_id=company_id)
    for name in ("invoices", "entries", "disputes", "buyers", "payments"):
        a, b = getattr(small, name), getattr(big, name)
        assert a.schema == b.schema, name
        assert a.sort(a.columns).equals(b.sort(b.columns)), name
    expected = {"F-1", "F-4"} if company is None else {"F-1"}
    assert set(big.invoices["invoice_ref"]) >= expected - ({"F-4"} if company else set())
    assert "F-3" not in set(big.invoices["invoice_ref"])  # issued after as_of
    assert big.entries["amount"].sum() == (3000 if company else 3000 + 25000)
    assert big.payments.height == (1 if company else 2)
    assert isinstance(big.invoices, pl.DataFrame)
