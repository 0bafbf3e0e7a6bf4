"""``arshield report NAME``: aging, dso, forecast and concentration of a seller's ledger;
``arshield receivables statement``: a buyer's statement of account."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from sqlalchemy import select

from arshield.buyers.models import Company
from arshield.buyers.service import BuyerNotFound
from arshield.cli.common import OutputFormat, console, emit_rows, handle_errors, transaction
from arshield.kit.time import parse_date, today
from arshield.orgs import service as orgs_service
from arshield.receivables.report_render import report_csv
from arshield.receivables.reports import ReportName, ReportRequest, build_report
from arshield.receivables.statement import build_statement, statement_csv, statement_html


def report_command(
    name: ReportName = typer.Argument(..., help="aging, dso, forecast or concentration."),
    org: str = typer.Option(..., "--org", help="The seller organisation's ref."),
    as_of: str | None = typer.Option(None, "--as-of", help="Report date YYYY-MM-DD (today)."),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", help="table, json or csv."),
    by: str = typer.Option("buyer", "--by", help="aging: buyer, country, currency, grade, invoice"),
    buckets: str | None = typer.Option(None, "--buckets", help="aging: e.g. 30,60,90"),
    currency: str | None = typer.Option(None, "--currency", help="Convert into this currency."),
    date_from: str | None = typer.Option(None, "--from", help="dso: period start (as_of - 89 d)."),
    weeks: int = typer.Option(13, "--weeks", min=1, max=52, help="forecast: weeks ahead."),
    top: int = typer.Option(10, "--top", min=1, max=1000, help="concentration: top N buyers."),
    buyer: str | None = typer.Option(None, "--buyer", help="Only this company_ref."),
) -> None:
    """A receivables report. CSV gives the main table; JSON every table and the FX rates used."""
    with transaction() as session:
        org_id = orgs_service.get_org_by_ref(session, org).id
        company_id = None
        if buyer is not None:
            company_id = session.scalars(
                select(Company.id).where(Company.ref == buyer)
            ).one_or_none()
            if company_id is None:
                raise BuyerNotFound(f"no buyer with company_ref {buyer!r}")
        result = build_report(
            session,
            org_id,
            name,
            ReportRequest(
                as_of=parse_date(as_of) if as_of else today(), by=by, buckets=buckets,
                currency=currency, date_from=parse_date(date_from) if date_from else None,
                weeks=weeks, top=top, company_id=company_id,
            ),
        )  # fmt: skip
    if fmt is OutputFormat.JSON:
        sys.stdout.write(json.dumps(result.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    if fmt is OutputFormat.CSV:
        sys.stdout.write(report_csv(result))
        return
    for table in result.tables:
        emit_rows(table.rows, columns=table.columns, fmt=fmt, title=f"{result.name}: {table.name}")
    for rate in result.rates:
        console.print(
            f"1 {rate['from']} = {rate['rate']} {rate['to']} "
            f"({rate['source']}, {rate['rate_date']})",
            highlight=False,
        )


def statement_command(
    company_ref: str = typer.Argument(...),
    org: str = typer.Option(..., "--org", help="The seller organisation's ref."),
    date_from: str | None = typer.Option(None, "--from", help="YYYY-MM-DD (start of month)."),
    date_to: str | None = typer.Option(None, "--to", help="YYYY-MM-DD (today)."),
    fmt: str = typer.Option("csv", "--format", help="csv or html."),
    out: Path | None = typer.Option(None, "--out", dir_okay=False, help="Write to this file."),
) -> None:
    """A buyer's statement of account: opening balance, transactions, closing, open items."""
    if fmt not in ("csv", "html"):
        raise typer.BadParameter("--format must be csv or html")
    with transaction() as session:
        seller = orgs_service.get_org_by_ref(session, org)
        company = session.scalars(select(Company).where(Company.ref == company_ref)).one_or_none()
        if company is None:
            raise BuyerNotFound(f"no buyer with company_ref {company_ref!r}")
        end = parse_date(date_to) if date_to else today()
        built = build_statement(
            session, seller.id, seller=seller.name, company_id=company.id,
            date_from=parse_date(date_from) if date_from else end.replace(day=1), date_to=end,
        )  # fmt: skip
    text = statement_csv(built) if fmt == "csv" else statement_html(built)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(f"statement written to {out}", highlight=False)
    else:
        sys.stdout.write(text)


def register(app: typer.Typer, receivables_app: typer.Typer) -> None:
    app.command("report")(handle_errors(report_command))
    receivables_app.command("statement")(handle_errors(statement_command))
