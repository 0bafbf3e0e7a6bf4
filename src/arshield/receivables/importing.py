"""Importing a seller's ERP files: invoices, payments and credit notes.

Every bad row is reported with its row, column and reason. All or nothing by default; with
``partial`` the good rows are written and the rest reported (and written to a rejects file).
Idempotent by reference: re-importing a file changes nothing. An invoice row that differs from
the stored one updates it (with an audit record) while no money has touched the invoice, and is
refused afterwards. Payments and credit notes are never edited: a changed row is refused.

Checks run over whole columns; the only per-row Python is the running balance of the invoices a
file's payments and credit notes apply to. Writes are bulk (``receivables.bulk``). The caller
owns the transaction.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import polars as pl
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from arshield.buyers.domain import search_key
from arshield.buyers.importing import file_sha256, record_batch
from arshield.buyers.importing_parse import parse_import_date
from arshield.buyers.models import Company
from arshield.kit import tabular_columns as cols
from arshield.kit.db import lock_for_write
from arshield.kit.errors import ValidationFailed
from arshield.kit.money import currency_exponent, normalize_currency
from arshield.kit.tabular import (
    ROW,
    ImportReport,
    RawTable,
    RowError,
    missing_columns,
    read_table,
    write_rejects,
)
from arshield.kit.time import utcnow
from arshield.receivables import bulk
from arshield.receivables.domain import EntryKind, OpenItem, parse_terms, settle
from arshield.receivables.models import (
    CreditNote,
    Dispute,
    Invoice,
    InvoiceRevision,
    LedgerEntry,
    Payment,
)

REF_LENGTH = 64
TEXT_LENGTH = 500
UNKNOWN_COUNTRY = "XX"
Progress = Callable[[str, int, int], None]


def _silent(_stage: str, _done: int, _total: int) -> None:
    """No progress output."""


class ReceivableKind(enum.StrEnum):
    """What a receivables import file holds."""

    INVOICES = "invoices"
    PAYMENTS = "payments"
    CREDIT_NOTES = "credit-notes"


REQUIRED: dict[ReceivableKind, tuple[str, ...]] = {
    ReceivableKind.INVOICES: (
        "invoice_ref",
        "company_ref",
        "issue_date",
        "due_date",
        "currency",
        "amount",
    ),
    ReceivableKind.PAYMENTS: ("payment_ref", "company_ref", "date", "currency", "amount"),
    ReceivableKind.CREDIT_NOTES: ("credit_note_ref", "invoice_ref", "date", "currency", "amount"),
}
OPTIONAL: dict[ReceivableKind, tuple[str, ...]] = {
    ReceivableKind.INVOICES: (
        "delivery_date",
        "terms",
        "order_ref",
        "description",
        "buyer_name",
        "buyer_country",
    ),
    ReceivableKind.PAYMENTS: ("invoice_ref",),
    ReceivableKind.CREDIT_NOTES: ("reason",),
}


class ReceivablesImportRejected(ValidationFailed):
    """Rows were rejected, so nothing was imported; the detail is the import report."""

    error_type = "import_rejected"

    def __init__(self, report: ImportReport) -> None:
        self.report = report
        super().__init__(report.to_dict())


@dataclass(frozen=True)
class ImportOptions:
    """How to import: ``partial`` keeps good rows; ``create_buyers`` creates unknown buyers
    (flagged unverified); ``auto_allocate`` applies payments without ``invoice_ref`` to the
    buyer's open invoices, oldest first."""

    partial: bool = False
    create_buyers: bool = False
    auto_allocate: bool = False


@dataclass
class _Outcome:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    created_buyers: list[str] = field(default_factory=list)


def import_receivables(
    session: Session,
    *,
    org_id: uuid.UUID,
    kind: ReceivableKind,
    table: RawTable,
    options: ImportOptions,
    actor: str,
    source: str,
    sha256: str | None = None,
    rejects: Path | None = None,
    now: dt.datetime | None = None,
    progress: Progress = _silent,
) -> ImportReport:
    """Import ``table`` into the ledger of ``org_id``; raises ``ReceivablesImportRejected``."""
    kind = ReceivableKind(kind)
    moment = now or utcnow()
    known = set(REQUIRED[kind]) | set(OPTIONAL[kind])
    base: dict[str, Any] = {
        "kind": kind.value,
        "rows_read": table.height,
        "encoding": table.encoding,
        "delimiter": table.delimiter,
        "file_format": table.file_format,
        "ignored_columns": [c for c in table.columns if c not in known],
    }
    missing = missing_columns(table, REQUIRED[kind])
    if missing:
        errors = [RowError(table.header_row, c, "required column is missing") for c in missing]
        _rejects(rejects, table, errors)
        raise ReceivablesImportRejected(
            ImportReport(**base, accepted=0, rejected=table.height, errors=errors)
        )
    progress("validating", 0, table.height)
    checks = cols.Checks(table.frame)
    checks.add_rows(table.cell_errors)
    typed = _PARSERS[kind](checks)
    lock_for_write(session)
    context = _Context(session, org_id, checks, options, actor, moment, progress)
    plan = _RESOLVERS[kind](context, typed)
    errors = checks.row_errors()
    bad = checks.bad_rows()
    accepted = table.height - bad.len()
    base |= {"accepted": accepted, "rejected": table.height - accepted, "errors": errors}
    if errors and not options.partial:
        _rejects(rejects, table, errors)
        raise ReceivablesImportRejected(ImportReport(**base, applied=False))
    outcome = plan(bad)
    report = ImportReport(
        **base,
        inserted=outcome.inserted,
        updated=outcome.updated,
        unchanged=outcome.unchanged,
        applied=True,
    )
    record_batch(
        session,
        report,
        org_id=org_id,
        kind=f"receivables:{kind.value}",
        file_name=source,
        sha256=sha256 or "",
        partial=options.partial,
        actor=actor,
        moment=moment,
    )
    _rejects(rejects, table, errors)
    return report


def import_file(
    session: Session,
    *,
    org_id: uuid.UUID,
    kind: ReceivableKind,
    path: Path,
    options: ImportOptions,
    actor: str,
    max_bytes: int,
    file_name: str | None = None,
    rejects: Path | None = None,
    now: dt.datetime | None = None,
    progress: Progress = _silent,
) -> ImportReport:
    """Read ``path`` (CSV, XLSX, JSON Lines, Parquet) and import it."""
    progress("reading", 0, 0)
    table = read_table(path, max_bytes=max_bytes)
    return import_receivables(
        session,
        org_id=org_id,
        kind=kind,
        table=table,
        options=options,
        actor=actor,
        source=file_name or path.name,
        sha256=file_sha256(path),
        rejects=rejects,
        now=now,
        progress=progress,
    )


def _rejects(target: Path | None, table: RawTable, errors: list[RowError]) -> None:
    if target is not None and errors:
        write_rejects(target, table=table, errors=errors)


# --- parsing (pure) -------------------------------------------------------------------------------


def _ref(checks: cols.Checks, name: str, *, required: bool = True) -> pl.Series:
    values = cols.text(checks, name, required=required, max_length=REF_LENGTH)
    control = values.str.contains(r"[\x00-\x1f\x7f]")
    checks.add(control, name, "contains control characters")
    return values


def _date(checks: cols.Checks, name: str, *, required: bool = True) -> pl.Series:
    return cols.mapped(checks, name, parse=parse_import_date, dtype=pl.Date, required=required)


def _money(checks: cols.Checks) -> tuple[pl.Series, pl.Series]:
    currency = cols.mapped(
        checks, "currency", parse=normalize_currency, dtype=pl.Utf8, required=True
    )
    exponent, _ = cols.map_distinct(currency, currency_exponent, dtype=pl.Int64)
    amount = cols.minor_units(checks, "amount", currency=currency, exponent=exponent, required=True)
    checks.add(amount <= 0, "amount", "must be above zero")
    return currency, amount


def _parse_invoices(checks: cols.Checks) -> pl.DataFrame:
    frame = checks.frame
    issue = _date(checks, "issue_date")
    due = _date(checks, "due_date")
    checks.add(due < issue, "due_date", "is before issue_date")
    delivery = _date(checks, "delivery_date", required=False)
    currency, amount = _money(checks)
    terms_text = cols.raw(frame, "terms")
    terms, terms_errors = cols.map_distinct(
        terms_text, lambda t: parse_terms(t).text(), dtype=pl.Utf8
    )
    checks.add(terms_errors.is_not_null(), "terms", terms_errors)
    discount_bp, _ = cols.map_distinct(
        terms_text, lambda t: parse_terms(t).discount_bp, dtype=pl.Int64
    )
    discount_days, _ = cols.map_distinct(
        terms_text, lambda t: parse_terms(t).discount_days, dtype=pl.Int64
    )
    country = cols.raw(frame, "buyer_country").str.to_uppercase()
    checks.add(
        country.is_not_null() & ~country.str.contains(r"^[A-Z]{2}$"),
        "buyer_country",
        "must be a two-letter ISO 3166 country code",
    )
    typed = pl.DataFrame(
        {
            ROW: frame[ROW],
            "invoice_ref": _ref(checks, "invoice_ref"),
            "company_ref": _ref(checks, "company_ref"),
            "issue_date": issue,
            "due_date": due,
            "delivery_date": delivery,
            "currency": currency,
            "amount": amount,
            "terms": terms,
            "order_ref": _ref(checks, "order_ref", required=False),
            "description": cols.text(checks, "description", required=False, max_length=TEXT_LENGTH),
            "buyer_name": cols.text(checks, "buyer_name", required=False, max_length=300),
            "buyer_country": country,
        }
    )
    typed = (
        typed.with_columns(discount_bp=discount_bp.fill_null(0), _days=discount_days.fill_null(0))
        .with_columns(
            discount_until=pl.when(pl.col("discount_bp") > 0).then(
                pl.col("issue_date") + pl.duration(days=pl.col("_days"))
            ),
        )
        .drop("_days")
    )
    cols.duplicates(checks, typed.select("invoice_ref"), column="invoice_ref", label="invoice_ref")
    return typed


def _parse_payments(checks: cols.Checks) -> pl.DataFrame:
    frame = checks.frame
    currency, amount = _money(checks)
    typed = pl.DataFrame(
        {
            ROW: frame[ROW],
            "payment_ref": _ref(checks, "payment_ref"),
            "company_ref": _ref(checks, "company_ref"),
            "date": _date(checks, "date"),
            "currency": currency,
            "amount": amount,
            "invoice_ref": _ref(checks, "invoice_ref", required=False),
        }
    )
    cols.duplicates(checks, typed.select("payment_ref"), column="payment_ref", label="payment_ref")
    return typed


def _parse_credit_notes(checks: cols.Checks) -> pl.DataFrame:
    frame = checks.frame
    currency, amount = _money(checks)
    typed = pl.DataFrame(
        {
            ROW: frame[ROW],
            "credit_note_ref": _ref(checks, "credit_note_ref"),
            "invoice_ref": _ref(checks, "invoice_ref"),
            "date": _date(checks, "date"),
            "currency": currency,
            "amount": amount,
            "reason": cols.text(checks, "reason", required=False, max_length=300),
        }
    )
    cols.duplicates(
        checks, typed.select("credit_note_ref"), column="credit_note_ref", label="credit_note_ref"
    )
    return typed


_PARSERS: dict[ReceivableKind, Callable[[cols.Checks], pl.DataFrame]] = {
    ReceivableKind.INVOICES: _parse_invoices,
    ReceivableKind.PAYMENTS: _parse_payments,
    ReceivableKind.CREDIT_NOTES: _parse_credit_notes,
}


# --- resolving against the ledger ---------------------------------------------------------------

Plan = Callable[[pl.Series], _Outcome]
"""What to write, given the source rows finally rejected (their rows are skipped)."""


@dataclass(frozen=True)
class _Context:
    session: Session
    org_id: uuid.UUID
    checks: cols.Checks
    options: ImportOptions
    actor: str
    now: dt.datetime
    progress: Progress

    @property
    def org_hex(self) -> str:
        return self.org_id.hex


INVOICE_T = bulk.table_of(Invoice)
PAYMENT_T = bulk.table_of(Payment)
CREDIT_T = bulk.table_of(CreditNote)
ENTRY_T = bulk.table_of(LedgerEntry)
COMPANY_T = bulk.table_of(Company)

_INVOICE_FIELDS: dict[str, Any] = {
    "company_id": pl.Utf8,
    "issue_date": pl.Date,
    "delivery_date": pl.Date,
    "due_date": pl.Date,
    "currency": pl.Utf8,
    "amount": pl.Int64,
    "terms": pl.Utf8,
    "discount_bp": pl.Int64,
    "discount_until": pl.Date,
    "order_ref": pl.Utf8,
    "description": pl.Utf8,
}


def _companies(ctx: _Context, refs: pl.Series) -> pl.DataFrame:
    distinct = refs.drop_nulls().unique().to_list()
    return bulk.select_frame(
        ctx.session,
        [COMPANY_T.c.ref, COMPANY_T.c.id],
        {"company_ref": pl.Utf8, "company_id": pl.Utf8},
        key=COMPANY_T.c.ref,
        keys=distinct,
    ).filter(pl.col("company_ref").is_in(distinct))


def _attach_buyers(ctx: _Context, typed: pl.DataFrame) -> pl.DataFrame:
    joined = typed.join(_companies(ctx, typed["company_ref"]), on="company_ref", how="left")
    joined = joined.sort(ROW)
    unknown = joined["company_ref"].is_not_null() & joined["company_id"].is_null()
    if ctx.options.create_buyers and "buyer_name" in joined.columns:
        return joined.with_columns(new_buyer=unknown)
    hint = (
        "; pass --create-buyers to create it unverified"
        if "buyer_name" in joined.columns
        else "; import its invoices first"
    )
    reasons = pl.select(pl.format("unknown buyer (company_ref '{}')" + hint, joined["company_ref"]))
    ctx.checks.add(unknown, "company_ref", reasons.to_series())
    return joined.with_columns(new_buyer=pl.lit(False))


def _invoices_by_ref(ctx: _Context, refs: pl.Series) -> pl.DataFrame:
    t = INVOICE_T
    distinct = refs.drop_nulls().unique().to_list()
    schema = {"id": pl.Utf8, "invoice_ref": pl.Utf8, **_INVOICE_FIELDS}
    frame = bulk.select_frame(
        ctx.session,
        [t.c.id, t.c.invoice_ref, *(t.c[n] for n in _INVOICE_FIELDS)],
        schema,
        where=[t.c.org_id == ctx.org_id],
        key=t.c.invoice_ref,
        keys=distinct,
    )
    return frame.filter(pl.col("invoice_ref").is_in(distinct))


def _grouped_totals(ctx: _Context, invoice_ids: list[str]) -> dict[str, int]:
    e = ENTRY_T
    out: dict[str, int] = {}
    statement = select(e.c.invoice_id, func.sum(e.c.amount)).where(e.c.org_id == ctx.org_id)
    if len(invoice_ids) >= bulk.WHOLE_TABLE_FROM:
        rows = ctx.session.execute(statement.group_by(e.c.invoice_id)).tuples()
        wanted = set(invoice_ids)
        for invoice_id, total in rows:
            key = invoice_id.hex
            if key in wanted:
                out[key] = int(total)
        return out
    for start in range(0, len(invoice_ids), bulk.LOOKUP_CHUNK):
        chunk = [uuid.UUID(i) for i in invoice_ids[start : start + bulk.LOOKUP_CHUNK]]
        query = statement.where(e.c.invoice_id.in_(chunk)).group_by(e.c.invoice_id)
        for invoice_id, total in ctx.session.execute(query).tuples():
            out[invoice_id.hex] = int(total)
    return out


def _moved(ctx: _Context, invoice_ids: list[str]) -> set[str]:
    """Invoices (hex ids) that money has touched: any entry, credit note or dispute."""
    touched: set[str] = set()
    for model in (LedgerEntry, CreditNote, Dispute):
        for start in range(0, len(invoice_ids), bulk.LOOKUP_CHUNK):
            chunk = [uuid.UUID(i) for i in invoice_ids[start : start + bulk.LOOKUP_CHUNK]]
            query = select(model.invoice_id).where(
                model.org_id == ctx.org_id, model.invoice_id.in_(chunk)
            )
            touched.update(i.hex for i in ctx.session.scalars(query))
    return touched


def _resolve_invoices(ctx: _Context, typed: pl.DataFrame) -> Plan:
    checks = ctx.checks
    typed = _attach_buyers(ctx, typed)
    stored = _invoices_by_ref(ctx, typed["invoice_ref"])
    renamed = stored.rename({n: f"{n}__db" for n in _INVOICE_FIELDS})
    joined = typed.join(renamed, on="invoice_ref", how="left").sort(ROW)
    changed = pl.lit(False)
    for name in _INVOICE_FIELDS:
        changed = changed | pl.col(name).ne_missing(pl.col(f"{name}__db"))
    joined = joined.with_columns(
        outcome=pl.when(pl.col("id").is_null())
        .then(pl.lit("inserted"))
        .when(changed)
        .then(pl.lit("updated"))
        .otherwise(pl.lit("unchanged"))
    )
    updates = joined.filter(pl.col("outcome") == "updated")
    if updates.height:
        moved = _moved(ctx, updates["id"].to_list())
        refused = joined["id"].is_in(list(moved)) & (joined["outcome"] == "updated")
        checks.add(
            refused,
            None,
            pl.select(
                pl.format(
                    "invoice '{}' already has payments, credit notes or disputes and cannot be "
                    "changed; issue a credit note or reverse the entries instead",
                    joined["invoice_ref"],
                )
            ).to_series(),
        )

    def plan(bad: pl.Series) -> _Outcome:
        good = joined.filter(~pl.col(ROW).is_in(bad.implode()))
        outcome = _Outcome()
        good = _create_buyers(ctx, good, outcome)
        new = good.filter(pl.col("outcome") == "inserted")
        ctx.progress("writing invoices", 0, new.height)
        rows = new.select(
            bulk.new_ids(new.height).alias("id"),
            pl.lit(ctx.org_hex).alias("org_id"),
            "invoice_ref",
            *_INVOICE_FIELDS,
            bulk.stamp(ctx.now).alias("created_at"),
        )
        outcome.inserted = bulk.insert_frame(
            ctx.session,
            INVOICE_T,
            rows,
            progress=lambda done: ctx.progress("writing invoices", done, new.height),
        )
        outcome.updated = _update_invoices(ctx, good.filter(pl.col("outcome") == "updated"))
        outcome.unchanged = good.filter(pl.col("outcome") == "unchanged").height
        return outcome

    return plan


def _create_buyers(ctx: _Context, good: pl.DataFrame, outcome: _Outcome) -> pl.DataFrame:
    if "new_buyer" not in good.columns or not good["new_buyer"].any():
        return good
    fresh = (
        good.filter(pl.col("new_buyer"))
        .group_by("company_ref", maintain_order=True)
        .agg(
            pl.col("buyer_name").drop_nulls().first(), pl.col("buyer_country").drop_nulls().first()
        )
    )
    ids: dict[str, str] = {}
    for ref, name, country in fresh.iter_rows():
        label = name or ref
        company = Company(
            ref=ref,
            name=label,
            search_key=search_key(label),
            country=country or UNKNOWN_COUNTRY,
            verified=False,
            created_at=ctx.now,
        )
        ctx.session.add(company)
        ctx.session.flush()
        ids[ref] = company.id.hex
        outcome.created_buyers.append(ref)
    return good.with_columns(
        company_id=pl.coalesce(
            pl.col("company_id"), pl.col("company_ref").replace_strict(ids, default=None)
        )
    )


def _update_invoices(ctx: _Context, rows: pl.DataFrame) -> int:
    for record in rows.iter_rows(named=True):
        invoice = ctx.session.get(Invoice, uuid.UUID(record["id"]))
        assert invoice is not None
        before = {n: _plain(getattr(invoice, n)) for n in _INVOICE_FIELDS}
        for name in _INVOICE_FIELDS:
            value = record[name]
            setattr(invoice, name, uuid.UUID(value) if name == "company_id" else value)
        invoice.updated_at = ctx.now
        after = {n: _plain(getattr(invoice, n)) for n in _INVOICE_FIELDS}
        ctx.session.add(
            InvoiceRevision(
                org_id=ctx.org_id,
                invoice_id=invoice.id,
                changed_at=ctx.now,
                actor=ctx.actor[:200],
                source="import",
                before=json.dumps({k: v for k, v in before.items() if before[k] != after[k]}),
                after=json.dumps({k: v for k, v in after.items() if before[k] != after[k]}),
            )
        )
    ctx.session.flush()
    return rows.height


def _plain(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --- payments ----------------------------------------------------------------------------------

_PAYMENT_FIELDS = {"company_id": pl.Utf8, "date": pl.Date, "currency": pl.Utf8, "amount": pl.Int64}


def _stored_by_ref(
    ctx: _Context, table: Any, ref_column: str, refs: pl.Series, fields: dict[str, Any]
) -> pl.DataFrame:
    distinct = refs.drop_nulls().unique().to_list()
    schema = {"id": pl.Utf8, ref_column: pl.Utf8, **fields}
    frame = bulk.select_frame(
        ctx.session,
        [table.c.id, table.c[ref_column], *(table.c[n] for n in fields)],
        schema,
        where=[table.c.org_id == ctx.org_id],
        key=table.c[ref_column],
        keys=distinct,
    )
    return frame.filter(pl.col(ref_column).is_in(distinct))


def _against_stored(
    ctx: _Context,
    typed: pl.DataFrame,
    stored: pl.DataFrame,
    ref: str,
    fields: dict[str, Any],
    label: str,
) -> pl.DataFrame:
    """Mark rows already stored: unchanged if equal, a row error if they differ."""
    renamed = stored.rename({n: f"{n}__db" for n in fields})
    joined = typed.join(renamed, on=ref, how="left").sort(ROW)
    changed = pl.lit(False)
    for name in fields:
        changed = changed | pl.col(name).ne_missing(pl.col(f"{name}__db"))
    joined = joined.with_columns(
        outcome=pl.when(pl.col("id").is_null())
        .then(pl.lit("inserted"))
        .when(changed)
        .then(pl.lit("changed"))
        .otherwise(pl.lit("unchanged"))
    )
    ctx.checks.add(
        joined["outcome"] == "changed",
        None,
        pl.select(
            pl.format(
                f"{label} '{{}}' is already recorded with other values; {label}s are never "
                "edited: reverse it and record a new one",
                joined[ref],
            )
        ).to_series(),
    )
    return joined


@dataclass
class _Balances:
    """Running outstanding amounts of the invoices a file touches, for sequential checks."""

    items: dict[str, OpenItem]

    def take(self, invoice_id: str, amount: int) -> None:
        item = self.items[invoice_id]
        self.items[invoice_id] = replace(item, outstanding=item.outstanding - amount)


def _open_items(ctx: _Context, invoices: pl.DataFrame) -> _Balances:
    totals = _grouped_totals(ctx, invoices["id"].to_list())
    items = {
        r["id"]: OpenItem(
            invoice_id=r["id"],
            invoice_ref=r["invoice_ref"],
            issue_date=r["issue_date"],
            due_date=r["due_date"],
            amount=r["amount"],
            outstanding=r["amount"] - totals.get(r["id"], 0),
            discount_bp=r["discount_bp"] or 0,
            discount_until=r["discount_until"],
        )
        for r in invoices.iter_rows(named=True)
    }
    return _Balances(items)


def _resolve_payments(ctx: _Context, typed: pl.DataFrame) -> Plan:
    checks = ctx.checks
    typed = _attach_buyers(ctx, typed)
    stored = _stored_by_ref(ctx, PAYMENT_T, "payment_ref", typed["payment_ref"], _PAYMENT_FIELDS)
    joined = _against_stored(ctx, typed, stored, "payment_ref", _PAYMENT_FIELDS, "payment")
    invoices = _invoices_by_ref(ctx, joined["invoice_ref"])
    targets = invoices.select(
        pl.col("id").alias("invoice_id"),
        "invoice_ref",
        pl.col("company_id").alias("invoice_company_id"),
        pl.col("currency").alias("invoice_currency"),
    )
    joined = joined.join(targets, on="invoice_ref", how="left").sort(ROW)
    named = joined["invoice_ref"].is_not_null()
    found = named & joined["invoice_id"].is_not_null()
    checks.add(
        named & joined["invoice_id"].is_null(),
        "invoice_ref",
        pl.select(
            pl.format("unknown invoice '{}' in this ledger", joined["invoice_ref"])
        ).to_series(),
    )
    checks.add(
        found
        & joined["company_id"].is_not_null()
        & (joined["invoice_company_id"] != joined["company_id"]),
        "invoice_ref",
        "the invoice is to another buyer",
    )
    checks.add(
        found & (joined["invoice_currency"] != joined["currency"]),
        "currency",
        pl.select(pl.format("the invoice is in {}", joined["invoice_currency"])).to_series(),
    )
    auto = ctx.options.auto_allocate

    def plan(bad: pl.Series) -> _Outcome:
        good = joined.filter(~pl.col(ROW).is_in(bad.implode()))
        outcome = _Outcome(unchanged=good.filter(pl.col("outcome") == "unchanged").height)
        new = good.filter(pl.col("outcome") == "inserted")
        new = new.with_columns(bulk.new_ids(new.height).alias("id"))
        rows = new.select(
            "id",
            pl.lit(ctx.org_hex).alias("org_id"),
            "payment_ref",
            *_PAYMENT_FIELDS,
            bulk.stamp(ctx.now).alias("created_at"),
        )
        ctx.progress("writing payments", 0, new.height)
        outcome.inserted = bulk.insert_frame(
            ctx.session,
            PAYMENT_T,
            rows,
            progress=lambda done: ctx.progress("writing payments", done, new.height),
        )
        entries = _payment_allocations(ctx, new, invoices, auto=auto)
        ctx.progress("writing allocations", 0, entries.height)
        bulk.insert_frame(ctx.session, ENTRY_T, entries)
        ctx.progress("writing payments", new.height, new.height)
        return outcome

    return plan


_ENTRY_SCHEMA: dict[str, Any] = {
    "invoice_id": pl.Utf8,
    "kind": pl.Utf8,
    "date": pl.Date,
    "amount": pl.Int64,
    "payment_id": pl.Utf8,
}
_SAFE_AMOUNT = 900_000_000_000_000  # amount x basis points stays inside Int64 below this


def _buyer_open_items(ctx: _Context, company_ids: list[str]) -> pl.DataFrame:
    t = INVOICE_T
    schema = {"id": pl.Utf8, "invoice_ref": pl.Utf8, **_INVOICE_FIELDS}
    frame = bulk.select_frame(
        ctx.session,
        [t.c.id, t.c.invoice_ref, *(t.c[n] for n in _INVOICE_FIELDS)],
        schema,
        where=[t.c.org_id == ctx.org_id],
        key=t.c.company_id,
        keys=[uuid.UUID(c) for c in company_ids],
    )
    return frame.filter(pl.col("company_id").is_in(company_ids))


def _single_allocations(ctx: _Context, rows: pl.DataFrame, invoices: pl.DataFrame) -> pl.DataFrame:
    """Allocations of payments that are the only one in the file naming their invoice.

    The same rule as ``domain.settle``, over whole columns: the discount (basis points of the
    invoice amount, rounded half up) is granted when the payment, on or before the last discount
    day, covers what is outstanding net of it.
    """
    totals = _grouped_totals(ctx, rows["invoice_id"].unique().to_list())
    taken = pl.DataFrame(
        {"invoice_id": list(totals), "taken": list(totals.values())},
        schema={"invoice_id": pl.Utf8, "taken": pl.Int64},
    )
    terms = invoices.select(
        pl.col("id").alias("invoice_id"),
        pl.col("amount").alias("inv_amount"),
        pl.col("issue_date").alias("issued"),
        pl.col("discount_bp").fill_null(0).alias("bp"),
        pl.col("discount_until").alias("until"),
    )
    frame = (
        rows.select("id", "invoice_id", "date", "amount")
        .join(terms, on="invoice_id", how="left")
        .join(taken, on="invoice_id", how="left")
        .with_columns(left=pl.col("inv_amount") - pl.col("taken").fill_null(0))
        .with_columns(
            discount=pl.min_horizontal(
                (pl.col("inv_amount") * pl.col("bp") + 5_000) // 10_000, "left"
            )
        )
        .with_columns(
            eligible=(pl.col("bp") > 0)
            & (pl.col("date") <= pl.col("until"))
            & (pl.col("left") > 0)
            & (pl.col("amount") >= pl.col("left") - pl.col("discount"))
        )
        .with_columns(
            paid=pl.when(pl.col("eligible"))
            .then(pl.col("left") - pl.col("discount"))
            .otherwise(pl.min_horizontal("amount", pl.col("left").clip(0, None))),
            discount=pl.when(pl.col("eligible")).then("discount").otherwise(0),
            day=pl.max_horizontal("date", "issued"),
        )
    )
    allocations = frame.filter(pl.col("paid") > 0).select(
        "invoice_id",
        pl.lit("allocation").alias("kind"),
        pl.col("day").alias("date"),
        pl.col("paid").alias("amount"),
        pl.col("id").alias("payment_id"),
    )
    discounts = frame.filter(pl.col("discount") > 0).select(
        "invoice_id",
        pl.lit("discount").alias("kind"),
        pl.col("day").alias("date"),
        pl.col("discount").alias("amount"),
        pl.col("id").alias("payment_id"),
    )
    return pl.concat([allocations, discounts]).cast(_ENTRY_SCHEMA)  # type: ignore[arg-type]


def _payment_allocations(
    ctx: _Context, new: pl.DataFrame, invoices: pl.DataFrame, *, auto: bool
) -> pl.DataFrame:
    """Ledger entries for the new payments: to the named invoice, or oldest first with ``auto``.

    A payment that is alone in the file in naming its invoice is allocated over whole columns;
    several payments to one invoice, and oldest-first allocation, run in file order in Python.
    """
    explicit = new.filter(pl.col("invoice_id").is_not_null())
    repeated = explicit["invoice_id"].is_duplicated()
    big = explicit["amount"] > _SAFE_AMOUNT
    single = explicit.filter(~repeated & ~big)
    looped = explicit.filter(repeated | big)
    parts = [_single_allocations(ctx, single, invoices)] if single.height else []
    loose = new.filter(pl.col("invoice_id").is_null()) if auto else new.clear()
    targets = invoices.filter(pl.col("id").is_in(looped["invoice_id"].implode()))
    if loose.height:
        buyers = _buyer_open_items(ctx, loose["company_id"].unique().to_list())
        targets = pl.concat([targets, buyers], how="diagonal_relaxed").unique("id", keep="first")
    if looped.height or loose.height:
        parts.append(_looped_allocations(ctx, looped, loose, targets))
    entries = pl.concat(parts) if parts else pl.DataFrame(schema=_ENTRY_SCHEMA)
    return entries.select(
        bulk.new_ids(entries.height).alias("id"),
        pl.lit(ctx.org_hex).alias("org_id"),
        "invoice_id",
        "kind",
        "date",
        "amount",
        "payment_id",
        pl.lit(ctx.actor[:200]).alias("actor"),
        bulk.stamp(ctx.now).alias("created_at"),
    )


def _looped_allocations(
    ctx: _Context, explicit: pl.DataFrame, loose: pl.DataFrame, targets: pl.DataFrame
) -> pl.DataFrame:
    balances = _open_items(ctx, targets) if targets.height else _Balances({})
    by_buyer: dict[tuple[str, str], list[str]] = {}
    if loose.height:
        for r in targets.sort("due_date", "issue_date", "invoice_ref").iter_rows(named=True):
            by_buyer.setdefault((r["company_id"], r["currency"]), []).append(r["id"])
    out: dict[str, list[Any]] = {k: [] for k in _ENTRY_SCHEMA}

    def add(invoice_id: str, kind: EntryKind, day: dt.date, amount: int, payment_id: str) -> None:
        out["invoice_id"].append(invoice_id)
        out["kind"].append(kind.value)
        out["date"].append(day)
        out["amount"].append(amount)
        out["payment_id"].append(payment_id)

    def apply(invoice_id: str, available: int, day: dt.date, payment_id: str) -> int:
        item = balances.items[invoice_id]
        allocation = settle(item, available=available, paid_on=day)
        when = max(day, item.issue_date)
        if allocation.amount:
            add(invoice_id, EntryKind.ALLOCATION, when, allocation.amount, payment_id)
        if allocation.discount:
            add(invoice_id, EntryKind.DISCOUNT, when, allocation.discount, payment_id)
        balances.take(invoice_id, allocation.amount + allocation.discount)
        return allocation.amount

    for r in pl.concat([explicit, loose]).sort(ROW).iter_rows(named=True):
        if r["invoice_id"] is not None:
            apply(r["invoice_id"], r["amount"], r["date"], r["id"])
            continue
        left = r["amount"]
        for invoice_id in by_buyer.get((r["company_id"], r["currency"]), []):
            if left <= 0:
                break
            if balances.items[invoice_id].outstanding > 0:
                left -= apply(invoice_id, left, r["date"], r["id"])
    return pl.DataFrame(out, schema=_ENTRY_SCHEMA)


# --- credit notes ------------------------------------------------------------------------------

_CREDIT_FIELDS = {"invoice_id": pl.Utf8, "date": pl.Date, "currency": pl.Utf8, "amount": pl.Int64}


def _resolve_credit_notes(ctx: _Context, typed: pl.DataFrame) -> Plan:
    checks = ctx.checks
    invoices = _invoices_by_ref(ctx, typed["invoice_ref"])
    targets = invoices.select(
        pl.col("id").alias("invoice_id"),
        "invoice_ref",
        pl.col("currency").alias("invoice_currency"),
        pl.col("issue_date").alias("invoice_issued"),
    )
    typed = typed.join(targets, on="invoice_ref", how="left").sort(ROW)
    checks.add(
        typed["invoice_ref"].is_not_null() & typed["invoice_id"].is_null(),
        "invoice_ref",
        pl.select(
            pl.format("unknown invoice '{}' in this ledger", typed["invoice_ref"])
        ).to_series(),
    )
    checks.add(
        typed["invoice_id"].is_not_null() & (typed["invoice_currency"] != typed["currency"]),
        "currency",
        pl.select(pl.format("the invoice is in {}", typed["invoice_currency"])).to_series(),
    )
    checks.add(
        typed["date"] < typed["invoice_issued"], "date", "is before the invoice's issue date"
    )
    stored = _stored_by_ref(
        ctx, CREDIT_T, "credit_note_ref", typed["credit_note_ref"], _CREDIT_FIELDS
    )
    joined = _against_stored(ctx, typed, stored, "credit_note_ref", _CREDIT_FIELDS, "credit note")
    # Running balance in file order: a credit note may not exceed what is still outstanding.
    balances = _open_items(ctx, invoices) if invoices.height else _Balances({})
    fresh = joined.filter((pl.col("outcome") == "inserted") & pl.col("invoice_id").is_not_null())
    errors: list[RowError] = []
    already_bad = set(checks.bad_rows().to_list())
    for r in fresh.iter_rows(named=True):
        if r[ROW] in already_bad or r["amount"] is None:
            continue
        left = balances.items[r["invoice_id"]].outstanding
        if r["amount"] > left:
            errors.append(
                RowError(
                    r[ROW],
                    "amount",
                    f"exceeds what invoice '{r['invoice_ref']}' still owes ({left} minor units)",
                )
            )
        else:
            balances.take(r["invoice_id"], r["amount"])
    checks.add_rows(errors)

    def plan(bad: pl.Series) -> _Outcome:
        good = joined.filter(~pl.col(ROW).is_in(bad.implode()))
        outcome = _Outcome(unchanged=good.filter(pl.col("outcome") == "unchanged").height)
        new = good.filter(pl.col("outcome") == "inserted").with_columns(
            bulk.new_ids(good.filter(pl.col("outcome") == "inserted").height).alias("id")
        )
        notes = new.select(
            "id",
            pl.lit(ctx.org_hex).alias("org_id"),
            "credit_note_ref",
            *_CREDIT_FIELDS,
            "reason",
            bulk.stamp(ctx.now).alias("created_at"),
        )
        outcome.inserted = bulk.insert_frame(ctx.session, CREDIT_T, notes)
        entries = new.select(
            bulk.new_ids(new.height).alias("id"),
            pl.lit(ctx.org_hex).alias("org_id"),
            "invoice_id",
            pl.lit(EntryKind.CREDIT_NOTE.value).alias("kind"),
            "date",
            "amount",
            pl.col("id").alias("credit_note_id"),
            "reason",
            pl.lit(ctx.actor[:200]).alias("actor"),
            bulk.stamp(ctx.now).alias("created_at"),
        )
        bulk.insert_frame(ctx.session, ENTRY_T, entries)
        return outcome

    return plan


_RESOLVERS: dict[ReceivableKind, Callable[[_Context, pl.DataFrame], Plan]] = {
    ReceivableKind.INVOICES: _resolve_invoices,
    ReceivableKind.PAYMENTS: _resolve_payments,
    ReceivableKind.CREDIT_NOTES: _resolve_credit_notes,
}
