"""Gradient-boosted trees (LightGBM) with per-prediction feature contributions.

One fixed, documented set of parameters (``PARAMS``), chosen once and not tuned per run, so a
model's cross-validated figures are not flattered by a search over its own folds. Training is
deterministic: LightGBM's deterministic mode, column-wise histograms, one thread and seeds
derived from the run's seed. The artifact is LightGBM's own model text; features are named
``f0..fN`` inside it (LightGBM refuses some characters in names) and mapped back by position.
"""

from __future__ import annotations

import os
from typing import Any, Final

import lightgbm as lgb
import numpy as np
import numpy.typing as npt

FloatMatrix = npt.NDArray[np.float64]
FloatArray = npt.NDArray[np.float64]

# One thread per model: folds run in parallel processes instead, and a model trained with
# one thread is the same bit for bit on every machine.
THREADS: Final = 1
ROUNDS: Final = 800
PARAMS: Final[dict[str, Any]] = {
    "objective": "binary",
    "learning_rate": 0.02,
    "num_leaves": 15,
    "min_data_in_leaf": 10,
    "max_bin": 63,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "feature_fraction": 0.5,
    "lambda_l2": 1.0,
    # Defaults weigh 5x in the loss: more splits are spent on the rare class. The Platt
    # calibration then maps the raw scores back to PDs.
    "scale_pos_weight": 5.0,
    "deterministic": True,
    "force_col_wise": True,
    "num_threads": THREADS,
    "verbosity": -1,
}


def _predict_threads() -> int:
    """Every core for scoring: each row is scored on its own, so threads do not change it."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def params(*, seed: int) -> dict[str, Any]:
    """LightGBM's parameters for a run with ``seed`` (every random stream derives from it)."""
    return {**PARAMS, "seed": seed}


class GbmModel:
    """A fitted booster: raw log-odds and their per-feature contributions."""

    def __init__(self, booster: lgb.Booster) -> None:
        self._booster = booster

    @classmethod
    def fit(cls, features: FloatMatrix, labels: npt.NDArray[np.integer], *, seed: int) -> GbmModel:
        """Train ``ROUNDS`` boosting rounds on all given rows."""
        names = [f"f{i}" for i in range(features.shape[1])]
        dataset = lgb.Dataset(
            features,
            label=np.asarray(labels, dtype=np.float64),
            feature_name=names,
            params={"max_bin": PARAMS["max_bin"], "verbosity": -1},
            free_raw_data=True,
        )
        booster = lgb.train(params(seed=seed), dataset, num_boost_round=ROUNDS)
        return cls(booster)

    @classmethod
    def from_text(cls, text: str) -> GbmModel:
        """Load LightGBM's model text."""
        return cls(lgb.Booster(model_str=text))

    def to_text(self) -> str:
        """LightGBM's model text (every tree, the parameters, the feature names)."""
        return str(self._booster.model_to_string())

    def raw(self, features: FloatMatrix) -> FloatArray:
        """Log-odds of default before calibration."""
        out = self._booster.predict(features, raw_score=True, num_threads=_predict_threads())
        return np.asarray(out, dtype=np.float64)

    def contributions(self, features: FloatMatrix) -> FloatMatrix:
        """Per-row log-odds contribution of each feature (SHAP values); the last column is the
        model's expected value, and each row sums to its raw log-odds."""
        out = self._booster.predict(features, pred_contrib=True, num_threads=_predict_threads())
        return np.asarray(out, dtype=np.float64)

    @property
    def feature_count(self) -> int:
        return int(self._booster.num_feature())
