"""Benchmark: 10-fold cross-validation of the grade model workbench on the Polish bankruptcy data.

    .venv/bin/python benchmarks/workbench.py --runs 3

Each run is ``arshield model train --data 1year.arff --label class --cv 10 --json`` in a fresh
process, timed from start to exit (peak memory of the process tree sampled every 50 ms), for
``gbm`` and for ``scorecard``. Baselines on the very same folds (the workbench's stratified
folds for the seed), in this process: Altman's Z'' alone (Attr3, Attr6, Attr7, Attr8; a lower
Z'' is riskier) and a plain logistic regression on all 64 ratios (each winsorised at the
training folds' 1st and 99th percentiles, missing values set to the training median,
standardised; ridge 1.0).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procmem import machine, run_measured

from arshield.workbench.calibration import newton_logistic
from arshield.workbench.datasets import LabelledData, read_labelled
from arshield.workbench.metrics import auc
from arshield.workbench.training import stratified_folds

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "polish-bankruptcy" / "1year.arff"
OUT = Path(__file__).resolve().parent / "out"
ARSHIELD = str(Path(sys.executable).with_name("arshield"))
METRICS = ("auc", "gini", "ks", "brier")


def train_runs(data: Path, *, algorithm: str, folds: int, seed: int, runs: int) -> list[dict]:
    results = []
    for _ in range(runs):
        measured = run_measured(
            [ARSHIELD, "model", "train", "--data", str(data), "--label", "class",
             "--algorithm", algorithm, "--cv", str(folds), "--seed", str(seed), "--json"]
        )  # fmt: skip
        if measured.returncode != 0:
            raise SystemExit(measured.output)
        body = json.loads(measured.output[measured.output.index("{") :])
        result = {
            "seconds": round(measured.seconds, 2),
            "peak_mib": round(measured.peak_mib),
            **{metric: body[metric] for metric in METRICS},
            "auc_std": body["auc_std"],
            "fold_auc": [round(f["auc"], 4) for f in body["folds"]],
        }
        results.append(result)
        print(
            f"{algorithm}: {measured.seconds:.2f} s, peak {measured.peak_mib:,.0f} MiB, "
            + ", ".join(f"{m.upper()} {body[m]:.4f}" for m in METRICS),
            flush=True,
        )
    return results


def altman_auc(data: LabelledData, folds: np.ndarray) -> list[float]:
    """Per-fold AUC of Altman's Z'' (6.56 X1 + 3.26 X2 + 6.72 X3 + 1.05 X4; missing: median)."""
    names = data.feature_names
    x = np.column_stack([data.features[:, names.index(a)] for a in
                         ("Attr3", "Attr6", "Attr7", "Attr8")])  # fmt: skip
    out = []
    for fold in range(int(folds.max()) + 1):
        train, test = folds != fold, folds == fold
        medians = np.nanmedian(x[train], axis=0)
        filled = np.where(np.isnan(x[test]), medians, x[test])
        z = filled @ np.array([6.56, 3.26, 6.72, 1.05])
        out.append(auc(-z, data.labels[test]))
    return out


def logistic_auc(data: LabelledData, folds: np.ndarray) -> list[float]:
    """Per-fold AUC of a ridge logistic regression on all ratios (winsorised, imputed)."""
    out = []
    for fold in range(int(folds.max()) + 1):
        train, test = folds != fold, folds == fold
        low = np.nanpercentile(data.features[train], 1, axis=0)
        high = np.nanpercentile(data.features[train], 99, axis=0)
        medians = np.nanmedian(data.features[train], axis=0)

        xtr, xte = (
            np.clip(np.where(np.isnan(x), medians, x), low, high)
            for x in (data.features[train], data.features[test])
        )
        mean, std = xtr.mean(axis=0), xtr.std(axis=0)
        std[std == 0] = 1.0
        design = np.column_stack([np.ones(xtr.shape[0]), (xtr - mean) / std])
        penalty = np.eye(design.shape[1])
        penalty[0, 0] = 0.0
        theta = newton_logistic(
            design, data.labels[train], start=np.zeros(design.shape[1]), penalty=penalty
        )
        scores = np.column_stack([np.ones(xte.shape[0]), (xte - mean) / std]) @ theta
        out.append(auc(scores, data.labels[test]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print(machine(), flush=True)
    data = read_labelled(args.data, label="class")
    print(f"{args.data.name}: {data.rows} rows, {data.defaults} defaults, "
          f"{len(data.feature_names)} features", flush=True)  # fmt: skip
    gbm = train_runs(args.data, algorithm="gbm", folds=args.folds, seed=args.seed, runs=args.runs)
    scorecard = train_runs(
        args.data, algorithm="scorecard", folds=args.folds, seed=args.seed, runs=args.runs
    )
    folds = stratified_folds(data.labels, k=args.folds, seed=args.seed)
    started = time.perf_counter()
    altman = altman_auc(data, folds)
    logistic = logistic_auc(data, folds)
    baseline_seconds = time.perf_counter() - started
    print(f"baseline Altman Z'': AUC {statistics.mean(altman):.4f}; logistic regression on all "
          f"ratios: AUC {statistics.mean(logistic):.4f} ({baseline_seconds:.1f} s)")  # fmt: skip
    summary = {
        "machine": machine(),
        "data": str(args.data.name),
        "rows": data.rows,
        "defaults": data.defaults,
        "folds": args.folds,
        "seed": args.seed,
        "gbm": gbm,
        "gbm_median_s": statistics.median(r["seconds"] for r in gbm),
        "scorecard": scorecard,
        "scorecard_median_s": statistics.median(r["seconds"] for r in scorecard),
        "baseline_altman_auc": statistics.mean(altman),
        "baseline_altman_fold_auc": [round(a, 4) for a in altman],
        "baseline_logistic_auc": statistics.mean(logistic),
        "baseline_logistic_fold_auc": [round(a, 4) for a in logistic],
    }
    (OUT / "workbench-polish.json").write_text(json.dumps(summary, indent=2))
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
