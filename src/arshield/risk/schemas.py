"""Response and request bodies for grades."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from arshield.risk.backtest import Backtest
from arshield.risk.domain import Grade, RunSummary


class ReasonOut(BaseModel):
    code: str
    factor: str
    contribution: float = Field(
        description="Log-odds of default this factor adds (+) or removes (-)."
    )
    text: str


class GradeOut(BaseModel):
    company_id: uuid.UUID
    company_ref: str
    as_of: dt.date
    model_version: str
    score: int = Field(ge=1, le=100, description="1 (default) to 100 (lowest risk).")
    grade: int = Field(ge=1, le=10, description="1 exceptional ... 10 insolvent or in default.")
    label: str
    pd: float = Field(description="One-year probability of default of the grade (master scale).")
    confidence: str
    reasons: list[ReasonOut]
    data_quality: dict[str, Any]
    source: str = Field(description="stored (from a grading run) or computed (live).")

    @classmethod
    def of(cls, grade: Grade) -> GradeOut:
        return cls(
            company_id=grade.company_id,
            company_ref=grade.company_ref,
            as_of=grade.as_of,
            model_version=grade.model_version,
            score=grade.score,
            grade=grade.grade,
            label=grade.label,
            pd=grade.pd,
            confidence=grade.confidence,
            reasons=[
                ReasonOut(code=r.code, factor=r.factor, contribution=r.contribution, text=r.text)
                for r in grade.reasons
            ],
            data_quality=grade.data_quality,
            source=grade.source,
        )


class GradeRunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    as_of: dt.date | None = Field(default=None, description="Defaults to today (UTC).")


class RunSummaryOut(BaseModel):
    as_of: dt.date
    model_version: str
    graded: int
    by_grade: dict[int, int]
    seconds: float
    step_seconds: dict[str, float]

    @classmethod
    def of(cls, summary: RunSummary) -> RunSummaryOut:
        return cls(
            as_of=summary.as_of,
            model_version=summary.model_version,
            graded=summary.graded,
            by_grade=summary.by_grade,
            seconds=summary.seconds,
            step_seconds=summary.step_seconds,
        )


class GradeBandOut(BaseModel):
    grade: int
    label: str
    pd: float
    pd_from: float
    pd_to: float


class BacktestGradeOut(BaseModel):
    grade: int
    buyers: int
    defaults: int
    default_rate: float
    pd: float = Field(description="The grade's master-scale PD, for comparison.")


class BacktestOut(BaseModel):
    as_of: dt.date
    buyers: int
    defaults: int
    auc: float
    gini: float
    monotone: bool = Field(description="The default rate never falls from a grade to a worse one.")
    by_grade: list[BacktestGradeOut]

    @classmethod
    def of(cls, result: Backtest, *, as_of: dt.date) -> BacktestOut:
        return cls(
            as_of=as_of,
            buyers=result.buyers,
            defaults=result.defaults,
            auc=result.auc,
            gini=result.gini,
            monotone=result.monotone,
            by_grade=[
                BacktestGradeOut(
                    grade=r.grade,
                    buyers=r.buyers,
                    defaults=r.defaults,
                    default_rate=r.default_rate,
                    pd=r.pd,
                )
                for r in result.by_grade
            ],
        )
