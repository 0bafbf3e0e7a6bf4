"""Statement of account: opening balance, running balance, closing balance, open items."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from arshield.kit.db import unit_of_work
from arshield.receivables.importing import ImportOptions, ReceivableKind, import_file
from arshield.receivables.statement import build_statement, statement_csv, statement_html
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


def test_statement_balances_by_hand(
    db: sessionmaker[Session], ledger: Ledger, tmp_path: Path
) -> None:
    _load(
        db,
        ledger,
        "invoices",
        write(
            tmp_path / "i.csv",
            "invoice_ref,company_ref,issue_date,due_date,currency,amount\n"
            "S-1,B1,2026-01-05,2026-02-04,CNY,100.00\n"
            "S-2,B1,2026-02-10,2026-03-12,CNY,250.00\n"
            "<b>S-3</b>,B1,2026-03-01,2026-03-31,CNY,40.00\n",
        ),
    )
    _load(
        db,
        ledger,
        "payments",
        write(
            tmp_path / "p.csv",
            "payment_ref,company_ref,date,currency,amount\nP-1,B1,2026-02-20,CNY,130.00\n",
        ),
    )
    _load(
        db,
        ledger,
        "credit-notes",
        write(
            tmp_path / "c.csv",
            "credit_note_ref,invoice_ref,date,currency,amount\nC-1,S-2,2026-03-05,CNY,20.00\n",
        ),
    )
    with unit_of_work(db) as session:
        st = build_statement(
            session,
            ledger.org_id,
            seller="Seller A",
            company_id=ledger.buyers["B1"],
            date_from=dt.date(2026, 2, 1),
            date_to=dt.date(2026, 3, 31),
        )
    (cny,) = st.currencies
    # Opening on 1 Feb: S-1 100.00. Then +250.00 (S-2), -130.00 (P-1), +40.00, -20.00 (C-1).
    assert cny.opening == 10000
    assert [b for _, b in cny.lines] == [35000, 22000, 26000, 24000]
    assert cny.closing == 24000
    # P-1 paid S-1 (100.00) and 30.00 of S-2, oldest first: open S-2 200.00, S-3 40.00.
    assert [(i.invoice_ref, i.outstanding) for i in cny.open_items] == [
        ("S-2", 20000),
        ("<b>S-3</b>", 4000),
    ]
    assert sum(i.outstanding for i in cny.open_items) == cny.closing
    rows = list(csv.DictReader(io.StringIO(statement_csv(st))))
    assert rows[0]["type"] == "opening balance" and rows[0]["balance"] == "100.00"
    assert rows[-1]["type"] == "closing balance" and rows[-1]["balance"] == "240.00"
    html = statement_html(st)
    assert "&lt;b&gt;S-3&lt;/b&gt;" in html and "<b>S-3" not in html
    assert "240.00" in html and "http" not in html.split("<body>")[1]
