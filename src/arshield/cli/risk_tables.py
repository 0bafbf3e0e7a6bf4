"""``arshield risk``: country and sector risk tables."""

from __future__ import annotations

import typer

app = typer.Typer(help="Country and sector risk tables.", no_args_is_help=True)
