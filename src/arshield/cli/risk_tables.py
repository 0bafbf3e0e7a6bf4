"""``arshield risk``: country and sector risk tables."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer

from arshield.cli.common import OutputFormat, emit_rows, handle_errors, transaction
from arshield.kit.time import parse_date, today
from arshield.risk.tables import service
from arshield.risk.tables.domain import iso_country_names

if TYPE_CHECKING:
    from arshield.risk.models import CountryRisk, SectorRisk

app = typer.Typer(help="Country and sector risk tables.", no_args_is_help=True)
country_app = typer.Typer(
    help="Country risk: short-term level 1-4, medium-term grade AA-D.", no_args_is_help=True
)
sector_app = typer.Typer(
    help="Sector risk per NACE section: low, medium, sensitive, high.", no_args_is_help=True
)
app.add_typer(country_app, name="country")
app.add_typer(sector_app, name="sector")

COUNTRY_COLUMNS = [
    "country",
    "name",
    "short_term",
    "medium_term",
    "valid_from",
    "valid_to",
    "changed_by",
    "reason",
]
SECTOR_COLUMNS = ["section", "name", "risk", "valid_from", "valid_to", "changed_by", "reason"]

FormatOption = Annotated[
    OutputFormat, typer.Option("--format", help="Output as a table, JSON or CSV.")
]
AS_OF_HELP = "Date to read the ratings for, YYYY-MM-DD (default: today, UTC)."


def _as_of(text: str | None) -> dt.date:
    return parse_date(text) if text else today()


def _country_row(row: CountryRisk) -> dict[str, Any]:
    return {
        "country": row.country,
        "name": iso_country_names().get(row.country, row.country),
        "short_term": row.short_term,
        "medium_term": row.medium_term,
        "valid_from": row.valid_from.isoformat(),
        "valid_to": None if row.valid_to is None else row.valid_to.isoformat(),
        "changed_by": row.changed_by,
        "reason": row.reason,
    }


def _sector_row(row: SectorRisk) -> dict[str, Any]:
    return {
        "section": row.section,
        "name": service.section_name(row.section),
        "risk": row.risk,
        "valid_from": row.valid_from.isoformat(),
        "valid_to": None if row.valid_to is None else row.valid_to.isoformat(),
        "changed_by": row.changed_by,
        "reason": row.reason,
    }


def _show(row: dict[str, Any], *, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(row, ensure_ascii=False, indent=2) + "\n")
        return
    for key, value in row.items():
        typer.echo(f"{key:<12} {'' if value is None else value}")


@app.command("load-defaults")
@handle_errors
def load_defaults(
    effective_from: str = typer.Option(
        "2000-01-01", "--effective-from", help="Start date of the default rows."
    ),
) -> None:
    """Load the shipped default ratings for every country and sector not yet rated."""
    start = parse_date(effective_from)
    with transaction() as session:
        inserted = service.load_defaults(session, effective_from=start)
    typer.echo(f"inserted {inserted} default ratings")


# Countries -------------------------------------------------------------------------------------


@country_app.command("list")
@handle_errors
def country_list(
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """List every country's rating in force."""
    day = _as_of(as_of)
    with transaction() as session:
        rows = [_country_row(r) for r in service.list_countries(session, as_of=day)]
    emit_rows(rows, columns=COUNTRY_COLUMNS, fmt=fmt, title=f"Country risk as of {day}")


@country_app.command("show")
@handle_errors
def country_show(
    code: str = typer.Argument(..., help="ISO 3166-1 alpha-2 code, e.g. CN."),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one country's rating in force."""
    day = _as_of(as_of)
    with transaction() as session:
        row = _country_row(service.get_country(session, country=code, as_of=day))
    _show(row, as_json=as_json)


@country_app.command("set")
@handle_errors
def country_set(
    code: str = typer.Argument(..., help="ISO 3166-1 alpha-2 code, e.g. CN."),
    short_term: int = typer.Option(..., "--short-term", help="1 (lowest risk) to 4."),
    medium_term: str = typer.Option(..., "--medium-term", help="AA, A, BB, B, C or D."),
    effective_from: str = typer.Option(..., "--effective-from", help="YYYY-MM-DD."),
    reason: str = typer.Option(..., "--reason", help="Why the rating changes."),
    actor: str = typer.Option("cli", "--actor", help="Who makes the change."),
) -> None:
    """Rate a country from a date on (closes the rating in force, keeps history)."""
    start = parse_date(effective_from)
    with transaction() as session:
        row = service.set_country(
            session,
            country=code,
            short_term=short_term,
            medium_term=medium_term,
            effective_from=start,
            reason=reason,
            actor=actor,
        )
        out = _country_row(row)
    typer.echo(
        f"{out['country']}: {out['short_term']}/{out['medium_term']} from {out['valid_from']}"
    )


@country_app.command("history")
@handle_errors
def country_history(
    code: str = typer.Argument(..., help="ISO 3166-1 alpha-2 code, e.g. CN."),
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Every rating a country has had, oldest first."""
    with transaction() as session:
        rows = [_country_row(r) for r in service.country_history(session, country=code)]
    emit_rows(rows, columns=COUNTRY_COLUMNS, fmt=fmt, title=f"History of {code.upper()}")


# Sectors ---------------------------------------------------------------------------------------


@sector_app.command("list")
@handle_errors
def sector_list(
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """List every NACE section's risk level in force."""
    day = _as_of(as_of)
    with transaction() as session:
        rows = [_sector_row(r) for r in service.list_sectors(session, as_of=day)]
    emit_rows(rows, columns=SECTOR_COLUMNS, fmt=fmt, title=f"Sector risk as of {day}")


@sector_app.command("show")
@handle_errors
def sector_show(
    section: str = typer.Argument(..., help="NACE Rev. 2 section letter, A to U."),
    as_of: str | None = typer.Option(None, "--as-of", help=AS_OF_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show one NACE section's risk level in force."""
    day = _as_of(as_of)
    with transaction() as session:
        row = _sector_row(service.get_sector(session, section=section, as_of=day))
    _show(row, as_json=as_json)


@sector_app.command("set")
@handle_errors
def sector_set(
    section: str = typer.Argument(..., help="NACE Rev. 2 section letter, A to U."),
    risk: str = typer.Option(..., "--risk", help="low, medium, sensitive or high."),
    effective_from: str = typer.Option(..., "--effective-from", help="YYYY-MM-DD."),
    reason: str = typer.Option(..., "--reason", help="Why the risk level changes."),
    actor: str = typer.Option("cli", "--actor", help="Who makes the change."),
) -> None:
    """Set a NACE section's risk level from a date on (keeps history)."""
    start = parse_date(effective_from)
    with transaction() as session:
        row = service.set_sector(
            session,
            section=section,
            risk=risk,
            effective_from=start,
            reason=reason,
            actor=actor,
        )
        out = _sector_row(row)
    typer.echo(f"{out['section']}: {out['risk']} from {out['valid_from']}")


@sector_app.command("history")
@handle_errors
def sector_history(
    section: str = typer.Argument(..., help="NACE Rev. 2 section letter, A to U."),
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Every risk level a NACE section has had, oldest first."""
    with transaction() as session:
        rows = [_sector_row(r) for r in service.sector_history(session, section=section)]
    emit_rows(rows, columns=SECTOR_COLUMNS, fmt=fmt, title=f"History of {section.upper()}")
