"""Routes for receivables reports and statements of account (read only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from sqlalchemy import select

from arshield.api.deps import PrincipalDep, SessionDep
from arshield.api.errors import error_responses
from arshield.buyers.models import Company
from arshield.buyers.service import BuyerNotFound
from arshield.kit.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from arshield.kit.time import today
from arshield.orgs import repository as orgs_repository
from arshield.receivables.access import ledger_org
from arshield.receivables.report_render import report_csv
from arshield.receivables.reports import ReportName, ReportRequest, build_report
from arshield.receivables.statement import (
    build_statement,
    statement_csv,
    statement_html,
    statement_rows,
)

router = APIRouter(
    tags=["receivables reports"],
    responses=error_responses(Unauthorized, Forbidden, NotFound, ValidationFailed),
)
OrgRef = Annotated[str | None, Query(max_length=64, description="Seller (insurer staff only).")]


@router.get("/reports/{name}", response_model=None)
def report(
    name: ReportName,
    principal: PrincipalDep,
    session: SessionDep,
    org: OrgRef = None,
    as_of: Annotated[dt.date | None, Query(description="Report date (today).")] = None,
    by: Annotated[
        str, Query(description="aging: buyer, country, currency, grade, invoice")
    ] = "buyer",
    buckets: Annotated[
        str | None, Query(max_length=200, description="aging: e.g. 30,60,90 or labels")
    ] = None,
    currency: Annotated[
        str | None, Query(min_length=3, max_length=3, description="Convert into this currency.")
    ] = None,
    date_from: Annotated[
        dt.date | None, Query(alias="from", description="dso period start")
    ] = None,
    weeks: Annotated[int, Query(ge=1, le=52)] = 13,
    top: Annotated[int, Query(ge=1, le=1000)] = 10,
    buyer: Annotated[str | None, Query(max_length=64, description="Only this company_ref.")] = None,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> Any:
    """Aging, DSO (standard, countback, best possible, ADD, CEI, monthly trend), 13-week cash
    forecast or concentration of the caller's ledger, as JSON or as CSV (the main table)."""
    org_id = ledger_org(session, principal, org)
    company_id = None
    if buyer is not None:
        company_id = session.scalars(select(Company.id).where(Company.ref == buyer)).one_or_none()
        if company_id is None:
            raise BuyerNotFound(f"no buyer with company_ref {buyer!r}")
    result = build_report(
        session,
        org_id,
        name,
        ReportRequest(
            as_of=as_of or today(), by=by, buckets=buckets, currency=currency,
            date_from=date_from, weeks=weeks, top=top, company_id=company_id,
        ),
    )  # fmt: skip
    if format == "csv":
        return PlainTextResponse(report_csv(result), media_type="text/csv; charset=utf-8")
    return result.to_dict()


@router.get("/buyers/{company_ref}/statement", response_model=None)
def statement(
    company_ref: str,
    principal: PrincipalDep,
    session: SessionDep,
    org: OrgRef = None,
    date_from: Annotated[dt.date | None, Query(alias="from")] = None,
    date_to: Annotated[dt.date | None, Query(alias="to")] = None,
    format: Annotated[str, Query(pattern="^(html|csv|json)$")] = "html",
) -> Response:
    """Statement of account of one buyer in the caller's ledger: printable HTML, CSV or JSON."""
    org_id = ledger_org(session, principal, org)
    company = session.scalars(select(Company).where(Company.ref == company_ref)).one_or_none()
    if company is None:
        raise BuyerNotFound(f"no buyer with company_ref {company_ref!r}")
    end = date_to or today()
    seller = orgs_repository.get_org(session, org_id)
    built = build_statement(
        session, org_id, seller=seller.name if seller else "", company_id=company.id,
        date_from=date_from or end.replace(day=1), date_to=end,
    )  # fmt: skip
    if format == "csv":
        return PlainTextResponse(statement_csv(built), media_type="text/csv; charset=utf-8")
    if format == "json":
        return JSONResponse({"company_ref": company_ref, "rows": statement_rows(built)})
    return HTMLResponse(statement_html(built))
