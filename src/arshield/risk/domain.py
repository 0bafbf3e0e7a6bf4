"""Grades as the platform reports them. Pure values: no database, no web."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from typing import Any

from arshield.risk.master_scale import MASTER_SCALE
from arshield.risk.reasons import reason_text


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason code with its log-odds contribution (positive raises risk)."""

    code: str
    factor: str
    contribution: float

    @property
    def text(self) -> str:
        return reason_text(self.code)


@dataclass(frozen=True, slots=True)
class Grade:
    """A buyer's grade as of a date."""

    company_id: uuid.UUID
    company_ref: str
    as_of: dt.date
    model_version: str
    score: int
    grade: int
    pd: float
    confidence: str
    reasons: tuple[Reason, ...]
    data_quality: dict[str, Any] = field(default_factory=dict)
    source: str = "computed"

    @property
    def label(self) -> str:
        return MASTER_SCALE[self.grade - 1].label


@dataclass(frozen=True, slots=True)
class RunSummary:
    """What a grading run did."""

    as_of: dt.date
    model_version: str
    graded: int
    by_grade: dict[int, int]
    seconds: float
    step_seconds: dict[str, float] = field(default_factory=dict)
