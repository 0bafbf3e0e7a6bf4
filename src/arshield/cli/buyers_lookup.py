"""``arshield buyers search | show | match``: read the buyer registry."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Annotated, Any

import typer
from rich.table import Table

from arshield.buyers import service
from arshield.buyers.models import Company, CompanyIdentifier
from arshield.buyers.schemas import BuyerDetail
from arshield.cli.common import OutputFormat, console, emit_rows, handle_errors, transaction
from arshield.kit.pagination import DEFAULT_LIMIT
from arshield.kit.time import parse_date, today

SEARCH_COLUMNS = ["company_ref", "name", "name_latin", "country", "status", "identifiers", "id"]
MATCH_COLUMNS = ["score", "company_ref", "name", "name_latin", "country", "match_reasons"]


def _row(
    company: Company, identifiers: Sequence[CompanyIdentifier], fmt: OutputFormat
) -> dict[str, Any]:
    """A listing row; JSON keeps identifiers structured, tables and CSV show ``type:value``."""
    ids: Any = (
        [{"id_type": i.id_type.value, "value": i.value} for i in identifiers]
        if fmt is OutputFormat.JSON
        else " ".join(f"{i.id_type.value}:{i.value}" for i in identifiers)
    )
    return {
        "company_ref": company.ref,
        "name": company.name,
        "name_latin": company.name_latin,
        "country": company.country,
        "status": company.status.value,
        "identifiers": ids,
        "id": str(company.id),
    }


@handle_errors
def search(
    query: str | None = typer.Argument(None, help="Name (Chinese, pinyin, Latin), ref or id."),
    country: str | None = typer.Option(None, "--country", help="ISO alpha-2 country code."),
    identifier: str | None = typer.Option(None, "--identifier", help="Exact identifier value."),
    limit: int = typer.Option(DEFAULT_LIMIT, "--limit", help="At most this many (1-500)."),
    offset: int = typer.Option(0, "--offset"),
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Search the registry by name, company_ref or identifier."""
    with transaction() as session:
        companies, total = service.search_companies(
            session, q=query, country=country, identifier=identifier, limit=limit, offset=offset
        )
        identifiers = service.identifiers_of(session, company_ids=[c.id for c in companies])
        rows = [_row(c, identifiers.get(c.id, []), fmt) for c in companies]
    title = f"Buyers {offset + 1}-{offset + len(rows)} of {total}" if rows else "No buyers found"
    emit_rows(rows, columns=SEARCH_COLUMNS, fmt=fmt, title=title)


@handle_errors
def show(
    company_ref: str = typer.Argument(..., help="The buyer's company_ref."),
    as_json: bool = typer.Option(False, "--json", help="Print the full record as JSON."),
    as_of: str | None = typer.Option(
        None, "--as-of", help="Payment window ends with this date's month (default today)."
    ),
) -> None:
    """Show one buyer: identifiers, financial statements, payment experience, events."""
    as_of_date = parse_date(as_of) if as_of else today()
    with transaction() as session:
        company = service.get_company_by_ref(session, ref=company_ref)
        detail = BuyerDetail.from_detail(
            service.company_detail(session, company_id=company.id, as_of=as_of_date)
        )
    if as_json:
        sys.stdout.write(detail.model_dump_json(indent=2) + "\n")
        return
    _print_detail(detail)


def _print_detail(detail: BuyerDetail) -> None:
    latin = f" / {detail.name_latin}" if detail.name_latin else ""
    console.print(f"[bold]{detail.name}{latin}[/bold]  ({detail.company_ref})", highlight=False)
    console.print(
        f"country {detail.country}  sector {detail.sector or '-'}  status {detail.status.value}"
        f"  founded {detail.founded or '-'}  employees {detail.employees or '-'}",
        highlight=False,
    )
    ids = " ".join(f"{i.id_type.value}:{i.value}" for i in detail.identifiers)
    console.print(f"identifiers {ids or '-'}", highlight=False)
    statements = Table(title="Financial statements")
    for col in ("year end", "currency", "total assets", "equity", "sales", "net income"):
        statements.add_column(col, justify="right")
    for st in detail.financial_statements:
        statements.add_row(
            str(st.fiscal_year_end),
            st.currency,
            st.total_assets,
            st.equity,
            st.sales,
            st.net_income,
        )
    console.print(statements)
    window = f"{detail.payment_experience_from} to {detail.payment_experience_to}"
    payments = Table(title=f"Payment experience {window}")
    for col in ("month", "currency", "paid", "overdue", "days beyond terms"):
        payments.add_column(col, justify="right")
    for pe in detail.payment_experience:
        payments.add_row(
            pe.month, pe.currency, pe.amount_paid, pe.amount_overdue, str(pe.days_beyond_terms)
        )
    console.print(payments)
    events = Table(title="Events (newest first)")
    for col in ("date", "type", "severity", "description"):
        events.add_column(col)
    for ev in detail.events:
        events.add_row(str(ev.date), ev.type.value, ev.severity.value, ev.description)
    console.print(events)


@handle_errors
def match(
    name: str = typer.Argument(..., help="The buyer's name as you know it."),
    country: str | None = typer.Option(None, "--country", help="ISO alpha-2 country code."),
    registration_id: str | None = typer.Option(None, "--registration-id"),
    id_type: str | None = typer.Option(None, "--id-type", help="uscc, lei, vat, duns, ..."),
    limit: int = typer.Option(5, "--limit", help="At most this many candidates (1-50)."),
    fmt: Annotated[OutputFormat, typer.Option("--format")] = OutputFormat.TABLE,
) -> None:
    """Ranked registry candidates for a buyer, with a score 0-100 and the reasons."""
    with transaction() as session:
        candidates = service.match_companies(
            session,
            name=name,
            country=country,
            identifier=registration_id,
            id_type=id_type,
            limit=limit,
        )
        rows = [
            {
                "score": c.score,
                "match_reasons": (
                    [r.value for r in c.match_reasons]
                    if fmt is OutputFormat.JSON
                    else " ".join(r.value for r in c.match_reasons)
                ),
                **_row(c.company, c.identifiers, fmt),
            }
            for c in candidates
        ]
    emit_rows(rows, columns=[*MATCH_COLUMNS, "identifiers"], fmt=fmt, title="Match candidates")


def register(app: typer.Typer) -> None:
    """Add ``search``, ``show`` and ``match`` to ``app``."""
    app.command("search")(search)
    app.command("show")(show)
    app.command("match")(match)
