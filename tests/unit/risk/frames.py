"""Builders of grading-engine input frames for unit tests."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import polars as pl

from arshield.risk.inputs import COMPANY_SCHEMA, EVENT_SCHEMA, STATEMENT_SCHEMA

MONTHLY_PAYMENT_SCHEMA = {
    "company_id": pl.Utf8,
    "month": pl.Date,
    "amount_paid": pl.Int64,
    "amount_overdue": pl.Int64,
    "days_beyond_terms": pl.Int64,
}
SCHEMAS = {
    "companies": COMPANY_SCHEMA,
    "statements": STATEMENT_SCHEMA,
    "payments": MONTHLY_PAYMENT_SCHEMA,
    "events": EVENT_SCHEMA,
}


def frame(kind: str, rows: list[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMAS[kind], orient="row")


def company(cid: str, **overrides: Any) -> dict[str, Any]:
    row = {
        "company_id": cid,
        "company_ref": cid.upper(),
        "country": "DE",
        "sector": "C25.11",
        "founded": dt.date(1990, 1, 1),
        "employees": 500,
        "status": "active",
    }
    row.update(overrides)
    return row


def statement(cid: str, year: int, **overrides: Any) -> dict[str, Any]:
    row = {
        "company_id": cid,
        "fiscal_year_end": dt.date(year, 12, 31),
        "total_assets": 1000,
        "current_assets": 600,
        "current_liabilities": 300,
        "total_liabilities": 400,
        "equity": 600,
        "retained_earnings": 300,
        "ebit": 100,
        "net_income": 70,
        "sales": 1000,
    }
    row.update(overrides)
    return row


EVENT_TYPES = [
    "lawsuit",
    "judgment",
    "payment_incident",
    "tax_arrears",
    "management_change",
    "ownership_change",
    "capital_reduction",
    "other",
    "insolvency_filing",
    "insolvency_opened",
    "default",
]


def random_portfolio(seed: int, n: int = 25) -> dict[str, list[dict[str, Any]]]:
    """Random but valid inputs, including gaps, stale data, future-dated rows and defaults."""
    rng = random.Random(seed)
    companies, statements, payments, events = [], [], [], []
    for i in range(n):
        cid = f"c{i}"
        companies.append(
            company(
                cid,
                country=rng.choice(["DE", "CN", "US", "VE", "ZZ"]),
                sector=rng.choice([None, "C25.11", "F41.20", "G46.90", "D35.11", "K"]),
                founded=rng.choice([None, dt.date(rng.randint(1950, 2026), rng.randint(1, 12), 1)]),
                employees=rng.choice([None, 0, rng.randint(1, 100_000)]),
                status=rng.choice(["active"] * 12 + ["insolvent", "dissolved"]),
            )
        )
        for year in rng.sample(range(2019, 2027), rng.randint(0, 4)):
            ta = rng.randint(1, 10**9)
            tl = rng.randint(0, 2 * ta)
            statements.append(
                statement(
                    cid,
                    year,
                    total_assets=ta,
                    current_assets=rng.randint(0, ta),
                    current_liabilities=rng.randint(0, tl) if tl else 0,
                    total_liabilities=tl,
                    equity=ta - tl,
                    retained_earnings=rng.randint(-ta, ta),
                    ebit=rng.randint(-ta // 2, ta // 2),
                    net_income=rng.randint(-ta // 2, ta // 2),
                    sales=rng.randint(0, 3 * ta),
                )
            )
        for month in rng.sample(range(1, 25), rng.randint(0, 14)):
            year, mon = 2025 + (month - 1) // 12, (month - 1) % 12 + 1
            payments.append(
                {
                    "company_id": cid,
                    "month": dt.date(year, mon, 1),
                    "amount_paid": rng.randint(0, 10**7),
                    "amount_overdue": rng.randint(0, 10**6),
                    "days_beyond_terms": rng.randint(0, 180),
                }
            )
        for _ in range(rng.randint(0, 3)):
            events.append(
                {
                    "company_id": cid,
                    "date": dt.date(2022, 1, 1) + dt.timedelta(days=rng.randint(0, 1800)),
                    "type": rng.choice(EVENT_TYPES[:8] * 4 + EVENT_TYPES[8:]),
                    "severity": rng.choice(["low", "medium", "high", "critical"]),
                }
            )
    return {
        "companies": companies,
        "statements": statements,
        "payments": payments,
        "events": events,
    }
