"""``arshield demo``: realistic demo data."""

from __future__ import annotations

import typer

app = typer.Typer(help="Demo data.", no_args_is_help=True)
