"""Child process of cross-validation: train the folds it is given and score their held-out rows.

Started by :func:`arshield.workbench.training.cross_validate` as
``python -m arshield.workbench.fold_child`` with a JSON job on standard input::

    {"dir": ..., "algorithm": "gbm" | "scorecard", "seed": S, "names": [...], "folds": [0, 2]}

``dir`` holds ``features.npy`` (float64), ``labels.npy`` (int8) and ``folds.npy`` (each row's
fold). For each fold f it trains on the rows of the other folds and writes the raw log-odds of
fold f's rows as ``raw_<f>.npy``. Run as its own program (not a forked or spawned copy of the
caller), it imports only what training needs and never the caller's main module.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from arshield.workbench.domain import Algorithm
from arshield.workbench.gbm import GbmModel
from arshield.workbench.scorecard import fit_scorecard


def train_fold(
    *,
    algorithm: Algorithm,
    features: np.ndarray,
    labels: np.ndarray,
    folds: np.ndarray,
    fold: int,
    names: tuple[str, ...],
    seed: int,
) -> np.ndarray:
    """Raw log-odds of fold ``fold``'s rows from a model trained on every other fold."""
    train = folds != fold
    if algorithm is Algorithm.GBM:
        return GbmModel.fit(features[train], labels[train], seed=seed).raw(features[~train])
    return fit_scorecard(features[train], labels[train], names).raw(features[~train])


def main() -> None:
    job = json.loads(sys.stdin.buffer.read())
    folder = Path(job["dir"])
    features = np.load(folder / "features.npy")
    labels = np.load(folder / "labels.npy")
    folds = np.load(folder / "folds.npy")
    for fold in job["folds"]:
        raw = train_fold(
            algorithm=Algorithm(job["algorithm"]),
            features=features,
            labels=labels,
            folds=folds,
            fold=int(fold),
            names=tuple(job["names"]),
            seed=int(job["seed"]),
        )
        np.save(folder / f"raw_{fold}.npy", raw)


if __name__ == "__main__":
    main()
