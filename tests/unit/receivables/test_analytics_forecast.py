"""Payment delays, expected dates and the 13-week cash-in forecast."""

from __future__ import annotations

import polars as pl

from arshield.receivables.analytics import cash_forecast, expected_payments, payment_delays
from arshield.receivables.frames import ENTRIES, INVOICES
from tests.unit.receivables import D, entries, invoices

AS_OF = D(2025, 6, 30)
INVOICES_ = invoices(
    ("S1", "x", D(2025, 3, 1), D(2025, 3, 31), "CNY", 10000),
    ("S2", "x", D(2025, 4, 1), D(2025, 4, 30), "CNY", 30000),
    ("S3", "y", D(2025, 5, 1), D(2025, 5, 31), "CNY", 20000),
    ("O1", "x", D(2025, 6, 10), D(2025, 7, 10), "CNY", 50000),
    ("O2", "y", D(2025, 5, 2), D(2025, 6, 1), "CNY", 8000),
    ("O3", "z", D(2025, 6, 30), D(2025, 9, 30), "CNY", 12000),
    ("O4", "z", D(2025, 6, 1), D(2025, 7, 1), "JPY", 700),
)
ENTRIES_ = entries(
    ("S1", D(2025, 4, 10), 10000),  # 10 days late
    ("S2", D(2025, 5, 1), 10000),
    ("S2", D(2025, 5, 5), 20000),  # settled on the last entry: 5 days late
    ("S3", D(2025, 6, 7), 20000),  # 7 days late
    ("O1", D(2025, 6, 20), 20000),  # partial: 30000 open
)


def test_weighted_delays_round_half_even() -> None:
    delays = payment_delays(INVOICES_, ENTRIES_, as_of=AS_OF)
    # x: (10 x 10000 + 5 x 30000) / 40000 = 6.25 -> 6; y: 7.
    assert delays.rows() == [("x", "CNY", 2, 6), ("y", "CNY", 1, 7)]


def test_expected_dates_and_flags() -> None:
    frame = expected_payments(INVOICES_, ENTRIES_, as_of=AS_OF)
    rows = {r["invoice_ref"]: r for r in frame.to_dicts()}
    assert set(rows) == {"O1", "O2", "O3", "O4"}
    # O1: x's own delay 6 -> 10 Jul + 6 = 16 Jul.
    assert (rows["O1"]["expected_date"], rows["O1"]["delay_basis"]) == (D(2025, 7, 16), "buyer")
    assert rows["O1"]["outstanding"] == 30000
    # O2: 1 Jun + 7 = 8 Jun, before as_of: moved to 30 Jun and flagged.
    assert (rows["O2"]["expected_date"], rows["O2"]["moved_to_as_of"]) == (AS_OF, True)
    # O3: z has no history; seller-wide CNY = (100000 + 150000 + 7 x 20000) / 60000 = 6.5 -> 6
    # (half-even), 30 Sep + 6 = 6 Oct.
    assert (rows["O3"]["delay"], rows["O3"]["delay_basis"]) == (6, "seller")
    assert rows["O3"]["expected_date"] == D(2025, 10, 6)
    # O4: no JPY history anywhere: delay 0.
    assert (rows["O4"]["delay"], rows["O4"]["delay_basis"]) == (0, "none")
    assert rows["O4"]["expected_date"] == D(2025, 7, 1) and not rows["O4"]["moved_to_as_of"]


def test_window_keeps_only_recent_settlements() -> None:
    frame = expected_payments(INVOICES_, ENTRIES_, as_of=AS_OF, window_days=30)
    o1 = frame.filter(pl.col("invoice_ref") == "O1").row(0, named=True)
    # Only S3 (7 Jun) settled in the last 30 days: x falls back to the seller-wide 7 days.
    assert (o1["delay"], o1["delay_basis"], o1["expected_date"]) == (7, "seller", D(2025, 7, 17))


def test_weekly_forecast() -> None:
    weeks = cash_forecast(INVOICES_, ENTRIES_, as_of=AS_OF)
    cny = weeks.filter(pl.col("currency") == "CNY")
    assert cny.height == 14 and cny["week"].to_list()[-1] == "later"
    assert cny.row(0, named=True) == {
        "currency": "CNY", "week": "1", "week_start": AS_OF, "week_end": D(2025, 7, 6),
        "expected": 8000,  # O2, moved to as_of
    }  # fmt: skip
    # O1 on 16 Jul: 16 days after as_of -> week 3 (14 Jul - 20 Jul).
    assert cny.filter(pl.col("week") == "3")["expected"].to_list() == [30000]
    # O3 on 6 Oct: 98 days -> beyond week 13 (as_of + 90 days).
    assert cny.filter(pl.col("week") == "later")["expected"].to_list() == [12000]
    assert cny["expected"].sum() == 8000 + 30000 + 12000
    jpy = weeks.filter(pl.col("currency") == "JPY")
    assert jpy.filter(pl.col("expected") != 0).select("week", "expected").rows() == [("1", 700)]


def test_empty_ledger() -> None:
    inv, ent = pl.DataFrame(schema=INVOICES), pl.DataFrame(schema=ENTRIES)
    assert cash_forecast(inv, ent, as_of=AS_OF).height == 0
    assert payment_delays(inv, ent, as_of=AS_OF).height == 0
