"""Aging: buckets, worked multi-currency example, boundaries, rendering, and properties."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arshield.kit.errors import ValidationFailed
from arshield.receivables.analytics import (
    DEFAULT_BUCKETS,
    AgingBuckets,
    BucketError,
    aging,
    aging_columns,
    outstanding,
    render_aging,
)
from arshield.receivables.analytics_rollup import rollup, rollup_reference
from arshield.receivables.frames import DISPUTES, ENTRIES, INVOICES
from tests.unit.receivables import D, buyers, disputes, entries, invoices

AS_OF = D(2025, 6, 30)
LABELS = ["not_due", "1-30", "31-60", "61-90", "91-180", "181-360", "361-720", "720+"]


def days_before(n: int) -> dt.date:
    return AS_OF - dt.timedelta(days=n)


BUYERS = buyers(
    ("x", "X-001", "Xiamen Trading", "CN", 3),
    ("y", "Y-002", "Kuwait Supplies", "KW", None),
    ("z", "Z-003", "Osaka Parts", "JP", 7),
)
INVOICES_ = invoices(
    ("I1", "x", D(2025, 5, 1), days_before(0), "CNY", 100000),  # 0 days: not_due
    ("I2", "x", D(2025, 5, 1), days_before(1), "CNY", 50000),  # 1 day: 1-30
    ("I3", "x", D(2025, 4, 1), days_before(30), "CNY", 40000),  # 30: 1-30
    ("I4", "x", D(2025, 4, 1), days_before(31), "CNY", 25000),  # 31: 31-60
    ("I5", "y", D(2023, 1, 1), days_before(720), "KWD", 1234),  # 720: 361-720
    ("I6", "y", D(2023, 1, 1), days_before(721), "KWD", 5),  # 721: 720+
    ("I7", "z", D(2025, 6, 1), D(2025, 7, 15), "JPY", 7000),  # paid in full: not shown
    ("I8", "z", D(2025, 3, 1), days_before(90), "JPY", 7),  # 90: 61-90
    ("I9", "x", D(2025, 7, 1), D(2025, 7, 31), "CNY", 99999),  # issued after as_of
)
ENTRIES_ = entries(
    ("I2", D(2025, 6, 15), 20000),  # partial: 50000 - 20000 = 30000
    ("I4", D(2025, 6, 1), 25000),  # paid, reversed, then partly paid again:
    ("I4", D(2025, 6, 3), -25000),  # 25000 - 25000 + 25000 - 10000 = 15000
    ("I4", D(2025, 6, 5), 10000),
    ("I7", D(2025, 6, 20), 7000),
    ("I1", D(2025, 7, 2), 100000),  # after as_of: ignored
)
DISPUTES_ = disputes(
    ("I3", 50000, D(2025, 6, 1), None),  # open, capped at I3's 40000
    ("I6", 3, D(2024, 1, 1), None),  # open: 3 fils
    ("I8", 7, D(2025, 4, 1), D(2025, 6, 1)),  # resolved before as_of
    ("I1", 100000, D(2025, 7, 1), None),  # opened after as_of
)


def run(by: str = "buyer", buckets: AgingBuckets = DEFAULT_BUCKETS) -> pl.DataFrame:
    return aging(INVOICES_, ENTRIES_, DISPUTES_, BUYERS, as_of=AS_OF, buckets=buckets, by=by)


def test_default_bucket_labels() -> None:
    assert list(DEFAULT_BUCKETS.labels) == LABELS
    assert DEFAULT_BUCKETS.edges == (30, 60, 90, 180, 360, 720)


@pytest.mark.parametrize(
    ("days", "label"),
    [
        (-5, "not_due"),
        (0, "not_due"),
        (1, "1-30"),
        (30, "1-30"),
        (31, "31-60"),
        (720, "361-720"),
        (721, "720+"),
    ],
)
def test_boundary_days(days: int, label: str) -> None:
    assert DEFAULT_BUCKETS.bucket_of(days) == label
    frame = aging(
        invoices(("A", "x", D(2020, 1, 1), days_before(days), "CNY", 100)),
        entries(),
        disputes(),
        BUYERS,
        as_of=AS_OF,
        by="invoice",
    )
    assert frame.select(LABELS).row(0) == tuple(100 if lb == label else 0 for lb in LABELS)
    assert frame["days_past_due"].to_list() == [days]


def test_aging_by_buyer_worked_example() -> None:
    frame = run()
    assert frame.columns == [
        "company_ref",
        "company_name",
        "currency",
        *LABELS,
        "total",
        "disputed",
    ]
    rows = {(r["company_ref"], r["currency"]): r for r in frame.to_dicts()}
    assert list(rows) == [("X-001", "CNY"), ("Y-002", "KWD"), ("Z-003", "JPY")]
    x = rows[("X-001", "CNY")]
    # not_due I1 100000; 1-30 I2 30000 + I3 40000; 31-60 I4 15000; total 185000.
    assert (x["not_due"], x["1-30"], x["31-60"], x["total"]) == (100000, 70000, 15000, 185000)
    # I3's open dispute of 50000 is capped at its outstanding 40000; it stays in 1-30 too.
    assert x["disputed"] == 40000
    y = rows[("Y-002", "KWD")]
    assert (y["361-720"], y["720+"], y["total"], y["disputed"]) == (1234, 5, 1239, 3)
    z = rows[("Z-003", "JPY")]  # I7 is paid (excluded); I8's dispute was resolved
    assert (z["61-90"], z["total"], z["disputed"]) == (7, 7, 0)
    for row in frame.to_dicts():
        assert sum(row[label] for label in LABELS) == row["total"]


def test_aging_other_groupings() -> None:
    by_currency = run("currency")
    assert by_currency.columns[0] == "currency"
    assert by_currency.select("currency", "total", "disputed").rows() == [
        ("CNY", 185000, 40000),
        ("JPY", 7, 0),
        ("KWD", 1239, 3),
    ]
    assert run("country").select("country", "currency", "total").rows() == [
        ("CN", "CNY", 185000),
        ("JP", "JPY", 7),
        ("KW", "KWD", 1239),
    ]
    assert run("grade").select("grade", "currency", "total").rows() == [
        (3, "CNY", 185000),
        (7, "JPY", 7),
        (None, "KWD", 1239),
    ]
    by_invoice = run("invoice")
    # I7 (settled) and I9 (issued after as_of) are absent.
    assert by_invoice.select("invoice_ref", "total", "disputed").rows() == [
        ("I1", 100000, 0),
        ("I2", 30000, 0),
        ("I3", 40000, 40000),
        ("I4", 15000, 0),
        ("I5", 1234, 0),
        ("I6", 5, 3),
        ("I8", 7, 0),
    ]


def test_custom_buckets() -> None:
    buckets = AgingBuckets.parse("30,60")
    assert list(buckets.labels) == ["not_due", "1-30", "31-60", "60+"]
    frame = run(buckets=buckets)
    y = frame.filter(pl.col("company_ref") == "Y-002").row(0, named=True)
    assert y["60+"] == 1234 + 5  # 720 and 721 days both fall above 60
    x = frame.filter(pl.col("company_ref") == "X-001").row(0, named=True)
    assert (x["not_due"], x["1-30"], x["31-60"], x["60+"]) == (100000, 70000, 15000, 0)


def test_label_form_parses_like_edges() -> None:
    assert AgingBuckets.parse(",".join(LABELS)) == DEFAULT_BUCKETS
    assert AgingBuckets.parse("not_due, 1-30, 31-45, 46+").edges == (30, 45)


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("60,30", "increase"),
        ("30,30", "increase"),
        ("0,30", "at least 1"),
        ("not_due,1-30,25-60,60+", "overlaps"),
        ("not_due,1-30,40-60,60+", "gap"),
        ("not_due,1-30,60-31,60+", "ends before"),
        ("not_due,1-30,31-60", "open-ended"),
        ("1-30,31-60,60+", "not_due"),
        ("not_due,1-30,31-60,90+", "continue"),
        ("", "empty"),
        ("30,,60", "empty"),
    ],
)
def test_bad_bucket_specs_are_refused(spec: str, reason: str) -> None:
    with pytest.raises(BucketError, match=reason):
        AgingBuckets.parse(spec)


def test_render_and_csv_columns() -> None:
    rendered = render_aging(run())
    assert rendered.select("company_ref", "total", "disputed").rows() == [
        ("X-001", "1850.00", "400.00"),  # CNY: 2 decimals
        ("Y-002", "1.239", "0.003"),  # KWD: 3 decimals
        ("Z-003", "7", "0"),  # JPY: none
    ]
    assert aging_columns("buyer", csv=True) == ["company_ref", "currency", *LABELS, "total"]
    assert aging_columns("buyer")[-2:] == ["total", "disputed"]


def test_empty_inputs_give_an_empty_report() -> None:
    empty_invoices = pl.DataFrame(schema=INVOICES)
    empty_entries = pl.DataFrame(schema=ENTRIES)
    empty_disputes = pl.DataFrame(schema=DISPUTES)
    for by in ("buyer", "currency", "country", "grade", "invoice"):
        frame = aging(empty_invoices, empty_entries, empty_disputes, BUYERS, as_of=AS_OF, by=by)
        assert frame.height == 0
        assert frame.columns[-2:] == ["total", "disputed"]


def test_negative_outstanding_names_the_invoice() -> None:
    over = entries(("I3", D(2025, 6, 1), 40001))
    with pytest.raises(ValidationFailed, match="I3"):
        aging(INVOICES_, over, DISPUTES_, BUYERS, as_of=AS_OF)
    with pytest.raises(ValidationFailed, match="I3"):
        outstanding(INVOICES_, over, as_of=AS_OF)


def test_unknown_buyer_and_bad_grouping_are_refused() -> None:
    stray = invoices(("S", "nobody", D(2025, 1, 1), D(2025, 2, 1), "CNY", 1))
    with pytest.raises(ValidationFailed, match="nobody"):
        aging(stray, entries(), disputes(), BUYERS, as_of=AS_OF)
    with pytest.raises(ValidationFailed, match="choose one of"):
        aging(INVOICES_, ENTRIES_, DISPUTES_, BUYERS, as_of=AS_OF, by="sector")


def test_wrong_column_type_is_refused() -> None:
    bad = INVOICES_.with_columns(pl.col("amount").cast(pl.Float64))
    with pytest.raises(ValidationFailed, match="amount"):
        aging(bad, ENTRIES_, DISPUTES_, BUYERS, as_of=AS_OF)


CURRENCIES = ("CNY", "JPY", "KWD", "USD")


@st.composite
def ledgers(draw: st.DrawFn) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    n_buyers = draw(st.integers(1, 4))
    n = draw(st.integers(0, 25))
    rows, entry_rows, dispute_rows = [], [], []
    for i in range(n):
        amount = draw(st.integers(1, 10**12))
        issue = AS_OF - dt.timedelta(days=draw(st.integers(-20, 1000)))
        due = issue + dt.timedelta(days=draw(st.integers(0, 120)))
        rows.append((f"R{i}", f"b{draw(st.integers(0, n_buyers - 1))}", issue, due,
                     draw(st.sampled_from(CURRENCIES)), amount))  # fmt: skip
        paid = draw(st.sampled_from([0, amount, draw(st.integers(0, amount))]))
        if paid:
            day = issue + dt.timedelta(days=draw(st.integers(0, 200)))
            entry_rows.append((f"R{i}", day, paid))
            if draw(st.booleans()):  # a reversal and re-allocation of the same amount
                entry_rows += [(f"R{i}", day, -paid), (f"R{i}", day, paid)]
        if draw(st.booleans()):
            opened = AS_OF - dt.timedelta(days=draw(st.integers(-5, 100)))
            resolved = draw(st.sampled_from([None, AS_OF, AS_OF + dt.timedelta(days=1)]))
            dispute_rows.append((f"R{i}", draw(st.integers(0, 2 * amount)), opened, resolved))
    people = buyers(*((f"b{i}", f"B{i}", f"Buyer {i}", "CN", i % 3 or None)
                      for i in range(n_buyers)))  # fmt: skip
    return invoices(*rows), entries(*entry_rows), disputes(*dispute_rows), people


@given(ledgers(), st.sampled_from([DEFAULT_BUCKETS, AgingBuckets.parse("1,2,3")]))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_bucket_sums_equal_outstanding_per_currency(
    ledger: tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame],
    buckets: AgingBuckets,
) -> None:
    inv, ent, dis, people = ledger
    frame = aging(inv, ent, dis, people, as_of=AS_OF, buckets=buckets)
    labels = list(buckets.labels)
    assert frame.select((pl.sum_horizontal(labels) == pl.col("total")).all()).item()
    assert frame.select((pl.col("disputed") <= pl.col("total")).all()).item()
    expected = (
        outstanding(inv, ent, as_of=AS_OF)
        .group_by("currency")
        .agg(pl.col("outstanding").sum())
        .filter(pl.col("outstanding") != 0)
        .sort("currency")
    )
    got = frame.group_by("currency").agg(pl.col("total").sum()).sort("currency")
    assert got.rows() == expected.rows()
    bounds = (0, *buckets.edges)
    fast = rollup(inv, ent, dis, people, as_of=AS_OF, bounds=bounds)
    plain = rollup_reference(inv, ent, dis, people, as_of=AS_OF, bounds=bounds)
    assert fast.sort("company_id", "currency").equals(plain.sort("company_id", "currency"))


def test_plain_path_gives_the_same_report(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = run()
    monkeypatch.setattr("arshield.receivables.analytics_rollup._MAX_CELLS", 0)
    assert run().equals(fast)


def test_bucket_table_and_search_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    wide = AgingBuckets.parse("1,29,30,31,400")
    table = run(buckets=wide)
    monkeypatch.setattr("arshield.receivables.analytics_rollup._MAX_TABLE_DAYS", 0)
    assert run(buckets=wide).equals(table)
    # I2 (1 day) in 1-1, I3 (30 days) in 30-30, I4 (31) in 31-31, I8 (90) in 32-400.
    x = table.filter(pl.col("company_ref") == "X-001").row(0, named=True)
    assert (x["1-1"], x["2-29"], x["30-30"], x["31-31"]) == (30000, 0, 40000, 15000)
    assert table.filter(pl.col("company_ref") == "Z-003")["32-400"].to_list() == [7]


def test_concentration_rollup_without_buckets_matches_plain_path() -> None:
    fast = rollup(INVOICES_, ENTRIES_, DISPUTES_, BUYERS, as_of=AS_OF, bounds=())
    plain = rollup_reference(INVOICES_, ENTRIES_, DISPUTES_, BUYERS, as_of=AS_OF, bounds=())
    assert fast.sort("company_id", "currency").equals(plain.sort("company_id", "currency"))
    assert fast.sort("company_id")["b0"].to_list() == [185000, 1239, 7]
