"""The grade model workbench's values and errors. Pure: no database, no web.

A *model version* is one fitted model registered under a name (``NAME@N``, N counting from 1);
its artifact is text (a LightGBM model string or a scorecard's JSON), never a pickle.
"""

from __future__ import annotations

import enum
import math
import re
from dataclasses import dataclass, field
from typing import Any, Final

from arshield.kit.errors import Conflict, NotFound, ValidationFailed

EXPERT: Final = "expert"
NAME_PATTERN: Final = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,47}$")
PLATFORM: Final = "platform"
DEFAULT_SEED: Final = 42
OUTCOME_LABEL: Final = "defaulted_within_12m"


class Algorithm(enum.StrEnum):
    """How a model is fitted."""

    GBM = "gbm"
    SCORECARD = "scorecard"


class TrainingDataError(ValidationFailed):
    """The training or evaluation data cannot be used as it is."""

    error_type = "invalid_training_data"


class ModelNotFound(NotFound):
    """No model version by that name."""

    error_type = "model_not_found"


class ActivationRefused(Conflict):
    """The model cannot grade the platform's buyers."""

    error_type = "activation_refused"


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A model name with an optional version: ``NAME`` (the latest) or ``NAME@N``."""

    name: str
    version: int | None = None

    @classmethod
    def parse(cls, text: str) -> ModelRef:
        """Read ``NAME`` or ``NAME@N``; the name must match ``NAME_PATTERN``."""
        name, sep, number = text.strip().partition("@")
        check_name(name)
        if not sep:
            return cls(name=name)
        if not number.isdigit() or int(number) < 1:
            raise ValidationFailed(f"{text!r}: the version after '@' must be a number from 1")
        return cls(name=name, version=int(number))


def check_name(name: str) -> str:
    """A model name: a letter, then up to 47 letters, digits, ``_``, ``.`` or ``-``."""
    if not NAME_PATTERN.match(name):
        raise ValidationFailed(
            f"{name!r} is not a model name: start with a letter, then up to 47 letters, "
            "digits, '_', '.' or '-'"
        )
    if name.lower() == EXPERT:
        raise ValidationFailed(f"{name!r} names the platform's expert model; choose another name")
    return name


def version_label(name: str, version: int) -> str:
    """The model version as stored grades name it: ``NAME@N``."""
    return f"{name}@{version}"


@dataclass(frozen=True, slots=True)
class Metrics:
    """How well PDs rank and match outcomes on one sample."""

    rows: int
    defaults: int
    auc: float
    gini: float
    ks: float
    brier: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "defaults": self.defaults,
            "auc": self.auc,
            "gini": self.gini,
            "ks": self.ks,
            "brier": self.brier,
        }


@dataclass(frozen=True, slots=True)
class CrossValidation:
    """Stratified K-fold results: one ``Metrics`` per fold and their means."""

    folds: tuple[Metrics, ...]
    seed: int

    @property
    def k(self) -> int:
        return len(self.folds)

    def mean(self, metric: str) -> float:
        """The mean of ``metric`` (``auc``, ``gini``, ``ks`` or ``brier``) over the folds."""
        values = [float(getattr(fold, metric)) for fold in self.folds]
        return sum(values) / len(values)

    def std(self, metric: str) -> float:
        """The sample standard deviation of ``metric`` over the folds."""
        values = [float(getattr(fold, metric)) for fold in self.folds]
        if len(values) < 2:
            return 0.0
        mean = sum(values) / len(values)
        return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


@dataclass(frozen=True, slots=True)
class CalibrationRow:
    """Predicted against observed default rate among the rows one grade holds."""

    grade: int
    rows: int
    defaults: int
    observed_rate: float
    mean_pd: float
    grade_pd: float
    p_value: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "grade": self.grade,
            "rows": self.rows,
            "defaults": self.defaults,
            "observed_rate": self.observed_rate,
            "mean_pd": self.mean_pd,
            "grade_pd": self.grade_pd,
            "p_value": self.p_value,
        }


@dataclass(frozen=True, slots=True)
class ModelCard:
    """What a registered model version records beside its artifact."""

    name: str
    version: int
    algorithm: Algorithm
    features: tuple[str, ...]
    label: str
    data_fingerprint: str
    data_source: str
    rows: int
    defaults: int
    seed: int
    metrics: dict[str, Any]
    library_versions: dict[str, str]
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def label_text(self) -> str:
        return version_label(self.name, self.version)
