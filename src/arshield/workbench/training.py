"""Fitting, cross-validating and calibrating grade models on labelled data.

A *fit* on some rows trains the algorithm's scorer (LightGBM trees or a scorecard) and a Platt
calibration from its raw log-odds to a PD. The calibration is always fitted on out-of-fold raw
scores: in K-fold cross-validation, fold k's PDs use a calibration fitted on the out-of-fold
scores and labels of the other K - 1 folds, never on fold k's labels; a model saved for use is
trained on all rows and calibrated on the out-of-fold scores of every row.

The folds are trained in parallel child processes (one per core, each model single-threaded):
a fold's model does not depend on which process trains it or how many there are, so the
figures are the same on any machine.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt

from arshield.workbench.calibration import Platt, fit_platt
from arshield.workbench.datasets import LabelledData, check_classes
from arshield.workbench.domain import Algorithm, CrossValidation, Metrics
from arshield.workbench.fold_child import train_fold
from arshield.workbench.gbm import GbmModel
from arshield.workbench.gbm import params as gbm_params
from arshield.workbench.metrics import measure
from arshield.workbench.scorecard import Scorecard, fit_scorecard

FloatMatrix = npt.NDArray[np.float64]
FloatArray = npt.NDArray[np.float64]
CALIBRATION_FOLDS: Final = 5


class Scorer(Protocol):
    """What both algorithms give: raw log-odds, contributions and a text artifact."""

    def raw(self, features: FloatMatrix) -> FloatArray: ...

    def to_text(self) -> str: ...


@dataclass(frozen=True)
class TrainedModel:
    """A scorer, its calibration and the feature names it reads, in order."""

    algorithm: Algorithm
    scorer: GbmModel | Scorecard
    platt: Platt
    feature_names: tuple[str, ...]

    def raw(self, features: FloatMatrix) -> FloatArray:
        return self.scorer.raw(features)

    def pd(self, features: FloatMatrix) -> FloatArray:
        """Calibrated probability of default of each row."""
        return self.platt.pd(self.scorer.raw(features))

    def contributions(self, features: FloatMatrix) -> FloatMatrix:
        """Each feature's share of each row's calibrated log-odds (one column per feature)."""
        if isinstance(self.scorer, GbmModel):
            values = self.scorer.contributions(features)[:, :-1]
        else:
            values = self.scorer.contributions(features)
        return np.asarray(values * self.platt.b, dtype=np.float64)

    def artifact(self) -> str:
        return self.scorer.to_text()

    @classmethod
    def load(
        cls,
        *,
        algorithm: Algorithm,
        artifact: str,
        platt: Platt,
        feature_names: tuple[str, ...],
    ) -> TrainedModel:
        """Rebuild a model from its stored text."""
        scorer: GbmModel | Scorecard
        if algorithm is Algorithm.GBM:
            scorer = GbmModel.from_text(artifact)
        else:
            scorer = Scorecard.from_text(artifact)
        return cls(algorithm=algorithm, scorer=scorer, platt=platt, feature_names=feature_names)


def stratified_folds(
    labels: npt.NDArray[np.integer], *, k: int, seed: int
) -> npt.NDArray[np.int64]:
    """Fold number 0..k-1 of each row: each class shuffled with ``seed`` and dealt in turn."""
    rng = np.random.default_rng(seed)
    folds = np.empty(labels.shape[0], dtype=np.int64)
    for value in (0, 1):
        rows = np.flatnonzero(np.asarray(labels) == value)
        folds[rng.permutation(rows)] = np.arange(rows.shape[0]) % k
    return folds


def fit_scorer(
    algorithm: Algorithm, features: FloatMatrix, labels: npt.NDArray[np.integer], *,
    names: tuple[str, ...], seed: int,
) -> GbmModel | Scorecard:  # fmt: skip
    """Train the algorithm's scorer on all given rows."""
    if algorithm is Algorithm.GBM:
        return GbmModel.fit(features, labels, seed=seed)
    return fit_scorecard(features, labels, names)


def default_workers() -> int:
    """One worker process per core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def fold_scores(
    data: LabelledData,
    folds: npt.NDArray[np.int64],
    *,
    algorithm: Algorithm,
    seed: int,
    workers: int,
) -> FloatArray:
    """Every row's raw log-odds from the model trained without its fold.

    With more than one worker, the folds are dealt to child processes
    (:mod:`arshield.workbench.fold_child`) that exchange NumPy files with this one.
    """
    k = int(folds.max()) + 1
    raw = np.empty(data.rows, dtype=np.float64)
    workers = max(1, min(workers, k))
    if workers == 1:
        for fold in range(k):
            raw[folds == fold] = train_fold(
                algorithm=algorithm,
                features=data.features,
                labels=data.labels,
                folds=folds,
                fold=fold,
                names=data.feature_names,
                seed=seed,
            )
        return raw
    with tempfile.TemporaryDirectory(prefix="arshield-folds-") as tmp:
        folder = Path(tmp)
        np.save(folder / "features.npy", data.features)
        np.save(folder / "labels.npy", data.labels)
        np.save(folder / "folds.npy", folds)
        children = []
        try:
            for w in range(workers):
                job = {
                    "dir": tmp,
                    "algorithm": algorithm.value,
                    "seed": seed,
                    "names": list(data.feature_names),
                    "folds": list(range(w, k, workers)),
                }
                with (folder / f"stderr_{w}.txt").open("wb") as stderr:
                    child = subprocess.Popen(
                        [sys.executable, "-m", "arshield.workbench.fold_child"],
                        stdin=subprocess.PIPE,
                        stderr=stderr,
                    )
                assert child.stdin is not None
                child.stdin.write(json.dumps(job).encode())
                child.stdin.close()
                children.append(child)
            codes = [child.wait() for child in children]
        finally:
            for child in children:
                if child.poll() is None:
                    child.kill()
                    child.wait()
        for w, code in enumerate(codes):
            if code != 0:
                message = (folder / f"stderr_{w}.txt").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"cross-validation worker failed (exit {code}): {message}")
        for fold in range(k):
            raw[folds == fold] = np.load(folder / f"raw_{fold}.npy")
    return raw


@dataclass(frozen=True)
class OutOfFold:
    """Cross-validation's raw scores and calibrated PDs for every row, and its figures."""

    folds: npt.NDArray[np.int64]
    raw: FloatArray
    pd: FloatArray
    result: CrossValidation


def cross_validate(
    data: LabelledData, *, algorithm: Algorithm, k: int, seed: int, workers: int | None = None
) -> OutOfFold:
    """Stratified K-fold: train on K - 1 folds, score the held-out one, calibrate, measure."""
    if k < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    check_classes(data.labels, source=data.source, folds=k)
    folds = stratified_folds(data.labels, k=k, seed=seed)
    raw = fold_scores(
        data, folds, algorithm=algorithm, seed=seed, workers=workers or default_workers()
    )
    pd = np.empty(data.rows, dtype=np.float64)
    results: list[Metrics] = []
    for fold in range(k):
        held = folds == fold
        platt = fit_platt(raw[~held], data.labels[~held])
        pd[held] = platt.pd(raw[held])
        results.append(measure(pd[held], data.labels[held]))
    return OutOfFold(
        folds=folds, raw=raw, pd=pd, result=CrossValidation(folds=tuple(results), seed=seed)
    )


def fit(
    data: LabelledData,
    *,
    algorithm: Algorithm,
    seed: int,
    out_of_fold: OutOfFold | None = None,
    workers: int | None = None,
) -> TrainedModel:
    """Train on every row; calibrate on out-of-fold scores (``CALIBRATION_FOLDS`` if not given)."""
    check_classes(data.labels, source=data.source)
    if out_of_fold is None:
        out_of_fold = cross_validate(
            data, algorithm=algorithm, k=CALIBRATION_FOLDS, seed=seed, workers=workers
        )
    scorer = fit_scorer(algorithm, data.features, data.labels, names=data.feature_names, seed=seed)
    return TrainedModel(
        algorithm=algorithm,
        scorer=scorer,
        platt=fit_platt(out_of_fold.raw, data.labels),
        feature_names=data.feature_names,
    )


def library_versions() -> dict[str, str]:
    """Versions of everything that shapes a fitted model's numbers."""
    out = {"python": platform.python_version()}
    for package in ("arshield", "lightgbm", "numpy", "polars"):
        try:
            out[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            out[package] = "unknown"
    return out


def fit_params(algorithm: Algorithm, *, seed: int) -> dict[str, Any]:
    """The parameters a fit used, as recorded beside the model."""
    if algorithm is Algorithm.GBM:
        from arshield.workbench.gbm import ROUNDS

        return {**gbm_params(seed=seed), "num_boost_round": ROUNDS}
    from arshield.workbench import scorecard

    return {
        "seed": seed,
        "fine_quantiles": len(scorecard.FINE_QUANTILES),
        "min_bin_share": scorecard.MIN_BIN_SHARE,
        "max_bins": scorecard.MAX_BINS,
        "min_iv": scorecard.MIN_IV,
        "max_correlation": scorecard.MAX_CORRELATION,
        "max_features": scorecard.MAX_FEATURES,
        "ridge": scorecard.RIDGE,
        "base_score": scorecard.BASE_SCORE,
        "base_odds": scorecard.BASE_ODDS,
        "pdo": scorecard.PDO,
    }
