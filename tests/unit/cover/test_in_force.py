"""The cover in force on a day, read from a cover's decision history."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from arshield.cover.domain import (
    CoverKind,
    CoverStatus,
    DecisionPoint,
    in_force,
    pending_change,
    share_of,
)

D = dt.date


def point(
    seq: int,
    amount: int,
    effective: dt.date,
    status: CoverStatus = CoverStatus.APPROVED,
    expires: dt.date | None = None,
) -> DecisionPoint:
    return DecisionPoint(seq, status, amount, effective, expires, CoverKind.CREDIT_LIMIT)


def test_reduction_with_notice_applies_from_its_effective_date() -> None:
    history = [
        point(1, 100_000, D(2026, 1, 10)),
        point(2, 40_000, D(2026, 3, 3), CoverStatus.REDUCED),  # notified 2026-02-01, 30 days
    ]
    assert in_force(history, D(2026, 1, 9)).state == "none"
    assert in_force(history, D(2026, 1, 10)).amount == 100_000
    assert in_force(history, D(2026, 3, 2)).amount == 100_000
    assert in_force(history, D(2026, 3, 3)).amount == 40_000
    pending = pending_change(history, D(2026, 2, 15))
    assert pending is not None and pending.amount == 40_000
    assert pending_change(history, D(2026, 3, 3)) is None


def test_a_later_decision_supersedes_a_pending_reduction() -> None:
    history = [
        point(1, 100_000, D(2026, 1, 10)),
        point(2, 40_000, D(2026, 3, 3), CoverStatus.REDUCED),
        point(3, 150_000, D(2026, 2, 20)),  # an increase decided after the notice
    ]
    assert in_force(history, D(2026, 2, 19)).amount == 100_000
    assert in_force(history, D(2026, 2, 20)).amount == 150_000
    assert in_force(history, D(2026, 4, 1)).amount == 150_000
    assert pending_change(history, D(2026, 2, 25)) is None


def test_cancellation_and_expiry() -> None:
    history = [point(1, 100_000, D(2026, 1, 10), expires=D(2026, 7, 10))]
    assert in_force(history, D(2026, 7, 9)).covered
    expired = in_force(history, D(2026, 7, 10))
    assert (expired.amount, expired.state) == (0, "expired")
    history.append(point(2, 0, D(2026, 5, 1), CoverStatus.CANCELLED))
    cancelled = in_force(history, D(2026, 5, 1))
    assert (cancelled.amount, cancelled.state) == (0, "cancelled")
    assert in_force(history, D(2026, 4, 30)).amount == 100_000


days = st.integers(min_value=0, max_value=400).map(lambda n: D(2026, 1, 1) + dt.timedelta(days=n))


@given(
    st.lists(st.tuples(st.integers(0, 10**9), days), min_size=1, max_size=12),
    days,
)
def test_the_latest_decision_effective_on_the_day_governs(
    steps: list[tuple[int, dt.date]], on: dt.date
) -> None:
    history = [point(i + 1, amount, day) for i, (amount, day) in enumerate(steps)]
    effective = [p for p in history if p.effective_from <= on]
    state = in_force(history, on)
    if not effective:
        assert (state.amount, state.state) == (0, "none")
    else:
        assert state.amount == effective[-1].amount
    # Order of the list does not matter: seq decides.
    assert in_force(list(reversed(history)), on) == state


@given(st.integers(0, 10**15), st.integers(0, 10_000))
def test_share_never_exceeds_the_exact_share(amount: int, bp: int) -> None:
    share = share_of(amount, bp)
    assert share * 10_000 <= amount * bp < (share + 1) * 10_000
