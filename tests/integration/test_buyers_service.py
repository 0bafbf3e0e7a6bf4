"""Buyer registry reads: search, matching, detail and CLI on a Chinese and European registry."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from arshield.buyers import repository, service
from arshield.buyers.domain import EventType, IdType, Severity
from arshield.buyers.service import BuyerNotFound
from arshield.config import Settings
from arshield.kit.db import unit_of_work
from arshield.kit.errors import ValidationFailed
from tests.buyer_builders import (
    USCC_BAD_CHECK,
    USCC_BYD,
    USCC_HUAWEI,
    USCC_TENCENT,
    add_event,
    add_payment,
    add_statement,
    chinese_and_european_registry,
    make_company,
)


@pytest.fixture
def registry(db: sessionmaker[Session]) -> sessionmaker[Session]:
    chinese_and_european_registry(db)
    return db


def refs(
    factory: sessionmaker[Session],
    q: str | None = None,
    *,
    country: str | None = None,
    identifier: str | None = None,
    limit: int = 500,
    offset: int = 0,
) -> list[str]:
    with unit_of_work(factory) as session:
        companies, _total = service.search_companies(
            session, q=q, country=country, identifier=identifier, limit=limit, offset=offset
        )
        return [c.ref for c in companies]


def match(
    factory: sessionmaker[Session], name: str, **kw: str | int | None
) -> list[tuple[str, int, set[str]]]:
    args: dict[str, str | int | None] = {"country": None, "identifier": None, "id_type": None}
    args.update(kw)
    with unit_of_work(factory) as session:
        found = service.match_companies(session, name=name, **args)  # type: ignore[arg-type]
        return [(c.company.ref, c.score, {r.value for r in c.match_reasons}) for c in found]


# --- search -------------------------------------------------------------------------------


def test_search_by_chinese_fragment_matches_characters(registry: sessionmaker[Session]) -> None:
    assert sorted(refs(registry, "华为")) == ["CN-HUAWEI", "CN-HUAWEI-DEVICE"]
    # A fragment from the middle of the name; 中华威 sounds like 华为 but is not found.
    assert refs(registry, "为技") == ["CN-HUAWEI"]
    # Full-width brackets are folded like the stored name's.
    assert refs(registry, "（深圳）") == ["CN-TENCENT"]


def test_search_by_pinyin_together_or_apart(registry: sessionmaker[Session]) -> None:
    assert refs(registry, "biyadi") == ["CN-BYD"]
    assert refs(registry, "Teng Xun") == ["CN-TENCENT"]
    assert refs(registry, "hua wei ji shu") == ["CN-HUAWEI"]
    # Pinyin also finds the homophone 中华威 (zhong-hua-wei) and the Latin Huawei names.
    assert set(refs(registry, "huawei")) == {
        "CN-HUAWEI",
        "CN-HUAWEI-DEVICE",
        "CN-ZHONGHUA",
        "DE-HUAWEI",
        "NL-HUAWEI",
    }


def test_search_latin_names_case_and_accent_insensitively(registry: sessionmaker[Session]) -> None:
    found = refs(registry, "HUAWEI technologies")
    assert set(found) == {"CN-HUAWEI", "DE-HUAWEI", "NL-HUAWEI"}
    assert refs(registry, "tencent technology (shenzhen)") == ["CN-TENCENT"]
    assert refs(registry, "MULLER") == ["DE-MUELLER"]
    assert refs(registry, "müller") == ["DE-MUELLER"]
    assert refs(registry, "Societe Generale") == ["FR-SOCGEN"]


def test_search_by_identifier_and_ref(registry: sessionmaker[Session]) -> None:
    assert refs(registry, USCC_HUAWEI) == ["CN-HUAWEI"]
    assert refs(registry, f" {USCC_HUAWEI.lower()} ") == ["CN-HUAWEI"]
    assert refs(registry, "de 811 783 411") == ["DE-HUAWEI"]
    assert refs(registry, identifier=USCC_BYD) == ["CN-BYD"]
    assert refs(registry, "huawei", identifier=USCC_BYD) == []
    assert refs(registry, "cn-byd") == ["CN-BYD"]


def test_exact_ref_ranks_before_names_containing_the_text(registry: sessionmaker[Session]) -> None:
    with unit_of_work(registry) as session:
        make_company(session, ref="BYD", name="Bydgoszcz Metal Sp. z o.o.", country="PL")
    found = refs(registry, "byd")
    assert found[0] == "BYD"
    assert set(found) == {"BYD", "CN-BYD", "NL-BYD"}


def test_country_filter_excludes_others(registry: sessionmaker[Session]) -> None:
    assert refs(registry, "huawei", country="DE") == ["DE-HUAWEI"]
    assert refs(registry, "huawei", country="nl") == ["NL-HUAWEI"]
    assert sorted(refs(registry, country="CN")) == [
        "CN-BYD",
        "CN-HUAWEI",
        "CN-HUAWEI-DEVICE",
        "CN-TENCENT",
        "CN-ZHONGHUA",
    ]
    with pytest.raises(ValidationFailed):
        refs(registry, "huawei", country="XX")


def test_like_wildcards_in_the_query_match_literally(registry: sessionmaker[Session]) -> None:
    assert refs(registry, "%") == []
    assert refs(registry, "_") == []
    with unit_of_work(registry) as session:
        make_company(session, ref="PCT", name="100% Organic_Foods Ltd", country="GB")
    assert refs(registry, "100%") == ["PCT"]
    assert refs(registry, "c_f") == ["PCT"]
    assert refs(registry, "c%f") == []


def test_pages_are_stable_and_complete(registry: sessionmaker[Session]) -> None:
    everything = refs(registry)
    assert len(everything) == 11
    assert refs(registry) == everything
    pages = [refs(registry, limit=4, offset=o) for o in (0, 4, 8, 12)]
    assert [len(p) for p in pages] == [4, 4, 3, 0]
    assert [r for p in pages for r in p] == everything
    with unit_of_work(registry) as session:
        _items, total = service.search_companies(
            session, q="huawei", country=None, identifier=None, limit=2, offset=0
        )
    assert total == 5


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (501, 0), (10, -1)])
def test_page_bounds_are_enforced(registry: sessionmaker[Session], limit: int, offset: int) -> None:
    with pytest.raises(ValidationFailed):
        refs(registry, limit=limit, offset=offset)


# --- matching -----------------------------------------------------------------------------


def test_exact_identifier_ranks_first_with_100(registry: sessionmaker[Session]) -> None:
    found = match(
        registry, "Huawei Technologies", country="CN", identifier=USCC_TENCENT, id_type="uscc"
    )
    assert found[0] == ("CN-TENCENT", 100, {"identifier_exact", "country_match"})
    # Huawei has the same name but another USCC: 90 + 5 - 30.
    assert ("CN-HUAWEI", 65, {"identifier_conflict", "name_exact", "country_match"}) in found
    assert all(score < 100 for _, score, _ in found[1:])


def test_identifier_alone_finds_the_company(registry: sessionmaker[Session]) -> None:
    assert match(registry, "anything at all", identifier=USCC_BYD, id_type="uscc")[0][:2] == (
        "CN-BYD",
        100,
    )
    # Without a type the value is looked up among every identifier type.
    assert match(registry, "x", identifier="DE 811783411")[0][:2] == ("DE-HUAWEI", 100)


def test_chinese_and_latin_names_find_huawei(registry: sessionmaker[Session]) -> None:
    for name in ("华为技术有限公司", "Huawei Technologies Co., Ltd.", "华为技术"):
        found = match(registry, name, country="CN")
        assert found[0] == ("CN-HUAWEI", 95, {"name_exact", "country_match"}), name


def test_country_mismatch_lowers_the_score(registry: sessionmaker[Session]) -> None:
    in_cn = {ref: score for ref, score, _ in match(registry, "Huawei Technologies", country="CN")}
    in_nl = {ref: score for ref, score, _ in match(registry, "Huawei Technologies", country="NL")}
    assert (in_cn["CN-HUAWEI"], in_cn["NL-HUAWEI"]) == (95, 65)
    assert (in_nl["NL-HUAWEI"], in_nl["CN-HUAWEI"]) == (95, 65)
    assert match(registry, "Huawei Technologies", country="NL")[0][0] == "NL-HUAWEI"


def test_misspelt_latin_name_ranks_the_right_company_first(registry: sessionmaker[Session]) -> None:
    found = match(registry, "Tencnet Technolgy (Shenzen) Co Ltd")
    assert found[0][0] == "CN-TENCENT"
    assert found[0][2] == {"name_fuzzy"}
    assert 75 <= found[0][1] < 90
    assert match(registry, "Huawai Technolgies", country="CN")[0][0] == "CN-HUAWEI"
    assert match(registry, "Biyadi", country="CN")[0][0] == "CN-BYD"


def test_match_limit_and_invalid_input(registry: sessionmaker[Session]) -> None:
    assert len(match(registry, "Huawei", limit=2)) == 2
    with pytest.raises(ValidationFailed, match="unified social credit code"):
        match(registry, "Tencent", identifier=USCC_BAD_CHECK, id_type="uscc")
    with pytest.raises(ValidationFailed):
        match(registry, "有限公司")  # nothing but a legal form
    with pytest.raises(ValidationFailed):
        match(registry, "Huawei", id_type="uscc")
    with pytest.raises(ValidationFailed):
        match(registry, "Huawei", limit=0)


def test_prefilter_is_bounded_and_keeps_the_best_rows(db: sessionmaker[Session]) -> None:
    with unit_of_work(db) as session:
        for i in range(40):
            make_company(
                session, ref=f"HT-{i:02d}", name=f"Huawei Trading {i:02d} GmbH", country="DE"
            )
        make_company(session, ref="TARGET", name="Huawei Technologies Deutschland", country="DE")
    with unit_of_work(db) as session:
        rows = repository.match_prefilter(
            session,
            key="huawei technologies deutschland",
            prefixes=["tec", "deu", "hua"],
            pairs=[],
            country="DE",
            limit=5,
        )
        assert len(rows) == 5
        assert rows[0].ref == "TARGET"


def test_match_still_finds_the_company_with_a_small_prefilter(
    db: sessionmaker[Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    with unit_of_work(db) as session:
        for i in range(30):
            make_company(session, ref=f"HW-{i:02d}", name=f"华为{i:02d}贸易有限公司")
        make_company(
            session,
            ref="CN-HUAWEI",
            name="华为技术有限公司",
            identifiers={IdType.USCC: USCC_HUAWEI},
        )
    monkeypatch.setattr(service, "PREFILTER_LIMIT", 3)
    assert match(db, "华为技术", country="CN")[0][:2] == ("CN-HUAWEI", 95)


# --- detail -------------------------------------------------------------------------------


def test_company_detail_loads_everything_with_money_in_minor_units(
    db: sessionmaker[Session],
) -> None:
    with unit_of_work(db) as session:
        company = make_company(
            session,
            ref="CN-HUAWEI",
            name="华为技术有限公司",
            name_latin="Huawei Technologies Co., Ltd.",
            identifiers={IdType.USCC: USCC_HUAWEI, IdType.LEI: "O2RNE8IBXP4R0TD8PU41"},
        )
        add_statement(
            session, company, fiscal_year_end=dt.date(2023, 12, 31), total_assets=123_456_789
        )
        add_statement(
            session, company, fiscal_year_end=dt.date(2024, 12, 31), total_assets=200_000_00
        )
        # 30 months from 2022-07 to 2024-12.
        for i in range(30):
            index = 2022 * 12 + 6 + i
            add_payment(session, company, month=dt.date(index // 12, index % 12 + 1, 1))
        add_event(session, company, date=dt.date(2023, 5, 1), description="older")
        add_event(
            session,
            company,
            date=dt.date(2024, 9, 30),
            type=EventType.JUDGMENT,
            severity=Severity.HIGH,
            description="newer",
        )
        company_id = company.id
    with unit_of_work(db) as session:
        detail = service.company_detail(session, company_id=company_id, as_of=dt.date(2024, 12, 15))
        assert [i.id_type for i in detail.identifiers] == [IdType.LEI, IdType.USCC]
        assert [s.fiscal_year_end.year for s in detail.financial_statements] == [2024, 2023]
        assert detail.financial_statements[1].total_assets == 123_456_789
        months = [p.month for p in detail.payment_experience]
        assert len(months) == 24
        assert (months[0], months[-1]) == (dt.date(2024, 12, 1), dt.date(2023, 1, 1))
        assert (detail.payments_from, detail.payments_to) == (
            dt.date(2023, 1, 1),
            dt.date(2024, 12, 1),
        )
        assert [e.description for e in detail.events] == ["newer", "older"]
        # Without as_of the window ends with the latest reported month.
        assert service.company_detail(session, company_id=company_id).payments_to == dt.date(
            2024, 12, 1
        )
        # A later as_of leaves only the months still inside the window (2023-07 .. 2024-12).
        later = service.company_detail(session, company_id=company_id, as_of=dt.date(2025, 6, 1))
        assert len(later.payment_experience) == 18


def test_unknown_company_is_buyer_not_found(registry: sessionmaker[Session]) -> None:
    with unit_of_work(registry) as session:
        with pytest.raises(BuyerNotFound):
            service.get_company(session, company_id=uuid.uuid4())
        with pytest.raises(BuyerNotFound):
            service.get_company_by_ref(session, ref="NOPE")
        with pytest.raises(BuyerNotFound):
            service.company_detail(session, company_id=uuid.uuid4())
        assert service.get_company_by_ref(session, ref="CN-BYD").name == "比亚迪股份有限公司"


# --- command line -------------------------------------------------------------------------


def test_cli_search_show_match_round_trip(
    registry: sessionmaker[Session], cli_env: Settings
) -> None:
    from arshield.cli.main import app

    with unit_of_work(registry) as session:
        company = service.get_company_by_ref(session, ref="CN-HUAWEI")
        add_payment(session, company, month=dt.date(2024, 11, 1), amount_paid=12_345_67)
    runner = CliRunner()

    found = runner.invoke(app, ["buyers", "search", "华为", "--format", "json"])
    assert found.exit_code == 0, found.output
    rows = json.loads(found.stdout)
    assert [r["company_ref"] for r in rows] == ["CN-HUAWEI", "CN-HUAWEI-DEVICE"]
    assert rows[0]["identifiers"] == [{"id_type": "uscc", "value": USCC_HUAWEI}]

    csv_out = runner.invoke(
        app, ["buyers", "search", "huawei", "--country", "de", "--format", "csv"]
    )
    assert csv_out.exit_code == 0, csv_out.output
    lines = csv_out.stdout.strip().splitlines()
    assert lines[0] == "company_ref,name,name_latin,country,status,identifiers,id"
    assert lines[1].startswith(
        "DE-HUAWEI,Huawei Technologies Deutschland GmbH,,DE,active,vat:DE811783411,"
    )
    assert len(lines) == 2

    table = runner.invoke(app, ["buyers", "search", "--identifier", USCC_BYD])
    assert table.exit_code == 0, table.output
    assert "CN-BYD" in table.stdout
    assert "1-1 of 1" in table.stdout

    shown = runner.invoke(app, ["buyers", "show", "CN-HUAWEI", "--json", "--as-of", "2024-12-31"])
    assert shown.exit_code == 0, shown.output
    detail = json.loads(shown.stdout)
    assert detail["name_latin"] == "Huawei Technologies Co., Ltd."
    assert detail["payment_experience"][0]["amount_paid"] == "12345.67"

    text = runner.invoke(app, ["buyers", "show", "CN-HUAWEI", "--as-of", "2024-12-31"])
    assert text.exit_code == 0, text.output
    assert "华为技术有限公司" in text.stdout
    assert "12345.67" in text.stdout

    matched = runner.invoke(
        app,
        [
            "buyers",
            "match",
            "Huawei Technologies",
            "--country",
            "CN",
            "--registration-id",
            USCC_TENCENT,
            "--id-type",
            "uscc",
            "--format",
            "json",
        ],
    )
    assert matched.exit_code == 0, matched.output
    candidates = json.loads(matched.stdout)
    assert (candidates[0]["company_ref"], candidates[0]["score"]) == ("CN-TENCENT", 100)
    assert candidates[0]["match_reasons"] == ["identifier_exact", "country_match"]


def test_cli_errors_exit_1_with_the_detail(
    registry: sessionmaker[Session], cli_env: Settings
) -> None:
    from arshield.cli.main import app

    runner = CliRunner()
    missing = runner.invoke(app, ["buyers", "show", "NOPE"])
    assert missing.exit_code == 1
    assert "no buyer with company_ref 'NOPE'" in missing.stderr
    bad_limit = runner.invoke(app, ["buyers", "search", "huawei", "--limit", "501"])
    assert bad_limit.exit_code == 1
    assert "limit must be between 1 and 500" in bad_limit.stderr
    bad_uscc = runner.invoke(
        app,
        ["buyers", "match", "Tencent", "--registration-id", USCC_BAD_CHECK, "--id-type", "uscc"],
    )
    assert bad_uscc.exit_code == 1
    assert "not a valid unified social" in bad_uscc.stderr
