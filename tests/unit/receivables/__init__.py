"""Receivables analytics tests: small builders for ledger frames."""

from __future__ import annotations

import datetime as dt
from typing import Any

import polars as pl

from arshield.receivables.frames import BUYERS, DISPUTES, ENTRIES, INVOICES

D = dt.date


def invoices(*rows: tuple[Any, ...]) -> pl.DataFrame:
    """(ref, company_id, issue_date, due_date, currency, amount); invoice_id = "id-" + ref."""
    return pl.DataFrame([(f"id-{r[0]}", *r) for r in rows], schema=INVOICES, orient="row")


def entries(*rows: tuple[Any, ...]) -> pl.DataFrame:
    """(invoice ref, date, amount) allocations; a negative amount is a reversal."""
    return pl.DataFrame(
        [(f"id-{ref}", day, "allocation", amount) for ref, day, amount in rows],
        schema=ENTRIES,
        orient="row",
    )


def disputes(*rows: tuple[Any, ...]) -> pl.DataFrame:
    """(invoice ref, amount, opened_on, resolved_on)."""
    return pl.DataFrame(
        [(f"id-{ref}", amount, opened, resolved) for ref, amount, opened, resolved in rows],
        schema=DISPUTES,
        orient="row",
    )


def buyers(*rows: tuple[Any, ...]) -> pl.DataFrame:
    """(company_id, company_ref, company_name, country, grade)."""
    return pl.DataFrame(list(rows), schema=BUYERS, orient="row")
