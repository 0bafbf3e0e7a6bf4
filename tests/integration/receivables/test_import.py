"""Importing invoices, payments and credit notes: validation, idempotency, allocation."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.kit.db import unit_of_work
from arshield.receivables.importing import (
    ImportOptions,
    ReceivableKind,
    ReceivablesImportRejected,
    import_file,
)
from arshield.receivables.models import CreditNote, Invoice, InvoiceRevision, LedgerEntry, Payment
from tests.integration.receivables.conftest import NOW, Ledger, write

INVOICES = """invoice_ref,company_ref,issue_date,due_date,currency,amount,terms
INV-1,B1,2026-01-10,2026-02-09,CNY,1000.00,net 30
INV-2,B1,2026-02-01,2026-03-03,CNY,250.50,2/10 net 30
INV-3,B3,2026-03-01,2026-03-31,JPY,120000,
INV-4,B2,2026-03-15,2026-04-30,EUR,99.99,eom 30
"""
PAY_HEADER = "payment_ref,company_ref,date,currency,amount,invoice_ref\n"


def run(
    db: sessionmaker[Session],
    ledger: Ledger,
    kind: str,
    path: Path,
    **options: bool,
):
    with unit_of_work(db) as session:
        return import_file(
            session,
            org_id=ledger.org_id,
            kind=ReceivableKind(kind),
            path=path,
            options=ImportOptions(**options),
            actor="test",
            max_bytes=10_000_000,
            now=NOW,
        )


def outstanding(session: Session, ref: str) -> int:
    invoice = session.scalars(select(Invoice).where(Invoice.invoice_ref == ref)).one()
    taken = session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(
            LedgerEntry.invoice_id == invoice.id
        )
    )
    return invoice.amount - int(taken or 0)


def test_invoices_import_exact_minor_units_and_terms(
    db: sessionmaker[Session], ledger: Ledger, tmp_path: Path
) -> None:
    report = run(db, ledger, "invoices", write(tmp_path / "inv.csv", INVOICES))
    assert (report.rows_read, report.accepted, report.inserted) == (4, 4, 4)
    with unit_of_work(db) as session:
        rows = {i.invoice_ref: i for i in session.scalars(select(Invoice))}
    assert rows["INV-1"].amount == 100000  # 1000.00 CNY
    assert rows["INV-3"].amount == 120000  # JPY has no minor unit
    assert rows["INV-2"].terms == "2/10 net 30"
    assert rows["INV-2"].discount_bp == 200
    assert rows["INV-2"].discount_until == dt.date(2026, 2, 11)  # issued 1 Feb + 10 days
    assert rows["INV-4"].terms == "eom 30"
    assert all(i.org_id == ledger.org_id for i in rows.values())

    again = run(db, ledger, "invoices", write(tmp_path / "inv.csv", INVOICES))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)


def test_bad_rows_reported_with_row_column_reason_and_nothing_written(
    db: sessionmaker[Session], ledger: Ledger, tmp_path: Path
) -> None:
    bad = (
        "invoice_ref,company_ref,issue_date,due_date,currency,amount\n"
        "OK-1,B1,2026-01-10,2026-02-09,CNY,10.00\n"
        "BAD-1,B1,2026-01-10,2026-02-09,JPY,10.5\n"  # JPY has no decimals
        "BAD-2,B1,2026-01-10,2026-02-09,KWD,1.2345\n"  # KWD has three
        "BAD-3,NOPE,2026-01-10,2026-02-09,CNY,1\n"  # unknown buyer
        "BAD-4,B1,2026-02-10,2026-01-09,CNY,1\n"  # due before issue
        "BAD-5,B1,2026-13-01,2026-02-09,CNY,1\n"  # no month 13
        "OK-1,B1,2026-01-10,2026-02-09,CNY,10.00\n"  # duplicate ref
        "BAD-6,B1,2026-01-10,2026-02-09,CNY,-5\n"
    )
    with pytest.raises(ReceivablesImportRejected) as caught:
        run(db, ledger, "invoices", write(tmp_path / "bad.csv", bad))
    report = caught.value.report
    assert report.rows_read == report.accepted + report.rejected == 8
    by_row = {(e.row, e.column) for e in report.errors}
    assert (3, "amount") in by_row
    assert (4, "amount") in by_row
    assert (5, "company_ref") in by_row
    assert (6, "due_date") in by_row
    assert (7, "issue_date") in by_row
    assert (2, "invoice_ref") in by_row and (8, "invoice_ref") in by_row
    assert (9, "amount") in by_row
    with unit_of_work(db) as session:
        assert session.scalar(select(func.count()).select_from(Invoice)) == 0

    partial = run(db, ledger, "invoices", write(tmp_path / "bad.csv", bad), partial=True)
    assert partial.inserted == 0  # the only good-looking row is a duplicate
    assert partial.rejected == 8


def test_create_buyers_flags_them_unverified(
    db: sessionmaker[Session], ledger: Ledger, tmp_path: Path
) -> None:
    text = (
        "invoice_ref,company_ref,issue_date,due_date,currency,amount,buyer_name,buyer_country\n"
        "N-1,NEW-BUYER,2026-01-10,2026-02-09,USD,5.00,New Buyer Inc,us\n"
    )
    with pytest.raises(ReceivablesImportRejected):
        run(db, ledger, "invoices", write(tmp_path / "n.csv", text))
    run(db, ledger, "invoices", write(tmp_path / "n.csv", text), create_buyers=True)
    from arshield.buyers.models import Company

    with unit_of_work(db) as session:
        company = session.scalars(select(Company).where(Company.ref == "NEW-BUYER")).one()
        assert (company.verified, company.country, company.name) == (False, "US", "New Buyer Inc")


def test_changed_invoice_updates_with_audit_until_money_touches_it(
    db: sessionmaker[Session], ledger: Ledger, tmp_path: Path
) -> None:
    run(db, ledger, "invoices", write(tmp_path / "inv.csv", INVOICES))
    changed = INVOICES.replace(
        "INV-1,B1,2026-01-10,2026-02-09,CNY,1000.00", "INV-1,B1,2026-01-10,2026-02-19,CNY,1000.00"
    )
    report = run(db, ledger, "invoices", write(tmp_path / "inv2.csv", changed))
    assert (report.updated, report.unchanged) == (1, 3)
    with unit_of_work(db) as session:
        revision = session.scalars(select(InvoiceRevision)).one()
        assert '"due_date": "2026-02-09"' in revision.before
        assert '"due_date": "2026-02-19"' in revision.after
    pay = PAY_HEADER + "P-1,B1,2026-02-01,CNY,100.00,INV-1\n"
    run(db, ledger, "payments", write(tmp_path / "p.csv", pay))
    again = INVOICES.replace("1000.00", "1200.00")
    with pytest.raises(ReceivablesImportRejected) as caught:
        run(db, ledger, "invoices", write(tmp_path / "inv3.csv", again))
    assert "cannot be changed" in caught.value.report.errors[0].reason


def test_payments_allocate_explicitly_with_discount_and_oldest_first(
    db: sessionmaker[Session], ledger: Ledger, tmp_path: Path
) -> None:
    run(db, ledger, "invoices", write(tmp_path / "inv.csv", INVOICES))
    pay = (
        "payment_ref,company_ref,date,currency,amount,invoice_ref\n"
        # INV-2: 250.50 with 2% within 10 days: discount 5.01, so 245.49 settles it
        "P-1,B1,2026-02-05,CNY,245.49,INV-2\n"
        # no invoice named: oldest first, INV-1 gets 300.00
        "P-2,B1,2026-02-20,CNY,300.00,\n"
    )
    report = run(db, ledger, "payments", write(tmp_path / "p.csv", pay), auto_allocate=True)
    assert report.inserted == 2
    with unit_of_work(db) as session:
        assert outstanding(session, "INV-2") == 0
        assert outstanding(session, "INV-1") == 100000 - 30000
        kinds = sorted((e.kind.value, e.amount) for e in session.scalars(select(LedgerEntry)))
        assert kinds == [("allocation", 24549), ("allocation", 30000), ("discount", 501)]
    again = run(db, ledger, "payments", write(tmp_path / "p.csv", pay), auto_allocate=True)
    assert again.unchanged == 2
    changed = pay.replace("300.00", "301.00")
    with pytest.raises(ReceivablesImportRejected) as caught:
        run(db, ledger, "payments", write(tmp_path / "p2.csv", changed))
    assert "never edited" in caught.value.report.errors[0].reason


def test_credit_notes_never_exceed_outstanding_in_file_order(
    db: sessionmaker[Session], ledger: Ledger, tmp_path: Path
) -> None:
    run(db, ledger, "invoices", write(tmp_path / "inv.csv", INVOICES))
    notes = (
        "credit_note_ref,invoice_ref,date,currency,amount\n"
        "C-1,INV-1,2026-01-20,CNY,600.00\n"
        "C-2,INV-1,2026-01-21,CNY,400.01\n"  # 0.01 more than the 400.00 left
        "C-3,INV-3,2026-03-02,CNY,1\n"  # INV-3 is in JPY
    )
    with pytest.raises(ReceivablesImportRejected) as caught:
        run(db, ledger, "credit-notes", write(tmp_path / "c.csv", notes))
    errors = {(e.row, e.column) for e in caught.value.report.errors}
    assert errors == {(3, "amount"), (4, "currency")}
    run(db, ledger, "credit-notes", write(tmp_path / "c.csv", notes), partial=True)
    with unit_of_work(db) as session:
        assert outstanding(session, "INV-1") == 40000
        assert session.scalar(select(func.count()).select_from(CreditNote)) == 1


def test_gb18030_semicolon_file_is_read(
    db: sessionmaker[Session], ledger: Ledger, tmp_path: Path
) -> None:
    text = (
        "invoice_ref;company_ref;issue_date;due_date;currency;amount;description\n"
        "发票-1;B1;2026-01-10;2026-02-09;CNY;88.80;货款\n"
    )
    report = run(db, ledger, "invoices", write(tmp_path / "g.csv", text, "gb18030"))
    assert report.encoding == "gb18030" and report.inserted == 1
    with unit_of_work(db) as session:
        invoice = session.scalars(select(Invoice)).one()
        assert (invoice.invoice_ref, invoice.description, invoice.amount) == (
            "发票-1",
            "货款",
            8880,
        )


def test_other_sellers_ledger_is_separate(
    db: sessionmaker[Session], ledger: Ledger, tmp_path: Path
) -> None:
    run(db, ledger, "invoices", write(tmp_path / "inv.csv", INVOICES))
    pay = PAY_HEADER + "P-1,B1,2026-02-01,CNY,1.00,INV-1\n"
    with unit_of_work(db) as session, pytest.raises(ReceivablesImportRejected) as caught:
        import_file(
            session,
            org_id=ledger.other_org_id,
            kind=ReceivableKind.PAYMENTS,
            path=write(tmp_path / "p.csv", pay),
            options=ImportOptions(),
            actor="test",
            max_bytes=10_000,
            now=NOW,
        )
    assert "unknown invoice 'INV-1'" in caught.value.report.errors[0].reason
    with unit_of_work(db) as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0
