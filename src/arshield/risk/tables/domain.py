"""Country and sector risk scales and the rules of their history. Pure: no database, no web.

A rating is valid over the half-open period ``[valid_from, valid_to)``; the row whose
``valid_to`` is empty is the one in force now. History is append-only: a change effective on a
date D closes the row in force at D and opens a new one from D; nothing before the current row's
start is ever rewritten.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
from dataclasses import dataclass
from functools import lru_cache
from typing import Final

import pycountry

from arshield.kit.errors import Conflict, NotFound, ValidationFailed

SHORT_TERM_LEVELS: Final = (1, 2, 3, 4)
# NACE Rev. 2 sections; their names ship in ``data/sectors.csv``.
NACE_SECTION_CODES: Final = tuple("ABCDEFGHIJKLMNOPQRSTU")
MAX_ACTOR_LENGTH: Final = 100
MAX_REASON_LENGTH: Final = 1000


class _RankedStrEnum(enum.StrEnum):
    """A text enum ordered by risk (declaration order, lowest risk first), not alphabetically."""

    @property
    def rank(self) -> int:
        """0 for the lowest risk, increasing with risk."""
        return list(type(self)).index(self)

    def _other_rank(self, other: str) -> int:
        try:
            return type(self)(other).rank
        except ValueError:
            raise TypeError(f"cannot order {self!r} against {other!r}") from None

    def __lt__(self, other: str) -> bool:
        return self.rank < self._other_rank(other)

    def __le__(self, other: str) -> bool:
        return self.rank <= self._other_rank(other)

    def __gt__(self, other: str) -> bool:
        return self.rank > self._other_rank(other)

    def __ge__(self, other: str) -> bool:
        return self.rank >= self._other_rank(other)


class MediumTermGrade(_RankedStrEnum):
    """A country's medium-term grade, AA (lowest risk) to D (highest)."""

    AA = "AA"
    A = "A"
    BB = "BB"
    B = "B"
    C = "C"
    D = "D"


class SectorRiskLevel(_RankedStrEnum):
    """A sector's risk level, low to high."""

    LOW = "low"
    MEDIUM = "medium"
    SENSITIVE = "sensitive"
    HIGH = "high"


class UnknownCountry(NotFound):
    """Not an ISO 3166-1 alpha-2 country code."""

    error_type = "unknown_country"


class UnknownSector(NotFound):
    """Not a NACE Rev. 2 section (A to U)."""

    error_type = "unknown_sector"


class NoRatingInForce(NotFound):
    """No rating in force on that date."""


class InvalidRating(ValidationFailed):
    """A risk level or grade outside its scale."""

    error_type = "invalid_rating"


class HistoryConflict(Conflict):
    """The change would rewrite history; make it effective on a later date."""

    error_type = "history_conflict"


@dataclass(frozen=True, slots=True)
class CountryRating:
    """A country's short-term risk level (1-4) and medium-term grade (AA-D)."""

    short_term: int
    medium_term: MediumTermGrade

    def __post_init__(self) -> None:
        object.__setattr__(self, "short_term", check_short_term(self.short_term))
        object.__setattr__(self, "medium_term", check_medium_term(self.medium_term))


@dataclass(frozen=True, slots=True)
class Validity:
    """The half-open period ``[valid_from, valid_to)``; ``valid_to`` None means open-ended."""

    valid_from: dt.date
    valid_to: dt.date | None = None

    def __post_init__(self) -> None:
        if self.valid_to is not None and self.valid_to <= self.valid_from:
            raise ValidationFailed(f"period ends {self.valid_to} on or before it starts")

    @property
    def is_current(self) -> bool:
        return self.valid_to is None

    def contains(self, as_of: dt.date) -> bool:
        """True if ``as_of`` falls in ``[valid_from, valid_to)``."""
        return self.valid_from <= as_of and (self.valid_to is None or as_of < self.valid_to)


class ChangeKind(enum.StrEnum):
    """What recording a change does to a history."""

    UNCHANGED = "unchanged"  # same values as the row in force: nothing is written
    OPEN = "open"  # no row yet: open the first one
    SUCCEED = "succeed"  # close the current row at the effective date and open a new one


def plan_change(
    *, subject: str, current: Validity | None, same_values: bool, effective_from: dt.date
) -> ChangeKind:
    """Decide how a change effective on ``effective_from`` enters an append-only history.

    ``current`` is the latest row of ``subject``'s history (None if it has none).
    """
    if current is None:
        return ChangeKind.OPEN
    if not current.is_current:
        raise HistoryConflict(
            f"the latest rating of {subject} was closed by a concurrent change; reload and retry"
        )
    if same_values:
        return ChangeKind.UNCHANGED
    if effective_from < current.valid_from:
        raise HistoryConflict(
            f"{subject}: a change effective {effective_from} would rewrite history; the rating "
            f"in force has applied since {current.valid_from}, use a date after it"
        )
    if effective_from == current.valid_from:
        raise HistoryConflict(
            f"{subject}: the rating in force already starts on {effective_from}; history is "
            "append-only, so make the change effective on a later date"
        )
    return ChangeKind.SUCCEED


def check_short_term(value: object) -> int:
    """A short-term country risk level: an integer 1 (lowest) to 4."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidRating(f"short-term risk level must be an integer 1-4, got {value!r}")
    text = str(value).strip()
    if not (text.isascii() and text.isdigit()) or int(text) not in SHORT_TERM_LEVELS:
        raise InvalidRating(f"short-term risk level must be an integer 1-4, got {value!r}")
    return int(text)


def check_medium_term(value: object) -> MediumTermGrade:
    """A medium-term country grade: AA, A, BB, B, C or D (case-insensitive)."""
    if isinstance(value, MediumTermGrade):
        return value
    text = value.strip().upper() if isinstance(value, str) else ""
    try:
        return MediumTermGrade(text)
    except ValueError:
        allowed = ", ".join(MediumTermGrade)
        raise InvalidRating(f"medium-term grade must be one of {allowed}, got {value!r}") from None


def check_sector_risk(value: object) -> SectorRiskLevel:
    """A sector risk level: low, medium, sensitive or high (case-insensitive)."""
    if isinstance(value, SectorRiskLevel):
        return value
    text = value.strip().lower() if isinstance(value, str) else ""
    try:
        return SectorRiskLevel(text)
    except ValueError:
        allowed = ", ".join(SectorRiskLevel)
        raise InvalidRating(f"sector risk must be one of {allowed}, got {value!r}") from None


def check_reason(value: str) -> str:
    """Why a rating changed: required, at most 1000 characters."""
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise ValidationFailed("a reason is required for every rating change")
    if len(text) > MAX_REASON_LENGTH:
        raise ValidationFailed(f"reason is longer than {MAX_REASON_LENGTH} characters")
    return text


def check_actor(value: str) -> str:
    """Who made a change: required, at most 100 characters."""
    text = value.strip() if isinstance(value, str) else ""
    if not text or len(text) > MAX_ACTOR_LENGTH:
        raise ValidationFailed(f"actor must be 1-{MAX_ACTOR_LENGTH} characters")
    return text


@lru_cache(maxsize=1)
def iso_country_names() -> dict[str, str]:
    """Every ISO 3166-1 alpha-2 code and its English name."""
    return {c.alpha_2: c.name for c in pycountry.countries}


def check_country(code: str) -> str:
    """Normalise an ISO 3166-1 alpha-2 code (``cn`` -> ``CN``); unknown codes are not found."""
    text = code.strip().upper() if isinstance(code, str) else ""
    if text not in iso_country_names():
        raise UnknownCountry(f"{code!r} is not an ISO 3166-1 alpha-2 country code")
    return text


def check_section(code: str) -> str:
    """Normalise a NACE Rev. 2 section letter (``f`` -> ``F``); anything else is not found."""
    text = code.strip().upper() if isinstance(code, str) else ""
    if text not in NACE_SECTION_CODES:
        raise UnknownSector(f"{code!r} is not a NACE Rev. 2 section (A to U)")
    return text


@dataclass(frozen=True, slots=True)
class CountryDefault:
    """One shipped default country rating."""

    country: str
    name: str
    rating: CountryRating
    rationale: str


@dataclass(frozen=True, slots=True)
class SectorDefault:
    """One shipped default sector risk level."""

    section: str
    name: str
    risk: SectorRiskLevel
    rationale: str


def parse_country_defaults(text: str) -> list[CountryDefault]:
    """Read ``countries.csv`` (country,name,short_term,medium_term,rationale); strict."""
    out: list[CountryDefault] = []
    seen: set[str] = set()
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        code = check_country(row["country"])
        if code != row["country"] or code in seen:
            raise ValidationFailed(f"countries.csv line {line}: duplicate or malformed {code!r}")
        seen.add(code)
        rating = CountryRating(
            short_term=check_short_term(row["short_term"]),
            medium_term=check_medium_term(row["medium_term"]),
        )
        out.append(CountryDefault(code, row["name"], rating, row["rationale"].strip()))
    return out


def parse_sector_defaults(text: str) -> list[SectorDefault]:
    """Read ``sectors.csv`` (section,name,risk,rationale); strict."""
    out: list[SectorDefault] = []
    seen: set[str] = set()
    for line, row in enumerate(csv.DictReader(io.StringIO(text)), start=2):
        code = check_section(row["section"])
        if code != row["section"] or code in seen:
            raise ValidationFailed(f"sectors.csv line {line}: duplicate or malformed {code!r}")
        seen.add(code)
        risk = check_sector_risk(row["risk"])
        out.append(SectorDefault(code, row["name"], risk, row["rationale"].strip()))
    return out
