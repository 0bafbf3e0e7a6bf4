"""Platt scaling: a PD from a model's raw log-odds, ``PD = 1 / (1 + exp(-(a + b x raw)))``.

Fitted by Newton's method on the log-loss of out-of-fold raw scores, so the PD is calibrated on
rows the scored model never saw. Deterministic: a fixed start, a fixed number of steps at most.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
FloatMatrix = npt.NDArray[np.float64]
_STEPS = 100
_RIDGE = 1e-9  # keeps the Hessian invertible when a column is constant


def sigmoid(x: FloatArray) -> FloatArray:
    """The logistic function, stable for large ``|x|``."""
    out = np.empty_like(x, dtype=np.float64)
    positive = x >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-x[positive]))
    e = np.exp(x[~positive])
    out[~positive] = e / (1.0 + e)
    return out


@dataclass(frozen=True, slots=True)
class Platt:
    """Intercept ``a`` and slope ``b`` on the raw log-odds."""

    a: float = 0.0
    b: float = 1.0

    def logit(self, raw: FloatArray) -> FloatArray:
        return self.a + self.b * np.asarray(raw, dtype=np.float64)

    def pd(self, raw: FloatArray) -> FloatArray:
        return sigmoid(self.logit(raw))

    def to_json(self) -> dict[str, Any]:
        return {"a": self.a, "b": self.b}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Platt:
        return cls(a=float(data["a"]), b=float(data["b"]))


def _loss(x: FloatMatrix, y: FloatArray, theta: FloatArray, penalty: FloatMatrix) -> float:
    z = x @ theta
    # log(1 + e^z) - y z, without overflow.
    nll = np.logaddexp(0.0, z) - y * z
    return float(nll.sum() + 0.5 * theta @ penalty @ theta)


def newton_logistic(
    x: FloatMatrix,
    labels: npt.NDArray[np.integer],
    *,
    start: FloatArray,
    penalty: FloatMatrix,
) -> FloatArray:
    """Minimise the penalised log-loss of ``sigmoid(x @ theta)`` by Newton steps, each halved
    until the loss falls (a full step can overshoot and diverge on skewed data)."""
    y = np.asarray(labels, dtype=np.float64)
    theta = np.asarray(start, dtype=np.float64).copy()
    loss = _loss(x, y, theta, penalty)
    for _ in range(_STEPS):
        p = sigmoid(x @ theta)
        gradient = x.T @ (p - y) + penalty @ theta
        hessian = x.T @ (x * (p * (1.0 - p))[:, None]) + penalty + _RIDGE * np.eye(x.shape[1])
        step = np.linalg.solve(hessian, gradient)
        scale = 1.0
        candidate = theta - step
        new_loss = _loss(x, y, candidate, penalty)
        while new_loss > loss and scale > 1e-6:
            scale *= 0.5
            candidate = theta - scale * step
            new_loss = _loss(x, y, candidate, penalty)
        if new_loss > loss:
            break
        moved = float(np.max(np.abs(candidate - theta)))
        theta, loss = candidate, new_loss
        if moved < 1e-10:
            break
    return theta


def fit_platt(raw: FloatArray, labels: npt.NDArray[np.integer]) -> Platt:
    """The (a, b) that minimise the log-loss of ``sigmoid(a + b x raw)`` against ``labels``."""
    x = np.asarray(raw, dtype=np.float64)
    design = np.column_stack([np.ones_like(x), x])
    theta = newton_logistic(design, labels, start=np.array([0.0, 1.0]), penalty=np.zeros((2, 2)))
    return Platt(a=float(theta[0]), b=float(theta[1]))
