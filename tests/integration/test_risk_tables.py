"""Country and sector risk tables on the database: defaults, history, reads as of a date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from arshield.kit.db import unit_of_work
from arshield.kit.errors import Conflict, NotFound, ValidationFailed
from arshield.risk.tables import service
from arshield.risk.tables.domain import CountryRating, MediumTermGrade

D = dt.date


@contextmanager
def _count_queries(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = session.get_bind()

    def _record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", _record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", _record)


def _set_cn(session: Session, short: int, medium: str, day: D, reason: str = "review") -> Any:
    return service.set_country(
        session,
        country="CN",
        short_term=short,
        medium_term=medium,
        effective_from=day,
        reason=reason,
        actor="analyst@INS",
    )


def test_load_defaults_inserts_every_country_and_section_once(db: sessionmaker[Session]) -> None:
    with unit_of_work(db) as session:
        assert service.load_defaults(session) == 249 + 21
    with unit_of_work(db) as session:
        assert service.load_defaults(session) == 0
        countries = service.country_risk_as_of(session, as_of=D(2024, 6, 30))
        sectors = service.sector_risk_as_of(session, as_of=D(2024, 6, 30))
        assert service.country_risk_as_of(session, as_of=D(1999, 12, 31)) == {}
        row = service.get_country(session, country="cn", as_of=D(2000, 1, 1))
    assert len(countries) == 249
    assert countries["CN"] == CountryRating(2, MediumTermGrade.A)
    assert countries["US"] == CountryRating(1, MediumTermGrade.AA)
    assert len(sectors) == 21
    assert sectors["F"] == "high"
    assert sectors["D"] == "low"
    assert row.changed_by == "system"
    assert row.reason.startswith("platform default: ")
    assert row.valid_from == D(2000, 1, 1)
    assert row.valid_to is None


def test_load_defaults_leaves_already_rated_countries_alone(db: sessionmaker[Session]) -> None:
    with unit_of_work(db) as session:
        _set_cn(session, 3, "B", D(2020, 1, 1), reason="own rating before defaults")
    with unit_of_work(db) as session:
        assert service.load_defaults(session) == 248 + 21
        history = service.country_history(session, country="CN")
    assert [(h.short_term, h.medium_term, h.valid_from) for h in history] == [
        (3, "B", D(2020, 1, 1))
    ]


def test_worked_example_cn_downgrade_from_2026(db: sessionmaker[Session]) -> None:
    """CN 2/A from 2000-01-01, set to 3/BB effective 2026-01-01."""
    with unit_of_work(db) as session:
        service.load_defaults(session)
    with unit_of_work(db) as session:
        new = _set_cn(session, 3, "BB", D(2026, 1, 1), reason="payment delays rising")
    assert (new.short_term, new.medium_term, new.valid_from, new.valid_to) == (
        3,
        "BB",
        D(2026, 1, 1),
        None,
    )
    assert new.changed_by == "analyst@INS"
    assert new.reason == "payment delays rising"

    with unit_of_work(db) as session:
        before = service.get_country(session, country="CN", as_of=D(2025, 12, 31))
        after = service.get_country(session, country="CN", as_of=D(2026, 1, 1))
        dict_before = service.country_risk_as_of(session, as_of=D(2025, 12, 31))["CN"]
        dict_after = service.country_risk_as_of(session, as_of=D(2026, 1, 1))["CN"]
        history = service.country_history(session, country="CN")
    assert (before.short_term, before.medium_term) == (2, "A")
    assert (after.short_term, after.medium_term) == (3, "BB")
    assert dict_before == CountryRating(2, MediumTermGrade.A)
    assert dict_after == CountryRating(3, MediumTermGrade.BB)
    assert [(h.valid_from, h.valid_to, h.short_term, h.medium_term) for h in history] == [
        (D(2000, 1, 1), D(2026, 1, 1), 2, "A"),
        (D(2026, 1, 1), None, 3, "BB"),
    ]

    # A change back-dated before the current row's start is refused (409), and so is one on
    # the same day as the current row's start: history stays append-only.
    with unit_of_work(db) as session, pytest.raises(Conflict, match="rewrite history"):
        _set_cn(session, 4, "C", D(2025, 6, 1))
    with unit_of_work(db) as session, pytest.raises(Conflict, match="later date"):
        _set_cn(session, 4, "C", D(2026, 1, 1))

    # Repeating the same change adds nothing.
    with unit_of_work(db) as session:
        again = _set_cn(session, 3, "BB", D(2026, 1, 1), reason="payment delays rising")
        assert again.id == new.id
    with unit_of_work(db) as session:
        assert len(service.country_history(session, country="CN")) == 2
        # Other countries are untouched.
        assert len(service.country_history(session, country="DE")) == 1


def test_reads_in_force_take_one_query_each(db: sessionmaker[Session]) -> None:
    with unit_of_work(db) as session:
        service.load_defaults(session)
        _set_cn(session, 3, "BB", D(2026, 1, 1))
    with unit_of_work(db) as session:
        session.connection()  # open the transaction before counting
        with _count_queries(session) as statements:
            countries = service.country_risk_as_of(session, as_of=D(2026, 3, 1))
        assert len(statements) == 1
        with _count_queries(session) as statements:
            sectors = service.sector_risk_as_of(session, as_of=D(2026, 3, 1))
        assert len(statements) == 1
    assert countries["CN"].medium_term is MediumTermGrade.BB
    assert len(countries) == 249
    assert len(sectors) == 21


def test_sector_history(db: sessionmaker[Session]) -> None:
    with unit_of_work(db) as session:
        service.load_defaults(session)
    with unit_of_work(db) as session:
        row = service.set_sector(
            session,
            section="c",
            risk="sensitive",
            effective_from=D(2025, 7, 1),
            reason="tariffs",
            actor="analyst@INS",
        )
    assert (row.section, row.risk, row.valid_from) == ("C", "sensitive", D(2025, 7, 1))
    with unit_of_work(db) as session:
        assert service.get_sector(session, section="C", as_of=D(2025, 6, 30)).risk == "medium"
        assert service.sector_risk_as_of(session, as_of=D(2025, 7, 1))["C"] == "sensitive"
        assert [s.section for s in service.list_sectors(session, as_of=D(2025, 7, 1))] == list(
            "ABCDEFGHIJKLMNOPQRSTU"
        )
        history = service.sector_history(session, section="C")
        assert [(h.valid_from, h.valid_to) for h in history] == [
            (D(2000, 1, 1), D(2025, 7, 1)),
            (D(2025, 7, 1), None),
        ]
        with pytest.raises(Conflict):
            service.set_sector(
                session,
                section="C",
                risk="high",
                effective_from=D(2025, 1, 1),
                reason="x",
                actor="a",
            )


def test_errors_for_unknown_codes_and_invalid_values(db: sessionmaker[Session]) -> None:
    with unit_of_work(db) as session:
        service.load_defaults(session)
    with unit_of_work(db) as session:
        with pytest.raises(NotFound, match="XX"):
            service.get_country(session, country="XX", as_of=D(2025, 1, 1))
        with pytest.raises(NotFound, match="XX"):
            service.country_history(session, country="XX")
        with pytest.raises(NotFound, match="in force on 1999-01-01"):
            service.get_country(session, country="CN", as_of=D(1999, 1, 1))
        with pytest.raises(NotFound, match="NACE"):
            service.get_sector(session, section="Z", as_of=D(2025, 1, 1))
        with pytest.raises(ValidationFailed, match="1-4"):
            _set_cn(session, 5, "A", D(2026, 1, 1))
        with pytest.raises(ValidationFailed, match="medium-term"):
            _set_cn(session, 2, "AAA", D(2026, 1, 1))
        with pytest.raises(ValidationFailed, match="reason"):
            _set_cn(session, 3, "A", D(2026, 1, 1), reason=" ")
        with pytest.raises(ValidationFailed, match="sector risk"):
            service.set_sector(
                session,
                section="F",
                risk="extreme",
                effective_from=D(2026, 1, 1),
                reason="x",
                actor="a",
            )
        assert len(service.country_history(session, country="CN")) == 1


def test_list_countries_is_sorted_and_reflects_the_date(db: sessionmaker[Session]) -> None:
    with unit_of_work(db) as session:
        service.load_defaults(session)
        _set_cn(session, 3, "BB", D(2026, 1, 1))
    with unit_of_work(db) as session:
        old = service.list_countries(session, as_of=D(2025, 12, 31))
        new = service.list_countries(session, as_of=D(2026, 1, 1))
    codes = [r.country for r in old]
    assert codes == sorted(codes)
    assert len(codes) == 249
    assert next(r for r in old if r.country == "CN").medium_term == "A"
    assert next(r for r in new if r.country == "CN").medium_term == "BB"


def test_a_row_closed_by_a_concurrent_change_is_not_closed_twice(
    db: sessionmaker[Session],
) -> None:
    """The close is conditional on the row still being open, so a stale writer gets 409."""
    from arshield.risk.tables import repository

    with unit_of_work(db) as session:
        first = _set_cn(session, 2, "A", D(2000, 1, 1))
    with unit_of_work(db) as session:
        assert repository.close_country_row(session, row_id=first.id, valid_to=D(2026, 1, 1))
    with unit_of_work(db) as session:
        assert not repository.close_country_row(session, row_id=first.id, valid_to=D(2027, 1, 1))
        with pytest.raises(Conflict, match="concurrent"):
            _set_cn(session, 4, "D", D(2028, 1, 1))
    with unit_of_work(db) as session:
        (row,) = service.country_history(session, country="CN")
    assert row.valid_to == D(2026, 1, 1)


def test_cli_round_trip(cli_env: object) -> None:
    """load-defaults, set, show, history, list and the error exit through the real command."""
    import json

    from typer.testing import CliRunner

    from arshield.cli.main import app

    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, ["risk", *args])

    loaded = run("load-defaults")
    assert loaded.exit_code == 0, loaded.output
    assert "inserted 270" in loaded.output
    assert "inserted 0" in run("load-defaults").output

    set_cn = [
        "country",
        "set",
        "cn",
        "--short-term",
        "3",
        "--medium-term",
        "bb",
        "--effective-from",
        "2026-01-01",
        "--reason",
        "payment delays rising",
        "--actor",
        "jane",
    ]
    changed = run(*set_cn)
    assert changed.exit_code == 0, changed.output
    assert "CN: 3/BB from 2026-01-01" in changed.output
    assert run(*set_cn).exit_code == 0  # idempotent

    before = run("country", "show", "CN", "--as-of", "2025-12-31", "--json")
    assert before.exit_code == 0, before.output
    assert (json.loads(before.output)["short_term"], json.loads(before.output)["medium_term"]) == (
        2,
        "A",
    )
    after = json.loads(run("country", "show", "CN", "--as-of", "2026-01-01", "--json").output)
    assert (after["short_term"], after["medium_term"], after["changed_by"]) == (3, "BB", "jane")

    history = json.loads(run("country", "history", "CN", "--format", "json").output)
    assert [(h["valid_from"], h["valid_to"]) for h in history] == [
        ("2000-01-01", "2026-01-01"),
        ("2026-01-01", None),
    ]
    listing = run("country", "list", "--as-of", "2026-01-01", "--format", "csv")
    assert listing.exit_code == 0, listing.output
    lines = listing.output.strip().splitlines()
    assert lines[0] == "country,name,short_term,medium_term,valid_from,valid_to,changed_by,reason"
    assert len(lines) == 1 + 249
    assert any(line.startswith("CN,China,3,BB,2026-01-01,,jane,") for line in lines)

    backdated = run(
        "country", "set", "CN", "--short-term", "4", "--medium-term", "C",
        "--effective-from", "2025-06-01", "--reason", "x",
    )  # fmt: skip
    assert backdated.exit_code == 1
    assert "rewrite history" in backdated.output
    unknown = run("country", "show", "XX")
    assert unknown.exit_code == 1
    assert "XX" in unknown.output
    bad_date = run("country", "list", "--as-of", "31/12/2025")
    assert bad_date.exit_code == 1

    sector = run(
        "sector",
        "set",
        "C",
        "--risk",
        "sensitive",
        "--effective-from",
        "2025-07-01",
        "--reason",
        "tariffs",
    )
    assert sector.exit_code == 0, sector.output
    assert "C: sensitive from 2025-07-01" in sector.output
    shown = json.loads(run("sector", "show", "C", "--as-of", "2025-07-01", "--json").output)
    assert (shown["risk"], shown["changed_by"]) == ("sensitive", "cli")
    old = json.loads(run("sector", "show", "C", "--as-of", "2025-06-30", "--json").output)
    assert old["risk"] == "medium"
    sectors = json.loads(run("sector", "list", "--format", "json", "--as-of", "2025-07-01").output)
    assert len(sectors) == 21
    sector_history = json.loads(run("sector", "history", "c", "--format", "json").output)
    assert len(sector_history) == 2
    assert (
        run(
            "sector",
            "set",
            "C",
            "--risk",
            "extreme",
            "--effective-from",
            "2026-01-01",
            "--reason",
            "x",
        ).exit_code
        == 1
    )
