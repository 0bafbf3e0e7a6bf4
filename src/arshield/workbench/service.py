"""Workbench use cases: train, save, evaluate, list, show, activate and compare grade models;
the active model as the grading engine uses it; ``grade_of`` for other areas.

Services never commit; the caller (CLI command, API request) owns the transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import numpy as np
import polars as pl
from sqlalchemy.orm import Session

from arshield.kit.errors import ValidationFailed
from arshield.kit.tabular import ROW, TableError, read_table
from arshield.kit.time import check_as_of
from arshield.risk import service as risk_service
from arshield.risk.domain import Grade
from arshield.risk.expert import MODEL_VERSION as EXPERT_VERSION
from arshield.risk.expert import build_features, grade_frame
from arshield.workbench import repository
from arshield.workbench.calibration import Platt
from arshield.workbench.datasets import (
    LabelledData,
    check_classes,
    parse_labels,
    read_labelled,
)
from arshield.workbench.domain import (
    EXPERT,
    OUTCOME_LABEL,
    Algorithm,
    CalibrationRow,
    CrossValidation,
    Metrics,
    ModelCard,
    ModelNotFound,
    ModelRef,
    TrainingDataError,
    check_name,
    version_label,
)
from arshield.workbench.features import (
    CATALOGUE,
    PLATFORM_FEATURES,
    Feature,
    check_computable,
    feature_matrix,
)
from arshield.workbench.grading import grade_platform_frame
from arshield.workbench.inputs import features_from, read_bulk, read_for, risk_tables
from arshield.workbench.metrics import calibration_by_grade, delong, measure
from arshield.workbench.models import ModelActivation, ModelVersion
from arshield.workbench.training import (
    OutOfFold,
    TrainedModel,
    cross_validate,
    fit,
    fit_params,
    library_versions,
)

MAX_OUTCOME_BYTES: Final = 512 * 2**20
_CACHE_SIZE: Final = 4


# --- data -------------------------------------------------------------------------------------


def load_file(path: Path, *, label: str | None, id_column: str | None = None) -> LabelledData:
    """Labelled rows from a CSV, Parquet or ARFF file."""
    if not label:
        raise TrainingDataError("--label COLUMN is required with a data file")
    return read_labelled(path, label=label, id_column=id_column)


@dataclass(frozen=True)
class PlatformData:
    """The platform's features as of a day, labelled from an outcomes file."""

    data: LabelledData
    as_of: dt.date
    in_default: int
    without_outcome: int
    unknown_refs: int
    outcomes_sha256: str

    def notes(self) -> dict[str, Any]:
        """What a model trained on these rows records about them."""
        return {
            "as_of": self.as_of.isoformat(),
            "outcomes_sha256": self.outcomes_sha256,
            "excluded_in_default": self.in_default,
            "excluded_without_outcome": self.without_outcome,
            "outcomes_not_in_registry": self.unknown_refs,
        }


def read_outcomes(path: Path, *, label: str) -> pl.DataFrame:
    """``company_ref`` and the 0/1 label from an outcomes file (CSV as demo generate writes)."""
    if not path.is_file():
        raise TrainingDataError(f"{path}: no such file")
    try:
        table = read_table(path, max_bytes=MAX_OUTCOME_BYTES)
    except TableError as exc:
        raise TrainingDataError(f"{path.name}: {exc.detail}") from None
    frame = table.frame
    for column in ("company_ref", label):
        if column not in frame.columns:
            raise TrainingDataError(f"{path.name}: no column {column!r}")
    duplicated = frame.filter(pl.col("company_ref").is_duplicated())
    if duplicated.height:
        raise TrainingDataError(
            f"{path.name}: company_ref {duplicated['company_ref'][0]!r} appears more than once"
        )
    labels = parse_labels(frame, label)
    return pl.DataFrame(
        {
            "company_ref": frame["company_ref"].str.strip_chars(),
            "_label": pl.Series(labels, dtype=pl.Int8),
            ROW: frame[ROW],
        }
    )


def platform_features(session: Session, *, as_of: dt.date) -> pl.DataFrame:
    """The documented features of every buyer as of ``as_of`` (see features.py)."""
    check_as_of(as_of)
    frames = read_bulk(database_url=_database_url(session), as_of=as_of)
    return features_from(session, frames, as_of=as_of)


def load_platform(
    session: Session, *, outcomes: Path, as_of: dt.date, label: str | None = None
) -> PlatformData:
    """Training rows from the platform's own buyers: features as of ``as_of``, labels from
    ``outcomes``. Buyers already in default on ``as_of`` (grade 10 whatever the model) and
    buyers without an outcome are left out and counted."""
    column = (label or OUTCOME_LABEL).lower()
    labels = read_outcomes(outcomes, label=column)
    frame = platform_features(session, as_of=as_of)
    in_default = frame["default_event"] | frame["status"].is_in(["insolvent", "dissolved"])
    known = frame.filter(~in_default)
    joined = known.join(labels, on="company_ref", how="inner").sort("company_ref")
    if joined.height == 0:
        raise TrainingDataError(
            f"{outcomes.name}: no company_ref matches a buyer not in default as of {as_of}"
        )
    matrix = feature_matrix(joined, CATALOGUE).to_numpy()
    data = LabelledData(
        features=np.ascontiguousarray(matrix, dtype=np.float64),
        labels=joined["_label"].to_numpy().astype(np.int8),
        feature_names=PLATFORM_FEATURES,
        label=column,
        source=f"platform as of {as_of.isoformat()}, outcomes {outcomes.name}",
        ids=tuple(joined["company_ref"].to_list()),
    )
    refs = set(frame["company_ref"].to_list())
    return PlatformData(
        data=data,
        as_of=as_of,
        in_default=int(in_default.sum()),
        without_outcome=known.height - joined.height,
        unknown_refs=sum(1 for ref in labels["company_ref"].to_list() if ref not in refs),
        outcomes_sha256=_sha256(outcomes),
    )


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# --- training ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrainingRun:
    """What ``train`` did: cross-validation and/or the fitted model and its registered card."""

    algorithm: Algorithm
    seed: int
    rows: int
    defaults: int
    features: tuple[str, ...]
    fingerprint: str
    cross_validation: CrossValidation | None = None
    in_sample: Metrics | None = None
    model: TrainedModel | None = None
    card: ModelCard | None = None
    notes: dict[str, Any] = field(default_factory=dict)


def train(
    session: Session | None,
    *,
    data: LabelledData,
    algorithm: Algorithm,
    seed: int,
    cv: int = 0,
    save: str | None = None,
    now: dt.datetime | None = None,
    actor: str = "system",
    notes: dict[str, Any] | None = None,
) -> TrainingRun:
    """Cross-validate (``cv`` folds) and/or fit on every row; ``save`` registers the fit."""
    if save is not None:
        check_name(save)
        if session is None or now is None:
            raise ValueError("saving a model needs a session and the time")
    if cv == 1 or cv < 0:
        raise TrainingDataError("--cv needs at least 2 folds")
    check_classes(data.labels, source=data.source, folds=cv)
    out_of_fold: OutOfFold | None = None
    if cv:
        out_of_fold = cross_validate(data, algorithm=algorithm, k=cv, seed=seed)
    model: TrainedModel | None = None
    in_sample: Metrics | None = None
    if save is not None or not cv:
        model = fit(data, algorithm=algorithm, seed=seed, out_of_fold=out_of_fold)
        in_sample = measure(model.pd(data.features), data.labels)
    run = TrainingRun(
        algorithm=algorithm,
        seed=seed,
        rows=data.rows,
        defaults=data.defaults,
        features=data.feature_names,
        fingerprint=data.fingerprint(),
        cross_validation=out_of_fold.result if out_of_fold else None,
        in_sample=in_sample,
        model=model,
        notes=dict(notes or {}),
    )
    if save is not None and model is not None and session is not None and now is not None:
        card = _register(session, name=save, run=run, data=data, now=now, actor=actor)
        run = dataclasses.replace(run, card=card)
    return run


def cv_dict(result: CrossValidation) -> dict[str, Any]:
    """Cross-validation figures as JSON: means, standard deviations and every fold."""
    out: dict[str, Any] = {"k": result.k, "seed": result.seed}
    for metric in ("auc", "gini", "ks", "brier"):
        out[metric] = result.mean(metric)
        out[f"{metric}_std"] = result.std(metric)
    out["folds"] = [{"fold": i + 1, **fold.to_dict()} for i, fold in enumerate(result.folds)]
    return out


def _register(
    session: Session,
    *,
    name: str,
    run: TrainingRun,
    data: LabelledData,
    now: dt.datetime,
    actor: str,
) -> ModelCard:
    assert run.model is not None
    metrics: dict[str, Any] = {
        "in_sample": run.in_sample.to_dict() if run.in_sample else None,
        "cross_validation": cv_dict(run.cross_validation) if run.cross_validation else None,
        **({"notes": run.notes} if run.notes else {}),
    }
    record = ModelVersion(
        name=name,
        version=repository.next_version(session, name=name),
        algorithm=run.algorithm.value,
        label=data.label,
        features=list(data.feature_names),
        artifact=run.model.artifact(),
        calibration=run.model.platt.to_json(),
        data_fingerprint=run.fingerprint,
        data_source=data.source,
        rows=data.rows,
        defaults=data.defaults,
        seed=run.seed,
        metrics=metrics,
        params=fit_params(run.algorithm, seed=run.seed),
        library_versions=library_versions(),
        created_at=now,
        created_by=actor,
    )
    repository.add_version(session, record)
    return _card(record)


def _card(record: ModelVersion) -> ModelCard:
    return ModelCard(
        name=record.name,
        version=record.version,
        algorithm=Algorithm(record.algorithm),
        features=tuple(record.features),
        label=record.label,
        data_fingerprint=record.data_fingerprint,
        data_source=record.data_source,
        rows=record.rows,
        defaults=record.defaults,
        seed=record.seed,
        metrics=dict(record.metrics),
        library_versions=dict(record.library_versions),
        params=dict(record.params),
    )


# --- the registry -----------------------------------------------------------------------------


def _record(session: Session, ref: str, *, with_artifact: bool = True) -> ModelVersion:
    parsed = ModelRef.parse(ref)
    record = repository.get_version(
        session, name=parsed.name, version=parsed.version, with_artifact=with_artifact
    )
    if record is None:
        raise ModelNotFound(f"no model {ref!r}; `arshield model list` shows the saved ones")
    return record


_models: OrderedDict[uuid.UUID, TrainedModel] = OrderedDict()


def _load(record: ModelVersion) -> TrainedModel:
    """The fitted model of a stored version (parsed once per process: versions never change)."""
    model = _models.get(record.id)
    if model is None:
        model = TrainedModel.load(
            algorithm=Algorithm(record.algorithm),
            artifact=record.artifact,
            platt=Platt.from_json(record.calibration),
            feature_names=tuple(record.features),
        )
        _models[record.id] = model
        while len(_models) > _CACHE_SIZE:
            _models.popitem(last=False)
    return model


@dataclass(frozen=True)
class ModelSummary:
    """One line of ``model list``."""

    card: ModelCard
    created_at: dt.datetime
    created_by: str
    active: bool


def list_models(session: Session) -> list[ModelSummary]:
    """Every saved version, marking the active one."""
    active = repository.active_version_id(session)
    return [
        ModelSummary(
            card=_card(r), created_at=r.created_at, created_by=r.created_by, active=r.id == active
        )
        for r in repository.list_versions(session)
    ]


def show_model(session: Session, *, ref: str) -> tuple[ModelSummary, TrainedModel]:
    """A saved version's card and its fitted model (for the scorecard table)."""
    record = _record(session, ref)
    summary = ModelSummary(
        card=_card(record),
        created_at=record.created_at,
        created_by=record.created_by,
        active=repository.active_version_id(session) == record.id,
    )
    return summary, _load(record)


# --- evaluation -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Evaluation:
    """Out-of-sample figures of a saved model on labelled data, and calibration by grade."""

    model: str
    source: str
    metrics: Metrics
    calibration: list[CalibrationRow]
    expected_defaults: float


def evaluate(
    session: Session,
    *,
    ref: str,
    path: Path | None = None,
    label: str | None = None,
    outcomes: Path | None = None,
    as_of: dt.date | None = None,
) -> Evaluation:
    """Score a file's rows (or the platform's buyers with ``outcomes``) with a saved model."""
    record = _record(session, ref)
    model = _load(record)
    if path is not None:
        if not label:
            raise TrainingDataError("--label COLUMN is required with a data file")
        data = read_labelled(path, label=label, features=tuple(record.features))
    else:
        if outcomes is None or as_of is None:
            raise TrainingDataError("--data platform needs --outcomes FILE and --as-of DATE")
        features = check_computable(tuple(record.features), model=record.name)
        platform = load_platform(session, outcomes=outcomes, as_of=as_of, label=label)
        data = _platform_columns(platform.data, features, tuple(record.features))
    check_classes(data.labels, source=data.source)
    pd = model.pd(data.features)
    return Evaluation(
        model=version_label(record.name, record.version),
        source=data.source,
        metrics=measure(pd, data.labels),
        calibration=calibration_by_grade(pd, data.labels),
        expected_defaults=float(pd.sum()),
    )


def _platform_columns(
    data: LabelledData, features: tuple[Feature, ...], names: tuple[str, ...]
) -> LabelledData:
    """Platform training rows with the columns a model reads (aliases resolved), in its order."""
    picked = data.select(tuple(f.name for f in features))
    return LabelledData(
        features=picked.features,
        labels=picked.labels,
        feature_names=names,
        label=picked.label,
        source=picked.source,
        ids=picked.ids,
    )


# --- activation and the active model ----------------------------------------------------------


class ActiveGrader:
    """A saved model grading the platform's buyers (:class:`risk.service.GradeModel`)."""

    def __init__(self, *, version: str, model: TrainedModel, features: tuple[Feature, ...]):
        self._version = version
        self.model = model
        self.features = features

    @property
    def version(self) -> str:
        return self._version

    def grade_frame(self, frame: pl.DataFrame, *, as_of: dt.date) -> pl.DataFrame:
        """Grade a platform feature frame."""
        return grade_platform_frame(frame, model=self.model, features=self.features, as_of=as_of)

    def grade_all(self, session: Session, *, as_of: dt.date) -> pl.DataFrame:
        return self.grade_frame(platform_features(session, as_of=as_of), as_of=as_of)

    def grade_some(
        self, session: Session, *, company_ids: list[uuid.UUID], as_of: dt.date
    ) -> pl.DataFrame:
        frames = read_for(session, company_ids=company_ids, as_of=as_of)
        return self.grade_frame(features_from(session, frames, as_of=as_of), as_of=as_of)


def _grader(record: ModelVersion) -> ActiveGrader:
    label = version_label(record.name, record.version)
    features = check_computable(tuple(record.features), model=label)
    return ActiveGrader(version=label, model=_load(record), features=features)


_graders: OrderedDict[uuid.UUID, ActiveGrader] = OrderedDict()


def active_grader(session: Session) -> ActiveGrader | None:
    """The active model as a grader, or None when the expert model grades.

    One small query per call (the latest activation); the model itself is read and parsed once
    per process, since a saved version never changes.
    """
    version_id = repository.active_version_id(session)
    if version_id is None:
        return None
    grader = _graders.get(version_id)
    if grader is None:
        record = repository.get_by_id(session, version_id)
        if record is None:  # pragma: no cover - the foreign key forbids it
            return None
        grader = _grader(record)
        _graders[version_id] = grader
        while len(_graders) > _CACHE_SIZE:
            _graders.popitem(last=False)
    return grader


def active_version(session: Session) -> str:
    """``NAME@N`` of the active model, or the expert model's version."""
    grader = active_grader(session)
    return grader.version if grader is not None else EXPERT_VERSION


def activate(session: Session, *, ref: str, now: dt.datetime, actor: str) -> str:
    """Make a saved model grade the platform's buyers (``expert``: back to the expert model).

    Refused, with the features the platform cannot compute, for a model trained on others.
    Returns the version now active.
    """
    if ref.strip().lower() == EXPERT:
        repository.add_activation(
            session, ModelActivation(model_version_id=None, activated_at=now, actor=actor)
        )
        return EXPERT_VERSION
    record = _record(session, ref)
    grader = _grader(record)
    repository.add_activation(
        session, ModelActivation(model_version_id=record.id, activated_at=now, actor=actor)
    )
    return grader.version


def install() -> None:
    """Let the grading engine grade with the active model (``arshield grade``, the API)."""
    risk_service.use_active_model(active_grader)


def grade_of(session: Session, *, company_id: uuid.UUID, as_of: dt.date) -> Grade:
    """A buyer's grade under the active model: the stored run for ``as_of`` if there is one,
    otherwise computed live; by the expert model when no trained model is active."""
    grader = active_grader(session)
    if grader is None:
        return risk_service.get_grade(session, company_id=company_id, as_of=as_of, use_active=False)
    return risk_service.get_grade(session, company_id=company_id, as_of=as_of, model=grader)


# --- champion / challenger --------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One model's grades of the portfolio against realised outcomes."""

    model: str
    metrics: Metrics
    by_grade: list[dict[str, Any]]


@dataclass(frozen=True)
class Comparison:
    """Champion against challenger on the same buyers and outcomes."""

    as_of: dt.date
    buyers: int
    defaults: int
    in_default: int
    without_outcome: int
    champion: Side
    challenger: Side
    auc_difference: float
    z: float
    p_value: float
    migration: list[dict[str, int]]
    warnings: list[str]


def _graded_by(
    session: Session,
    ref: str,
    *,
    frames: dict[str, pl.DataFrame],
    platform: pl.DataFrame,
    as_of: dt.date,
) -> tuple[str, pl.DataFrame]:
    """(version, graded frame) of ``ref`` (``expert`` or a saved model) over the portfolio."""
    if ref.strip().lower() == EXPERT:
        country, sector = risk_tables(session, as_of=as_of)
        measured = build_features(
            companies=frames["companies"],
            statements=frames["statements"],
            payments=frames["payments"],
            events=frames["events"],
            country_short_term=country,
            sector_risk=sector,
            as_of=as_of,
        )
        graded = grade_frame(measured, as_of=as_of)
        return EXPERT_VERSION, graded.select("company_ref", "grade", "model_pd", "in_default")
    record = _record(session, ref)
    grader = _grader(record)
    graded = grader.grade_frame(platform, as_of=as_of)
    in_default = platform.select(
        "company_id",
        (pl.col("default_event") | pl.col("status").is_in(["insolvent", "dissolved"])).alias(
            "in_default"
        ),
    )
    return grader.version, graded.join(in_default, on="company_id").select(
        "company_ref", "grade", "model_pd", "in_default"
    )


def _side(model: str, frame: pl.DataFrame) -> Side:
    pd = frame["model_pd"].to_numpy().astype(np.float64)
    y = frame["_label"].to_numpy().astype(np.int8)
    rows = (
        frame.group_by("grade")
        .agg(pl.len().alias("buyers"), pl.col("_label").cast(pl.Int64).sum().alias("defaults"))
        .sort("grade")
    )
    return Side(
        model=model,
        metrics=measure(pd, y),
        by_grade=[
            {
                "grade": int(g),
                "buyers": int(n),
                "defaults": int(d),
                "default_rate": round(int(d) / int(n), 6),
            }
            for g, n, d in rows.iter_rows()
        ],
    )


def compare(
    session: Session, *, champion: str, challenger: str, outcomes: Path, as_of: dt.date
) -> Comparison:
    """Grade the portfolio as of ``as_of`` with both models and compare them on outcomes.

    Both grade the same buyers from one read of the registry; buyers already in default on
    ``as_of`` (grade 10 under any model) and buyers without an outcome are left out. The AUCs
    are compared with DeLong's test for correlated ROC curves.
    """
    check_as_of(as_of)
    if champion.strip().lower() == challenger.strip().lower():
        raise ValidationFailed("the champion and the challenger are the same model")
    labels = read_outcomes(outcomes, label=OUTCOME_LABEL)
    frames = read_bulk(database_url=_database_url(session), as_of=as_of)
    platform = features_from(session, frames, as_of=as_of)
    first_version, first = _graded_by(
        session, champion, frames=frames, platform=platform, as_of=as_of
    )
    second_version, second = _graded_by(
        session, challenger, frames=frames, platform=platform, as_of=as_of
    )
    both = first.join(second.drop("in_default"), on="company_ref", suffix="_challenger").join(
        labels.select("company_ref", "_label"), on="company_ref", how="left"
    )
    in_default = both.filter(pl.col("in_default"))
    scored = both.filter(~pl.col("in_default"))
    known = scored.filter(pl.col("_label").is_not_null()).sort("company_ref")
    if known.height == 0:
        raise TrainingDataError(f"{outcomes.name}: no outcome for a buyer graded as of {as_of}")
    check_classes(known["_label"].to_numpy(), source=outcomes.name)
    champion_side = _side(first_version, known.select("grade", "model_pd", "_label"))
    challenger_side = _side(
        second_version,
        known.select(
            pl.col("grade_challenger").alias("grade"),
            pl.col("model_pd_challenger").alias("model_pd"),
            "_label",
        ),
    )
    difference, z, p_value = delong(
        known["model_pd_challenger"].to_numpy().astype(np.float64),
        known["model_pd"].to_numpy().astype(np.float64),
        known["_label"].to_numpy().astype(np.int8),
    )
    migration = (
        known.group_by("grade", "grade_challenger")
        .len()
        .sort("grade", "grade_challenger")
        .iter_rows()
    )
    return Comparison(
        warnings=_in_sample(session, (champion, challenger), outcomes=outcomes, as_of=as_of),
        as_of=as_of,
        buyers=known.height,
        defaults=int(known["_label"].sum()),
        in_default=in_default.height,
        without_outcome=scored.height - known.height,
        champion=champion_side,
        challenger=challenger_side,
        auc_difference=difference,
        z=z,
        p_value=p_value,
        migration=[
            {"champion": int(a), "challenger": int(b), "buyers": int(n)} for a, b, n in migration
        ],
    )


def _in_sample(
    session: Session, refs: tuple[str, ...], *, outcomes: Path, as_of: dt.date
) -> list[str]:
    """A warning for each model trained on these very outcomes as of this very day."""
    digest = _sha256(outcomes)
    warnings = []
    for ref in refs:
        if ref.strip().lower() == EXPERT:
            continue
        record = _record(session, ref, with_artifact=False)
        notes = (record.metrics or {}).get("notes") or {}
        if notes.get("outcomes_sha256") == digest and notes.get("as_of") == as_of.isoformat():
            warnings.append(
                f"{version_label(record.name, record.version)} was trained on these outcomes as "
                f"of {as_of}: its figures here are in-sample, not a fair comparison"
            )
    return warnings


def _database_url(session: Session) -> str:
    return session.get_bind().engine.url.render_as_string(hide_password=False)
