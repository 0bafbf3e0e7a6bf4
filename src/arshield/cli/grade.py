"""``arshield grade``: run, show and export buyer grades."""

from __future__ import annotations

import typer

app = typer.Typer(help="Buyer grades.", no_args_is_help=True)
