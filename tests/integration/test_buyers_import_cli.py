"""``arshield buyers import``: report, exit codes, --partial and --rejects."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from arshield.buyers.models import Company, FinancialStatement
from arshield.config import Settings


def _count(db: sessionmaker[Session], model: type[Company] | type[FinancialStatement]) -> int:
    with db() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_import_prints_the_report_and_exits_0(
    db: sessionmaker[Session], cli_env: Settings, data_dir: Path
) -> None:
    from arshield.cli.main import app

    runner = CliRunner()
    path = data_dir / "imports" / "companies.csv"
    result = runner.invoke(app, ["buyers", "import", "companies", str(path)])
    assert result.exit_code == 0, result.output
    for label in ("rows read", "accepted", "rejected", "inserted", "updated", "unchanged"):
        assert label in result.stdout
    assert "utf-8" in result.stdout
    assert _count(db, Company) == 5

    again = runner.invoke(app, ["buyers", "import", "companies", str(path), "--format", "json"])
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    assert (report["rows_read"], report["unchanged"], report["inserted"]) == (5, 5, 0)
    assert (report["encoding"], report["delimiter"], report["errors"]) == ("utf-8", ",", [])


def test_rejected_rows_are_listed_and_exit_1_with_nothing_written(
    db: sessionmaker[Session], cli_env: Settings, data_dir: Path, tmp_path: Path
) -> None:
    from arshield.cli.main import app

    runner = CliRunner()
    folder = data_dir / "imports"
    assert (
        runner.invoke(
            app, ["buyers", "import", "companies", str(folder / "companies.csv")]
        ).exit_code
        == 0
    )
    text = (folder / "financials.csv").read_text("utf-8").replace("1234.567,", "1234.5678,")
    path = tmp_path / "financials.csv"
    path.write_text(text, encoding="utf-8")
    rejected = runner.invoke(app, ["buyers", "import", "financials", str(path), "--format", "json"])
    assert rejected.exit_code == 1
    report = json.loads(rejected.stdout)
    assert (report["rows_read"], report["accepted"], report["rejected"]) == (4, 3, 1)
    assert report["applied"] is False
    assert report["errors"] == [
        {
            "row": 5,
            "column": "total_assets",
            "reason": "1234.5678 has 4 decimals; KWD allows at most 3",
        }
    ]
    assert _count(db, FinancialStatement) == 0

    table = runner.invoke(app, ["buyers", "import", "financials", str(path)])
    assert table.exit_code == 1
    assert "total_assets" in table.stdout and "nothing was imported" in table.stdout

    rejects = tmp_path / "rejects.csv"
    partial = runner.invoke(
        app, ["buyers", "import", "financials", str(path), "--partial", "--rejects", str(rejects)]
    )
    assert partial.exit_code == 1  # something was rejected, even though good rows went in
    assert _count(db, FinancialStatement) == 3
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["source_row"], r["company_ref"]) for r in rows] == [("5", "KW-001")]
    assert "KWD allows at most 3" in rows[0]["reason"]


def test_unreadable_file_exits_1_with_the_reason(cli_env: Settings, tmp_path: Path) -> None:
    from arshield.cli.main import app

    path = tmp_path / "companies.json"
    path.write_text("{}", encoding="utf-8")
    result = CliRunner().invoke(app, ["buyers", "import", "companies", str(path)])
    assert result.exit_code == 1
    assert "unknown file type '.json'" in result.stderr
