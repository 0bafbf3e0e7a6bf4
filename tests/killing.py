"""Run a CLI import in a child process and kill -9 it while it writes."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys
import time

CLI = "from arshield.cli.main import main; main()"


def kill_while_writing(args: list[str], *, database_url: str, stage: str) -> int:
    """Start ``arshield ARGS``; SIGKILL it once its progress shows ``stage`` part-way done.

    Progress lines on stderr read ``<stage> <done>/<total>``. Returns the exit code (the
    negative signal). Fails if the command never reached the middle of ``stage``.
    """
    env = os.environ | {"ARSHIELD_DATABASE_URL": database_url}
    proc = subprocess.Popen(
        [sys.executable, "-c", CLI, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    assert proc.stderr is not None
    selector = selectors.DefaultSelector()
    selector.register(proc.stderr, selectors.EVENT_READ)
    deadline = time.monotonic() + 300
    seen: list[str] = []
    killed = False
    while time.monotonic() < deadline and proc.poll() is None:
        if not selector.select(timeout=1):
            continue
        line = proc.stderr.readline()
        seen.append(line)
        name, _, progress = line.strip().rpartition(" ")
        done, _, total = progress.partition("/")
        # Rows are going in and the writing is far from over: kill it now.
        if name == stage and 0 < int(done) < int(total):
            os.kill(proc.pid, signal.SIGKILL)
            killed = True
            break
    proc.wait(timeout=60)
    assert killed, f"never saw {stage!r} part-way; stderr: {seen}"
    return proc.returncode
