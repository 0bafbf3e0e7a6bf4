"""Benchmark: receivables aging by buyer over a synthetic ledger, against a pandas baseline.

    .venv/bin/python benchmarks/aging.py --invoices 10000000 --runs 5

Builds (NumPy, seeded) a ledger of N open invoices in the frame shapes of
``arshield.receivables.frames``: UUID-text ids, about 100,000 buyers, five currencies, partial
allocations and reversals in the entries, some open and resolved disputes. The frames are then
given their integer keys with ``frames.with_keys``, as the loader does once per load (timed
apart). Times (median of
--runs) aging by buyer with the Polars engine and with a straightforward pandas version
(filter, groupby, merge, cut, pivot), checks both give identical figures, then times DSO,
the cash forecast and concentration on the same data. Peak resident memory comes from
``resource.getrusage``; it is read after the engine's runs and before pandas is touched, so it
is the engine's peak (data included). Results go to benchmarks/out/aging-<N>.json.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import resource
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent))
from procmem import machine

from arshield.receivables import analytics
from arshield.receivables.frames import BUYERS, DISPUTES, ENTRIES, INVOICES, with_keys

OUT = Path(__file__).resolve().parent / "out"
AS_OF = dt.date(2026, 6, 30)
CURRENCIES = ("CNY", "USD", "EUR", "JPY", "KWD")
CURRENCY_WEIGHTS = (0.5, 0.2, 0.15, 0.1, 0.05)
COUNTRIES = ("CN", "US", "DE", "JP", "KW", "FR", "GB", "SG")
_HEX = np.array([f"{i:02x}" for i in range(256)], dtype="S2")


def uuid_texts(rng: np.random.Generator, n: int) -> pl.Series:
    """``n`` random UUID-shaped texts (8-4-4-4-12 hex digits), vectorised."""
    raw = rng.integers(0, 256, size=(n, 16), dtype=np.uint8)
    hexed = _HEX[raw].view(np.uint8).reshape(n, 32)
    out = np.full((n, 36), ord("-"), dtype=np.uint8)
    for src, dst, width in ((0, 0, 8), (8, 9, 4), (12, 14, 4), (16, 19, 4), (20, 24, 12)):
        out[:, dst : dst + width] = hexed[:, src : src + width]
    return pl.Series(out.view("S36").ravel()).cast(pl.Utf8)


def epoch_dates(days: np.ndarray) -> pl.Series:
    return pl.Series(days.astype(np.int32)).cast(pl.Date)


def build_ledger(n: int, seed: int) -> dict[str, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    n_buyers = max(1, min(100_000, n // 10))
    as_of_day = (AS_OF - dt.date(1970, 1, 1)).days
    buyer_ids = uuid_texts(rng, n_buyers)
    buyers = pl.DataFrame(
        {
            "company_id": buyer_ids,
            "company_ref": pl.Series([f"B{i:07d}" for i in range(n_buyers)]),
            "company_name": pl.Series([f"Buyer {i}" for i in range(n_buyers)]),
            "country": pl.Series(np.array(COUNTRIES)[rng.integers(0, len(COUNTRIES), n_buyers)]),
            "grade": pl.Series(rng.integers(1, 11, n_buyers), dtype=pl.Int8).scatter(
                rng.integers(0, n_buyers, n_buyers // 20), None
            ),
        },
        schema=BUYERS,
    )
    # Buyers are unevenly active: a Zipf-like pick gives a few large buyers.
    buyer_idx = (rng.pareto(1.2, n) * n_buyers / 50).astype(np.int64) % n_buyers
    issue = as_of_day - rng.integers(0, 900, n)
    due = issue + rng.choice(np.array([0, 30, 60, 90]), n)
    amount = rng.integers(100, 5_000_000, n)
    invoice_ids = uuid_texts(rng, n)
    # Each buyer trades mainly in one currency; one invoice in ten is in another.
    buyer_currency = rng.choice(len(CURRENCIES), n_buyers, p=CURRENCY_WEIGHTS)
    currency_idx = np.where(
        rng.random(n) < 0.9,
        buyer_currency[buyer_idx],
        rng.choice(len(CURRENCIES), n, p=CURRENCY_WEIGHTS),
    )
    invoices = pl.DataFrame(
        {
            "invoice_id": invoice_ids,
            "invoice_ref": pl.select(pl.format("INV-{}", pl.int_range(n))).to_series(),
            "company_id": buyer_ids.gather(buyer_idx),
            "issue_date": epoch_dates(issue),
            "due_date": epoch_dates(due),
            "currency": pl.Series(np.array(CURRENCIES)[currency_idx]),
            "amount": amount,
        },
        schema=INVOICES,
    )
    # 10% of invoices partly paid (one allocation of 10-90%); a tenth of those also carry a
    # reversal and a new allocation of the same amount; all stay open.
    paid = rng.choice(n, n // 10, replace=False)
    share = rng.integers(10, 90, paid.size)
    alloc = amount[paid] * share // 100
    paid_on = np.minimum(issue[paid] + rng.integers(1, 120, paid.size), as_of_day)
    again = paid[: paid.size // 10]
    entries = pl.DataFrame(
        {
            "invoice_id": pl.concat(
                [invoice_ids.gather(paid), invoice_ids.gather(again), invoice_ids.gather(again)]
            ),
            "date": epoch_dates(
                np.concatenate([paid_on, paid_on[: again.size], paid_on[: again.size]])
            ),
            "kind": pl.Series(["allocation"] * (paid.size + 2 * again.size)),
            "amount": np.concatenate([alloc, -alloc[: again.size], alloc[: again.size]]),
        },
        schema=ENTRIES,
    )
    # 1% of invoices disputed: half still open, half resolved before the report date.
    disputed = rng.choice(n, max(1, n // 100), replace=False)
    opened = issue[disputed] + rng.integers(0, 60, disputed.size)
    resolved = np.where(rng.random(disputed.size) < 0.5, opened + 10, -1)
    disputes = pl.DataFrame(
        {
            "invoice_id": invoice_ids.gather(disputed),
            "amount": amount[disputed] // 2,
            "opened_on": epoch_dates(np.minimum(opened, as_of_day)),
            "resolved_on": epoch_dates(resolved).replace(dt.date(1969, 12, 31), None),
        },
        schema=DISPUTES,
    )
    return {"invoices": invoices, "entries": entries, "disputes": disputes, "buyers": buyers}


def pandas_aging(
    data: dict[str, pd.DataFrame], edges: tuple[int, ...], labels: list[str]
) -> pd.DataFrame:
    """The same report written the usual pandas way."""
    as_of = pd.Timestamp(AS_OF)
    inv = data["invoices"]
    inv = inv[inv["issue_date"] <= as_of]
    ent = data["entries"]
    paid = ent[ent["date"] <= as_of].groupby("invoice_id", as_index=False)["amount"].sum()
    dis = data["disputes"]
    open_ = dis[
        (dis["opened_on"] <= as_of) & (dis["resolved_on"].isna() | (dis["resolved_on"] > as_of))
    ]
    disputed = open_.groupby("invoice_id", as_index=False)["amount"].sum()
    frame = inv.merge(paid.rename(columns={"amount": "paid"}), on="invoice_id", how="left")
    frame = frame.merge(disputed.rename(columns={"amount": "dispute"}), on="invoice_id", how="left")
    frame["outstanding"] = frame["amount"] - frame["paid"].fillna(0).astype("int64")
    frame = frame[frame["outstanding"] != 0]
    frame["disputed"] = np.minimum(
        frame["dispute"].fillna(0).astype("int64"), frame["outstanding"]
    ).clip(lower=0)
    days = (as_of - frame["due_date"]).dt.days
    frame["bucket"] = pd.cut(days, bins=[-np.inf, 0, *edges, np.inf], labels=labels, right=True)
    table = frame.pivot_table(
        index=["company_id", "currency"],
        columns="bucket",
        values="outstanding",
        aggfunc="sum",
        fill_value=0,
        observed=False,
    ).reset_index()
    table.columns.name = None
    totals = frame.groupby(["company_id", "currency"], as_index=False)[
        ["outstanding", "disputed"]
    ].sum()
    table = table.merge(
        totals.rename(columns={"outstanding": "total"}), on=["company_id", "currency"]
    )
    table = table.merge(
        data["buyers"][["company_id", "company_ref", "company_name"]], on="company_id"
    )
    return table[["company_ref", "company_name", "currency", *labels, "total", "disputed"]]


def timed(func: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        result = func()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--baseline-runs", type=int, default=None, help="default: --runs")
    args = parser.parse_args()
    started = time.perf_counter()
    data = build_ledger(args.invoices, args.seed)
    build_s = time.perf_counter() - started
    started = time.perf_counter()
    keyed = with_keys(data["invoices"], data["entries"], data["disputes"], data["buyers"])
    keys_s = time.perf_counter() - started
    data = {
        "invoices": keyed.invoices,
        "entries": keyed.entries,
        "disputes": keyed.disputes,
        "buyers": keyed.buyers,
    }
    gc.collect()
    rss_data = peak_rss_mib()
    print(
        f"built {args.invoices:,} invoices in {build_s:.1f} s, keyed in {keys_s:.1f} s; "
        f"{data['entries'].height:,} entries, {data['disputes'].height:,} disputes, "
        f"{data['buyers'].height:,} buyers; peak RSS {rss_data:,.0f} MiB"
    )

    buckets = analytics.DEFAULT_BUCKETS
    frames = (data["invoices"], data["entries"], data["disputes"], data["buyers"])
    engine_s, result = timed(
        lambda: analytics.aging(*frames, as_of=AS_OF, buckets=buckets, by="buyer"), args.runs
    )
    rss_engine = peak_rss_mib()
    print(
        f"aging by buyer (polars): median {engine_s:.3f} s, {result.height:,} rows; "
        f"peak RSS {rss_engine:,.0f} MiB"
    )

    timings: dict[str, float] = {"aging_by_buyer": engine_s}
    others: dict[str, Callable[[], Any]] = {
        "dso": lambda: analytics.dso(
            data["invoices"], data["entries"], start=dt.date(2026, 4, 1), end=AS_OF
        ),
        "dso_trend": lambda: analytics.dso_trend(data["invoices"], data["entries"], end=AS_OF),
        "cash_forecast": lambda: analytics.cash_forecast(
            data["invoices"], data["entries"], as_of=AS_OF
        ),
        "concentration": lambda: analytics.concentration(
            data["invoices"], data["entries"], data["buyers"], as_of=AS_OF
        ),
    }
    for name, func in others.items():
        timings[name], _ = timed(func, args.runs)
        print(f"{name}: median {timings[name]:.3f} s")
    rss_all_engine = peak_rss_mib()

    pdata = {k: v.to_pandas() for k, v in data.items()}
    baseline_s, expected = timed(
        lambda: pandas_aging(pdata, buckets.edges, list(buckets.labels)),
        args.baseline_runs or args.runs,
    )
    got = result.sort("company_ref", "currency")
    want = pl.from_pandas(expected).sort("company_ref", "currency")
    want = want.with_columns(
        pl.col(c).cast(pl.Int64) for c in [*buckets.labels, "total", "disputed"]
    )
    assert got.equals(want.select(got.columns)), "polars and pandas aging differ"
    totals = got.select(pl.col("total").sum()).item()
    print(
        f"aging by buyer (pandas): median {baseline_s:.3f} s; identical results "
        f"(grand total {totals:,} minor units across currencies, rows {got.height:,})"
    )
    rss_total = peak_rss_mib()

    rows = [
        ("aging by buyer, polars", engine_s),
        ("aging by buyer, pandas", baseline_s),
        *((name, seconds) for name, seconds in timings.items() if name != "aging_by_buyer"),
    ]
    print()
    print(f"{'step':<28}{'median s':>10}")
    for name, seconds in rows:
        print(f"{name:<28}{seconds:>10.3f}")
    print(f"{'speed-up vs pandas':<28}{baseline_s / engine_s:>9.1f}x")
    print(f"{'keys assigned (once)':<28}{keys_s:>10.3f}")
    print(f"{'peak RSS, data built':<28}{rss_data:>8,.0f} MiB")
    print(f"{'peak RSS, after aging':<28}{rss_engine:>8,.0f} MiB")
    print(f"{'peak RSS, all engine steps':<28}{rss_all_engine:>8,.0f} MiB")
    print(f"{'peak RSS, with pandas':<28}{rss_total:>8,.0f} MiB")

    OUT.mkdir(exist_ok=True)
    path = OUT / f"aging-{args.invoices}.json"
    path.write_text(
        json.dumps(
            {
                "command": " ".join([Path(sys.executable).name, *sys.argv]),
                "invoices": args.invoices,
                "entries": data["entries"].height,
                "disputes": data["disputes"].height,
                "buyers": data["buyers"].height,
                "runs": args.runs,
                "as_of": AS_OF.isoformat(),
                "keys_seconds": keys_s,
                "median_seconds": {**timings, "aging_by_buyer_pandas": baseline_s},
                "speedup_vs_pandas": baseline_s / engine_s,
                "peak_rss_mib": {
                    "data_built": rss_data,
                    "after_aging": rss_engine,
                    "after_engine_steps": rss_all_engine,
                    "with_pandas": rss_total,
                },
                "target": {"seconds": 2.0, "rss_mib": 4096},
                "machine": machine(),
                "polars": pl.__version__,
                "pandas": pd.__version__,
                "numpy": np.__version__,
                "recorded_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            },
            indent=2,
        )
        + "\n"
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
