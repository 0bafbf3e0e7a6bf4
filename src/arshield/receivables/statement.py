"""Statement of account for one buyer: opening balance, dated transactions, closing balance and
the open items, per currency; as data, CSV or a printable HTML page (no external assets).

The balance on a day is what the buyer owes: invoices issued, less payments received, credit
notes, discounts and write-offs (reversals add back). Allocations only match payments to
invoices and do not move the balance.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from dataclasses import dataclass

from jinja2 import Environment
from sqlalchemy import select
from sqlalchemy.orm import Session

from arshield.buyers.models import Company
from arshield.kit.errors import ValidationFailed
from arshield.kit.money import from_minor
from arshield.kit.tabular import neutralise
from arshield.receivables.domain import EntryKind
from arshield.receivables.models import CreditNote, Invoice, LedgerEntry, Payment

CSV_COLUMNS = ("currency", "date", "type", "reference", "debit", "credit", "balance", "due_date")


@dataclass(frozen=True, slots=True)
class Line:
    date: dt.date
    type: str
    reference: str
    amount: int  # positive raises what the buyer owes
    due_date: dt.date | None = None


@dataclass(frozen=True, slots=True)
class OpenItem:
    invoice_ref: str
    issue_date: dt.date
    due_date: dt.date
    amount: int
    outstanding: int
    days_overdue: int


@dataclass(frozen=True, slots=True)
class CurrencyStatement:
    currency: str
    opening: int
    lines: tuple[tuple[Line, int], ...]  # each line with the balance after it
    closing: int
    open_items: tuple[OpenItem, ...]


@dataclass(frozen=True, slots=True)
class Statement:
    seller: str
    company_ref: str
    company_name: str
    date_from: dt.date
    date_to: dt.date
    currencies: tuple[CurrencyStatement, ...]


_LABELS = {
    EntryKind.CREDIT_NOTE: "credit note",
    EntryKind.WRITE_OFF: "write-off",
    EntryKind.DISCOUNT: "discount",
}


def build_statement(
    session: Session,
    org_id: uuid.UUID,
    *,
    seller: str,
    company_id: uuid.UUID,
    date_from: dt.date,
    date_to: dt.date,
) -> Statement:
    """The statement of ``company_id`` in the ledger of ``org_id`` for [date_from, date_to]."""
    if date_to < date_from:
        raise ValidationFailed("date_to is before date_from")
    company = session.get(Company, company_id)
    if company is None:
        raise ValidationFailed("no such buyer")
    lines: list[tuple[str, Line]] = []
    invoices = list(
        session.scalars(
            select(Invoice).where(
                Invoice.org_id == org_id,
                Invoice.company_id == company_id,
                Invoice.issue_date <= date_to,
            )
        )
    )
    refs = {i.id: i.invoice_ref for i in invoices}
    for i in invoices:
        lines.append(
            (i.currency, Line(i.issue_date, "invoice", i.invoice_ref, i.amount, i.due_date))
        )
    for p in session.scalars(
        select(Payment).where(
            Payment.org_id == org_id, Payment.company_id == company_id, Payment.date <= date_to
        )
    ):
        kind = "payment reversal" if p.reverses_id is not None else "payment"
        lines.append((p.currency, Line(p.date, kind, p.payment_ref, -p.amount)))
    notes = {
        n.id: n.credit_note_ref
        for n in session.scalars(
            select(CreditNote).where(
                CreditNote.org_id == org_id, CreditNote.invoice_id.in_(list(refs) or [uuid.uuid4()])
            )
        )
    }
    currency_of = {i.id: i.currency for i in invoices}
    if refs:
        for e in session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.org_id == org_id,
                LedgerEntry.invoice_id.in_(list(refs)),
                LedgerEntry.kind != EntryKind.ALLOCATION,
                LedgerEntry.date <= date_to,
            )
        ):
            label = _LABELS[e.kind] + (" reversal" if e.reverses_id is not None else "")
            ref = notes.get(e.credit_note_id, "") if e.credit_note_id else refs[e.invoice_id]
            lines.append((currency_of[e.invoice_id], Line(e.date, label, ref, -e.amount)))
    outstanding = _outstanding(session, org_id, invoices, date_to)
    out = []
    for currency in sorted({c for c, _ in lines}):
        mine = sorted(
            (line for c, line in lines if c == currency),
            key=lambda x: (x.date, x.type != "invoice", x.reference),
        )
        opening = sum(line.amount for line in mine if line.date < date_from)
        balance = opening
        shown: list[tuple[Line, int]] = []
        for line in mine:
            if line.date < date_from:
                continue
            balance += line.amount
            shown.append((line, balance))
        items = tuple(
            OpenItem(
                i.invoice_ref,
                i.issue_date,
                i.due_date,
                i.amount,
                outstanding[i.id],
                max((date_to - i.due_date).days, 0),
            )
            for i in sorted(invoices, key=lambda x: (x.due_date, x.invoice_ref))
            if i.currency == currency and outstanding[i.id] != 0
        )
        out.append(CurrencyStatement(currency, opening, tuple(shown), balance, items))
    return Statement(seller, company.ref, company.name, date_from, date_to, tuple(out))


def _outstanding(
    session: Session, org_id: uuid.UUID, invoices: list[Invoice], day: dt.date
) -> dict[uuid.UUID, int]:
    out = {i.id: i.amount for i in invoices}
    if not invoices:
        return out
    for invoice_id, amount in session.execute(
        select(LedgerEntry.invoice_id, LedgerEntry.amount).where(
            LedgerEntry.org_id == org_id,
            LedgerEntry.invoice_id.in_(list(out)),
            LedgerEntry.date <= day,
        )
    ).tuples():
        out[invoice_id] -= amount
    return out


def _money(minor: int, currency: str) -> str:
    return str(from_minor(minor, currency))


def statement_rows(statement: Statement) -> list[dict[str, str]]:
    """Rows of the CSV: an opening line, every transaction with its running balance, closing."""
    rows: list[dict[str, str]] = []
    for part in statement.currencies:
        c = part.currency
        rows.append(
            {
                "currency": c,
                "date": statement.date_from.isoformat(),
                "type": "opening balance",
                "reference": "",
                "debit": "",
                "credit": "",
                "balance": _money(part.opening, c),
                "due_date": "",
            }
        )
        for line, balance in part.lines:
            rows.append(
                {
                    "currency": c,
                    "date": line.date.isoformat(),
                    "type": line.type,
                    "reference": line.reference,
                    "debit": _money(line.amount, c) if line.amount > 0 else "",
                    "credit": _money(-line.amount, c) if line.amount < 0 else "",
                    "balance": _money(balance, c),
                    "due_date": line.due_date.isoformat() if line.due_date else "",
                }
            )
        rows.append(
            {
                "currency": c,
                "date": statement.date_to.isoformat(),
                "type": "closing balance",
                "reference": "",
                "debit": "",
                "credit": "",
                "balance": _money(part.closing, c),
                "due_date": "",
            }
        )
    return rows


def statement_csv(statement: Statement) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(CSV_COLUMNS), lineterminator="\r\n")
    writer.writeheader()
    for row in statement_rows(statement):
        writer.writerow({k: neutralise(v) for k, v in row.items()})
    return buf.getvalue()


_TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Statement of account {{ s.company_ref }} {{ s.date_from }} to {{ s.date_to }}</title>
<style>
body { font: 12px/1.4 system-ui, "Noto Sans CJK SC", sans-serif; margin: 2em; color: #111; }
h1 { font-size: 18px; margin: 0 0 .2em; } h2 { font-size: 14px; margin: 1.5em 0 .4em; }
table { border-collapse: collapse; width: 100%; margin-bottom: 1em; }
th, td { border-bottom: 1px solid #ccc; padding: 3px 6px; text-align: left; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
tr.total td { font-weight: bold; border-top: 2px solid #111; }
@media print { body { margin: 0; } h2 { page-break-after: avoid; } }
</style></head><body>
<h1>Statement of account</h1>
<p>From <strong>{{ s.seller }}</strong> to <strong>{{ s.company_name }}</strong>
({{ s.company_ref }}), {{ s.date_from }} to {{ s.date_to }}.</p>
{% for part in parts %}
<h2>{{ part.currency }}</h2>
<table><thead><tr><th>Date</th><th>Type</th><th>Reference</th><th>Due</th>
<th class="n">Debit</th><th class="n">Credit</th><th class="n">Balance</th></tr></thead><tbody>
<tr><td>{{ s.date_from }}</td><td>opening balance</td><td></td><td></td><td></td><td></td>
<td class="n">{{ part.opening }}</td></tr>
{% for r in part.rows %}<tr><td>{{ r.date }}</td><td>{{ r.type }}</td><td>{{ r.reference }}</td>
<td>{{ r.due_date }}</td><td class="n">{{ r.debit }}</td><td class="n">{{ r.credit }}</td>
<td class="n">{{ r.balance }}</td></tr>
{% endfor %}<tr class="total"><td>{{ s.date_to }}</td><td>closing balance</td><td></td><td></td>
<td></td><td></td><td class="n">{{ part.closing }}</td></tr></tbody></table>
{% if part.open_items %}<table><thead><tr><th>Open invoice</th><th>Issued</th><th>Due</th>
<th class="n">Days overdue</th><th class="n">Amount</th><th class="n">Outstanding</th></tr></thead>
<tbody>{% for i in part.open_items %}<tr><td>{{ i.invoice_ref }}</td><td>{{ i.issue_date }}</td>
<td>{{ i.due_date }}</td><td class="n">{{ i.days_overdue }}</td><td class="n">{{ i.amount }}</td>
<td class="n">{{ i.outstanding }}</td></tr>{% endfor %}</tbody></table>{% endif %}
{% else %}<p>No transactions.</p>{% endfor %}
</body></html>
"""
_ENV = Environment(autoescape=True)


def statement_html(statement: Statement) -> str:
    """A printable page (print it to PDF from any browser); every value is HTML-escaped."""
    rows = statement_rows(statement)
    parts = []
    for part in statement.currencies:
        c = part.currency
        parts.append(
            {
                "currency": c,
                "opening": _money(part.opening, c),
                "closing": _money(part.closing, c),
                "rows": [r for r in rows if r["currency"] == c and "balance" not in r["type"]],
                "open_items": [
                    {
                        "invoice_ref": i.invoice_ref,
                        "issue_date": i.issue_date,
                        "due_date": i.due_date,
                        "days_overdue": i.days_overdue,
                        "amount": _money(i.amount, c),
                        "outstanding": _money(i.outstanding, c),
                    }
                    for i in part.open_items
                ],
            }
        )
    return _ENV.from_string(_TEMPLATE).render(s=statement, parts=parts)
