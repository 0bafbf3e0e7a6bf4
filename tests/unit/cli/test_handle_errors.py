"""CLI commands end with a one-line error and exit 1, never a traceback."""

from __future__ import annotations

import pytest
import typer
from sqlalchemy.exc import IntegrityError

from arshield.cli.common import handle_errors
from arshield.kit.errors import Conflict, ValidationFailed


@pytest.mark.parametrize(
    ("error", "shown"),
    [
        (ValidationFailed("row 3: amount is not a plain decimal"), "(validation_failed): row 3"),
        (Conflict("payment 'P-1' already exists"), "(conflict): payment 'P-1'"),
        (IntegrityError("INSERT ...", {}, Exception("duplicate key")), "(conflict): a concurrent"),
    ],
)
def test_errors_become_one_line_and_exit_1(
    error: Exception, shown: str, capsys: pytest.CaptureFixture[str]
) -> None:
    @handle_errors
    def command() -> None:
        raise error

    with pytest.raises(typer.Exit) as caught:
        command()
    assert caught.value.exit_code == 1
    err = capsys.readouterr().err
    assert shown in err and "Traceback" not in err
