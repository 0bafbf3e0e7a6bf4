"""Per-kind registry checks and writes for imports (companies, financials, payments, events)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl
from babel.numbers import get_territory_currencies
from sqlalchemy.orm import Session

from arshield.buyers import importing_parse as parse
from arshield.buyers import importing_store as store
from arshield.buyers.domain import CompanyStatus, search_key
from arshield.kit import tabular_columns as cols
from arshield.kit.errors import ValidationFailed
from arshield.kit.money import normalize_currency
from arshield.kit.tabular import ROW, RowError


@dataclass(frozen=True)
class WriteContext:
    """What a writer needs besides the rows: the session, the file's columns, time, progress."""

    session: Session
    columns: frozenset[str]
    now: dt.datetime
    progress: store.Progress


@dataclass(frozen=True)
class KindSpec:
    """One import kind: its columns, its pure parser, its registry checks and its writer."""

    required: tuple[str, ...]
    optional: tuple[str, ...]
    parse: Callable[[cols.Checks], pl.DataFrame]
    resolve: Callable[[Session, cols.Checks, pl.DataFrame], pl.DataFrame]
    write: Callable[[WriteContext, pl.DataFrame], store.Counts]


def default_currency(country: str, on: dt.date) -> str:
    """The first legal-tender currency of ``country`` in force on ``on``."""
    found = get_territory_currencies(country, start_date=on, end_date=on, tender=True)
    for code in found:
        try:
            return normalize_currency(str(code))
        except ValidationFailed:
            continue
    raise ValidationFailed(f"no currency given and none is known for country {country} on {on}")


def _attach_companies(session: Session, checks: cols.Checks, frame: pl.DataFrame) -> pl.DataFrame:
    """Add company_id and country; an unknown company_ref is a row error."""
    known = store.companies_by_ref(session, frame["ref"]).select("ref", "company_id", "country")
    joined = frame.join(known, on="ref", how="left", maintain_order="left")
    unknown = joined["ref"].is_not_null() & joined["company_id"].is_null()
    reasons = pl.select(
        pl.format("unknown company_ref '{}'; import it with kind companies first", joined["ref"])
    ).to_series()
    checks.add(unknown, "company_ref", reasons)
    return joined


def _no_registry_checks(session: Session, checks: cols.Checks, frame: pl.DataFrame) -> pl.DataFrame:
    return _attach_companies(session, checks, frame)


# --- companies -----------------------------------------------------------------------------------


def resolve_companies(session: Session, checks: cols.Checks, frame: pl.DataFrame) -> pl.DataFrame:
    """An identifier already held by a different company_ref is a row error."""
    holders = store.identifier_holders(session, frame["registration_id"])
    clash = (
        frame.select(ROW, "ref", "id_type", "registration_id")
        .join(holders, on=["id_type", "registration_id"], how="inner")
        .filter(pl.col("holder_ref") != pl.col("ref"))
    )
    checks.add_rows(
        [
            RowError(
                row,
                "registration_id",
                f"registration_id {value!r} ({kind}) is already held by company_ref {holder!r}",
            )
            for row, kind, value, holder in clash.select(
                ROW, "id_type", "registration_id", "holder_ref"
            ).iter_rows()
        ]
    )
    return frame


def write_companies(ctx: WriteContext, rows: pl.DataFrame) -> store.Counts:
    """Upsert companies by ref, then their identifiers; stored status kept when none is given."""
    existing = store.companies_by_ref(ctx.session, rows["ref"])
    stored = existing.select("ref", status__stored="status", name_latin__stored="name_latin")
    rows = rows.join(stored, on="ref", how="left", maintain_order="left")
    rows = rows.with_columns(
        status=pl.coalesce("status", "status__stored", pl.lit(CompanyStatus.ACTIVE.value))
    )
    if "name_latin" not in ctx.columns:
        # A file without the column leaves the stored Latin name (and its search key) alone.
        rows = rows.with_columns(name_latin=pl.col("name_latin__stored"))
        full = pl.select(
            pl.concat_str([rows["name"], rows["name_latin"].fill_null("")], separator=" ")
        ).to_series()
        keys, _ = cols.map_distinct(
            full.str.strip_chars(), lambda n: search_key(n)[:600], dtype=pl.Utf8
        )
        rows = rows.with_columns(search_key=keys)
    outcomes = store.apply_rows(
        ctx.session,
        store.COMPANIES,
        rows=rows.select("ref", *store.COMPANY_FIELDS),
        existing=existing.rename({"company_id": "id"}),
        key=["ref"],
        values=store.COMPANY_FIELDS,
        now=ctx.now,
        progress=ctx.progress,
        extra_insert={"verified": True, "updated_at": None},
    )
    touched = _write_identifiers(ctx, rows, outcomes)
    outcome = (
        pl.when((pl.col("outcome") == store.UNCHANGED) & pl.col("ref").is_in(touched.implode()))
        .then(pl.lit(store.UPDATED))
        .otherwise(pl.col("outcome"))
    )
    return store.counts_of(outcomes.select(outcome.alias("outcome"))["outcome"])


def _write_identifiers(ctx: WriteContext, rows: pl.DataFrame, outcomes: pl.DataFrame) -> pl.Series:
    """Add or correct each company's identifier of the given type; returns refs changed."""
    wanted = (
        rows.filter(pl.col("id_type").is_not_null())
        .select("ref", "id_type", "registration_id")
        .join(outcomes.select("ref", company_id="id", outcome="outcome"), on="ref")
    )
    old = wanted.filter(pl.col("outcome") != store.INSERTED)["company_id"]
    have = store.identifiers_of(ctx.session, old)
    pair = ["company_id", "id_type"]
    rest = wanted.join(
        have.rename({"value": "registration_id"}),
        on=[*pair, "registration_id"],
        how="anti",
    )
    first = have.sort("identifier_id").unique(pair, keep="first", maintain_order=True)
    corrected = rest.join(first, on=pair, how="inner")
    added = rest.join(first, on=pair, how="anti")
    store.insert_rows(
        ctx.session,
        store.IDENTIFIERS,
        [
            {"id": uuid.uuid4(), "company_id": uuid.UUID(cid), "id_type": kind, "value": value}
            for cid, kind, value in added.select(*pair, "registration_id").iter_rows()
        ],
        progress=ctx.progress,
        stage="writing company_identifiers",
    )
    store.update_rows(
        ctx.session,
        store.IDENTIFIERS,
        [
            {"b_id": uuid.UUID(iid), "b_value": value}
            for iid, value in corrected.select("identifier_id", "registration_id").iter_rows()
        ],
        values=["value"],
    )
    return rest["ref"].unique()


# --- financials, payments, events ----------------------------------------------------------------

_AMOUNT_COLUMNS = parse.FINANCIAL_AMOUNTS + parse.FINANCIAL_OPTIONAL


def write_financials(ctx: WriteContext, rows: pl.DataFrame) -> store.Counts:
    """Upsert statements by (company, fiscal_year_end); absent optional columns stay as stored."""
    schema = {"id": pl.Utf8, "company_id": pl.Utf8, "fiscal_year_end": pl.Date, "currency": pl.Utf8}
    schema |= dict.fromkeys(_AMOUNT_COLUMNS, pl.Int64)
    existing = store.children_of(ctx.session, store.STATEMENTS, rows["company_id"], schema)
    optional = [c for c in parse.FINANCIAL_OPTIONAL if c in ctx.columns]
    values = ["currency", *parse.FINANCIAL_AMOUNTS, *optional]
    inserted_only = [c for c in parse.FINANCIAL_OPTIONAL if c not in ctx.columns]
    outcomes = store.apply_rows(
        ctx.session,
        store.STATEMENTS,
        rows=rows.select("company_id", "fiscal_year_end", *values),
        existing=existing,
        key=["company_id", "fiscal_year_end"],
        values=values,
        now=ctx.now,
        progress=ctx.progress,
        extra_insert=dict.fromkeys(inserted_only) | {"updated_at": None},
    )
    return store.counts_of(outcomes["outcome"])


def resolve_payments(session: Session, checks: cols.Checks, frame: pl.DataFrame) -> pl.DataFrame:
    """Known companies; the currency defaults to the company's country's; then the amounts."""
    frame = _attach_companies(session, checks, frame)
    need = (
        frame["currency"].is_null() & frame["country"].is_not_null() & frame["month"].is_not_null()
    )
    where = pl.select(
        pl.when(need).then(
            pl.concat_str([frame["country"], frame["month"].cast(pl.Utf8)], separator="|")
        )
    ).to_series()

    def by_country(text: str) -> str:
        country, on = text.split("|")
        return default_currency(country, dt.date.fromisoformat(on))

    defaults, errors = cols.map_distinct(where, by_country, dtype=pl.Utf8)
    checks.add(errors.is_not_null(), "currency", errors)
    frame = frame.with_columns(currency=pl.coalesce(frame["currency"], defaults))
    return parse.parse_payment_amounts(checks, frame)


def write_payments(ctx: WriteContext, rows: pl.DataFrame) -> store.Counts:
    """Upsert payment months by (company, month)."""
    values = ["currency", "amount_paid", "amount_overdue", "days_beyond_terms"]
    schema = {"id": pl.Utf8, "company_id": pl.Utf8, "month": pl.Date, "currency": pl.Utf8}
    schema |= dict.fromkeys(values[1:], pl.Int64)
    existing = store.children_of(ctx.session, store.PAYMENTS, rows["company_id"], schema)
    outcomes = store.apply_rows(
        ctx.session,
        store.PAYMENTS,
        rows=rows.select("company_id", "month", *values),
        existing=existing,
        key=["company_id", "month"],
        values=values,
        now=ctx.now,
        progress=ctx.progress,
        extra_insert={"updated_at": None},
    )
    return store.counts_of(outcomes["outcome"])


def write_events(ctx: WriteContext, rows: pl.DataFrame) -> store.Counts:
    """Upsert events by (company, dedupe_key); a new severity or spelling updates the event."""
    values = ["date", "type", "severity", "description"]
    schema = {"id": pl.Utf8, "company_id": pl.Utf8, "dedupe_key": pl.Utf8, "date": pl.Date}
    schema |= {"type": pl.Utf8, "severity": pl.Utf8, "description": pl.Utf8}
    existing = store.children_of(ctx.session, store.EVENTS, rows["company_id"], schema)
    outcomes = store.apply_rows(
        ctx.session,
        store.EVENTS,
        rows=rows.select("company_id", "dedupe_key", *values),
        existing=existing,
        key=["company_id", "dedupe_key"],
        values=values,
        now=ctx.now,
        progress=ctx.progress,
        extra_insert={"updated_at": None},
    )
    return store.counts_of(outcomes["outcome"])


SPECS: dict[str, KindSpec] = {
    "companies": KindSpec(
        parse.COMPANY_COLUMNS, parse.COMPANY_OPTIONAL, parse.parse_companies, resolve_companies,
        write_companies,
    ),
    "financials": KindSpec(
        parse.FINANCIAL_COLUMNS, parse.FINANCIAL_OPTIONAL, parse.parse_financials,
        _no_registry_checks, write_financials,
    ),
    "payments": KindSpec(
        parse.PAYMENT_COLUMNS, parse.PAYMENT_OPTIONAL, parse.parse_payments, resolve_payments,
        write_payments,
    ),
    "events": KindSpec(
        parse.EVENT_COLUMNS, (), parse.parse_events, _no_registry_checks, write_events,
    ),
}  # fmt: skip
