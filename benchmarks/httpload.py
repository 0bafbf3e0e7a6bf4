"""HTTP load for the benchmarks: uvicorn servers on loopback, wrk runs, CPU accounting.

A server runs in its own session (process group) and is stopped with SIGTERM (SIGKILL to its
group after 20 s). CPU time is read from ``/proc`` for the server's process tree and for the
PostgreSQL backends connected to the benchmark's database, before and after a measured run.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def require_wrk() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit(
            "wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu) or build it from "
            "https://github.com/wg/wrk; the benchmark drives its HTTP load with wrk."
        )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def loadavg() -> float:
    """The machine's 1-minute load average."""
    return float(Path("/proc/loadavg").read_text().split()[0])


def _cpu_seconds(pids: list[int]) -> float:
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime + stime
    return ticks / CLOCK_TICKS


def _tree(pid: int) -> list[int]:
    found, stack = [], [pid]
    while stack:
        current = stack.pop()
        found.append(current)
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == current:
                stack.append(int(entry.name))
    return found


@dataclass
class Server:
    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def cpu_seconds(self) -> float:
        """User + system CPU of the server's processes (the supervisor and its workers)."""
        return _cpu_seconds(_tree(self.proc.pid))

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def serve(
    name: str,
    app: str,
    *,
    database_url: str,
    flags: tuple[str, ...],
    logs: Path,
    app_dir: Path | None = None,
) -> Server:
    """``uvicorn app`` with ``flags`` on a free loopback port; waits for ``/healthz``."""
    port = free_port()
    log = logs / f"{name}.log"
    args = [sys.executable, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port)]
    if app_dir is not None:
        args += ["--app-dir", str(app_dir)]
    proc = subprocess.Popen(
        [*args, *flags],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
        env={**os.environ, "ARSHIELD_DATABASE_URL": database_url},
        start_new_session=True,
    )
    server = Server(name, proc, port, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"{name} server exited:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    server.stop()
    raise SystemExit(f"{name} server did not answer /healthz within 60 s")


class Backends:
    """CPU of the PostgreSQL backends connected to one database (the servers' pools)."""

    def __init__(self, database_url: str) -> None:
        url = make_url(database_url)
        self.database = url.database
        self._engine = create_engine(url.set(database="postgres"), poolclass=NullPool)

    def snapshot(self) -> dict[int, float]:
        """CPU seconds so far of each backend connected now."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT pid FROM pg_stat_activity WHERE datname = :db "
                    "AND pid <> pg_backend_pid()"
                ),
                {"db": self.database},
            )
            return {int(pid): _cpu_seconds([int(pid)]) for (pid,) in rows}

    @staticmethod
    def used(before: dict[int, float], after: dict[int, float]) -> float:
        """CPU seconds between two snapshots (backends opened meanwhile count from 0)."""
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())

    def close(self) -> None:
        self._engine.dispose()


# done() prints one line of JSON that wrk() reads back.
WRK_DONE = r"""
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"non_2xx":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"timeouts":%d,"p50_us":%d,"p90_us":%d,' ..
    '"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def wrk(
    url: str, script: Path, *, seconds: int, connections: int, threads: int
) -> dict[str, float]:
    """One wrk run of ``script`` (which must include :data:`WRK_DONE`) against ``url``."""
    args = [f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    done = subprocess.run(
        ["wrk", *args, "-s", str(script), url],
        capture_output=True,
        text=True,
        check=False,
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise SystemExit(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    raw = json.loads(line.removeprefix("WRK_JSON "))
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "non_2xx": raw["non_2xx"],
        "socket_errors": raw["connect_errors"] + raw["read_errors"] + raw["write_errors"],
        "timeouts": raw["timeouts"],
    }
