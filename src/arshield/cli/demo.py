"""``arshield demo``: realistic demo data."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from arshield.cli.common import console, handle_errors
from arshield.demo import generate as demo_generate
from arshield.kit.time import parse_date

app = typer.Typer(help="Demo data.", no_args_is_help=True)


@app.command("generate")
@handle_errors
def generate_command(
    companies: int = typer.Option(1000, "--companies", min=1, help="Number of companies."),
    seed: int = typer.Option(42, "--seed", help="Random seed: same seed, same files."),
    out: Path = typer.Option(..., "--out", help="Directory for the five CSV files."),
    as_of: str = typer.Option(
        demo_generate.DEFAULT_AS_OF.isoformat(), "--as-of", help="Date the data describes."
    ),
    payment_months: int = typer.Option(
        demo_generate.DEFAULT_PAYMENT_MONTHS,
        "--payment-months",
        min=0,
        max=demo_generate.MAX_PAYMENT_MONTHS,
        help="Months of payment experience per company (0 for none).",
    ),
) -> None:
    """Write companies, financials, payments, events and outcomes CSV files into OUT."""
    day = parse_date(as_of)
    started = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        steps = len(demo_generate.STEPS) + 1
        task = progress.add_task(f"Generating {companies:,} companies", total=steps)

        def advance(name: str) -> None:
            progress.update(task, advance=1, description=f"Generated {name}")

        data = demo_generate.generate(
            companies=companies, seed=seed, as_of=day, payment_months=payment_months,
            on_step=advance,
        )  # fmt: skip
        progress.update(task, description=f"Writing files to {out}")
        paths = demo_generate.write(data, out)
        progress.update(task, advance=1)
    table = Table(title=f"Demo data as of {day.isoformat()} (seed {seed}) in {out}")
    table.add_column("file")
    table.add_column("rows", justify="right")
    for path, frame in zip(paths, data.frames().values(), strict=True):
        table.add_row(path.name, f"{frame.height:,}")
    console.print(table)
    defaults = int(data.outcomes["defaulted_within_12m"].sum())
    rate = defaults / max(data.outcomes.height, 1)
    console.print(
        f"Defaults within 12 months after as_of: {rate:.2%}. "
        f"Done in {time.perf_counter() - started:.1f} s."
    )


@app.command("setup")
@handle_errors
def setup_command(
    companies: int = typer.Option(2000, "--companies", min=50, help="Number of demo buyers."),
    seed: int = typer.Option(7, "--seed", help="Random seed."),
    out: Path = typer.Option(Path("var/demo"), "--out", help="Where the demo files are written."),
) -> None:
    """Migrate, load the demo portfolio, grade it, and print API keys and what to try first."""
    from arshield.cli.common import session_factory
    from arshield.cli.db import upgrade
    from arshield.demo.setup import setup_demo
    from arshield.kit.time import utcnow

    upgrade()
    with console.status("setting up the demo") as status:
        result = setup_demo(
            session_factory(),
            companies=companies,
            seed=seed,
            out_dir=out,
            now=utcnow(),
            on_step=lambda label: status.update(label),
        )
    bt = result.backtest
    imported = ", ".join(f"{n:,} {kind}" for kind, n in result.imported.items())
    console.print(f"[bold]Demo loaded[/bold] from {result.data_dir}: {imported}.")
    ledger = ", ".join(f"{n:,} {kind}" for kind, n in result.ledger.items())
    console.print(f"The demo seller's ledger: {ledger}.", highlight=False)
    cover = result.cover
    statuses = ", ".join(f"{n:,} {status}" for status, n in sorted(cover.by_status.items()))
    console.print(
        f"Cover on policy {cover.policy_number}: {cover.requests:,} credit-limit requests, "
        f"{statuses}; {cover.automatic_share}% decided automatically by the rules.",
        highlight=False,
    )
    console.print(
        f"Graded {result.graded:,} buyers as of {result.as_of}. Against the realised outcomes: "
        f"AUC {bt.auc:.3f}, {bt.defaults} defaults among {bt.buyers:,} buyers."
    )
    table = Table(title="Demo API keys (shown once)")
    for column in ("organisation", "role", "key"):
        table.add_column(column)
    for key in result.keys:
        table.add_row(key.org_ref, key.role.value, key.secret)
    console.print(table)
    seller = next(k.secret for k in result.keys if k.role.value == "seller")
    analyst = next(k.secret for k in result.keys if k.role.value == "analyst")
    day = result.as_of.isoformat()
    base = "http://127.0.0.1:8000/api/v1"
    console.print("[bold]Try first[/bold] (API docs: http://127.0.0.1:8000/docs):", highlight=False)
    console.print(
        f"  curl -H 'Authorization: Bearer {seller}' "
        f"'{base}/buyers?q={result.example_city}&limit=5'\n"
        f"  curl -H 'Authorization: Bearer {seller}' -X POST {base}/buyers/match "
        "-H 'Content-Type: application/json' "
        f'-d \'{{"name": "{result.example_name}", "country": "CN"}}\'\n'
        f"  .venv/bin/arshield grade show {result.example_ref} --as-of {day}\n"
        f"  .venv/bin/arshield grade backtest --outcomes {result.data_dir}/outcomes.csv "
        f"--as-of {day}\n"
        f"  curl -H 'Authorization: Bearer {analyst}' '{base}/countries/CN'\n"
        f"  curl -H 'Authorization: Bearer {seller}' "
        f"'{base}/reports/aging?as_of={day}&format=csv'\n"
        f"  .venv/bin/arshield report dso --org SELLER-HZ --as-of {day}\n"
        f"  .venv/bin/arshield report concentration --org SELLER-HZ --as-of {day} --currency CNY\n"
        f"  .venv/bin/arshield cover list --queue\n"
        f"  .venv/bin/arshield cover accumulation --by country --as-of {day}\n"
        f"  .venv/bin/arshield credit-check --org SELLER-HZ --buyer {result.example_ref} "
        f"--amount 50000 --currency CNY --ship-date {day}",
        highlight=False,
        soft_wrap=True,
    )
