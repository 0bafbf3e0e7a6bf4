"""``arshield receivables``: import with exit codes and rejects, listing, allocation, write-off."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from arshield.config import Settings
from tests.integration.receivables.conftest import Ledger, write

INVOICES = (
    "\ufeffinvoice_ref\tcompany_ref\tissue_date\tdue_date\tcurrency\tamount\n"
    "K-1\tB2\t2026-01-10\t2026-02-09\tKWD\t12.345\n"
    "K-2\tB2\t2026-01-20\t2026-02-19\tKWD\t1.000\n"
)


def test_import_list_allocate_and_write_off(
    ledger: Ledger, cli_env: Settings, tmp_path: Path
) -> None:
    from arshield.cli.main import app

    runner = CliRunner()
    path = write(tmp_path / "inv.csv", INVOICES)
    result = runner.invoke(
        app, ["receivables", "import", "invoices", str(path), "--org", "SELLER-A"]
    )
    assert result.exit_code == 0, result.output
    assert "utf-8-sig" in result.stdout
    pay = write(
        tmp_path / "pay.csv",
        "payment_ref,company_ref,date,currency,amount\nP-1,B2,2026-02-01,KWD,12.346\n",
    )
    result = runner.invoke(
        app, ["receivables", "import", "payments", str(pay), "--org", "SELLER-A", "--auto-allocate"]
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(
        app,
        [
            "receivables",
            "invoices",
            "--org",
            "SELLER-A",
            "--as-of",
            "2026-06-30",
            "--format",
            "json",
        ],
    )
    rows = {r["invoice_ref"]: r for r in json.loads(listed.stdout)}
    # 12.346 KWD pays K-1 (12.345) in full and 0.001 of K-2
    assert rows["K-1"]["outstanding"] == "0.000" and rows["K-1"]["status"] == "paid"
    assert rows["K-2"]["outstanding"] == "0.999"
    result = runner.invoke(
        app,
        [
            "receivables",
            "write-off",
            "K-2",
            "--org",
            "SELLER-A",
            "--reason",
            "insolvency",
            "--date",
            "2026-06-01",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "0.999 KWD" in result.stdout
    listed = runner.invoke(
        app, ["receivables", "invoices", "--org", "SELLER-A", "--status", "open", "--format", "csv"]
    )
    assert listed.stdout.splitlines()[0].startswith("invoice_ref,company_ref")
    assert len(listed.stdout.splitlines()) == 1


def test_rejected_import_exits_1_and_writes_rejects(
    ledger: Ledger, cli_env: Settings, tmp_path: Path
) -> None:
    from arshield.cli.main import app

    bad = write(
        tmp_path / "bad.csv",
        "invoice_ref,company_ref,issue_date,due_date,currency,amount\n"
        "X-1,B1,2026-01-10,2026-02-09,CNY,=1+2\n",
    )
    rejects = tmp_path / "rejects.csv"
    result = CliRunner().invoke(
        app,
        [
            "receivables",
            "import",
            "invoices",
            str(bad),
            "--org",
            "SELLER-A",
            "--rejects",
            str(rejects),
        ],
    )
    assert result.exit_code == 1
    with rejects.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["amount"].startswith("'=")  # a formula is written back as text
    unknown_org = CliRunner().invoke(
        app, ["receivables", "import", "invoices", str(bad), "--org", "NOPE"]
    )
    assert unknown_org.exit_code == 1


def test_plans_and_promises_from_the_cli(ledger: Ledger, cli_env: Settings, tmp_path: Path) -> None:
    from arshield.cli.main import app

    runner = CliRunner()
    path = write(tmp_path / "inv.csv", INVOICES)
    assert (
        runner.invoke(
            app, ["receivables", "import", "invoices", str(path), "--org", "SELLER-A"]
        ).exit_code
        == 0
    )
    # K-1 12.345 + K-2 1.000 = 13.345 KWD in two instalments
    result = runner.invoke(
        app,
        [
            "receivables",
            "plan",
            "create",
            "PL-1",
            "--org",
            "SELLER-A",
            "--invoice",
            "K-1",
            "--invoice",
            "K-2",
            "--agreed-on",
            "2026-03-01",
            "--instalment",
            "2026-04-01=10.000",
            "--instalment",
            "2026-05-01=3.345",
        ],
    )
    assert result.exit_code == 0, result.output
    bad = runner.invoke(
        app,
        [
            "receivables",
            "plan",
            "create",
            "PL-2",
            "--org",
            "SELLER-A",
            "--invoice",
            "K-1",
            "--instalment",
            "2026-04-01=1.000",
        ],
    )
    assert bad.exit_code == 1
    listed = runner.invoke(
        app,
        [
            "receivables",
            "plan",
            "list",
            "--org",
            "SELLER-A",
            "--as-of",
            "2026-04-02",
            "--format",
            "json",
        ],
    )
    (plan,) = json.loads(listed.stdout)
    assert (plan["total"], plan["paid"], plan["status"]) == ("13.345", "0.000", "broken")
    result = runner.invoke(
        app,
        [
            "receivables",
            "promise",
            "add",
            "B2",
            "--org",
            "SELLER-A",
            "--amount",
            "5.000",
            "--currency",
            "KWD",
            "--for",
            "2026-03-10",
            "--made-on",
            "2026-03-01",
        ],
    )
    assert result.exit_code == 0, result.output
    listed = runner.invoke(
        app,
        [
            "receivables",
            "promise",
            "list",
            "--org",
            "SELLER-A",
            "--as-of",
            "2026-03-11",
            "--format",
            "json",
        ],
    )
    assert json.loads(listed.stdout)[0]["status"] == "broken"
