"""``arshield grade``: run, show and export buyer grades."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from arshield.cli.common import OutputFormat, console, emit_rows, handle_errors, transaction
from arshield.kit.errors import ValidationFailed
from arshield.kit.time import parse_date, today, utcnow
from arshield.risk import service
from arshield.risk.backtest import backtest
from arshield.risk.domain import Grade
from arshield.workbench import service as workbench

app = typer.Typer(
    help="Buyer grades: run, show, export, backtest (by the active model: `arshield model`).",
    no_args_is_help=True,
)


def _as_of(value: str | None) -> dt.date:
    return parse_date(value) if value else today()


@app.command("run")
@handle_errors
def run(
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (default today)."),
) -> None:
    """Grade every buyer as of a date and store the run (by the active model)."""
    day = _as_of(as_of)
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        task = bar.add_task("grading", total=3)

        def report(label: str, done: int, total: int) -> None:
            bar.update(task, description=label, completed=done, total=total)

        with transaction() as session:
            summary = service.run_grading(
                session,
                as_of=day,
                now=utcnow(),
                progress=report,
                model=workbench.active_grader(session),
            )
    console.print(
        f"graded {summary.graded} buyers as of {summary.as_of} with {summary.model_version} "
        f"in {summary.seconds:.1f} s"
    )
    dist = ", ".join(f"{g}: {n}" for g, n in sorted(summary.by_grade.items()))
    console.print(f"by grade: {dist}")
    steps = ", ".join(f"{name} {sec:.1f} s" for name, sec in summary.step_seconds.items())
    console.print(f"time: {steps}")


def _grade_dict(grade: Grade) -> dict[str, object]:
    return {
        "company_id": str(grade.company_id),
        "company_ref": grade.company_ref,
        "as_of": grade.as_of.isoformat(),
        "model_version": grade.model_version,
        "score": grade.score,
        "grade": grade.grade,
        "label": grade.label,
        "pd": grade.pd,
        "confidence": grade.confidence,
        "reasons": [
            {"code": r.code, "factor": r.factor, "contribution": r.contribution, "text": r.text}
            for r in grade.reasons
        ],
        "data_quality": grade.data_quality,
        "source": grade.source,
    }


@app.command("show")
@handle_errors
def show(
    company_ref: str = typer.Argument(..., help="The buyer's company_ref."),
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (default today)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """A buyer's grade, score, PD and reasons as of a date."""
    with transaction() as session:
        grade = service.get_grade_by_ref(
            session,
            company_ref=company_ref,
            as_of=_as_of(as_of),
            model=workbench.active_grader(session),
        )
    data = _grade_dict(grade)
    if as_json:
        typer.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    console.print(
        f"[bold]{grade.company_ref}[/bold] as of {grade.as_of}: grade [bold]{grade.grade}[/bold] "
        f"({grade.label}), score {grade.score}, PD {grade.pd:.4%}, confidence {grade.confidence} "
        f"[{grade.source}, {grade.model_version}]"
    )
    for reason in grade.reasons:
        console.print(
            f"  {reason.contribution:+.3f}  {reason.code}: {reason.text}", highlight=False
        )


@app.command("export")
@handle_errors
def export(
    file: Path = typer.Argument(..., help="Output file: .csv or .parquet."),
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (default today)."),
) -> None:
    """Write company_ref,score,grade,pd,reasons for every buyer (CSV or Parquet by suffix)."""
    suffix = file.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValidationFailed(f"{file.name}: the export file must end in .csv or .parquet")
    with transaction() as session:
        frame = service.export_frame(
            session, as_of=_as_of(as_of), model=workbench.active_grader(session)
        )
    file.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        # A company_ref a spreadsheet would run as a formula is written as text.
        ref = pl.col("company_ref")
        formula = ref.str.contains(r"^[=+\-@\t\r]") & ~ref.str.contains(r"^[+-]?(\d+\.?\d*|\.\d+)$")
        frame.with_columns(
            pl.when(formula).then("'" + ref).otherwise(ref).alias("company_ref")
        ).write_csv(file)
    else:
        frame.write_parquet(file)
    console.print(f"wrote {frame.height} grades to {file}")


@app.command("backtest")
@handle_errors
def backtest_cmd(
    outcomes: Path = typer.Option(..., "--outcomes", help="CSV: company_ref,defaulted_within_12m."),
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (default today)."),
    fmt: OutputFormat = typer.Option(OutputFormat.TABLE, "--format"),
) -> None:
    """Default rate by grade, AUC and Gini of the grades as of a date against realised outcomes."""
    labels = pl.read_csv(outcomes, infer_schema=False)
    with transaction() as session:
        grades = service.export_frame(
            session, as_of=_as_of(as_of), model=workbench.active_grader(session)
        )
        result = backtest(grades, labels)
    rows = [
        {
            "grade": r.grade,
            "buyers": r.buyers,
            "defaults": r.defaults,
            "default_rate": f"{r.default_rate:.4f}",
            "grade_pd": f"{r.pd:.4f}",
        }
        for r in result.by_grade
    ]
    if fmt is OutputFormat.JSON:
        typer.echo(
            json.dumps(
                {
                    "buyers": result.buyers,
                    "defaults": result.defaults,
                    "auc": result.auc,
                    "gini": result.gini,
                    "monotone": result.monotone,
                    "by_grade": rows,
                },
                indent=2,
            )
        )
        return
    emit_rows(rows, columns=["grade", "buyers", "defaults", "default_rate", "grade_pd"], fmt=fmt)
    if fmt is OutputFormat.TABLE:
        console.print(
            f"buyers {result.buyers}, defaults {result.defaults}, AUC {result.auc:.4f}, "
            f"Gini {result.gini:.4f}, default rate rises with grade: {result.monotone}"
        )
