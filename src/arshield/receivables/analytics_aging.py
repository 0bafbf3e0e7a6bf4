"""Aging of open receivables in buckets of days past due, per buyer, country, currency, grade
or invoice.

Days past due = ``as_of - due_date``; zero or less is ``not_due``. Each open invoice's whole
outstanding amount falls in exactly one bucket, so the buckets of a row add up to its ``total``
to the minor unit. ``disputed`` reports, apart, the part of the row under an open dispute; that
amount is also inside its bucket. Amounts stay in their own currency: every row has one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Final

import polars as pl

from arshield.kit.errors import ValidationFailed
from arshield.receivables.analytics_keys import named
from arshield.receivables.analytics_ledger import (
    DISPUTED,
    OUTSTANDING,
    check_currencies,
    checked,
    open_items,
    render_minor,
)
from arshield.receivables.analytics_rollup import EPOCH, bucket_expr, rollup
from arshield.receivables.frames import BUYERS

NOT_DUE: Final = "not_due"
TOTAL: Final = "total"
_RANGE = re.compile(r"^(\d+)-(\d+)$")
_OPEN = re.compile(r"^(\d+)\+$")
_BUCKET: Final = "bucket"


class AgingBy(StrEnum):
    """What an aging report groups by."""

    BUYER = "buyer"
    COUNTRY = "country"
    CURRENCY = "currency"
    GRADE = "grade"
    INVOICE = "invoice"


KEY_COLUMNS: Final[dict[AgingBy, tuple[str, ...]]] = {
    AgingBy.BUYER: ("company_ref", "company_name"),
    AgingBy.COUNTRY: ("country",),
    AgingBy.CURRENCY: (),
    AgingBy.GRADE: ("grade",),
    AgingBy.INVOICE: (
        "invoice_ref",
        "invoice_id",
        "company_ref",
        "due_date",
        "days_past_due",
    ),
}
# Key columns a CSV export carries: the fixed, documented layout.
CSV_KEY_COLUMNS: Final[dict[AgingBy, tuple[str, ...]]] = {
    **KEY_COLUMNS,
    AgingBy.BUYER: ("company_ref",),
}


class BucketError(ValidationFailed):
    """An aging bucket specification that is not a sorted, gapless partition of days."""

    error_type = "invalid_buckets"


@dataclass(frozen=True, slots=True)
class AgingBuckets:
    """Buckets of days past due: ``not_due`` (<= 0), then one bucket per upper edge, then an
    open-ended bucket above the last edge.

    ``edges`` are the inclusive upper limits of the closed buckets (30 means "1-30"); the
    default is ``not_due,1-30,31-60,61-90,91-180,181-360,361-720,720+``.
    """

    edges: tuple[int, ...]
    labels: tuple[str, ...]

    DEFAULT_EDGES: ClassVar[tuple[int, ...]] = (30, 60, 90, 180, 360, 720)

    def __post_init__(self) -> None:
        if not self.edges:
            raise BucketError("aging buckets need at least one upper edge, e.g. 30")
        if any(not isinstance(e, int) or isinstance(e, bool) for e in self.edges):
            raise BucketError("aging bucket edges must be whole numbers of days")
        if self.edges[0] < 1:
            raise BucketError(f"the first bucket edge must be at least 1 day, got {self.edges[0]}")
        for lower, upper in zip(self.edges, self.edges[1:], strict=False):
            if upper <= lower:
                raise BucketError(
                    f"aging bucket edges must increase: {upper} follows {lower} "
                    "(buckets would overlap or be out of order)"
                )
        if len(self.labels) != len(self.edges) + 2:
            raise BucketError(
                f"{len(self.edges)} edges need {len(self.edges) + 2} labels, got {len(self.labels)}"
            )
        if len(set(self.labels)) != len(self.labels):
            raise BucketError(f"aging bucket labels repeat: {', '.join(self.labels)}")
        reserved = {TOTAL, DISPUTED, "currency"}.intersection(self.labels)
        if reserved:
            raise BucketError(f"{', '.join(sorted(reserved))} cannot name an aging bucket")

    @classmethod
    def from_edges(cls, edges: tuple[int, ...] | list[int]) -> AgingBuckets:
        """Buckets with the standard labels for ``edges`` (e.g. 30, 60, 90)."""
        edges = tuple(edges)
        cls(edges, (NOT_DUE, *(str(i) for i in range(len(edges) + 1))))  # validates the edges
        labels = [NOT_DUE]
        lower = 1
        for edge in edges:
            labels.append(f"{lower}-{edge}")
            lower = edge + 1
        labels.append(f"{edges[-1]}+")
        return cls(edges, tuple(labels))

    @classmethod
    def default(cls) -> AgingBuckets:
        """``not_due,1-30,31-60,61-90,91-180,181-360,361-720,720+``."""
        return cls.from_edges(cls.DEFAULT_EDGES)

    @classmethod
    def parse(cls, spec: str) -> AgingBuckets:
        """Read ``"30,60,90"`` (upper edges) or the label form ``"not_due,1-30,31-60,60+"``.

        In the label form the first bucket is ``not_due``, each ``a-b`` starts the day after the
        previous one ends, and the last is open-ended: ``N+`` with N the previous upper edge
        (as in ``720+``) or the next day (``721+``).
        """
        parts = [p.strip() for p in str(spec).split(",")]
        if not spec or not str(spec).strip() or any(not p for p in parts):
            raise BucketError(f"aging buckets {spec!r}: empty bucket in the list")
        if all(p.isascii() and p.isdigit() for p in parts):
            return cls.from_edges(tuple(int(p) for p in parts))
        return cls._parse_labels(parts, spec)

    @classmethod
    def _parse_labels(cls, parts: list[str], spec: str) -> AgingBuckets:
        if parts[0] != NOT_DUE:
            raise BucketError(f"aging buckets {spec!r}: the first bucket must be {NOT_DUE!r}")
        if len(parts) < 3:
            raise BucketError(
                f"aging buckets {spec!r}: need not_due, at least one range and an open bucket"
            )
        edges: list[int] = []
        expected_start = 1
        for label in parts[1:-1]:
            match = _RANGE.match(label)
            if not match or not label.isascii():
                raise BucketError(
                    f"aging buckets {spec!r}: {label!r} is not a range like 31-60 "
                    "(only the last bucket may be open-ended)"
                )
            start, end = int(match.group(1)), int(match.group(2))
            if end < start:
                raise BucketError(f"aging buckets {spec!r}: {label!r} ends before it starts")
            if start < expected_start:
                raise BucketError(
                    f"aging buckets {spec!r}: {label!r} overlaps the previous bucket "
                    f"(should start at {expected_start})"
                )
            if start > expected_start:
                raise BucketError(
                    f"aging buckets {spec!r}: gap before {label!r} "
                    f"(days {expected_start}-{start - 1} fall in no bucket)"
                )
            edges.append(end)
            expected_start = end + 1
        last = parts[-1]
        match = _OPEN.match(last)
        if not match or not last.isascii():
            raise BucketError(
                f"aging buckets {spec!r}: the last bucket must be open-ended, "
                f"like {expected_start - 1}+, got {last!r}"
            )
        if int(match.group(1)) not in (expected_start - 1, expected_start):
            raise BucketError(
                f"aging buckets {spec!r}: {last!r} must continue from the previous bucket "
                f"({expected_start - 1}+, i.e. from day {expected_start})"
            )
        return cls(tuple(edges), tuple(parts))

    def bucket_of(self, days_past_due: int) -> str:
        """The label for one day count (for reading a single invoice)."""
        if days_past_due <= 0:
            return self.labels[0]
        for edge, label in zip(self.edges, self.labels[1:], strict=False):
            if days_past_due <= edge:
                return label
        return self.labels[-1]


DEFAULT_BUCKETS: Final = AgingBuckets.default()


def _check_by(by: AgingBy | str) -> AgingBy:
    try:
        return AgingBy(by)
    except ValueError:
        choices = ", ".join(b.value for b in AgingBy)
        raise ValidationFailed(f"aging by {by!r}: choose one of {choices}") from None


def aging(
    invoices: pl.DataFrame,
    entries: pl.DataFrame,
    disputes: pl.DataFrame,
    buyers: pl.DataFrame,
    *,
    as_of: dt.date,
    buckets: AgingBuckets = DEFAULT_BUCKETS,
    by: AgingBy | str = AgingBy.BUYER,
) -> pl.DataFrame:
    """Open receivables on ``as_of`` by bucket of days past due, grouped ``by``.

    Columns: the key columns of ``by`` (buyer: company_ref, company_name; country; grade;
    invoice: invoice_ref, invoice_id, company_ref, due_date, days_past_due; currency: none),
    ``currency``, one Int64 column per bucket label, ``total`` and ``disputed``. Only invoices
    whose outstanding amount is not zero count. Rows are sorted by key and currency.
    """
    by = _check_by(by)
    labels = list(buckets.labels)
    if by is AgingBy.INVOICE:
        result = _by_invoice(invoices, entries, disputes, buyers, as_of, buckets)
    else:
        per_buyer = rollup(
            invoices, entries, disputes, buyers, as_of=as_of, bounds=(0, *buckets.edges)
        ).rename({f"b{i}": label for i, label in enumerate(labels)})
        if by is not AgingBy.BUYER:
            keys = list(KEY_COLUMNS[by])
            per_buyer = per_buyer.group_by(*keys, "currency").agg(pl.col(*labels, DISPUTED).sum())
        result = per_buyer.with_columns(pl.sum_horizontal(labels).alias(TOTAL))
    check_currencies(result["currency"].unique().to_list())
    ordered = [*KEY_COLUMNS[by], "currency", *labels, TOTAL, DISPUTED]
    return result.select(ordered).sort([*KEY_COLUMNS[by], "currency"], nulls_last=True)


def _by_invoice(
    invoices: pl.DataFrame,
    entries: pl.DataFrame,
    disputes: pl.DataFrame,
    buyers: pl.DataFrame,
    as_of: dt.date,
    buckets: AgingBuckets,
) -> pl.DataFrame:
    refs = checked(buyers, BUYERS, "buyers").select("company_id", "company_ref")
    epoch_day = (as_of - EPOCH).days
    frame = (
        open_items(invoices, entries, disputes, as_of=as_of)
        .with_columns(
            (pl.lit(epoch_day, dtype=pl.Int32) - pl.col("due_date").cast(pl.Int32)).alias(
                "days_past_due"
            ),
            bucket_expr((0, *buckets.edges), as_of).alias(_BUCKET),
        )
        .join(refs, on="company_id", how="left")
        .collect()
    )
    missing = frame.filter(pl.col("company_ref").is_null())
    if missing.height:
        ids = sorted(missing["company_id"].unique().to_list())
        raise ValidationFailed(
            f"invoices name buyer(s) missing from the buyers frame: {named(ids)}"
        )
    zero = pl.lit(0, dtype=pl.Int64)
    return frame.with_columns(
        *(
            pl.when(pl.col(_BUCKET) == index).then(pl.col(OUTSTANDING)).otherwise(zero).alias(label)
            for index, label in enumerate(buckets.labels)
        ),
        pl.col(OUTSTANDING).alias(TOTAL),
    )


def aging_columns(
    by: AgingBy | str, buckets: AgingBuckets = DEFAULT_BUCKETS, *, csv: bool = False
) -> list[str]:
    """The columns of an aging report, in order.

    For CSV the fixed layout: key columns (by buyer: ``company_ref`` only), ``currency``, the
    bucket labels and ``total``; ``disputed`` only in other formats, after ``total``.
    """
    by = AgingBy(by)
    keys = CSV_KEY_COLUMNS[by] if csv else KEY_COLUMNS[by]
    tail = [TOTAL] if csv else [TOTAL, DISPUTED]
    return [*keys, "currency", *buckets.labels, *tail]


def render_aging(frame: pl.DataFrame, buckets: AgingBuckets = DEFAULT_BUCKETS) -> pl.DataFrame:
    """The aging frame with its amounts as exact decimal text in each row's currency."""
    return render_minor(frame, [*buckets.labels, TOTAL, DISPUTED])
