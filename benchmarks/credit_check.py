"""Benchmark: `POST /api/v1/credit-checks` under load, against a bare FastAPI baseline.

    .venv/bin/python benchmarks/credit_check.py                 # 3 runs of 30 s, 64 connections
    .venv/bin/python benchmarks/credit_check.py --runs 1 --duration 10 --reuse-db
    .venv/bin/python benchmarks/credit_check.py \
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/arshield_bench_cc

Target: at least 1,500 requests/s with p99 at most 75 ms at 64 connections on 2 uvicorn
workers against PostgreSQL, on loopback, with the baseline measured in the same run.

1. Resets the database (created when missing) and creates the tables from the models.
2. Loads the book of ``credit_check_book.py``: 2,000 graded buyers with cover decided by the
   rules, 30 invoices each on the seller's ledger (20 open), a few held orders.
3. Serves ``arshield.api.asgi:app`` with ``uvicorn --workers 2`` on a free loopback port.
4. wrk (2 threads, 64 connections) POSTs credit checks over random buyers and amounts, one in
   ten in USD and one in twenty with a unique ``order_ref`` (held as exposure, a write), for a
   warm-up and then the measured duration.
5. The same against the baselines (``baseline_app.py``: the same body validated, one
   primary-key lookup at the product's pool size, no authentication; ``baseline`` a thread-pool
   route over SQLAlchemy and psycopg, ``baseline-async`` an async route over asyncpg), served
   the same way.
   Servers run one at a time; the orders a load held are deleted after each run.
6. Prints requests/s, p50/p99, non-2xx, and the CPU the servers and the PostgreSQL backends
   used per request, per run and as medians of ``--runs``; ``--json`` writes them too
   (always also ``benchmarks/out/credit-check.json``).
7. With ``--probe``, one more client sends checks one at a time during arshield's measured runs,
   alternately holding an order and not, and prints the latency of each kind under the load.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from sqlalchemy import create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.pool import NullPool

sys.path.insert(0, str(Path(__file__).resolve().parent))
from credit_check_book import (
    LOAD_PREFIX,
    USD_SHARE,
    Book,
    existing_book,
    forget_load_orders,
    load_book,
    reset_database,
)
from httpload import WRK_DONE, Backends, Server, loadavg, require_wrk, serve, wrk
from procmem import machine

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/arshield_bench_cc"
PATH = "/api/v1/credit-checks"
ORDER_REF_SHARE = 0.05  # of checks: held as exposure under a unique order_ref
# uvicorn picks uvloop and httptools (uvicorn[standard]); no access log for either app.
SERVER_FLAGS = ("--workers", "2", "--no-access-log", "--log-level", "warning")
APPS = {
    "arshield": ("arshield.api.asgi:app", None),
    "baseline": ("baseline_app:app", HERE),
    "baseline-async": ("baseline_app:async_app", HERE),
}

LUA = r"""
local buyers = { %(buyers)s }
local key = "%(key)s"
local prefix = "%(prefix)s"
local usd_share, ref_share = %(usd)s, %(refs)s
local threads, counter = {}, 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  math.randomseed(tid * 7919 + %(seed)d)
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. key
end

function request()
  local buyer = buyers[math.random(#buyers)]
  local cents = math.random(10000, 2000000)
  local currency = (math.random() < usd_share) and "USD" or "EUR"
  local body = string.format('{"buyer_id":"%%s","amount":"%%d.%%02d","currency":"%%s"',
    buyer, math.floor(cents / 100), cents %% 100, currency)
  if math.random() < ref_share then
    counter = counter + 1
    body = body .. string.format(',"order_ref":"%%s%%d-%%d"', prefix, tid, counter)
  end
  return wrk.format(nil, nil, nil, body .. "}")
end
"""


def lua_script(folder: Path, book: Book, *, tag: str, seed: int) -> Path:
    """The load: random buyers and amounts, a few in USD, a few holding a unique order."""
    script = folder / f"credit_check_{tag}.lua"
    lua = LUA % {
        "buyers": ",".join(f'"{b}"' for b in book.buyers),
        "key": book.api_key,
        "prefix": f"{LOAD_PREFIX}{tag}-",
        "usd": USD_SHARE,
        "refs": ORDER_REF_SHARE,
        "seed": seed,
    }
    script.write_text(lua + WRK_DONE)
    return script


def sample_answers(server: Server, book: Book, *, n: int, seed: int) -> dict[str, int]:
    """Send ``n`` checks one by one and count the answers: the load meets real cover."""
    rng = random.Random(seed)
    found: dict[str, int] = {}
    for _ in range(n):
        body = {
            "buyer_id": str(rng.choice(book.buyers)),
            "amount": f"{rng.randrange(100, 20_000)}.00",
            "currency": "EUR",
        }
        request = urllib.request.Request(
            server.url + PATH,
            data=json.dumps(body).encode(),
            headers={"Authorization": f"Bearer {book.api_key}", "Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                result = json.loads(response.read())["result"]
        except urllib.error.HTTPError as exc:
            raise SystemExit(f"a sample check failed: {exc.code} {exc.read()[:500]!r}") from exc
        found[result] = found.get(result, 0) + 1
    return found


class Probe(threading.Thread):
    """One client checking one at a time, alternately holding an order (a unique reference)
    and not, recording each answer's latency in ms by kind."""

    def __init__(self, server: Server, book: Book, *, tag: str) -> None:
        super().__init__(daemon=True)
        self.server, self.book, self.tag = server, book, tag
        self.latency: dict[str, list[float]] = {"hold": [], "read": []}
        self.done = threading.Event()

    def run(self) -> None:
        rng = random.Random(self.tag)
        n = 0
        while not self.done.is_set():
            for kind in ("hold", "read"):
                n += 1
                body = {
                    "buyer_id": str(rng.choice(self.book.buyers)),
                    "amount": "100.00",
                    "currency": "EUR",
                }
                if kind == "hold":
                    body["order_ref"] = f"{LOAD_PREFIX}probe-{self.tag}-{n}"
                request = urllib.request.Request(
                    self.server.url + PATH,
                    data=json.dumps(body).encode(),
                    headers={
                        "Authorization": f"Bearer {self.book.api_key}",
                        "Content-Type": "application/json",
                    },
                    method="POST",
                )
                started = time.perf_counter()
                with urllib.request.urlopen(request, timeout=10) as response:
                    response.read()
                self.latency[kind].append(1000 * (time.perf_counter() - started))

    def summary(self) -> dict[str, float]:
        found: dict[str, float] = {}
        for kind, values in self.latency.items():
            ordered = sorted(values)
            if ordered:
                found[f"{kind}_n"] = len(ordered)
                found[f"{kind}_p50_ms"] = round(ordered[len(ordered) // 2], 1)
                found[f"{kind}_p90_ms"] = round(ordered[int(len(ordered) * 0.9)], 1)
        return found


def measure(
    server: Server,
    script: Path,
    backends: Backends,
    args: argparse.Namespace,
    probe: Probe | None = None,
) -> dict[str, float]:
    """A warm-up, then the measured run with the CPU the server and PostgreSQL used."""
    load_before = loadavg()
    target = server.url + PATH
    if args.warmup:
        wrk(target, script, seconds=args.warmup, connections=args.connections, threads=args.threads)
    app_before, pg_before = server.cpu_seconds(), backends.snapshot()
    if probe is not None:
        probe.start()
    result = wrk(
        target, script, seconds=args.duration, connections=args.connections, threads=args.threads
    )
    if probe is not None:
        probe.done.set()
        probe.join()
        result |= probe.summary()
    app_cpu = server.cpu_seconds() - app_before
    pg_cpu = backends.used(pg_before, backends.snapshot())
    result["app_cpu_ms"] = round(1000 * app_cpu / max(result["requests"], 1), 3)
    result["pg_cpu_ms"] = round(1000 * pg_cpu / max(result["requests"], 1), 3)
    result["load_before"] = load_before
    result["load_after"] = loadavg()
    return result


KEYS = ("rps", "p50_ms", "p99_ms", "non_2xx", "app_cpu_ms", "pg_cpu_ms")


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    return {k: statistics.median(r[k] for r in runs) for k in KEYS}


def table(results: dict[str, list[dict[str, float]]]) -> str:
    lines = [
        f"{'app':14} {'run':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'non-2xx':>8} "
        f"{'app CPU':>8} {'PG CPU':>7}  load"
    ]
    for name, runs in results.items():
        rows = [(str(i), r) for i, r in enumerate(runs, 1)] + [("median", median_of(runs))]
        for label, r in rows:
            load = f"{r['load_before']:.2f} -> {r['load_after']:.2f}" if "load_after" in r else ""
            lines.append(
                f"{name:14} {label:>6} {r['rps']:>8,.0f} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} "
                f"{r['non_2xx']:>8,.0f} {r['app_cpu_ms']:>8.2f} {r['pg_cpu_ms']:>7.2f}  {load}"
            )
    lines.append("(CPU in ms per request: the server's processes, and PostgreSQL's backends)")
    return "\n".join(lines)


def server_answers(url: str) -> bool:
    admin = make_url(url).set(database="postgres")
    engine = create_engine(admin, poolclass=NullPool, connect_args={"connect_timeout": 3})
    try:
        with engine.connect():
            return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--buyers", type=int, default=2_000)
    parser.add_argument("--open-invoices", type=int, default=20, help="per buyer")
    parser.add_argument("--paid-invoices", type=int, default=10, help="per buyer")
    parser.add_argument("--held-orders", type=int, default=200)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--reuse-db", action="store_true", help="keep a book already loaded")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=10, help="seconds before each run")
    parser.add_argument("--duration", type=int, default=30, help="measured seconds per run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument(
        "--probe", action="store_true", help="latency of holds and reads from one more client"
    )
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument(
        "--skip-if-unreachable",
        action="store_true",
        help="exit 0 with a message when the PostgreSQL server does not answer",
    )
    args = parser.parse_args()
    if not args.database_url.startswith("postgresql"):
        raise SystemExit("the credit-check benchmark runs on PostgreSQL: pass --database-url")
    url = args.database_url
    if args.skip_if_unreachable and not server_answers(url):
        print(f"credit-check benchmark skipped: no PostgreSQL server at {make_url(url).host}")
        return
    require_wrk()
    print(f"machine: {machine()}; load average {Path('/proc/loadavg').read_text().strip()}")
    book = existing_book(url) if args.reuse_db else None
    if book is None:
        started = time.perf_counter()
        reset_database(url)
        book = load_book(
            url,
            buyers=args.buyers,
            open_per_buyer=args.open_invoices,
            paid_per_buyer=args.paid_invoices,
            held=args.held_orders,
            seed=args.seed,
        )
        book.counts["load_seconds"] = round(time.perf_counter() - started, 1)
    forget_load_orders(url)
    print("book:", ", ".join(f"{k} {v:,}" for k, v in book.counts.items()))
    names = ["arshield"] if args.no_baseline else list(APPS)
    results: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    tag = uuid.uuid4().hex[:8]
    backends = Backends(url)
    with tempfile.TemporaryDirectory(prefix="bench-cc-") as tmp:
        folder = Path(tmp)
        for run in range(1, args.runs + 1):
            script = lua_script(folder, book, tag=f"{tag}{run}", seed=args.seed + run)
            for name in names:
                app, app_dir = APPS[name]
                server = serve(
                    name, app, database_url=url, flags=SERVER_FLAGS, logs=folder, app_dir=app_dir
                )
                try:
                    if name == "arshield" and run == 1:
                        answers = sample_answers(server, book, n=300, seed=args.seed)
                        print(
                            "300 sample checks:",
                            ", ".join(f"{k} {v}" for k, v in sorted(answers.items())),
                        )
                    probe = (
                        Probe(server, book, tag=f"{tag}{run}")
                        if args.probe and name == "arshield"
                        else None
                    )
                    result = measure(server, script, backends, args, probe)
                finally:
                    server.stop()
                    forget_load_orders(url)
                if "Traceback" in server.log.read_text():
                    print(f"--- {name} log ---\n{server.log.read_text()[-3000:]}")
                results[name].append(result)
                print(
                    f"run {run} {name:14} {result['rps']:8,.0f} req/s  "
                    f"p50 {result['p50_ms']:6.1f} ms  p99 {result['p99_ms']:6.1f} ms  "
                    f"non-2xx {result['non_2xx']:,.0f}  CPU/request: app "
                    f"{result['app_cpu_ms']:.2f} ms, PostgreSQL {result['pg_cpu_ms']:.2f} ms  "
                    f"load {result['load_before']:.2f} -> {result['load_after']:.2f}",
                    flush=True,
                )
                if "hold_p50_ms" in result:
                    print(
                        f"      one more client, under that load: holding an order p50 "
                        f"{result['hold_p50_ms']:.1f} ms p90 {result['hold_p90_ms']:.1f} ms "
                        f"({result['hold_n']:,.0f}), not holding p50 {result['read_p50_ms']:.1f} "
                        f"ms p90 {result['read_p90_ms']:.1f} ms ({result['read_n']:,.0f})",
                        flush=True,
                    )
    backends.close()
    print()
    print(table(results))
    report = {
        "machine": machine(),
        "database": url.rsplit("@", 1)[-1],
        "book": book.counts,
        "connections": args.connections,
        "threads": args.threads,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "server_flags": list(SERVER_FLAGS),
        "runs": results,
        "median": {name: median_of(runs) for name, runs in results.items()},
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "credit-check.json").write_text(json.dumps(report, indent=2))
    if args.json is not None:
        args.json.write_text(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
