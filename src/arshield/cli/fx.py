"""``arshield fx``: load, list and use an organisation's foreign-exchange rate table."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from arshield.cli.buyers_import import ReportFormat, show_report
from arshield.cli.common import (
    OutputFormat,
    console,
    emit_rows,
    handle_errors,
    option_date,
    transaction,
)
from arshield.fx import service
from arshield.fx.schemas import ConversionOut
from arshield.kit.money import parse_minor
from arshield.orgs import service as orgs_service

app = typer.Typer(help="Foreign-exchange rate tables of an organisation.", no_args_is_help=True)

DEFAULT_MAX_BYTES = 1024**3
LIST_COLUMNS = ["date", "base", "quote", "rate", "source", "updated_at"]


@app.command("import")
@handle_errors
def import_file(
    file: Path = typer.Argument(
        ...,
        exists=True,
        dir_okay=False,
        readable=True,
        help="CSV (UTF-8 or GBK/GB18030; , ; or tab), .xlsx, .jsonl/.ndjson or .parquet.",
    ),
    org: str = typer.Option(..., "--org", help="Organisation reference whose table to load."),
    partial: bool = typer.Option(
        False, "--partial", help="Write the good rows even when some are rejected."
    ),
    rejects: Path | None = typer.Option(
        None, "--rejects", dir_okay=False, help="Write rejected rows and reasons to this CSV."
    ),
    fmt: ReportFormat = typer.Option(ReportFormat.TABLE, "--format", help="table or json."),
    max_bytes: int = typer.Option(DEFAULT_MAX_BYTES, "--max-bytes", min=1, help="File size limit."),
) -> None:
    """Load rates (date,base,quote,rate[,source]); all or nothing unless --partial.

    Exits 1 when any row was rejected.
    """
    try:
        with transaction() as session:
            org_id = orgs_service.get_org_by_ref(session, org).id
            report = service.import_rates(
                session,
                org_id=org_id,
                path=file,
                max_bytes=max_bytes,
                partial=partial,
                rejects=rejects,
            )
    except service.RatesRejected as exc:
        report = exc.report
    show_report(report, fmt=fmt, rejects=rejects)
    if report.rejected:
        raise typer.Exit(code=1)


@app.command("list")
@handle_errors
def list_rates(
    org: str = typer.Option(..., "--org", help="Organisation reference."),
    base: str | None = typer.Option(None, "--base", help="Only this base currency."),
    quote: str | None = typer.Option(None, "--quote", help="Only this quote currency."),
    date_from: str | None = typer.Option(None, "--from", help="Earliest date (YYYY-MM-DD)."),
    date_to: str | None = typer.Option(None, "--to", help="Latest date (YYYY-MM-DD)."),
    limit: int | None = typer.Option(None, "--limit", min=1, help="At most this many rows."),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format", help="table, json or csv."),
) -> None:
    """List the organisation's rates, newest date first."""
    with transaction() as session:
        org_id = orgs_service.get_org_by_ref(session, org).id
        rows, _total = service.list_rates(
            session,
            org_id=org_id,
            base=base,
            quote=quote,
            date_from=option_date(date_from, "--from"),
            date_to=option_date(date_to, "--to"),
            limit=limit,
        )
        records = [
            {
                "date": r.date.isoformat(),
                "base": r.base,
                "quote": r.quote,
                "rate": r.rate,
                "source": r.source,
                "updated_at": (r.updated_at or r.created_at).isoformat(),
            }
            for r in rows
        ]
    emit_rows(records, columns=LIST_COLUMNS, fmt=fmt, title=f"FX rates of {org}")


@app.command("convert")
@handle_errors
def convert(
    amount: str = typer.Argument(..., metavar="AMOUNT", help="Decimal amount, e.g. 1234.50."),
    from_currency: str = typer.Argument(..., metavar="FROM", help="ISO 4217 code of the amount."),
    to_currency: str = typer.Argument(..., metavar="TO", help="ISO 4217 code to convert into."),
    on: str = typer.Option(..., "--on", help="Date of the rate (YYYY-MM-DD)."),
    org: str = typer.Option(..., "--org", help="Organisation reference whose table to use."),
    max_age_days: int = typer.Option(
        service.DEFAULT_MAX_AGE_DAYS, "--max-age-days", min=0, help="Oldest usable rate, in days."
    ),
    fmt: ReportFormat = typer.Option(ReportFormat.TABLE, "--format", help="table or json."),
) -> None:
    """Convert AMOUNT from FROM into TO at the rate in force on --on (half-even)."""
    on_date = option_date(on, "--on")
    assert on_date is not None
    with transaction() as session:
        org_id = orgs_service.get_org_by_ref(session, org).id
        conversion = service.convert(
            session,
            org_id=org_id,
            amount_minor=parse_minor(amount, from_currency),
            currency=from_currency,
            to_currency=to_currency,
            on=on_date,
            max_age_days=max_age_days,
        )
    out = ConversionOut.build(conversion)
    if fmt is ReportFormat.JSON:
        sys.stdout.write(out.model_dump_json(indent=2) + "\n")
        return
    inverse = " (inverse of the stored rate)" if out.inverted else ""
    console.print(
        f"{out.amount} {out.currency} = {out.converted} {out.to_currency}\n"
        f"rate {out.rate} dated {out.rate_date} from {out.source}{inverse}",
        highlight=False,
    )
