"""A demo seller's receivables: a year of invoices to a few hundred registry buyers, payments
that arrive later for weaker buyers (some never), a few credit notes, and FX rates.

Deterministic for a seed. Files are written in the ERP import formats, so the demo loads them
exactly as a user would (``arshield receivables import``).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

CURRENCIES = ("CNY", "USD", "EUR")
SHARES = (0.7, 0.2, 0.1)
RATES_TO_CNY = {"USD": "7.1234", "EUR": "7.7812"}
TERMS = ("net 30", "net 60", "2/10 net 30", "eom 30")


def _money(minor: np.ndarray) -> list[str]:
    return [f"{m // 100}.{m % 100:02d}" for m in minor.tolist()]


def generate_ledger(
    companies: pl.DataFrame, *, seed: int, as_of: dt.date, buyers: int = 300, invoices: int = 4000
) -> dict[str, pl.DataFrame]:
    """Invoices, payments, credit notes and FX rates for the demo seller, as import frames."""
    rng = np.random.default_rng(seed + 101)
    pool = (
        companies.select("company_ref")
        .head(max(buyers * 3, buyers))
        .sample(n=min(buyers, companies.height), seed=seed)["company_ref"]
        .to_list()
    )
    # Each buyer pays with its own habit: days late on average, and a share never paid.
    lateness = rng.gamma(1.5, 12.0, len(pool))
    never = rng.random(len(pool)) < 0.06
    buyer = rng.integers(0, len(pool), invoices)
    issued = [as_of - dt.timedelta(days=int(d)) for d in rng.integers(0, 365, invoices)]
    terms = rng.choice(len(TERMS), invoices, p=(0.45, 0.25, 0.15, 0.15))
    due = []
    for day, t in zip(issued, terms.tolist(), strict=True):
        if TERMS[t] == "eom 30":
            month_end = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(
                days=1
            )
            due.append(month_end + dt.timedelta(days=30))
        else:
            due.append(day + dt.timedelta(days=60 if TERMS[t] == "net 60" else 30))
    currency = rng.choice(len(CURRENCIES), invoices, p=SHARES)
    amount = rng.lognormal(11.0, 1.0, invoices).astype(np.int64) + 10_000
    refs = [f"HZ-{2025_00000 + i}" for i in range(invoices)]
    invoice_frame = pl.DataFrame(
        {
            "invoice_ref": refs,
            "company_ref": [pool[b] for b in buyer.tolist()],
            "issue_date": issued,
            "due_date": due,
            "currency": [CURRENCIES[c] for c in currency.tolist()],
            "amount": _money(amount),
            "terms": [TERMS[t] for t in terms.tolist()],
        }
    )
    late = rng.normal(lateness[buyer], 5.0).round().astype(int)
    paid_on = [d + dt.timedelta(days=int(x)) for d, x in zip(due, late.tolist(), strict=True)]
    paid = [
        i
        for i in range(invoices)
        if not never[buyer[i]] and paid_on[i] <= as_of and max(paid_on[i], issued[i]) <= as_of
    ]
    partial = rng.random(invoices) < 0.05
    pay_amount = [amount[i] // 2 if partial[i] else amount[i] for i in paid]
    payments = pl.DataFrame(
        {
            "payment_ref": [f"BANK-{i:06d}" for i in paid],
            "company_ref": [pool[buyer[i]] for i in paid],
            "date": [max(paid_on[i], issued[i]) for i in paid],
            "currency": [CURRENCIES[currency[i]] for i in paid],
            "amount": _money(np.array(pay_amount, dtype=np.int64)),
            "invoice_ref": [refs[i] for i in paid],
        }
    )
    settled = set(paid)
    unpaid = [i for i in range(invoices) if i not in settled]
    credited = unpaid[: max(len(unpaid) // 40, 1)]
    credit_notes = pl.DataFrame(
        {
            "credit_note_ref": [f"CN-{i:06d}" for i in credited],
            "invoice_ref": [refs[i] for i in credited],
            "date": [min(issued[i] + dt.timedelta(days=15), as_of) for i in credited],
            "currency": [CURRENCIES[currency[i]] for i in credited],
            "amount": _money(np.array([amount[i] // 10 for i in credited], dtype=np.int64)),
            "reason": ["quality claim"] * len(credited),
        }
    )
    rates = pl.DataFrame(
        {
            "date": [as_of - dt.timedelta(days=k) for k in range(7) for _ in RATES_TO_CNY],
            "base": [code for _ in range(7) for code in RATES_TO_CNY],
            "quote": ["CNY"] * 7 * len(RATES_TO_CNY),
            "rate": [RATES_TO_CNY[code] for _ in range(7) for code in RATES_TO_CNY],
            "source": ["demo"] * 7 * len(RATES_TO_CNY),
        }
    )
    return {
        "invoices": invoice_frame,
        "payments": payments,
        "credit-notes": credit_notes,
        "fx-rates": rates,
    }


def write_ledger(frames: dict[str, pl.DataFrame], folder: Path) -> dict[str, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, frame in frames.items():
        path = folder / f"ledger-{name}.csv"
        frame.write_csv(path)
        paths[name] = path
    return paths
