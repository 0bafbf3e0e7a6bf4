"""Payment terms, discounts, allocation order, payment plans and promises: worked examples."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from arshield.kit.errors import ValidationFailed
from arshield.receivables.domain import (
    Instalment,
    OpenItem,
    PlanStatus,
    PromiseStatus,
    allocate_oldest_first,
    discount_amount,
    parse_terms,
    plan_due_dates,
    plan_status,
    promise_status,
    settle,
)

D = dt.date


@pytest.mark.parametrize(
    ("text", "canonical", "due"),
    [
        ("net 30", "net 30", D(2026, 2, 14)),  # 15 Jan + 30 days
        ("NET30", "net 30", D(2026, 2, 14)),
        ("eom 30", "eom 30", D(2026, 3, 2)),  # 31 Jan + 30 days
        ("end of month + 45", "eom 45", D(2026, 3, 17)),
        ("月结30天", "eom 30", D(2026, 3, 2)),
        ("2/10 net 30", "2/10 net 30", D(2026, 2, 14)),
        ("1.5/10, net 60", "1.5/10 net 60", D(2026, 3, 16)),
    ],
)
def test_terms(text: str, canonical: str, due: dt.date) -> None:
    terms = parse_terms(text)
    assert terms.text() == canonical
    assert terms.due_date(D(2026, 1, 15)) == due


@pytest.mark.parametrize("text", ["net", "30 days", "2/30 net 30", "0/10 net 30", "net 1000", ""])
def test_bad_terms(text: str) -> None:
    with pytest.raises(ValidationFailed):
        parse_terms(text)


def test_discount_rounds_half_up() -> None:
    assert discount_amount(25050, 200) == 501  # 250.50 x 2 % = 5.01
    assert discount_amount(125, 200) == 3  # 2.5 -> 3 (half up)
    assert discount_amount(124, 200) == 2  # 2.48 -> 2


def item(ref: str, due: dt.date, outstanding: int, bp: int = 0) -> OpenItem:
    issued = due - dt.timedelta(days=30)
    return OpenItem(
        ref,
        ref,
        issued,
        due,
        outstanding,
        outstanding,
        bp,
        issued + dt.timedelta(days=10) if bp else None,
    )


def test_discount_only_for_full_settlement_in_window() -> None:
    inv = item("I", D(2026, 2, 14), 10000, bp=200)  # issued 15 Jan, discount until 25 Jan
    assert settle(inv, available=9800, paid_on=D(2026, 1, 25)) == settle(
        inv, available=20000, paid_on=D(2026, 1, 20)
    )
    full = settle(inv, available=9800, paid_on=D(2026, 1, 25))
    assert (full.amount, full.discount) == (9800, 200)
    partial = settle(inv, available=5000, paid_on=D(2026, 1, 20))
    assert (partial.amount, partial.discount) == (5000, 0)
    late = settle(inv, available=9800, paid_on=D(2026, 1, 26))
    assert (late.amount, late.discount) == (9800, 0)


def test_oldest_first() -> None:
    items = [
        item("B", D(2026, 3, 1), 500),
        item("A", D(2026, 2, 1), 300),
        item("C", D(2026, 4, 1), 900),
    ]
    plan = allocate_oldest_first(items, available=1000, paid_on=D(2026, 4, 10))
    assert [(a.invoice_id, a.amount) for a in plan] == [("A", 300), ("B", 500), ("C", 200)]


@given(
    st.lists(st.integers(min_value=1, max_value=10**9), min_size=1, max_size=8),
    st.integers(min_value=0, max_value=10**10),
)
def test_oldest_first_never_over_allocates(amounts: list[int], available: int) -> None:
    items = [item(f"I{i}", D(2026, 1, 1) + dt.timedelta(days=i), a) for i, a in enumerate(amounts)]
    plan = allocate_oldest_first(items, available=available, paid_on=D(2027, 1, 1))
    assert sum(a.amount for a in plan) == min(available, sum(amounts))
    by_id = {i.invoice_id: i.outstanding for i in items}
    assert all(0 < a.amount <= by_id[a.invoice_id] for a in plan)


def test_plan_due_dates_and_status() -> None:
    # Invoices of 600 and 400 under three instalments of 300, 300, 400.
    instalments = [
        Instalment(D(2026, 7, 1), 300),
        Instalment(D(2026, 8, 1), 300),
        Instalment(D(2026, 9, 1), 400),
    ]
    dates = plan_due_dates([("old", 600), ("new", 400)], instalments)
    assert dates == {"old": D(2026, 8, 1), "new": D(2026, 9, 1)}
    paid = [(D(2026, 6, 30), 300)]
    assert plan_status(instalments, payments=paid, as_of=D(2026, 7, 15)) is PlanStatus.ACTIVE
    # The second instalment fell due on 1 August with only 300 paid: broken from 2 August.
    assert plan_status(instalments, payments=paid, as_of=D(2026, 8, 1)) is PlanStatus.ACTIVE
    assert plan_status(instalments, payments=paid, as_of=D(2026, 8, 2)) is PlanStatus.BROKEN
    assert (
        plan_status(instalments, payments=paid, as_of=D(2026, 8, 5), grace_days=5)
        is PlanStatus.ACTIVE
    )
    # Catching up later does not mend a broken plan.
    late = [*paid, (D(2026, 8, 10), 700)]
    assert plan_status(instalments, payments=late, as_of=D(2026, 9, 30)) is PlanStatus.BROKEN
    on_time = [(D(2026, 7, 1), 300), (D(2026, 8, 1), 300), (D(2026, 8, 20), 400)]
    assert plan_status(instalments, payments=on_time, as_of=D(2026, 9, 30)) is PlanStatus.COMPLETED
    with pytest.raises(ValidationFailed):
        plan_due_dates([("x", 999)], instalments)


def test_promise() -> None:
    args = {"amount": 1000, "promised_for": D(2026, 7, 10)}
    assert promise_status(**args, paid_since=0, as_of=D(2026, 7, 10)) is PromiseStatus.OPEN
    assert promise_status(**args, paid_since=999, as_of=D(2026, 7, 11)) is PromiseStatus.BROKEN
    assert promise_status(**args, paid_since=1000, as_of=D(2026, 7, 5)) is PromiseStatus.KEPT
