"""Reading each import kind's columns into typed values, row errors collected as data.

Pure code over Polars frames: no database. Checks that need the registry (unknown companies,
identifiers held by another company, a payment's default currency) are in ``importing_store``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata

import polars as pl

from arshield.buyers.domain import (
    SEVERITY_BY_NUMBER,
    CompanyStatus,
    EventType,
    IdType,
    Severity,
    parse_country,
    parse_nace,
    search_key,
    validate_identifier,
)
from arshield.kit import tabular_columns as cols
from arshield.kit.errors import ValidationFailed
from arshield.kit.money import currency_exponent, from_minor, normalize_currency
from arshield.kit.tabular import ROW
from arshield.kit.time import parse_date, parse_month

MIN_YEAR = 1800
MAX_EMPLOYEES = 2**31 - 1
MAX_DAYS = 36_500
REF_LENGTH = 64
NAME_LENGTH = 300
DESCRIPTION_LENGTH = 4000

COMPANY_COLUMNS = (
    "company_ref", "name", "country", "registration_id", "id_type", "sector", "founded",
    "employees",
)  # fmt: skip
COMPANY_OPTIONAL = ("name_latin", "status")
FINANCIAL_AMOUNTS = (
    "total_assets", "current_assets", "cash", "receivables", "inventory", "total_liabilities",
    "current_liabilities", "equity", "retained_earnings", "sales", "ebit", "net_income",
)  # fmt: skip
FINANCIAL_OPTIONAL = ("depreciation", "interest_expense", "operating_cash_flow", "cost_of_sales")
FINANCIAL_COLUMNS = ("company_ref", "fiscal_year_end", "currency", *FINANCIAL_AMOUNTS)
NON_NEGATIVE_AMOUNTS = (
    "total_assets",
    "current_assets",
    "cash",
    "receivables",
    "inventory",
    "sales",
)
PAYMENT_COLUMNS = ("company_ref", "month", "amount_paid", "amount_overdue", "days_beyond_terms")
PAYMENT_OPTIONAL = ("currency",)
EVENT_COLUMNS = ("company_ref", "date", "type", "severity", "description")


def parse_import_date(value: str) -> dt.date:
    """A date as ``kit.time.parse_date`` reads it, from the year 1800 on."""
    date = parse_date(value)
    if date.year < MIN_YEAR:
        raise ValidationFailed(f"{value!r} is before {MIN_YEAR}")
    return date


def parse_import_month(value: str) -> dt.date:
    """``YYYY-MM`` or a date, as the first day of its month, from the year 1800 on."""
    month = parse_month(value)
    if month.year < MIN_YEAR:
        raise ValidationFailed(f"{value!r} is before {MIN_YEAR}")
    return month


def parse_status(value: str) -> str:
    try:
        return CompanyStatus(value.lower()).value
    except ValueError:
        allowed = ", ".join(s.value for s in CompanyStatus)
        raise ValidationFailed(f"unknown status {value!r}; expected one of {allowed}") from None


def parse_id_type(value: str) -> str:
    try:
        return IdType(value.lower()).value
    except ValueError:
        allowed = ", ".join(t.value for t in IdType)
        raise ValidationFailed(f"unknown id_type {value!r}; expected one of {allowed}") from None


def parse_event_type(value: str) -> str:
    try:
        return EventType(value.lower()).value
    except ValueError:
        allowed = ", ".join(t.value for t in EventType)
        raise ValidationFailed(f"unknown event type {value!r}; expected one of {allowed}") from None


def parse_severity(value: str) -> str:
    if value in SEVERITY_BY_NUMBER:
        return SEVERITY_BY_NUMBER[value].value
    try:
        return Severity(value.lower()).value
    except ValueError:
        raise ValidationFailed(
            f"unknown severity {value!r}; expected low, medium, high, critical or 1-4"
        ) from None


def normalise_description(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed: how descriptions are compared."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def event_dedupe_key(date: dt.date, event_type: str, description: str) -> str:
    """sha256 of (date, type, normalised description): the same event imported twice is one."""
    payload = f"{date.isoformat()}\x1f{event_type}\x1f{normalise_description(description)}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _ref(checks: cols.Checks) -> pl.Series:
    return cols.text(checks, "company_ref", required=True, max_length=REF_LENGTH)


def _currency(checks: cols.Checks, *, required: bool) -> tuple[pl.Series, pl.Series]:
    currency = cols.mapped(
        checks, "currency", parse=normalize_currency, dtype=pl.Utf8, required=required
    )
    exponent, _ = cols.map_distinct(currency, currency_exponent, dtype=pl.Int64)
    return currency, exponent


# --- companies -----------------------------------------------------------------------------------


def parse_companies(checks: cols.Checks) -> pl.DataFrame:
    """Typed company rows: ref, names, search key, country, sector, founded, employees, status,
    id_type and registration_id (both null when not given)."""
    ref = _ref(checks)
    name = cols.text(checks, "name", required=True, max_length=NAME_LENGTH)
    name_latin = cols.text(checks, "name_latin", required=False, max_length=NAME_LENGTH)
    country = cols.mapped(checks, "country", parse=parse_country, dtype=pl.Utf8, required=True)
    sector = cols.mapped(checks, "sector", parse=parse_nace, dtype=pl.Utf8, required=False)
    founded = cols.mapped(checks, "founded", parse=parse_import_date, dtype=pl.Date, required=False)
    employees = cols.integer(checks, "employees", required=False, minimum=0, maximum=MAX_EMPLOYEES)
    status = cols.mapped(checks, "status", parse=parse_status, dtype=pl.Utf8, required=False)
    id_type, registration_id = _identifiers(checks)
    full_name = pl.select(
        pl.concat_str([name, name_latin.fill_null("")], separator=" ").str.strip_chars()
    ).to_series()
    keys, _ = cols.map_distinct(full_name, lambda n: search_key(n)[:600], dtype=pl.Utf8)
    frame = pl.DataFrame(
        {
            ROW: checks.frame[ROW],
            "ref": ref,
            "name": name,
            "name_latin": name_latin,
            "search_key": keys,
            "country": country,
            "sector": sector,
            "founded": founded,
            "employees": employees,
            "status": status,
            "id_type": id_type,
            "registration_id": registration_id,
        }
    )
    cols.duplicates(checks, frame.select("ref"), column="company_ref", label="company_ref")
    cols.duplicates(
        checks,
        frame.select("id_type", "registration_id"),
        column="registration_id",
        label="registration_id",
    )
    return frame


def _identifiers(checks: cols.Checks) -> tuple[pl.Series, pl.Series]:
    """(id_type, normalised value): both or neither must be given; values checked by type."""
    given_type = cols.raw(checks.frame, "id_type")
    given_value = cols.raw(checks.frame, "registration_id")
    checks.add(
        given_type.is_not_null() & given_value.is_null(),
        "registration_id",
        "registration_id is required when id_type is given",
    )
    checks.add(
        given_value.is_not_null() & given_type.is_null(),
        "id_type",
        "id_type is required when registration_id is given",
    )
    id_type = cols.mapped(checks, "id_type", parse=parse_id_type, dtype=pl.Utf8, required=False)
    both = id_type.is_not_null() & given_value.is_not_null()
    pair = pl.select(
        pl.when(both).then(pl.concat_str([id_type, given_value], separator="\x1f"))
    ).to_series()

    def check(text: str) -> str:
        kind, value = text.split("\x1f", 1)
        return validate_identifier(kind, value)[1]

    value = cols.mapped(
        checks, "registration_id", parse=check, dtype=pl.Utf8, required=False, values=pair
    )
    keep = value.is_not_null()
    id_type = pl.select(pl.when(keep).then(id_type)).to_series().alias("id_type")
    return id_type, value.alias("registration_id")


# --- financial statements ------------------------------------------------------------------------


def parse_financials(checks: cols.Checks) -> pl.DataFrame:
    """Typed statements in integer minor units, checked for sign and balance."""
    ref = _ref(checks)
    year_end = cols.mapped(
        checks, "fiscal_year_end", parse=parse_import_date, dtype=pl.Date, required=True
    )
    currency, exponent = _currency(checks, required=True)
    data: dict[str, pl.Series] = {
        ROW: checks.frame[ROW],
        "ref": ref,
        "fiscal_year_end": year_end,
        "currency": currency,
    }
    for name in FINANCIAL_AMOUNTS + FINANCIAL_OPTIONAL:
        data[name] = cols.minor_units(
            checks,
            name,
            currency=currency,
            exponent=exponent,
            required=name in FINANCIAL_AMOUNTS,
            non_negative=name in NON_NEGATIVE_AMOUNTS,
        )
    frame = pl.DataFrame(data)
    _balance_rules(checks, frame)
    cols.duplicates(
        checks, frame.select("ref", "fiscal_year_end"), column="fiscal_year_end",
        label="company_ref / fiscal_year_end",
    )  # fmt: skip
    return frame


def _balance_rules(checks: cols.Checks, frame: pl.DataFrame) -> None:
    """Current assets within total assets; liabilities + equity within 1% of total assets."""
    wide = frame.select(
        "currency",
        ta=pl.col("total_assets").cast(pl.Int128),
        ca=pl.col("current_assets").cast(pl.Int128),
        tl_e=pl.col("total_liabilities").cast(pl.Int128) + pl.col("equity").cast(pl.Int128),
    ).with_columns(absgap=(pl.col("tl_e") - pl.col("ta")).abs())
    over = (wide["ca"] > wide["ta"]) & (wide["ta"] >= 0)
    checks.add(
        over,
        "current_assets",
        _messages(wide, over, "current_assets {ca} exceed total_assets {ta}"),
    )
    # |gap| * 100 > total assets, in integers: |gap| > floor(total assets / 100).
    off = (wide["ta"] >= 0) & (wide["absgap"] > wide["ta"] // 100)
    checks.add(
        off,
        "total_assets",
        _messages(
            wide,
            off,
            "total_liabilities + equity ({tl_e}) differs from total_assets ({ta}) by more than 1%",
        ),
    )


def _messages(wide: pl.DataFrame, mask: pl.Series, template: str) -> pl.Series:
    """``template`` filled with decimal amounts for the rows in ``mask`` (null elsewhere)."""
    out: list[str | None] = [None] * wide.height
    for index in mask.fill_null(False).arg_true().to_list():
        record = wide.row(index, named=True)
        currency = record["currency"]
        amounts = {
            k: str(from_minor(int(v), currency)) if v is not None else "?"
            for k, v in record.items()
            if k != "currency"
        }
        out[index] = template.format(**amounts)
    return pl.Series(out, dtype=pl.Utf8)


# --- payment experience --------------------------------------------------------------------------


def parse_payments(checks: cols.Checks) -> pl.DataFrame:
    """Typed payment months; amounts are read once the currency is known (``parse_amounts``)."""
    ref = _ref(checks)
    month = cols.mapped(checks, "month", parse=parse_import_month, dtype=pl.Date, required=True)
    currency = cols.mapped(
        checks, "currency", parse=normalize_currency, dtype=pl.Utf8, required=False
    )
    days = cols.integer(checks, "days_beyond_terms", required=True, minimum=0, maximum=MAX_DAYS)
    frame = pl.DataFrame(
        {ROW: checks.frame[ROW], "ref": ref, "month": month, "currency": currency,
         "days_beyond_terms": days.cast(pl.Int64)}
    )  # fmt: skip
    cols.duplicates(
        checks, frame.select("ref", "month"), column="month", label="company_ref / month"
    )
    return frame


def parse_payment_amounts(checks: cols.Checks, frame: pl.DataFrame) -> pl.DataFrame:
    """Add amount_paid and amount_overdue in the rows' (resolved) currency."""
    exponent, _ = cols.map_distinct(frame["currency"], currency_exponent, dtype=pl.Int64)
    amounts = {
        name: cols.minor_units(
            checks, name, currency=frame["currency"], exponent=exponent, required=True,
            non_negative=True,
        )
        for name in ("amount_paid", "amount_overdue")
    }  # fmt: skip
    return frame.with_columns(**amounts)


# --- events --------------------------------------------------------------------------------------


def parse_events(checks: cols.Checks) -> pl.DataFrame:
    """Typed events with their dedupe key."""
    ref = _ref(checks)
    date = cols.mapped(checks, "date", parse=parse_import_date, dtype=pl.Date, required=True)
    event_type = cols.mapped(checks, "type", parse=parse_event_type, dtype=pl.Utf8, required=True)
    severity = cols.mapped(checks, "severity", parse=parse_severity, dtype=pl.Utf8, required=True)
    description = cols.text(
        checks, "description", required=False, max_length=DESCRIPTION_LENGTH
    ).fill_null("")
    keyed = pl.DataFrame({"d": date, "t": event_type, "x": description})
    dedupe = pl.Series(
        "dedupe_key",
        [
            event_dedupe_key(d, t, x) if d is not None and t is not None else None
            for d, t, x in keyed.iter_rows()
        ],
        dtype=pl.Utf8,
    )
    same = pl.Series("description", [normalise_description(x) for x in description.to_list()])
    frame = pl.DataFrame(
        {ROW: checks.frame[ROW], "ref": ref, "date": date, "type": event_type,
         "severity": severity, "description": description, "dedupe_key": dedupe}
    )  # fmt: skip
    key = pl.DataFrame({"ref": ref, "date": date, "type": event_type, "description": same})
    cols.duplicates(
        checks, key, column="description", label="event (company_ref / date / type / description)"
    )
    return frame
