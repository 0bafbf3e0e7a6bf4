"""The servers' entry point leaves the objects of the built application out of the collector."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def test_the_served_application_is_frozen_for_the_collector(tmp_path: Path) -> None:
    probe = (
        "import gc, json; import arshield.api.asgi as entry; "
        "print(json.dumps({'frozen': gc.get_freeze_count(), 'tracked': len(gc.get_objects()), "
        "'app': type(entry.app).__name__}))"
    )
    env = {**os.environ, "ARSHIELD_DATABASE_URL": f"sqlite:///{tmp_path / 'entry.db'}"}
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found["app"] == "Api"
    # Everything the import built is frozen; what the collector still tracks is the probe's own.
    assert found["frozen"] > 50_000
    assert found["tracked"] < found["frozen"] // 20
