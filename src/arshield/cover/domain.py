"""Cover (credit limits): kinds, outcomes, reasons and the cover in force. Pure rules.

A cover is the insurer's commitment to indemnify a seller's losses on one buyer under one policy,
up to an amount. It is history: every grant, increase, reduction and cancellation is a decision
with an effective date, and the cover in force on a day is read from that history.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from arshield.kit.errors import ValidationFailed


class CoverKind(enum.StrEnum):
    """What is asked for.

    ``credit_limit``: a limit the insurer decides (by rules, or an underwriter on referral).
    ``discretionary``: a limit the seller sets itself inside the policy's discretionary rules.
    ``credit_check``: a small limit decided at once by rules, never referred.
    """

    CREDIT_LIMIT = "credit_limit"
    DISCRETIONARY = "discretionary"
    CREDIT_CHECK = "credit_check"


class CoverStatus(enum.StrEnum):
    """The outcome of a request, or of a change the insurer or seller made."""

    APPROVED = "approved"
    PARTIALLY_APPROVED = "partially_approved"
    REFUSED = "refused"
    REFERRED = "referred"
    REDUCED = "reduced"
    CANCELLED = "cancelled"


GRANTED: frozenset[CoverStatus] = frozenset(
    {CoverStatus.APPROVED, CoverStatus.PARTIALLY_APPROVED, CoverStatus.REDUCED}
)
DECIDABLE: frozenset[CoverStatus] = frozenset(
    {CoverStatus.APPROVED, CoverStatus.PARTIALLY_APPROVED, CoverStatus.REFUSED}
)


class Decider(enum.StrEnum):
    """Who made a decision: the rule set, an underwriter, or the seller (its own limit)."""

    RULES = "rules"
    UNDERWRITER = "underwriter"
    SELLER = "seller"


@dataclass(frozen=True, slots=True)
class Reason:
    """A reason code with its text, e.g. ``GRADE_REFER``: "grade 7 is referred ..."."""

    code: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "text": self.text}


@dataclass(frozen=True, slots=True)
class Condition:
    """A condition attached to a cover, e.g. ``MAX_TERMS``: "payment terms at most 60 days"."""

    code: str
    text: str

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "text": self.text}


def reasons_from(items: Iterable[dict[str, str]] | None) -> tuple[Reason, ...]:
    return tuple(Reason(code=i["code"], text=i["text"]) for i in items or ())


def conditions_from(items: Iterable[dict[str, str]] | None) -> tuple[Condition, ...]:
    return tuple(Condition(code=i["code"], text=i["text"]) for i in items or ())


@dataclass(frozen=True, slots=True)
class DecisionPoint:
    """One decision of a cover's history, as the in-force rule reads it.

    ``amount`` is the cover that applies from ``effective_from`` (0 for a cancellation);
    ``seq`` orders decisions: a later decision supersedes earlier ones from its own date.
    """

    seq: int
    status: CoverStatus
    amount: int
    effective_from: dt.date
    expires_on: dt.date | None
    kind: CoverKind


@dataclass(frozen=True, slots=True)
class InForce:
    """The cover in force on a day: the decision that governs it, its amount and state."""

    on: dt.date
    amount: int
    state: str  # "in_force", "expired", "cancelled", "none"
    decision: DecisionPoint | None

    @property
    def covered(self) -> bool:
        return self.state == "in_force" and self.amount > 0


def in_force(points: Sequence[DecisionPoint], on: dt.date) -> InForce:
    """The cover in force on ``on``.

    Among the decisions effective on or before ``on``, the one decided last governs: a reduction
    notified with 30 days' notice governs only from its effective date, and a later increase
    supersedes a pending reduction. An expired cover and a cancelled cover are 0.
    """
    governing: DecisionPoint | None = None
    for point in points:
        if point.effective_from <= on and (governing is None or point.seq > governing.seq):
            governing = point
    if governing is None:
        return InForce(on=on, amount=0, state="none", decision=None)
    if governing.status is CoverStatus.CANCELLED:
        return InForce(on=on, amount=0, state="cancelled", decision=governing)
    if governing.expires_on is not None and on >= governing.expires_on:
        return InForce(on=on, amount=0, state="expired", decision=governing)
    return InForce(on=on, amount=governing.amount, state="in_force", decision=governing)


def pending_change(points: Sequence[DecisionPoint], on: dt.date) -> DecisionPoint | None:
    """A decided change that takes effect after ``on`` and will govern (a notified reduction)."""
    current = in_force(points, on).decision
    future = [
        p for p in points if p.effective_from > on and (current is None or p.seq > current.seq)
    ]
    return max(future, key=lambda p: p.seq) if future else None


# --- percentages ---------------------------------------------------------------------------------

BASIS_POINTS = 10_000


def check_percent_bp(value: int, field: str) -> int:
    """A percentage in basis points (9000 = 90%), between 0 and 100%."""
    if isinstance(value, bool) or not 0 <= value <= BASIS_POINTS:
        raise ValidationFailed(f"{field} must be between 0 and 100 percent")
    return value


def share_of(amount: int, bp: int) -> int:
    """``bp`` basis points of ``amount`` minor units, rounded down (never a unit too many)."""
    return amount * bp // BASIS_POINTS
