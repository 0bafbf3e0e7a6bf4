"""Routes for an organisation's rate table: list, load (JSON rows or a file) and convert.

Every route reads and writes the caller's own organisation's rates only; other organisations'
rates are invisible. Any key of the organisation may load rates (sellers keep their own
treasury rates, the insurer its own).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, Response, UploadFile

from arshield.api.deps import PrincipalDep, SessionDep
from arshield.api.errors import error_responses
from arshield.api.idempotency import IDEMPOTENCY_ERRORS, IdempotencyDep
from arshield.api.uploads import saved_upload
from arshield.fx import service
from arshield.fx.domain import RateError
from arshield.fx.schemas import ConversionOut, FxRateBatch, FxRateOut
from arshield.kit.errors import Forbidden, Unauthorized, ValidationFailed
from arshield.kit.money import MoneyError, parse_minor
from arshield.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from arshield.kit.tabular_schemas import ImportReportOut
from arshield.kit.time import today
from arshield.orgs.domain import Action, Principal

router = APIRouter(tags=["fx rates"], responses=error_responses(Unauthorized, Forbidden))

Currency = Annotated[str | None, Query(min_length=3, max_length=3, description="ISO 4217.")]


def _require(principal: Principal, *, write: bool = False) -> None:
    # Every organisation keeps its own table; reads and writes are scoped to principal.org_id.
    principal.require(Action.WRITE_FX_RATES if write else Action.READ_FX_RATES)


@router.get(
    "/fx-rates", response_model=Page[FxRateOut], responses=error_responses(ValidationFailed)
)
def list_rates(
    principal: PrincipalDep,
    session: SessionDep,
    base: Currency = None,
    quote: Currency = None,
    date_from: Annotated[dt.date | None, Query(description="Earliest date (inclusive).")] = None,
    date_to: Annotated[dt.date | None, Query(description="Latest date (inclusive).")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> Page[FxRateOut]:
    """Your organisation's rates, newest date first, then by pair."""
    _require(principal)
    rows, total = service.list_rates(
        session,
        org_id=principal.org_id,
        base=base,
        quote=quote,
        date_from=date_from,
        date_to=date_to,
        limit=limit,
        offset=offset,
    )
    return Page[FxRateOut](
        items=[FxRateOut.build(r) for r in rows], total=total, limit=limit, offset=offset
    )


@router.post(
    "/fx-rates:batch",
    response_model=ImportReportOut,
    responses={**IDEMPOTENCY_ERRORS, **error_responses(service.RatesRejected)},
)
def load_rates(
    body: FxRateBatch, principal: PrincipalDep, idem: IdempotencyDep, session: SessionDep
) -> Response:
    """Load rate rows all or nothing. 422 ``import_rejected`` with the report (each error's
    ``row`` is the 1-based position in ``rows``) when any row is rejected."""
    _require(principal, write=True)
    if (replay := idem.replay(principal, body)) is not None:
        return replay
    rows = [r.model_dump() for r in body.rows]
    report = service.import_rows(session, org_id=principal.org_id, rows=rows)
    return idem.respond(session, ImportReportOut.model_validate(report.to_dict()))


@router.post(
    "/fx-rates/import",
    response_model=ImportReportOut,
    responses={**IDEMPOTENCY_ERRORS, **error_responses(service.RatesRejected)},
)
def import_file(
    request: Request,
    principal: PrincipalDep,
    idem: IdempotencyDep,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="CSV, XLSX, JSON Lines or Parquet file.")],
    partial: Annotated[bool, Query(description="Write the good rows even if some fail.")] = False,
) -> Response:
    """Import a rate file (columns date, base, quote, rate, source). 422 ``import_rejected``
    with the report when rows were rejected and nothing was written; ``invalid_file`` when it
    cannot be read."""
    _require(principal, write=True)
    if (replay := idem.replay(principal, file)) is not None:
        return replay
    with saved_upload(request, file) as (path, _name, limit):
        report = service.import_rates(
            session, org_id=principal.org_id, path=path, max_bytes=limit, partial=partial
        )
    return idem.respond(session, ImportReportOut.model_validate(report.to_dict()))


@router.get(
    "/fx-rates/convert",
    response_model=ConversionOut,
    responses=error_responses(service.RateMissing, RateError, MoneyError),
)
def convert(
    principal: PrincipalDep,
    session: SessionDep,
    amount: Annotated[str, Query(max_length=64, description="Decimal string, e.g. 1234.50.")],
    from_currency: Annotated[str, Query(alias="from", min_length=3, max_length=3)],
    to_currency: Annotated[str, Query(alias="to", min_length=3, max_length=3)],
    on: Annotated[dt.date | None, Query(description="Date of the rate (default: today).")] = None,
    max_age_days: Annotated[
        int, Query(ge=0, le=service.MAX_AGE_LIMIT, description="Oldest usable rate, in days.")
    ] = service.DEFAULT_MAX_AGE_DAYS,
) -> ConversionOut:
    """Convert ``amount`` of ``from`` into ``to`` at your rate in force on ``on``, half-even to
    the target currency's minor unit; the answer carries the rate and the date it used."""
    _require(principal)
    minor = parse_minor(amount, from_currency)
    conversion = service.convert(
        session,
        org_id=principal.org_id,
        amount_minor=minor,
        currency=from_currency,
        to_currency=to_currency,
        on=on or today(),
        max_age_days=max_age_days,
    )
    return ConversionOut.build(conversion)
