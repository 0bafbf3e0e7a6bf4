"""The points scorecard: monotone classes, WoE, selection, and the model is its table."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from arshield.workbench.calibration import Platt, fit_platt, sigmoid
from arshield.workbench.scorecard import (
    FACTOR,
    MAX_BINS,
    OFFSET,
    Scorecard,
    coarse_classes,
    fit_scorecard,
)
from tests.unit.workbench.synthetic import synthetic_data


def test_scorecard_keeps_signal_and_drops_noise() -> None:
    data = synthetic_data(3000)
    card = fit_scorecard(data.features, data.labels, data.feature_names)
    kept = [c.feature for c in card.characteristics]
    assert "leverage" in kept and "margin" in kept
    assert "noise" not in kept
    assert card.candidates["leverage"] > card.candidates["noise"]
    for c in card.characteristics:
        assert c.coefficient > 0
        known = [b for b in c.bins if not b.missing]
        assert len(known) <= MAX_BINS
        rates = [b.defaults / b.rows for b in known]
        rising = all(a <= b for a, b in itertools.pairwise(rates))
        falling = all(a >= b for a, b in itertools.pairwise(rates))
        assert rising or falling, (c.feature, rates)
        # Riskier classes get fewer points.
        by_woe = sorted(known, key=lambda b: b.woe)
        assert all(a.points >= b.points for a, b in itertools.pairwise(by_woe))
        assert sum(b.rows for b in c.bins) == data.rows


def test_the_model_is_its_table() -> None:
    data = synthetic_data(1000)
    card = fit_scorecard(data.features, data.labels, data.feature_names)
    points = card.points(data.features)
    # Every row's points are read from the table: one class per characteristic.
    for column, c in enumerate(card.characteristics):
        allowed = {b.points for b in c.bins}
        assert set(points[:, column].tolist()) <= allowed
    raw = card.raw(data.features)
    np.testing.assert_allclose(raw, (OFFSET - points.sum(axis=1)) / FACTOR)
    # Contributions against an average class add up to the raw log-odds less a constant.
    contributions = card.contributions(data.features).sum(axis=1)
    spread = raw - contributions
    assert np.ptp(spread) < 1e-9


def test_missing_values_have_their_own_class() -> None:
    data = synthetic_data(2000)
    card = fit_scorecard(data.features, data.labels, data.feature_names)
    liquidity = next((c for c in card.characteristics if c.feature == "liquidity"), None)
    if liquidity is None:
        pytest.skip("liquidity not selected on this sample")
    missing = liquidity.bins[-1]
    assert missing.missing and missing.rows == int(np.isnan(data.features[:, 2]).sum())
    # Missing liquidity is riskier in the generator: its WoE is the highest.
    assert missing.woe == max(b.woe for b in liquidity.bins)


def test_text_round_trip_is_exact() -> None:
    data = synthetic_data(600)
    card = fit_scorecard(data.features, data.labels, data.feature_names)
    again = Scorecard.from_text(card.to_text())
    np.testing.assert_array_equal(card.raw(data.features), again.raw(data.features))
    assert again.table() == card.table()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=20, max_size=200),
    st.integers(0, 2**32 - 1),
)
def test_coarse_classes_are_sorted_cut_points(values: list[float], seed: int) -> None:
    rng = np.random.default_rng(seed)
    labels = (rng.random(len(values)) < 0.3).astype(np.int8)
    if labels.sum() in (0, len(values)):
        labels[0] = 1 - labels[0]
    cuts = coarse_classes(
        np.array(values),
        labels,
        total_d=float(labels.sum()),
        total_n=float(len(values) - labels.sum()),
    )
    assert list(cuts) == sorted(set(cuts))
    assert len(cuts) + 1 <= MAX_BINS


def test_platt_recovers_a_known_calibration() -> None:
    rng = np.random.default_rng(3)
    raw = rng.normal(-3, 1.5, 20000)
    labels = (rng.random(raw.shape[0]) < sigmoid(0.5 + 0.7 * raw)).astype(np.int8)
    platt = fit_platt(raw, labels)
    assert platt.a == pytest.approx(0.5, abs=0.15)
    assert platt.b == pytest.approx(0.7, abs=0.06)
    assert Platt.from_json(platt.to_json()) == platt
