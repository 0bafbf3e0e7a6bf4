"""Fixtures for workbench tests: a sample of the Polish data, and a generated book of buyers."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner, Result

from arshield.buyers.importing import ImportKind, import_buyers
from arshield.cli.main import app as cli_app
from arshield.demo.generate import generate, write
from arshield.kit.db import unit_of_work
from arshield.risk.tables import service as tables_service
from arshield.workbench.arff import parse_arff

DATA = Path(__file__).parent / "data"
POLISH_SAMPLE = DATA / "polish-sample.arff"
AS_OF = dt.date(2026, 6, 30)
NOW = dt.datetime(2026, 7, 1, 8, 0, tzinfo=dt.UTC)
# Ratios of the Polish data the platform also computes (their aliases in the catalogue).
PLATFORM_ATTRS = ("Attr1", "Attr2", "Attr3", "Attr4", "Attr6", "Attr7", "Attr8", "Attr9",
                  "Attr10", "Attr17", "Attr23", "Attr40", "Attr46", "Attr50", "Attr51")  # fmt: skip


def run(*args: str) -> Result:
    """``arshield ARGS`` through the CLI runner."""
    return CliRunner().invoke(cli_app, list(args))


def run_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    data: dict[str, Any] = json.loads(result.stdout)
    return data


@pytest.fixture(scope="session")
def polish_frame() -> pl.DataFrame:
    """The committed 500-row sample of the Polish bankruptcy data, as text cells."""
    frame, _attributes = parse_arff(POLISH_SAMPLE.read_text())
    return frame.drop("__row")


@pytest.fixture
def polish_files(tmp_path: Path, polish_frame: pl.DataFrame) -> dict[str, Path]:
    """The sample as ARFF, as CSV with an id column, and a platform-computable subset as CSV;
    plus a training part (first 350 rows) and a holdout part (the rest) of the subset."""
    with_id = polish_frame.with_row_index("firm").with_columns(pl.col("firm").cast(pl.Utf8))
    subset = with_id.select("firm", *PLATFORM_ATTRS, "class")
    paths = {
        "arff": POLISH_SAMPLE,
        "csv": tmp_path / "polish.csv",
        "parquet": tmp_path / "polish.parquet",
        "subset": tmp_path / "subset.csv",
        "train": tmp_path / "train.csv",
        "holdout": tmp_path / "holdout.csv",
    }
    with_id.write_csv(paths["csv"])
    with_id.with_columns(
        pl.col(c).cast(pl.Float64) for c in polish_frame.columns if c != "class"
    ).write_parquet(paths["parquet"])
    subset.write_csv(paths["subset"])
    subset.head(350).write_csv(paths["train"])
    subset.slice(350).write_csv(paths["holdout"])
    return paths


@dataclass(frozen=True)
class Book:
    """A generated book of buyers in the database, with realised outcomes split in two."""

    folder: Path
    outcomes: Path
    first_half: Path
    second_half: Path
    companies: int


def load_book(
    factory: sessionmaker[Session], folder: Path, *, companies: int = 1500, seed: int = 7
) -> Book:
    """Generate and import a demo book as of ``AS_OF``; outcomes split by alternate buyer."""
    with unit_of_work(factory) as session:
        tables_service.load_defaults(session)
    data = generate(companies=companies, seed=seed, as_of=AS_OF)
    write(data, folder)
    for kind in (ImportKind.COMPANIES, ImportKind.FINANCIALS, ImportKind.PAYMENTS,
                 ImportKind.EVENTS):  # fmt: skip
        with unit_of_work(factory) as session:
            import_buyers(
                session, kind=kind, path=folder / f"{kind.value}.csv", actor="test",
                max_bytes=2**30, now=NOW,
            )  # fmt: skip
    outcomes = data.outcomes.sort("company_ref")
    halves = (folder / "outcomes-a.csv", folder / "outcomes-b.csv")
    outcomes.gather_every(2).write_csv(halves[0])
    outcomes.gather_every(2, offset=1).write_csv(halves[1])
    return Book(
        folder=folder,
        outcomes=folder / "outcomes.csv",
        first_half=halves[0],
        second_half=halves[1],
        companies=companies,
    )
