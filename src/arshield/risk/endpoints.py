"""Routes for buyer grades and the master scale."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import polars as pl
from fastapi import APIRouter, File, Query, Request, UploadFile

from arshield.api.deps import PrincipalDep, SessionDep
from arshield.api.errors import error_responses
from arshield.kit.errors import (
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    ValidationFailed,
)
from arshield.kit.time import today, utcnow
from arshield.orgs.domain import Action
from arshield.risk import service
from arshield.risk.backtest import backtest
from arshield.risk.master_scale import MASTER_SCALE
from arshield.risk.schemas import (
    BacktestOut,
    GradeBandOut,
    GradeOut,
    GradeRunRequest,
    RunSummaryOut,
)

router = APIRouter(tags=["grades"], responses=error_responses(Unauthorized))


@router.get(
    "/buyers/{buyer_id}/grade", response_model=GradeOut, responses=error_responses(NotFound)
)
def buyer_grade(
    buyer_id: uuid.UUID,
    principal: PrincipalDep,
    session: SessionDep,
    as_of: dt.date | None = Query(
        default=None, description="Grade as of this date (default today)."
    ),
) -> GradeOut:
    """The buyer's grade as of a date: the stored run's grade, or computed live."""
    principal.require(Action.READ_REGISTRY)
    return GradeOut.of(service.get_grade(session, company_id=buyer_id, as_of=as_of or today()))


@router.get(
    "/buyers/{buyer_id}/grade/history",
    response_model=list[GradeOut],
    responses=error_responses(NotFound),
)
def buyer_grade_history(
    buyer_id: uuid.UUID, principal: PrincipalDep, session: SessionDep
) -> list[GradeOut]:
    """Every stored grade of the buyer, oldest first."""
    principal.require(Action.READ_REGISTRY)
    return [GradeOut.of(g) for g in service.grade_history(session, company_id=buyer_id)]


@router.post("/grades/run", response_model=RunSummaryOut, responses=error_responses(Forbidden))
def run_grades(
    body: GradeRunRequest, principal: PrincipalDep, session: SessionDep
) -> RunSummaryOut:
    """Grade every buyer as of a date and store the run (analysts and admins)."""
    principal.require(Action.RUN_GRADING)
    summary = service.run_grading(session, as_of=body.as_of or today(), now=utcnow())
    return RunSummaryOut.of(summary)


@router.get("/master-scale", response_model=list[GradeBandOut])
def master_scale(principal: PrincipalDep) -> list[GradeBandOut]:
    """The grade-to-PD master scale."""
    principal.require(Action.READ_REGISTRY)
    return [
        GradeBandOut(grade=b.grade, label=b.label, pd=b.pd, pd_from=b.pd_from, pd_to=b.pd_to)
        for b in MASTER_SCALE
    ]


@router.post(
    "/grades/backtest",
    response_model=BacktestOut,
    responses=error_responses(Forbidden, ValidationFailed),
)
def backtest_grades(
    request: Request,
    outcomes: Annotated[UploadFile, File(description="CSV: company_ref,defaulted_within_12m")],
    principal: PrincipalDep,
    session: SessionDep,
    as_of: dt.date | None = Query(default=None, description="Grades as of this date."),
) -> BacktestOut:
    """Default rate by grade, AUC and Gini of the grades of a day against realised outcomes."""
    principal.require(Action.RUN_GRADING)
    limit: int = request.app.state.settings.max_upload_bytes
    data = outcomes.file.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"outcomes file over {limit} bytes")
    try:
        labels = pl.read_csv(data, infer_schema=False)
    except (pl.exceptions.PolarsError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"outcomes: not a readable CSV file ({exc})") from None
    day = as_of or today()
    return BacktestOut.of(backtest(service.export_frame(session, as_of=day), labels), as_of=day)
