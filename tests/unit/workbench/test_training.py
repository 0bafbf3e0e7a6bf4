"""Cross-validation and fitting: stratified folds, reproducibility, calibration, artifacts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arshield.workbench.domain import Algorithm, TrainingDataError
from arshield.workbench.gbm import GbmModel
from arshield.workbench.training import (
    TrainedModel,
    cross_validate,
    fit,
    fit_params,
    library_versions,
    stratified_folds,
)
from tests.unit.workbench.synthetic import synthetic_data


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.integers(0, 1), min_size=10, max_size=300),
    st.integers(2, 10),
    st.integers(0, 2**32 - 1),
)
def test_stratified_folds_share_each_class_evenly(labels: list[int], k: int, seed: int) -> None:
    y = np.array(labels, dtype=np.int8)
    folds = stratified_folds(y, k=k, seed=seed)
    assert set(folds.tolist()) <= set(range(k))
    for value in (0, 1):
        counts = np.bincount(folds[y == value], minlength=k)
        assert counts.max() - counts.min() <= 1
    np.testing.assert_array_equal(folds, stratified_folds(y, k=k, seed=seed))


@pytest.mark.parametrize("algorithm", [Algorithm.GBM, Algorithm.SCORECARD])
def test_same_data_and_seed_give_the_same_metrics(algorithm: Algorithm) -> None:
    data = synthetic_data(600)
    first = cross_validate(data, algorithm=algorithm, k=3, seed=11, workers=1)
    # In child processes this time: a fold's model does not depend on where it is trained.
    second = cross_validate(data, algorithm=algorithm, k=3, seed=11, workers=2)
    for a, b in zip(first.result.folds, second.result.folds, strict=True):
        for metric in ("auc", "gini", "ks", "brier"):
            assert abs(getattr(a, metric) - getattr(b, metric)) <= 1e-9
    np.testing.assert_array_equal(first.raw, second.raw)
    other = cross_validate(data, algorithm=algorithm, k=3, seed=12, workers=1)
    assert not np.array_equal(first.folds, other.folds)


def test_gbm_separates_and_calibrates() -> None:
    data = synthetic_data(1500)
    out = cross_validate(data, algorithm=Algorithm.GBM, k=5, seed=1, workers=1)
    assert out.result.mean("auc") > 0.7
    # Calibrated on out-of-fold scores: predicted defaults close to the observed count.
    assert out.pd.sum() == pytest.approx(data.defaults, rel=0.2)


def test_fitted_model_survives_its_text_artifact() -> None:
    data = synthetic_data(500)
    for algorithm in Algorithm:
        model = fit(data, algorithm=algorithm, seed=3, workers=1)
        again = TrainedModel.load(
            algorithm=algorithm,
            artifact=model.artifact(),
            platt=model.platt,
            feature_names=model.feature_names,
        )
        np.testing.assert_array_equal(model.pd(data.features), again.pd(data.features))
        contributions = again.contributions(data.features)
        assert contributions.shape == data.features.shape


def test_gbm_contributions_add_up_to_the_raw_log_odds() -> None:
    data = synthetic_data(500)
    model = GbmModel.fit(data.features, data.labels, seed=2)
    contributions = model.contributions(data.features)
    np.testing.assert_allclose(contributions.sum(axis=1), model.raw(data.features), atol=1e-9)


def test_fit_refuses_one_class() -> None:
    data = synthetic_data(100)
    one_class = type(data)(
        features=data.features,
        labels=np.zeros_like(data.labels),
        feature_names=data.feature_names,
        label=data.label,
        source="zeros.csv",
    )
    with pytest.raises(TrainingDataError, match="every one of the 100 rows"):
        fit(one_class, algorithm=Algorithm.GBM, seed=1)


def test_recorded_parameters_and_versions() -> None:
    assert fit_params(Algorithm.GBM, seed=9)["seed"] == 9
    assert fit_params(Algorithm.GBM, seed=9)["deterministic"] is True
    assert fit_params(Algorithm.SCORECARD, seed=9)["pdo"] == 20.0
    versions = library_versions()
    assert {"python", "lightgbm", "numpy", "polars", "arshield"} <= set(versions)
