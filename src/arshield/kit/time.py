"""Time: UTC everywhere, business rules take ``as_of``; only entry points read the clock."""

from __future__ import annotations

import datetime as dt
import re

from arshield.kit.errors import ValidationFailed

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_MONTH = re.compile(r"^\d{4}-\d{2}$")
_COMPACT_DATE = re.compile(r"^\d{8}$")
_SLASH_DATE = re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$")


class DateError(ValidationFailed):
    """A date that cannot be read unambiguously."""

    error_type = "invalid_date"


def utcnow() -> dt.datetime:
    """The current time, timezone-aware UTC. Call only at entry points (API, CLI, jobs)."""
    return dt.datetime.now(dt.UTC)


def today() -> dt.date:
    """Today's date in UTC. Call only at entry points; pass ``as_of`` inward."""
    return utcnow().date()


def parse_date(text: str) -> dt.date:
    """Parse ISO ``YYYY-MM-DD``, ``YYYYMMDD`` or ``YYYY/M/D``; reject ambiguous forms."""
    value = text.strip() if isinstance(text, str) else ""
    if not value.isascii():
        raise DateError(f"{text!r} is not a date: only ASCII digits are accepted")
    try:
        if _ISO_DATE.match(value):
            return dt.date.fromisoformat(value)
        if _COMPACT_DATE.match(value):
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        if _SLASH_DATE.match(value):
            year, month, day = (int(part) for part in value.split("/"))
            return dt.date(year, month, day)
    except ValueError as exc:
        raise DateError(f"{text!r} is not a valid date: {exc}") from None
    raise DateError(f"{text!r} is not a date in YYYY-MM-DD form")


def parse_month(text: str) -> dt.date:
    """Parse ``YYYY-MM`` (or a full date) to the first day of that month."""
    value = text.strip() if isinstance(text, str) else ""
    if _ISO_MONTH.match(value) and value.isascii():
        try:
            return dt.date(int(value[:4]), int(value[5:7]), 1)
        except ValueError as exc:
            raise DateError(f"{text!r} is not a valid month: {exc}") from None
    return parse_date(value).replace(day=1)


EARLIEST_AS_OF = dt.date(1900, 1, 1)
LATEST_AS_OF = dt.date(2999, 12, 31)


def check_as_of(as_of: dt.date) -> dt.date:
    """Reject an ``as_of`` outside 1900-2999, where no business rule can be meaningful."""
    if not EARLIEST_AS_OF <= as_of <= LATEST_AS_OF:
        raise DateError(f"as_of {as_of} is outside {EARLIEST_AS_OF} to {LATEST_AS_OF}")
    return as_of


def years_between(start: dt.date, end: dt.date) -> float:
    """Whole and fractional years from ``start`` to ``end`` (negative if end is earlier)."""
    return (end - start).days / 365.25
