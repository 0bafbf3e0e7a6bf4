"""Integer keys: numbering from ids, and every report the same with the loader's keys, with
keys numbered otherwise, with sparse keys and without keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings

from arshield.kit.errors import ValidationFailed
from arshield.receivables import analytics
from arshield.receivables.analytics_keys import keyed
from arshield.receivables.frames import COMPANY_KEY, INVOICE_KEY, KEY, Keyed, with_keys
from tests.unit.receivables import D, buyers, disputes, entries, invoices
from tests.unit.receivables.test_analytics_aging import (
    AS_OF,
    BUYERS,
    DISPUTES_,
    ENTRIES_,
    INVOICES_,
    ledgers,
)

Frames = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]


def test_with_keys_numbers_ids_in_order_of_appearance() -> None:
    keyed = with_keys(
        invoices(
            ("A", "y", D(2025, 1, 1), D(2025, 2, 1), "CNY", 100),
            ("B", "x", D(2025, 1, 1), D(2025, 2, 1), "CNY", 200),
            ("C", "z", D(2025, 1, 1), D(2025, 2, 1), "CNY", 300),
        ),
        entries(("C", D(2025, 1, 5), 10), ("A", D(2025, 1, 6), 20), ("nope", D(2025, 1, 7), 1)),
        disputes(("B", 5, D(2025, 1, 8), None)),
        buyers(("x", "X", "X Co", "CN", 1), ("y", "Y", "Y Co", "CN", 2)),
    )
    assert keyed.invoices.select("invoice_ref", INVOICE_KEY, COMPANY_KEY).rows() == [
        ("A", 0, 1),  # buyers first: x -> 0, y -> 1; then z, named only by an invoice -> 2
        ("B", 1, 0),
        ("C", 2, 2),
    ]
    # The entry naming no invoice is left out; the others keep their order.
    assert keyed.entries.select("invoice_id", INVOICE_KEY).rows() == [("id-C", 2), ("id-A", 0)]
    assert keyed.disputes[INVOICE_KEY].to_list() == [1]
    assert keyed.buyers[COMPANY_KEY].to_list() == [0, 1]
    assert all(
        frame.schema[c] == KEY
        for frame in (keyed.invoices, keyed.entries, keyed.disputes, keyed.buyers)
        for c in (INVOICE_KEY, COMPANY_KEY)
        if c in frame.columns
    )


def test_a_repeated_invoice_id_gets_one_key() -> None:
    twice = invoices(
        ("A", "x", D(2025, 1, 1), D(2025, 2, 1), "CNY", 100),
        ("B", "x", D(2025, 1, 1), D(2025, 2, 1), "CNY", 200),
        ("A", "x", D(2025, 1, 1), D(2025, 2, 1), "CNY", 300),
    )
    assert with_keys(twice, entries()).invoices[INVOICE_KEY].to_list() == [0, 1, 0]


def _renumbered(frames: Frames, invoice_offset: int, company_offset: int) -> Frames:
    """The frames keyed, then keys reversed and shifted: still one numbering for all."""
    keyed = with_keys(*frames)
    top_invoice = keyed.invoices.height
    top_company = keyed.buyers.height + keyed.invoices.height

    def shift(frame: pl.DataFrame) -> pl.DataFrame:
        changes = []
        if INVOICE_KEY in frame.columns:
            changes.append(
                (invoice_offset + top_invoice - pl.col(INVOICE_KEY).cast(pl.Int64))
                .cast(KEY)
                .alias(INVOICE_KEY)
            )
        if COMPANY_KEY in frame.columns:
            changes.append(
                (company_offset + top_company - pl.col(COMPANY_KEY).cast(pl.Int64))
                .cast(KEY)
                .alias(COMPANY_KEY)
            )
        return frame.with_columns(changes)

    return (
        shift(keyed.invoices),
        shift(keyed.entries),
        shift(keyed.disputes),
        shift(keyed.buyers),
    )


def _reports(frames: Frames, as_of: dt.date) -> list[pl.DataFrame]:
    inv, ent, dis, people = frames
    out: list[pl.DataFrame] = [
        analytics.aging(inv, ent, dis, people, as_of=as_of, by=by)
        for by in ("buyer", "country", "currency", "grade", "invoice")
    ]
    out.append(analytics.outstanding(inv, ent, as_of=as_of))
    out.append(analytics.dso(inv, ent, start=as_of - dt.timedelta(days=89), end=as_of))
    out.append(analytics.dso_trend(inv, ent, end=as_of, months=3))
    out.append(analytics.cash_forecast(inv, ent, as_of=as_of, weeks=4))
    out.append(analytics.expected_payments(inv, ent, as_of=as_of))
    out.append(analytics.payment_delays(inv, ent, as_of=as_of))
    shares = analytics.concentration(inv, ent, people, as_of=as_of, top_n=2)
    out += [shares.buyers, shares.summary, shares.by_grade, shares.by_country]
    return out


def _same(got: list[pl.DataFrame], want: list[pl.DataFrame]) -> None:
    for left, right in zip(got, want, strict=True):
        assert left.equals(right), (left, right)


WORKED: Frames = (INVOICES_, ENTRIES_, DISPUTES_, BUYERS)
VARIANTS: dict[str, Callable[[Frames], Frames]] = {
    "loader keys": lambda f: vars_of(with_keys(*f)),
    "reversed and shifted": lambda f: _renumbered(f, 1000, 50),
    "sparse (renumbered from ids)": lambda f: _renumbered(f, 2_000_000_000, 2_000_000_000),
}


def vars_of(keyed: Keyed) -> Frames:
    return keyed.invoices, keyed.entries, keyed.disputes, keyed.buyers


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_reports_do_not_depend_on_how_keys_are_numbered(variant: str) -> None:
    want = _reports(WORKED, AS_OF)
    # The worked aging example still reads: X-001 holds 185000 CNY, 40000 of it disputed.
    assert want[0].select("company_ref", "total", "disputed").row(0) == ("X-001", 185000, 40000)
    _same(_reports(VARIANTS[variant](WORKED), AS_OF), want)


def test_dense_keys_are_used_as_given_and_sparse_ones_renumbered() -> None:
    shifted = _renumbered(WORKED, 1000, 50)  # at most 1009: within 4 slots per row + 4096
    assert keyed(*shifted).invoices[INVOICE_KEY].equals(shifted[0][INVOICE_KEY])
    sparse = _renumbered(WORKED, 2_000_000_000, 0)  # one array slot per key would be 16 GB
    assert keyed(*sparse).invoices[INVOICE_KEY].to_list() == list(range(INVOICES_.height))


def test_keys_on_some_frames_only_are_renumbered_from_ids() -> None:
    keyed = with_keys(*WORKED)
    mixed = (keyed.invoices, ENTRIES_, keyed.disputes, keyed.buyers)
    _same(_reports(mixed, AS_OF), _reports(WORKED, AS_OF))


def test_a_key_of_another_type_is_refused() -> None:
    keyed = with_keys(*WORKED)
    wide = keyed.invoices.with_columns(pl.col(INVOICE_KEY).cast(pl.Int64))
    with pytest.raises(ValidationFailed, match="invoice_key"):
        analytics.aging(wide, keyed.entries, keyed.disputes, keyed.buyers, as_of=AS_OF)
    holes = keyed.entries.with_columns(pl.lit(None, dtype=KEY).alias(INVOICE_KEY))
    with pytest.raises(ValidationFailed, match="null"):
        analytics.outstanding(keyed.invoices, holes, as_of=AS_OF)


def test_dso_refuses_an_invoice_id_that_repeats() -> None:
    twice = pl.concat([INVOICES_, INVOICES_.head(1)])
    with pytest.raises(ValidationFailed, match="id-I1"):
        analytics.dso(twice, ENTRIES_, start=D(2025, 6, 1), end=AS_OF)


def _outstanding_by_join(inv: pl.DataFrame, ent: pl.DataFrame) -> list[tuple[str, int]]:
    """Outstanding per invoice from a plain join on the text ids (an independent reference)."""
    paid = ent.filter(pl.col("date") <= AS_OF).group_by("invoice_id").agg(pl.col("amount").sum())
    return (
        inv.filter(pl.col("issue_date") <= AS_OF)
        .join(paid, on="invoice_id", how="left", suffix="_paid")
        .select("invoice_ref", pl.col("amount") - pl.col("amount_paid").fill_null(0))
        .rows()
    )


@given(ledgers())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_keyed_reports_match_plain_ones_and_a_join_on_ids(ledger: Frames) -> None:
    inv, ent = ledger[0], ledger[1]
    want = _reports(ledger, AS_OF)
    _same(_reports(vars_of(with_keys(*ledger)), AS_OF), want)
    _same(_reports(_renumbered(ledger, 7, 3), AS_OF), want)
    got = analytics.outstanding(inv, ent, as_of=AS_OF).select("invoice_ref", "outstanding")
    assert got.rows() == _outstanding_by_join(inv, ent)
