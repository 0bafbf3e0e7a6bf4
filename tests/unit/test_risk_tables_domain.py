"""Country and sector risk scales, history rules and the shipped default tables."""

from __future__ import annotations

import csv
import datetime as dt
import itertools
from importlib import resources

import pycountry
import pytest
from hypothesis import given
from hypothesis import strategies as st

from arshield.buyers.domain import NACE_SECTIONS
from arshield.kit.errors import Conflict, NotFound, ValidationFailed
from arshield.risk.tables.domain import (
    NACE_SECTION_CODES,
    ChangeKind,
    CountryRating,
    HistoryConflict,
    MediumTermGrade,
    SectorRiskLevel,
    Validity,
    check_actor,
    check_country,
    check_medium_term,
    check_reason,
    check_section,
    check_sector_risk,
    check_short_term,
    parse_country_defaults,
    parse_sector_defaults,
    plan_change,
)

D = dt.date


def _data(name: str) -> str:
    return resources.files("arshield.risk.tables").joinpath("data", name).read_text("utf-8")


# Scales -----------------------------------------------------------------------------------------


def test_medium_term_grades_are_ordered_by_risk_not_alphabet() -> None:
    assert [g.value for g in sorted(MediumTermGrade)] == ["AA", "A", "BB", "B", "C", "D"]
    assert MediumTermGrade.AA < MediumTermGrade.A < MediumTermGrade.BB < MediumTermGrade.B
    assert MediumTermGrade.B < MediumTermGrade.C < MediumTermGrade.D
    # Alphabetically "A" < "AA" and "B" < "BB"; by risk it is the other way round.
    assert MediumTermGrade.A > "AA"
    assert MediumTermGrade.B > "BB"
    assert max(MediumTermGrade) is MediumTermGrade.D
    with pytest.raises(TypeError):
        _ = MediumTermGrade.A < "Z"


def test_sector_risk_levels_are_ordered() -> None:
    assert [s.value for s in sorted(SectorRiskLevel, reverse=True)] == [
        "high",
        "sensitive",
        "medium",
        "low",
    ]
    assert SectorRiskLevel.SENSITIVE > SectorRiskLevel.MEDIUM
    assert SectorRiskLevel.SENSITIVE.rank == 2


@pytest.mark.parametrize(("raw", "expected"), [(1, 1), (4, 4), ("3", 3), (" 2 ", 2)])
def test_short_term_accepts_1_to_4(raw: object, expected: int) -> None:
    assert check_short_term(raw) == expected


@pytest.mark.parametrize("raw", [0, 5, -1, True, 2.0, "2.0", "", "二", "２", None])
def test_short_term_rejects_anything_else(raw: object) -> None:
    with pytest.raises(ValidationFailed, match="1-4"):
        check_short_term(raw)


def test_grade_and_sector_validators_normalise_case_and_reject_others() -> None:
    assert check_medium_term(" bb ") is MediumTermGrade.BB
    assert check_sector_risk("HIGH") is SectorRiskLevel.HIGH
    for bad in ("AAA", "E", "", None, 1):
        with pytest.raises(ValidationFailed, match="AA, A, BB, B, C, D"):
            check_medium_term(bad)
    for bad in ("critical", "", None):
        with pytest.raises(ValidationFailed, match="low, medium, sensitive, high"):
            check_sector_risk(bad)


def test_country_rating_validates_itself() -> None:
    rating = CountryRating(short_term=2, medium_term=MediumTermGrade.A)
    assert rating == CountryRating(2, check_medium_term("a"))
    with pytest.raises(ValidationFailed):
        CountryRating(short_term=5, medium_term=MediumTermGrade.A)


def test_codes_unknown_are_not_found() -> None:
    assert check_country(" cn ") == "CN"
    assert check_section("f") == "F"
    for bad in ("XX", "CHN", "", "C1"):
        with pytest.raises(NotFound):
            check_country(bad)
    for bad in ("V", "AB", "", "1"):
        with pytest.raises(NotFound):
            check_section(bad)


def test_reason_and_actor_are_required() -> None:
    assert check_reason("  review 2026  ") == "review 2026"
    assert check_actor("analyst@INS") == "analyst@INS"
    with pytest.raises(ValidationFailed):
        check_reason("   ")
    with pytest.raises(ValidationFailed):
        check_reason("x" * 1001)
    with pytest.raises(ValidationFailed):
        check_actor("")
    with pytest.raises(ValidationFailed):
        check_actor("x" * 101)


# Periods and history -----------------------------------------------------------------------------


def test_validity_is_half_open() -> None:
    period = Validity(D(2000, 1, 1), D(2026, 1, 1))
    assert period.contains(D(2000, 1, 1))
    assert period.contains(D(2025, 12, 31))
    assert not period.contains(D(2026, 1, 1))
    assert not period.contains(D(1999, 12, 31))
    assert Validity(D(2026, 1, 1)).contains(D(2999, 1, 1))
    with pytest.raises(ValidationFailed):
        Validity(D(2026, 1, 1), D(2026, 1, 1))


def test_plan_change_rules() -> None:
    current = Validity(D(2000, 1, 1))
    kw = {"subject": "country CN", "current": current}
    assert (
        plan_change(subject="CN", current=None, same_values=False, effective_from=D(2026, 1, 1))
        is ChangeKind.OPEN
    )
    assert plan_change(**kw, same_values=False, effective_from=D(2026, 1, 1)) is ChangeKind.SUCCEED
    # Same values: nothing to write, whatever the date (repeating a change is a no-op).
    assert plan_change(**kw, same_values=True, effective_from=D(1990, 1, 1)) is ChangeKind.UNCHANGED
    assert plan_change(**kw, same_values=True, effective_from=D(2000, 1, 1)) is ChangeKind.UNCHANGED
    with pytest.raises(HistoryConflict, match="rewrite history"):
        plan_change(**kw, same_values=False, effective_from=D(1999, 12, 31))
    with pytest.raises(HistoryConflict, match="later date"):
        plan_change(**kw, same_values=False, effective_from=D(2000, 1, 1))
    with pytest.raises(Conflict, match="concurrent"):
        plan_change(
            subject="CN",
            current=Validity(D(2000, 1, 1), D(2026, 1, 1)),
            same_values=False,
            effective_from=D(2027, 1, 1),
        )


@given(
    changes=st.lists(st.tuples(st.integers(0, 3000), st.integers(1, 4)), min_size=1, max_size=25),
    probes=st.lists(st.integers(-10, 3100), min_size=1, max_size=20),
)
def test_history_built_by_plan_change_tiles_time_without_overlap(
    changes: list[tuple[int, int]], probes: list[int]
) -> None:
    """Applying any sequence of changes keeps one rating per day from the first start on."""
    start = D(2000, 1, 1)
    history: list[tuple[Validity, int]] = []
    for offset, value in changes:
        day = start + dt.timedelta(days=offset)
        current = history[-1] if history else None
        try:
            kind = plan_change(
                subject="X",
                current=None if current is None else current[0],
                same_values=current is not None and current[1] == value,
                effective_from=day,
            )
        except HistoryConflict:
            assert current is not None
            assert day <= current[0].valid_from
            continue
        if kind is ChangeKind.SUCCEED:
            assert current is not None
            assert day > current[0].valid_from
            history[-1] = (Validity(current[0].valid_from, day), current[1])
        if kind is not ChangeKind.UNCHANGED:
            history.append((Validity(day), value))
    assert sum(1 for period, _ in history if period.is_current) == 1
    for (left, _), (right, _) in itertools.pairwise(history):
        assert left.valid_to == right.valid_from
    for (_, left_value), (_, right_value) in itertools.pairwise(history):
        assert left_value != right_value
    for probe in probes:
        day = start + dt.timedelta(days=probe)
        in_force = [value for period, value in history if period.contains(day)]
        expected = 0 if day < history[0][0].valid_from else 1
        assert len(in_force) == expected


# Shipped defaults ---------------------------------------------------------------------------------


def test_every_iso_country_is_in_the_csv_exactly_once_with_valid_values() -> None:
    rows = list(csv.DictReader(_data("countries.csv").splitlines()))
    assert list(rows[0]) == ["country", "name", "short_term", "medium_term", "rationale"]
    codes = [r["country"] for r in rows]
    iso = {c.alpha_2 for c in pycountry.countries}
    assert len(codes) == len(set(codes)) == len(iso) == 249
    assert set(codes) == iso
    for row in rows:
        assert row["short_term"] in {"1", "2", "3", "4"}, row
        assert row["medium_term"] in {"AA", "A", "BB", "B", "C", "D"}, row
        assert row["name"] == pycountry.countries.get(alpha_2=row["country"]).name
        assert 0 < len(row["rationale"]) <= 60, row
    defaults = {d.country: d for d in parse_country_defaults(_data("countries.csv"))}
    assert len(defaults) == 249
    assert defaults["CN"].rating == CountryRating(2, MediumTermGrade.A)
    assert defaults["DE"].rating == CountryRating(1, MediumTermGrade.AA)
    assert defaults["RU"].rating == CountryRating(4, MediumTermGrade.D)


def test_country_defaults_follow_the_documented_tiers() -> None:
    """Only the seven documented (short-term, medium-term) pairs are used."""
    tiers = {(1, "AA"), (1, "A"), (2, "A"), (2, "BB"), (3, "B"), (3, "C"), (4, "D")}
    pairs = {
        (d.rating.short_term, d.rating.medium_term.value)
        for d in parse_country_defaults(_data("countries.csv"))
    }
    assert pairs == tiers


def test_sector_csv_has_the_21_nace_sections() -> None:
    defaults = parse_sector_defaults(_data("sectors.csv"))
    assert [d.section for d in defaults] == list(NACE_SECTIONS) == list(NACE_SECTION_CODES)
    assert {d.section: d.name for d in defaults} == {k: v[2] for k, v in NACE_SECTIONS.items()}
    risk = {d.section: d.risk for d in defaults}
    assert risk["F"] is SectorRiskLevel.HIGH
    assert risk["G"] is SectorRiskLevel.SENSITIVE
    assert risk["D"] is SectorRiskLevel.LOW
    assert risk["K"] is SectorRiskLevel.MEDIUM
    assert all(d.rationale for d in defaults)


def test_parsers_reject_duplicates_and_bad_values() -> None:
    header = "country,name,short_term,medium_term,rationale\n"
    with pytest.raises(ValidationFailed, match="duplicate"):
        parse_country_defaults(header + "CN,China,2,A,x\nCN,China,2,A,x\n")
    with pytest.raises(ValidationFailed):
        parse_country_defaults(header + "CN,China,5,A,x\n")
    with pytest.raises(NotFound):
        parse_country_defaults(header + "XX,Nowhere,2,A,x\n")
    with pytest.raises(ValidationFailed):
        parse_sector_defaults("section,name,risk,rationale\nF,Construction,extreme,x\n")
