"""Labelled synthetic data with a known default mechanism, for fast workbench tests."""

from __future__ import annotations

import numpy as np
import polars as pl

from arshield.workbench.datasets import LabelledData


def synthetic_frame(rows: int = 800, *, seed: int = 5) -> pl.DataFrame:
    """``ref``, four features and ``default``: risk rises with ``leverage`` and falls with
    ``margin``; ``noise`` carries nothing; ``liquidity`` is missing for a tenth of the rows,
    and missing liquidity is itself a sign of risk."""
    rng = np.random.default_rng(seed)
    leverage = rng.normal(0.6, 0.2, rows)
    margin = rng.normal(0.05, 0.08, rows)
    liquidity = rng.lognormal(0.2, 0.4, rows)
    noise = rng.normal(0, 1, rows)
    missing = rng.random(rows) < 0.1
    logit = -4.0 + 5.0 * (leverage - 0.6) - 12.0 * (margin - 0.05) + 1.5 * missing
    default = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int64)
    return pl.DataFrame(
        {
            "ref": [f"R{i:05d}" for i in range(rows)],
            "leverage": leverage,
            "margin": margin,
            "liquidity": np.where(missing, np.nan, liquidity),
            "noise": noise,
            "default": default,
        }
    ).with_columns(pl.col("liquidity").fill_nan(None))


def synthetic_data(rows: int = 800, *, seed: int = 5) -> LabelledData:
    frame = synthetic_frame(rows, seed=seed)
    names = ("leverage", "margin", "liquidity", "noise")
    matrix = frame.select(names).fill_null(float("nan")).to_numpy().astype(np.float64)
    return LabelledData(
        features=np.ascontiguousarray(matrix),
        labels=frame["default"].to_numpy().astype(np.int8),
        feature_names=names,
        label="default",
        source="synthetic",
        ids=tuple(frame["ref"].to_list()),
    )
