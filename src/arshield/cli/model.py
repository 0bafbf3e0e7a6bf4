"""``arshield model``: train, validate, register, activate and compare grade models."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from arshield.cli.buyers_import import cli_actor
from arshield.cli.common import console, handle_errors, transaction
from arshield.kit.time import parse_date, today, utcnow
from arshield.workbench import service
from arshield.workbench.domain import (
    DEFAULT_SEED,
    PLATFORM,
    Algorithm,
    CalibrationRow,
    Metrics,
    TrainingDataError,
)
from arshield.workbench.features import resolve
from arshield.workbench.scorecard import Scorecard

app = typer.Typer(
    help="Grade model workbench: train, evaluate, list, show, activate and compare models.",
    no_args_is_help=True,
)

METRICS = ("auc", "gini", "ks", "brier")


def _as_of(value: str | None) -> dt.date:
    return parse_date(value) if value else today()


def _echo_json(data: dict[str, Any]) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def _metrics_table(title: str, rows: list[tuple[str, Metrics]]) -> Table:
    table = Table(title=title)
    for column in ("", "rows", "defaults", "AUC", "Gini", "KS", "Brier"):
        table.add_column(column, justify="right")
    for name, m in rows:
        table.add_row(
            name,
            str(m.rows),
            str(m.defaults),
            f"{m.auc:.4f}",
            f"{m.gini:.4f}",
            f"{m.ks:.4f}",
            f"{m.brier:.5f}",
        )
    return table


def _training_json(run: service.TrainingRun, seconds: float) -> dict[str, Any]:
    out: dict[str, Any] = {
        "algorithm": run.algorithm.value,
        "rows": run.rows,
        "defaults": run.defaults,
        "feature_count": len(run.features),
        "features": list(run.features),
        "seed": run.seed,
        "data_fingerprint": run.fingerprint,
    }
    if run.cross_validation is not None:
        cv = service.cv_dict(run.cross_validation)
        out |= {"evaluation": f"{cv['k']}-fold stratified cross-validation", "cv": cv["k"]}
        out |= {key: cv[key] for key in cv if key not in ("k", "seed")}
    elif run.in_sample is not None:
        out |= {"evaluation": "in-sample (the training rows: optimistic)", "cv": 0}
        out |= {metric: getattr(run.in_sample, metric) for metric in METRICS}
        out["folds"] = []
    out["in_sample"] = run.in_sample.to_dict() if run.in_sample else None
    if run.model is not None:
        out["calibration"] = run.model.platt.to_json()
    out["saved"] = (
        {"name": run.card.name, "version": run.card.version, "model_version": run.card.label_text}
        if run.card
        else None
    )
    out["notes"] = run.notes
    out["seconds"] = round(seconds, 3)
    return out


def _print_training(run: service.TrainingRun, seconds: float) -> None:
    console.print(
        f"{run.algorithm.value}: {run.rows} rows, {run.defaults} defaults, "
        f"{len(run.features)} features, seed {run.seed}, data {run.fingerprint[:19]}...",
        highlight=False,
    )
    for key, value in run.notes.items():
        if key != "outcomes_sha256":
            console.print(f"  {key.replace('_', ' ')}: {value}", highlight=False)
    if run.cross_validation is not None:
        cv = run.cross_validation
        rows = [(f"fold {i + 1}", m) for i, m in enumerate(cv.folds)]
        console.print(_metrics_table(f"{cv.k}-fold stratified cross-validation", rows))
        console.print(
            "mean: "
            + ", ".join(f"{m.upper()} {cv.mean(m):.4f} (sd {cv.std(m):.4f})" for m in METRICS),
            highlight=False,
        )
    elif run.in_sample is not None:
        console.print(
            _metrics_table("in-sample (training rows: optimistic)", [("all", run.in_sample)])
        )
    if run.model is not None and isinstance(run.model.scorer, Scorecard) and not run.card:
        _print_scorecard(run.model.scorer)
    if run.card is not None:
        console.print(f"saved as [bold]{run.card.label_text}[/bold]")
    console.print(f"{seconds:.1f} s", highlight=False)


def _print_scorecard(card: Scorecard) -> None:
    table = Table(title="scorecard (points: more is safer; 600 at odds 50:1, 20 to double)")
    for column in ("feature", "bin", "rows", "defaults", "default rate", "WoE", "points"):
        table.add_column(column, justify="left" if column in ("feature", "bin") else "right")
    for row in card.table():
        rate = row["default_rate"]
        table.add_row(
            row["feature"],
            row["bin"],
            str(row["rows"]),
            str(row["defaults"]),
            "" if rate is None else f"{rate:.4f}",
            f"{row['woe']:+.3f}",
            str(row["points"]),
        )
    console.print(table)


@app.command("train")
@handle_errors
def train_cmd(
    data: str = typer.Option(..., "--data", help="CSV, Parquet or ARFF file, or 'platform'."),
    label: str | None = typer.Option(
        None, "--label", help="The 0/1 default column (platform: the outcomes file's)."
    ),
    id_column: str | None = typer.Option(None, "--id", help="A row id column (not a feature)."),
    algorithm: Algorithm = typer.Option(Algorithm.GBM, "--algorithm"),
    cv: int = typer.Option(0, "--cv", help="Stratified K-fold cross-validation with K folds."),
    seed: int = typer.Option(DEFAULT_SEED, "--seed"),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    save: str | None = typer.Option(None, "--save", help="Fit on all rows and register as NAME."),
    outcomes: Path | None = typer.Option(
        None, "--outcomes", help="With --data platform: CSV company_ref,defaulted_within_12m."
    ),
    as_of: str | None = typer.Option(
        None, "--as-of", help="With --data platform: features as of YYYY-MM-DD (default today)."
    ),
) -> None:
    """Cross-validate and/or fit a grade model on labelled history; --save registers it."""
    started = time.perf_counter()
    if data == PLATFORM:
        if outcomes is None:
            raise TrainingDataError("--data platform needs --outcomes FILE")
        day = _as_of(as_of)
        with transaction() as session:
            platform = service.load_platform(session, outcomes=outcomes, as_of=day, label=label)
        notes = platform.notes()
        labelled = platform.data
    else:
        labelled = service.load_file(Path(data), label=label, id_column=id_column)
        notes = {}
    if save is None:
        run = service.train(None, data=labelled, algorithm=algorithm, seed=seed, cv=cv, notes=notes)
    else:
        with transaction() as session:
            run = service.train(
                session,
                data=labelled,
                algorithm=algorithm,
                seed=seed,
                cv=cv,
                save=save,
                now=utcnow(),
                actor=cli_actor(),
                notes=notes,
            )
    seconds = time.perf_counter() - started
    if as_json:
        _echo_json(_training_json(run, seconds))
        return
    _print_training(run, seconds)


def _calibration_rows(rows: list[CalibrationRow]) -> list[dict[str, Any]]:
    return [row.to_dict() for row in rows]


@app.command("evaluate")
@handle_errors
def evaluate_cmd(
    name: str = typer.Argument(..., help="NAME or NAME@VERSION of a saved model."),
    data: str = typer.Option(..., "--data", help="CSV, Parquet or ARFF file, or 'platform'."),
    label: str | None = typer.Option(None, "--label", help="The 0/1 default column."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    outcomes: Path | None = typer.Option(None, "--outcomes", help="With --data platform."),
    as_of: str | None = typer.Option(None, "--as-of", help="With --data platform."),
) -> None:
    """Out-of-sample metrics and calibration by grade (predicted vs observed default rate)."""
    with transaction() as session:
        if data == PLATFORM:
            result = service.evaluate(
                session, ref=name, label=label, outcomes=outcomes, as_of=_as_of(as_of)
            )
        else:
            result = service.evaluate(session, ref=name, path=Path(data), label=label)
    if as_json:
        _echo_json(
            {
                "model": result.model,
                "data": result.source,
                **result.metrics.to_dict(),
                "expected_defaults": result.expected_defaults,
                "calibration": _calibration_rows(result.calibration),
            }
        )
        return
    console.print(_metrics_table(f"{result.model} on {result.source}", [("all", result.metrics)]))
    table = Table(title="calibration by grade")
    for column in ("grade", "rows", "defaults", "observed", "mean PD", "grade PD", "p-value"):
        table.add_column(column, justify="right")
    for row in result.calibration:
        table.add_row(
            str(row.grade),
            str(row.rows),
            str(row.defaults),
            f"{row.observed_rate:.4%}",
            f"{row.mean_pd:.4%}",
            f"{row.grade_pd:.4%}",
            f"{row.p_value:.3f}",
        )
    console.print(table)
    console.print(
        f"defaults expected {result.expected_defaults:.1f}, observed {result.metrics.defaults}",
        highlight=False,
    )


@app.command("list")
@handle_errors
def list_cmd(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Saved model versions; the active one is marked."""
    with transaction() as session:
        models = service.list_models(session)
        active = service.active_version(session)
    rows: list[dict[str, Any]] = []
    for m in models:
        cv = m.card.metrics.get("cross_validation") or {}
        rows.append(
            {
                "model": m.card.label_text,
                "algorithm": m.card.algorithm.value,
                "active": m.active,
                "features": len(m.card.features),
                "rows": m.card.rows,
                "defaults": m.card.defaults,
                "cv_auc": cv.get("auc"),
                "created_at": m.created_at.isoformat(),
                "created_by": m.created_by,
            }
        )
    if as_json:
        _echo_json({"active": active, "models": rows})
        return
    table = Table(title=f"models (active: {active})")
    for column in ("model", "algorithm", "active", "features", "rows", "defaults", "CV AUC",
                   "created"):  # fmt: skip
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["model"],
            row["algorithm"],
            "*" if row["active"] else "",
            str(row["features"]),
            str(row["rows"]),
            str(row["defaults"]),
            "" if row["cv_auc"] is None else f"{row['cv_auc']:.4f}",
            row["created_at"][:19],
        )
    console.print(table)


@app.command("show")
@handle_errors
def show_cmd(
    name: str = typer.Argument(..., help="NAME or NAME@VERSION."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """A model's card: data, metrics, parameters, versions, features (and a scorecard's table)."""
    with transaction() as session:
        summary, model = service.show_model(session, ref=name)
    card = summary.card
    mapping = {f: (feature.name if (feature := resolve(f)) else None) for f in card.features}
    data: dict[str, Any] = {
        "model": card.label_text,
        "algorithm": card.algorithm.value,
        "active": summary.active,
        "label": card.label,
        "data_source": card.data_source,
        "data_fingerprint": card.data_fingerprint,
        "rows": card.rows,
        "defaults": card.defaults,
        "seed": card.seed,
        "features": list(card.features),
        "platform_features": mapping,
        "metrics": card.metrics,
        "calibration": model.platt.to_json(),
        "params": card.params,
        "library_versions": card.library_versions,
        "created_at": summary.created_at.isoformat(),
        "created_by": summary.created_by,
    }
    if isinstance(model.scorer, Scorecard):
        data["scorecard"] = model.scorer.table()
    if as_json:
        _echo_json(data)
        return
    for key in ("model", "algorithm", "active", "label", "data_source", "data_fingerprint",
                "rows", "defaults", "seed", "created_at", "created_by"):  # fmt: skip
        console.print(f"{key}: {data[key]}", highlight=False)
    console.print(f"calibration: {data['calibration']}", highlight=False)
    console.print(f"library versions: {card.library_versions}", highlight=False)
    unmapped = [f for f, target in mapping.items() if target is None]
    console.print(
        f"features: {len(card.features)}; the platform computes "
        f"{len(card.features) - len(unmapped)}"
        + (
            f" (not: {', '.join(unmapped[:10])}{'...' if len(unmapped) > 10 else ''})"
            if unmapped
            else ""
        ),
        highlight=False,
    )
    cv = card.metrics.get("cross_validation")
    if cv:
        console.print(
            f"{cv['k']}-fold CV: " + ", ".join(f"{m.upper()} {cv[m]:.4f}" for m in METRICS),
            highlight=False,
        )
    if isinstance(model.scorer, Scorecard):
        _print_scorecard(model.scorer)


@app.command("activate")
@handle_errors
def activate_cmd(
    name: str = typer.Argument(..., help="NAME or NAME@VERSION, or 'expert' for the expert model."),
) -> None:
    """Make a model grade the platform's buyers; refused if the platform cannot compute its
    features."""
    with transaction() as session:
        version = service.activate(session, ref=name, now=utcnow(), actor=cli_actor())
    console.print(f"active model: [bold]{version}[/bold]")


def _side_rows(side: service.Side) -> list[dict[str, Any]]:
    return side.by_grade


@app.command("compare")
@handle_errors
def compare_cmd(
    challenger: str = typer.Argument(..., help="The challenger: NAME[@VERSION] or 'expert'."),
    champion: str | None = typer.Option(
        None, "--champion", help="Default: the active model (the expert model if none)."
    ),
    outcomes: Path = typer.Option(..., "--outcomes", help="CSV company_ref,defaulted_within_12m."),
    as_of: str | None = typer.Option(None, "--as-of", help="Grade as of YYYY-MM-DD."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Champion / challenger: grade the portfolio with both and compare on realised outcomes."""
    day = _as_of(as_of)
    with transaction() as session:
        first = champion or service.active_version(session)
        if champion is None and "@" not in first:
            first = "expert"
        result = service.compare(
            session, champion=first, challenger=challenger, outcomes=outcomes, as_of=day
        )
    if as_json:
        _echo_json(
            {
                "as_of": result.as_of.isoformat(),
                "buyers": result.buyers,
                "defaults": result.defaults,
                "excluded_in_default": result.in_default,
                "excluded_without_outcome": result.without_outcome,
                "champion": {
                    "model": result.champion.model,
                    **result.champion.metrics.to_dict(),
                    "by_grade": result.champion.by_grade,
                },
                "challenger": {
                    "model": result.challenger.model,
                    **result.challenger.metrics.to_dict(),
                    "by_grade": result.challenger.by_grade,
                },
                "auc_difference": result.auc_difference,
                "delong_z": result.z,
                "p_value": result.p_value,
                "migration": result.migration,
                "warnings": result.warnings,
            }
        )
        return
    console.print(
        _metrics_table(
            f"champion / challenger as of {result.as_of} ({result.in_default} buyers in default "
            f"and {result.without_outcome} without an outcome left out)",
            [
                (f"champion {result.champion.model}", result.champion.metrics),
                (f"challenger {result.challenger.model}", result.challenger.metrics),
            ],
        )
    )
    table = Table(title="default rate by grade")
    for column in ("grade", "champion buyers", "defaults", "rate", "challenger buyers",
                   "defaults", "rate"):  # fmt: skip
        table.add_column(column, justify="right")
    first_rows = {r["grade"]: r for r in result.champion.by_grade}
    second_rows = {r["grade"]: r for r in result.challenger.by_grade}
    for grade in sorted(set(first_rows) | set(second_rows)):
        cells = [str(grade)]
        for rows in (first_rows, second_rows):
            row = rows.get(grade)
            cells += (
                [str(row["buyers"]), str(row["defaults"]), f"{row['default_rate']:.2%}"]
                if row
                else ["", "", ""]
            )
        table.add_row(*cells)
    console.print(table)
    for warning in result.warnings:
        console.print(f"[yellow]warning[/yellow]: {warning}", highlight=False)
    verdict = "significant" if result.p_value < 0.05 else "not significant at 5%"
    console.print(
        f"AUC challenger - champion: {result.auc_difference:+.4f} (DeLong z {result.z:.2f}, "
        f"p {result.p_value:.4f}: {verdict})",
        highlight=False,
    )
