"""An interpretable points scorecard: binned features, weight of evidence, logistic regression.

Fitting, for each feature:

1. *Fine classes*: cut points at the 5%, 10%, ..., 95% quantiles of the known values.
2. *Coarse classes*: adjacent classes are pooled until the default rate is monotone in the
   feature (rising or falling, whichever keeps more information value), every class holds at
   least ``MIN_BIN_SHARE`` of the rows, there are at most ``MAX_BINS``, and each pair of
   neighbours differs significantly (chi-square test at 5%), so no class is split on noise.
3. *Weight of evidence* per class, ``WoE = ln(share of defaults / share of non-defaults)`` with
   half a row added to each count (positive WoE = riskier); missing values form their own class
   (WoE 0, neutral, when training saw none). *Information value* ``IV = sum (d% - n%) x WoE``.

Features with ``IV >= MIN_IV`` are taken in falling IV order, skipping any whose WoE correlates
above ``MAX_CORRELATION`` with one already taken, up to ``MAX_FEATURES``. A logistic regression
on their WoE gives one coefficient each; a feature whose coefficient is not positive (it would
reverse its own evidence) is dropped and the regression refitted.

Points follow the usual scaling: 600 points at odds of 50 non-defaults to 1 default, 20 more
points to double the odds (``PDO``). Each class's points are
``round(offset / m - factor x (b x WoE + b0 / m))`` with ``factor = PDO / ln 2`` and ``m``
features, and the model *is* its table: raw log-odds ``= (offset - total points) / factor``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from arshield.workbench.calibration import newton_logistic
from arshield.workbench.domain import TrainingDataError

FloatMatrix = npt.NDArray[np.float64]
FloatArray = npt.NDArray[np.float64]

FINE_QUANTILES: Final = tuple(q / 100 for q in range(5, 100, 5))
MIN_BIN_SHARE: Final = 0.05
MAX_BINS: Final = 8
CHI_SQUARE_5PCT: Final = 3.841  # chi-square, 1 degree of freedom, 5% level
MIN_IV: Final = 0.02
MAX_CORRELATION: Final = 0.7
MAX_FEATURES: Final = 15
RIDGE: Final = 1.0
BASE_SCORE: Final = 600.0
BASE_ODDS: Final = 50.0
PDO: Final = 20.0
FACTOR: Final = PDO / math.log(2.0)
OFFSET: Final = BASE_SCORE - FACTOR * math.log(BASE_ODDS)


@dataclass(frozen=True, slots=True)
class Bin:
    """One class of a characteristic: ``[lower, upper)`` (None = unbounded) or the missing one."""

    lower: float | None
    upper: float | None
    rows: int
    defaults: int
    woe: float
    points: int
    missing: bool = False

    def label(self) -> str:
        if self.missing:
            return "missing"
        if self.lower is None and self.upper is None:
            return "any"
        if self.lower is None:
            return f"< {self.upper:.6g}"
        if self.upper is None:
            return f">= {self.lower:.6g}"
        return f"[{self.lower:.6g}, {self.upper:.6g})"


@dataclass(frozen=True, slots=True)
class Characteristic:
    """A feature in the scorecard: its classes (last one for missing values) and coefficient."""

    feature: str
    index: int
    edges: tuple[float, ...]
    bins: tuple[Bin, ...]
    iv: float
    coefficient: float

    def bin_index(self, values: FloatArray) -> npt.NDArray[np.int64]:
        """Class of each value; missing values go to the last class."""
        index = np.searchsorted(np.asarray(self.edges, dtype=np.float64), values, side="right")
        return np.where(np.isnan(values), len(self.bins) - 1, index).astype(np.int64)

    def points_of(self, values: FloatArray) -> FloatArray:
        table = np.asarray([b.points for b in self.bins], dtype=np.float64)
        return table[self.bin_index(values)]

    def neutral_points(self, intercept: float, count: int) -> float:
        """Points of a class with WoE 0 (the average risk): the baseline for reason codes."""
        return OFFSET / count - FACTOR * intercept / count


def _woe(defaults: FloatArray, others: FloatArray, total_d: float, total_n: float) -> FloatArray:
    k = defaults.shape[0]
    out = np.log((defaults + 0.5) / (total_d + 0.5 * k)) - np.log(
        (others + 0.5) / (total_n + 0.5 * k)
    )
    return np.asarray(out, dtype=np.float64)


def _iv(defaults: FloatArray, others: FloatArray, total_d: float, total_n: float) -> float:
    woe = _woe(defaults, others, total_d, total_n)
    return float(np.sum((defaults / total_d - others / total_n) * woe))


def _pool(blocks: list[list[float]], rising: bool) -> list[list[float]]:
    """Pool adjacent violators: blocks of [defaults, rows, upper edge] until rates are monotone."""
    out: list[list[float]] = []
    for block in blocks:
        out.append(list(block))
        while len(out) > 1:
            a, b = out[-2], out[-1]
            ra, rb = a[0] / a[1], b[0] / b[1]
            if (ra <= rb) if rising else (ra >= rb):
                break
            out[-2:] = [[a[0] + b[0], a[1] + b[1], b[2]]]
    return out


def _merge_at(blocks: list[list[float]], i: int) -> None:
    """Merge block ``i`` with block ``i + 1``."""
    a, b = blocks[i], blocks[i + 1]
    blocks[i : i + 2] = [[a[0] + b[0], a[1] + b[1], b[2]]]


def _shrink(blocks: list[list[float]], min_rows: float) -> list[list[float]]:
    """Merge small classes into the neighbour with the closer rate, then cap the count."""
    while len(blocks) > 1:
        small = [i for i, b in enumerate(blocks) if b[1] < min_rows]
        if not small:
            break
        i = min(small, key=lambda j: (blocks[j][1], j))
        if i == 0:
            _merge_at(blocks, 0)
        elif i == len(blocks) - 1:
            _merge_at(blocks, i - 1)
        else:
            rate = blocks[i][0] / blocks[i][1]
            left = abs(rate - blocks[i - 1][0] / blocks[i - 1][1])
            right = abs(rate - blocks[i + 1][0] / blocks[i + 1][1])
            _merge_at(blocks, i - 1 if left <= right else i)
    while len(blocks) > MAX_BINS:
        gaps = [
            abs(blocks[i][0] / blocks[i][1] - blocks[i + 1][0] / blocks[i + 1][1])
            for i in range(len(blocks) - 1)
        ]
        _merge_at(blocks, int(np.argmin(gaps)))
    return blocks


def _chi_square(a: list[float], b: list[float]) -> float:
    """Pearson's chi-square of the 2x2 table (defaults, others) of two adjacent classes."""
    table = np.array([[a[0], a[1] - a[0]], [b[0], b[1] - b[0]]], dtype=np.float64)
    expected = table.sum(axis=1)[:, None] * table.sum(axis=0)[None, :] / table.sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(expected > 0, (table - expected) ** 2 / expected, 0.0)
    return float(terms.sum())


def _significant(blocks: list[list[float]]) -> list[list[float]]:
    """Merge the adjacent pair whose default rates differ least until every pair differs at
    the 5% level (chi-square above ``CHI_SQUARE_5PCT``): no class split on noise."""
    while len(blocks) > 1:
        stats = [_chi_square(blocks[i], blocks[i + 1]) for i in range(len(blocks) - 1)]
        i = int(np.argmin(stats))
        if stats[i] >= CHI_SQUARE_5PCT:
            break
        _merge_at(blocks, i)
    return blocks


def coarse_classes(
    values: FloatArray, labels: npt.NDArray[np.integer], *, total_d: float, total_n: float
) -> tuple[float, ...]:
    """Cut points of the coarse classes of one feature's known values (may be empty)."""
    known = ~np.isnan(values)
    v, y = values[known], np.asarray(labels, dtype=np.float64)[known]
    if v.shape[0] == 0:
        return ()
    cuts = np.unique(np.quantile(v, FINE_QUANTILES, method="inverted_cdf"))
    cuts = cuts[cuts > v.min()]
    index = np.searchsorted(cuts, v, side="right")
    counts = np.bincount(index, minlength=cuts.shape[0] + 1).astype(np.float64)
    bads = np.bincount(index, weights=y, minlength=cuts.shape[0] + 1)
    uppers = [*cuts.tolist(), math.inf]
    fine = [[bads[i], counts[i], uppers[i]] for i in range(len(uppers)) if counts[i] > 0]
    best: list[list[float]] = []
    best_iv = -1.0
    for rising in (True, False):
        blocks = _significant(_shrink(_pool(fine, rising), MIN_BIN_SHARE * labels.shape[0]))
        d = np.asarray([b[0] for b in blocks])
        n = np.asarray([b[1] - b[0] for b in blocks])
        iv = _iv(d, n, total_d, total_n)
        if iv > best_iv:
            best, best_iv = blocks, iv
    return tuple(float(b[2]) for b in best[:-1])


@dataclass(frozen=True)
class Scorecard:
    """The fitted scorecard: characteristics with points, the intercept, the features it read."""

    characteristics: tuple[Characteristic, ...]
    intercept: float
    feature_count: int
    candidates: dict[str, float]

    def points(self, features: FloatMatrix) -> FloatMatrix:
        """Points of each row for each characteristic (columns in ``characteristics`` order)."""
        if not self.characteristics:
            return np.zeros((features.shape[0], 0))
        return np.column_stack([c.points_of(features[:, c.index]) for c in self.characteristics])

    def total_points(self, features: FloatMatrix) -> FloatArray:
        if not self.characteristics:
            return np.full(features.shape[0], OFFSET - FACTOR * self.intercept)
        return np.asarray(self.points(features).sum(axis=1), dtype=np.float64)

    def raw(self, features: FloatMatrix) -> FloatArray:
        """Log-odds of default read from the points: ``(offset - points) / factor``."""
        return (OFFSET - self.total_points(features)) / FACTOR

    def contributions(self, features: FloatMatrix) -> FloatMatrix:
        """Per-row log-odds each model feature adds against a class of average risk."""
        out = np.zeros((features.shape[0], self.feature_count), dtype=np.float64)
        count = max(1, len(self.characteristics))
        for c in self.characteristics:
            neutral = c.neutral_points(self.intercept, count)
            out[:, c.index] = (neutral - c.points_of(features[:, c.index])) / FACTOR
        return out

    def to_text(self) -> str:
        return json.dumps(
            {
                "kind": "scorecard",
                "base_score": BASE_SCORE,
                "base_odds": BASE_ODDS,
                "pdo": PDO,
                "intercept": self.intercept,
                "feature_count": self.feature_count,
                "information_value": self.candidates,
                "characteristics": [
                    {
                        "feature": c.feature,
                        "index": c.index,
                        "edges": list(c.edges),
                        "iv": c.iv,
                        "coefficient": c.coefficient,
                        "bins": [
                            {
                                "lower": b.lower,
                                "upper": b.upper,
                                "missing": b.missing,
                                "rows": b.rows,
                                "defaults": b.defaults,
                                "woe": b.woe,
                                "points": b.points,
                            }
                            for b in c.bins
                        ],
                    }
                    for c in self.characteristics
                ],
            },
            indent=1,
        )

    @classmethod
    def from_text(cls, text: str) -> Scorecard:
        data = json.loads(text)
        if data.get("kind") != "scorecard":
            raise TrainingDataError("the artifact is not a scorecard")
        return cls(
            characteristics=tuple(
                Characteristic(
                    feature=c["feature"],
                    index=int(c["index"]),
                    edges=tuple(float(e) for e in c["edges"]),
                    iv=float(c["iv"]),
                    coefficient=float(c["coefficient"]),
                    bins=tuple(Bin(**b) for b in c["bins"]),
                )
                for c in data["characteristics"]
            ),
            intercept=float(data["intercept"]),
            feature_count=int(data["feature_count"]),
            candidates={k: float(v) for k, v in data["information_value"].items()},
        )

    def table(self) -> list[dict[str, Any]]:
        """Every class of every characteristic: feature, class, rows, defaults, WoE, points."""
        return [
            {
                "feature": c.feature,
                "bin": b.label(),
                "rows": b.rows,
                "defaults": b.defaults,
                "default_rate": round(b.defaults / b.rows, 6) if b.rows else None,
                "woe": round(b.woe, 6),
                "points": b.points,
            }
            for c in self.characteristics
            for b in c.bins
        ]


def _woe_column(
    values: FloatArray,
    labels: npt.NDArray[np.integer],
    edges: tuple[float, ...],
    totals: tuple[float, float],
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """WoE per class (known classes, then missing), and each row's WoE, rows, defaults."""
    k = len(edges) + 1
    index = np.searchsorted(np.asarray(edges, dtype=np.float64), values, side="right")
    index = np.where(np.isnan(values), k, index)
    y = np.asarray(labels, dtype=np.float64)
    rows = np.bincount(index, minlength=k + 1).astype(np.float64)
    bads = np.asarray(np.bincount(index, weights=y, minlength=k + 1), dtype=np.float64)
    woe = _woe(bads, rows - bads, totals[0], totals[1])
    if rows[k] == 0:
        woe[k] = 0.0
    return woe, woe[index], rows, bads


def _logistic(design: FloatMatrix, labels: npt.NDArray[np.integer]) -> FloatArray:
    """Ridge-penalised logistic regression (intercept unpenalised) by damped Newton steps."""
    x = np.column_stack([np.ones(design.shape[0]), design])
    penalty = RIDGE * np.eye(x.shape[1])
    penalty[0, 0] = 0.0
    rate = float(np.mean(labels))
    start = np.zeros(x.shape[1])
    start[0] = math.log(rate / (1.0 - rate))
    return newton_logistic(x, labels, start=start, penalty=penalty)


def _select(woe_rows: dict[int, FloatArray], ivs: dict[int, float]) -> list[int]:
    """Features by falling IV, skipping strongly correlated ones, at most ``MAX_FEATURES``."""
    chosen: list[int] = []
    for j in sorted((j for j in ivs if ivs[j] >= MIN_IV), key=lambda j: (-ivs[j], j)):
        column = woe_rows[j]
        if float(np.std(column)) == 0.0:
            continue
        correlated = any(
            abs(float(np.corrcoef(column, woe_rows[c])[0, 1])) > MAX_CORRELATION for c in chosen
        )
        if not correlated:
            chosen.append(j)
        if len(chosen) == MAX_FEATURES:
            break
    return chosen


def fit_scorecard(
    features: FloatMatrix, labels: npt.NDArray[np.integer], names: tuple[str, ...]
) -> Scorecard:
    """Bin, select and fit; see the module docstring for every rule."""
    total_d = float(np.sum(labels))
    total_n = float(labels.shape[0]) - total_d
    edges: dict[int, tuple[float, ...]] = {}
    woe_rows: dict[int, FloatArray] = {}
    ivs: dict[int, float] = {}
    stats: dict[int, tuple[FloatArray, FloatArray, FloatArray]] = {}
    for j in range(features.shape[1]):
        cuts = coarse_classes(features[:, j], labels, total_d=total_d, total_n=total_n)
        woe, per_row, rows, bads = _woe_column(features[:, j], labels, cuts, (total_d, total_n))
        edges[j], woe_rows[j], stats[j] = cuts, per_row, (woe, rows, bads)
        ivs[j] = float(np.sum((bads / total_d - (rows - bads) / total_n) * woe))
    chosen = _select(woe_rows, ivs)
    theta = _logistic(np.zeros((features.shape[0], 0)), labels)
    while chosen:
        theta = _logistic(np.column_stack([woe_rows[j] for j in chosen]), labels)
        wrong = [j for j, b in zip(chosen, theta[1:], strict=True) if b <= 0.0]
        if not wrong:
            break
        chosen = [j for j in chosen if j not in wrong]
    if not chosen:
        theta = _logistic(np.zeros((features.shape[0], 0)), labels)
    intercept, count = float(theta[0]), max(1, len(chosen))
    characteristics = []
    for j, coefficient in zip(chosen, theta[1:], strict=True):
        woe, rows, bads = stats[j]
        bounds = [None, *edges[j], None]
        bins = [
            Bin(
                lower=bounds[i],
                upper=bounds[i + 1],
                rows=int(rows[i]),
                defaults=int(bads[i]),
                woe=float(woe[i]),
                points=round(OFFSET / count - FACTOR * (coefficient * woe[i] + intercept / count)),
                missing=False,
            )
            for i in range(len(edges[j]) + 1)
        ]
        k = len(edges[j]) + 1
        bins.append(
            Bin(
                lower=None,
                upper=None,
                rows=int(rows[k]),
                defaults=int(bads[k]),
                woe=float(woe[k]),
                points=round(OFFSET / count - FACTOR * (coefficient * woe[k] + intercept / count)),
                missing=True,
            )
        )
        characteristics.append(
            Characteristic(
                feature=names[j],
                index=j,
                edges=edges[j],
                bins=tuple(bins),
                iv=ivs[j],
                coefficient=float(coefficient),
            )
        )
    return Scorecard(
        characteristics=tuple(characteristics),
        intercept=intercept,
        feature_count=features.shape[1],
        candidates={names[j]: round(ivs[j], 6) for j in range(features.shape[1])},
    )
