"""``arshield policy``, ``arshield cover`` and ``arshield credit-check`` end to end."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from arshield.config import Settings
from arshield.kit.time import today
from tests.integration.cover.conftest import Book, build_book


def run(*args: str) -> tuple[int, str, str]:
    from arshield.cli.main import app

    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_policy_cover_and_credit_check_commands(cli_env: Settings, db: object) -> None:
    book: Book = build_book(db, as_of=today())  # type: ignore[arg-type]
    day = today().isoformat()
    code, out, err = run(
        "policy",
        "create",
        "--number",
        "POL-CLI",
        "--seller",
        "SELLER-A",
        "--currency",
        "EUR",
        "--starts-on",
        "2026-01-01",
        "--ends-on",
        "2030-12-31",
        "--countries",
        "DE,FR",
        "--max-credit-days",
        "90",
        "--indemnity",
        "90",
        "--format",
        "json",
    )
    assert code == 0, err
    assert json.loads(out)["indemnity_percentage"] == "90"
    code, out, err = run(
        "policy",
        "create",
        "--number",
        "POL-CLI",
        "--seller",
        "SELLER-A",
        "--currency",
        "EUR",
        "--starts-on",
        "2026-01-01",
        "--ends-on",
        "2030-12-31",
        "--countries",
        "DE",
        "--max-credit-days",
        "90",
        "--indemnity",
        "90",
    )
    assert code == 1 and "exists" in err
    code, out, err = run(
        "policy",
        "edit",
        "POL-CLI",
        "--reason",
        "tighter",
        "--set",
        "stop_delivery_days=45",
        "--format",
        "json",
    )
    assert code == 0, err
    assert json.loads(out)["stop_delivery_days"] == 45 and json.loads(out)["version"] == 2
    code, out, err = run("policy", "show", "POL-CLI", "--format", "csv")
    assert code == 0 and out.splitlines()[0].startswith("number,id,currency")

    code, out, err = run(
        "cover",
        "request",
        "--policy",
        "POL-CLI",
        "--buyer",
        "GOOD",
        "--amount",
        "40000",
        "--currency",
        "EUR",
        "--format",
        "json",
    )
    assert code == 0, err
    granted = json.loads(out)
    assert granted["status"] == "approved" and granted["decided_amount"] == "40000.00"
    code, out, err = run(
        "cover",
        "request",
        "--policy",
        "POL-CLI",
        "--buyer",
        "WEAK",
        "--amount",
        "30000",
        "--currency",
        "EUR",
        "--format",
        "json",
    )
    referred = json.loads(out)
    assert code == 0 and referred["status"] == "referred"
    code, out, err = run("cover", "list", "--queue", "--format", "json")
    assert [c["id"] for c in json.loads(out)] == [referred["id"]]
    code, out, err = run(
        "cover",
        "decide",
        referred["id"],
        "--status",
        "refused",
        "--comment",
        "no trade references",
        "--format",
        "json",
    )
    assert code == 0, err
    assert json.loads(out)["status"] == "refused"
    code, out, err = run(
        "cover",
        "reduce",
        granted["id"],
        "--amount",
        "10000",
        "--reason",
        "watch",
        "--format",
        "json",
    )
    assert code == 0, err
    assert json.loads(out)["status"] == "reduced" and json.loads(out)["effective_from"] > day
    code, out, err = run("cover", "show", granted["id"], "--format", "json")
    assert [d["status"] for d in json.loads(out)["history"]] == ["approved", "reduced"]
    code, out, err = run(
        "cover",
        "capacity",
        "GOOD",
        "--set",
        "500000",
        "--currency",
        "EUR",
        "--reason",
        "appetite",
        "--format",
        "json",
    )
    assert code == 0, err
    capacity = json.loads(out)
    assert (capacity["amount"], capacity["used"], capacity["source"]) == (
        "500000.00",
        "40000.00",
        "override",
    )
    code, out, err = run("cover", "accumulation", "--by", "grade", "--format", "json")
    assert code == 0, err
    assert json.loads(out)["rows"][0]["key"] == "3"

    code, out, err = run(
        "credit-check",
        "--org",
        "SELLER-A",
        "--buyer",
        "GOOD",
        "--amount",
        "39000",
        "--currency",
        "EUR",
        "--format",
        "json",
    )
    assert code == 0, err
    assert json.loads(out)["result"] == "warn"
    code, out, err = run(
        "credit-check",
        "--org",
        "SELLER-A",
        "--buyer",
        "GOOD",
        "--amount",
        "40000.01",
        "--currency",
        "EUR",
        "--format",
        "json",
    )
    assert code == 2 and "COVER_EXCEEDED" in {r["code"] for r in json.loads(out)["reasons"]}
    code, out, err = run(
        "cover", "decide", referred["id"], "--status", "approved", "--comment", "again"
    )
    assert code == 1 and "refused, not waiting" in " ".join(err.split())
    assert book.buyers
