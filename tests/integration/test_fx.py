"""The rate table on SQLite and PostgreSQL: loading files, lookups and the ``arshield fx`` CLI."""

from __future__ import annotations

import csv
import datetime as dt
import json
import uuid
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from arshield.config import Settings
from arshield.fx import service
from arshield.fx.domain import FxQuote
from arshield.fx.models import FxRate
from arshield.kit.db import unit_of_work
from arshield.kit.errors import ValidationFailed
from arshield.kit.tabular import ImportReport, TableError
from arshield.orgs import service as orgs_service
from arshield.orgs.domain import OrgKind

HEADER = "date,base,quote,rate,source\n"
MAX_BYTES = 10 * 1024 * 1024
MOMENT = dt.datetime(2024, 3, 10, 9, 0, tzinfo=dt.UTC)
DAY = dt.date(2024, 3, 1)


def make_org(db: sessionmaker[Session], ref: str = "SELLER-A") -> uuid.UUID:
    with unit_of_work(db) as session:
        return orgs_service.create_org(session, ref=ref, name=ref, kind=OrgKind.SELLER).id


@pytest.fixture
def org(db: sessionmaker[Session]) -> uuid.UUID:
    return make_org(db)


def write(tmp_path: Path, body: str, name: str = "rates.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text(body, encoding=encoding)
    return path


def load(
    db: sessionmaker[Session],
    org_id: uuid.UUID,
    path: Path,
    *,
    partial: bool = False,
    rejects: Path | None = None,
) -> ImportReport:
    with unit_of_work(db) as session:
        return service.import_rates(
            session,
            org_id=org_id,
            path=path,
            max_bytes=MAX_BYTES,
            partial=partial,
            rejects=rejects,
            now=MOMENT,
        )


def stored(db: sessionmaker[Session], org_id: uuid.UUID) -> list[tuple[object, ...]]:
    with db() as session:
        rows = session.scalars(
            select(FxRate).where(FxRate.org_id == org_id).order_by(FxRate.date, FxRate.base)
        )
        return [(r.date, r.base, r.quote, r.rate, r.source) for r in rows]


GOOD = (
    HEADER
    + "2024-03-01,USD,CNY,7.1023,PBOC\n"
    + "2024-03-01,EUR,CNY,7.7120,ECB\n"
    + "2024-03-04,usd,cny,7.1050,\n"
)


# --- loading ------------------------------------------------------------------------------------


def test_a_good_file_loads_every_row(
    db: sessionmaker[Session], org: uuid.UUID, tmp_path: Path
) -> None:
    report = load(db, org, write(tmp_path, GOOD))
    assert (report.rows_read, report.accepted, report.rejected) == (3, 3, 0)
    assert (report.inserted, report.updated, report.unchanged, report.applied) == (3, 0, 0, True)
    assert (report.kind, report.encoding, report.delimiter) == ("fx_rates", "utf-8", ",")
    assert stored(db, org) == [
        (dt.date(2024, 3, 1), "EUR", "CNY", "7.712", "ECB"),
        (dt.date(2024, 3, 1), "USD", "CNY", "7.1023", "PBOC"),
        (dt.date(2024, 3, 4), "USD", "CNY", "7.105", "manual"),
    ]


def test_reimport_is_idempotent_and_a_changed_rate_updates(
    db: sessionmaker[Session], org: uuid.UUID, tmp_path: Path
) -> None:
    load(db, org, write(tmp_path, GOOD))
    again = load(db, org, write(tmp_path, GOOD))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    # "7.10230" is the same rate as the stored "7.1023": unchanged, not updated.
    changed = (
        HEADER
        + "2024-03-01,USD,CNY,7.10230,PBOC\n"
        + "2024-03-01,EUR,CNY,7.7200,ECB\n"
        + "2024-03-05,USD,CNY,7.11,PBOC\n"
    )
    report = load(db, org, write(tmp_path, changed))
    assert (report.inserted, report.updated, report.unchanged) == (1, 1, 1)
    with db() as session:
        eur = session.scalars(select(FxRate).where(FxRate.base == "EUR")).one()
        usd = session.scalars(select(FxRate).where(FxRate.base == "USD", FxRate.date == DAY)).one()
    assert (eur.rate, eur.updated_at) == ("7.72", MOMENT)
    assert (usd.rate, usd.updated_at) == ("7.1023", None)


def test_any_bad_row_rejects_the_whole_file_and_reports_every_row(
    db: sessionmaker[Session], org: uuid.UUID, tmp_path: Path
) -> None:
    body = (
        HEADER
        + "2024-03-01,USD,CNY,7.1023,PBOC\n"  # 2 good
        + "2024-03-01,USD,XYZ,7.1,PBOC\n"  # 3 unknown currency
        + "2024-03-01,CNY,CNY,1,PBOC\n"  # 4 base == quote
        + "2024-03-02,USD,CNY,-7.1,PBOC\n"  # 5 negative
        + "2024-03-03,USD,CNY,0,PBOC\n"  # 6 zero
        + "2024-03-04,USD,CNY,7.1E0,PBOC\n"  # 7 exponent
        + "2024-03-05,USD,CNY,７.１,PBOC\n"  # 8 full-width
        + "2024-02-30,USD,CNY,7.1,PBOC\n"  # 9 bad date
        + "2024-03-06,EUR,JPY,162.5,ECB\n"  # 10 duplicate of 11
        + "2024-03-06,eur,jpy,163,ECB\n"  # 11
    )
    with pytest.raises(service.RatesRejected) as caught:
        load(db, org, write(tmp_path, body))
    report = caught.value.report
    assert (report.rows_read, report.accepted, report.rejected, report.applied) == (10, 1, 9, False)
    assert [(e.row, e.column) for e in report.errors] == [
        (3, "quote"),
        (4, "quote"),
        (5, "rate"),
        (6, "rate"),
        (7, "rate"),
        (8, "rate"),
        (9, "date"),
        (10, "date"),
        (11, "date"),
    ]
    assert report.errors[0].reason == "unknown ISO 4217 currency 'XYZ'"
    assert report.errors[-1].reason == (
        "duplicate date / base / quote '2024-03-06 / EUR / JPY' in this file (rows 10, 11)"
    )
    assert caught.value.status_code == 422
    assert stored(db, org) == []


def test_partial_writes_good_rows_and_the_rejects_file(
    db: sessionmaker[Session], org: uuid.UUID, tmp_path: Path
) -> None:
    body = HEADER + "2024-03-01,USD,CNY,7.1023,PBOC\n2024-03-01,USD,JPY,abc,PBOC\n"
    rejects = tmp_path / "rejects.csv"
    report = load(db, org, write(tmp_path, body), partial=True, rejects=rejects)
    assert (report.rows_read, report.accepted, report.rejected, report.inserted) == (2, 1, 1, 1)
    assert report.applied is True
    assert stored(db, org) == [(DAY, "USD", "CNY", "7.1023", "PBOC")]
    with rejects.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["source_row"], r["quote"], r["rate"]) for r in rows] == [("3", "JPY", "abc")]
    assert "not a plain decimal rate" in rows[0]["reason"]


def test_a_missing_column_rejects_every_row(
    db: sessionmaker[Session], org: uuid.UUID, tmp_path: Path
) -> None:
    with pytest.raises(service.RatesRejected) as caught:
        load(db, org, write(tmp_path, "date,base,rate\n2024-03-01,USD,7.1\n"))
    report = caught.value.report
    assert (report.rows_read, report.accepted, report.rejected) == (1, 0, 1)
    assert [(e.row, e.column, e.reason) for e in report.errors] == [
        (1, "quote", "required column is missing")
    ]


def test_other_formats_and_encodings_load_the_same_rows(
    db: sessionmaker[Session], org: uuid.UUID, tmp_path: Path
) -> None:
    expected = [(DAY, "USD", "CNY", "7.1023", "中国人民银行")]
    semicolon = "\ufeffdate;base;quote;rate;source\n2024-03-01;USD;CNY;7,1023;中国人民银行\n"
    # A decimal comma is not a rate: refused, never guessed.
    with pytest.raises(service.RatesRejected):
        load(db, org, write(tmp_path, semicolon, "bom.csv"))
    gbk = semicolon.replace("7,1023", "7.1023").lstrip("\ufeff")
    report = load(db, org, write(tmp_path, gbk, "gbk.csv", encoding="gb18030"))
    assert (report.encoding, report.delimiter, report.inserted) == ("gb18030", ";", 1)
    assert stored(db, org) == expected

    jsonl = tmp_path / "rates.jsonl"
    record = {"date": "2024-03-01", "base": "USD", "quote": "CNY", "rate": 7.1023}
    jsonl.write_text(json.dumps(record | {"source": "中国人民银行"}) + "\n", encoding="utf-8")
    assert load(db, org, jsonl).unchanged == 1

    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["date", "base", "quote", "rate", "source"])
    sheet.append([dt.datetime(2024, 3, 1), "USD", "CNY", "7.1023", "中国人民银行"])
    book.save(tmp_path / "rates.xlsx")
    assert load(db, org, tmp_path / "rates.xlsx").unchanged == 1

    frame = pl.DataFrame({k: [str(v)] for k, v in (record | {"source": "中国人民银行"}).items()})
    frame.write_parquet(tmp_path / "rates.parquet")
    assert load(db, org, tmp_path / "rates.parquet").unchanged == 1
    assert stored(db, org) == expected


def test_an_unreadable_file_raises_table_error(
    db: sessionmaker[Session], org: uuid.UUID, tmp_path: Path
) -> None:
    with pytest.raises(TableError, match="unknown file type"):
        load(db, org, write(tmp_path, "{}", "rates.json"))


def test_json_rows_load_like_a_file_and_report_positions(
    db: sessionmaker[Session], org: uuid.UUID
) -> None:
    rows: list[dict[str, str | None]] = [
        {"date": "2024-03-01", "base": "USD", "quote": "CNY", "rate": "7.1023"},
        {"date": "2024-03-01", "base": "USD", "quote": "JPY", "rate": "1e2"},
    ]
    with unit_of_work(db) as session, pytest.raises(service.RatesRejected) as caught:
        service.import_rows(session, org_id=org, rows=rows)
    assert [(e.row, e.column) for e in caught.value.report.errors] == [(2, "rate")]
    assert stored(db, org) == []
    with unit_of_work(db) as session:
        report = service.import_rows(session, org_id=org, rows=rows[:1], now=MOMENT)
    assert (report.rows_read, report.inserted, report.file_format) == (1, 1, "json")
    assert stored(db, org) == [(DAY, "USD", "CNY", "7.1023", "manual")]


def test_each_organisation_keeps_its_own_table(
    db: sessionmaker[Session], org: uuid.UUID, tmp_path: Path
) -> None:
    other = make_org(db, "INS")
    load(db, org, write(tmp_path, GOOD))
    report = load(db, other, write(tmp_path, HEADER + "2024-03-01,USD,CNY,7.2,treasury\n"))
    assert report.inserted == 1  # the same key in another organisation is a new row
    assert stored(db, other) == [(DAY, "USD", "CNY", "7.2", "treasury")]
    assert len(stored(db, org)) == 3


# --- lookups ------------------------------------------------------------------------------------


def seed(db: sessionmaker[Session], org_id: uuid.UUID, tmp_path: Path, body: str) -> None:
    load(db, org_id, write(tmp_path, HEADER + body, name=f"{uuid.uuid4().hex}.csv"))


def test_rate_on_takes_the_latest_rate_on_or_before_the_date(
    db: sessionmaker[Session], org: uuid.UUID, tmp_path: Path
) -> None:
    seed(
        db,
        org,
        tmp_path,
        "2024-03-01,USD,CNY,7.10,PBOC\n2024-03-04,USD,CNY,7.12,PBOC\n2024-03-08,USD,CNY,7.15,PBOC\n",
    )
    with db() as session:
        on_day = service.rate_on(
            session, org_id=org, base="usd", quote="CNY", on=dt.date(2024, 3, 4)
        )
        between = service.rate_on(
            session, org_id=org, base="USD", quote="CNY", on=dt.date(2024, 3, 7)
        )
    assert on_day == FxQuote("USD", "CNY", Decimal("7.12"), dt.date(2024, 3, 4), "PBOC", False)
    assert (between.rate, between.date) == (Decimal("7.12"), dt.date(2024, 3, 4))


def test_the_inverse_pair_is_used_when_the_pair_is_absent(
    db: sessionmaker[Session], org: uuid.UUID, tmp_path: Path
) -> None:
    seed(db, org, tmp_path, "2024-03-01,USD,CNY,8,PBOC\n2024-03-01,EUR,USD,1.0850,ECB\n")
    with db() as session:
        cny_usd = service.rate_on(session, org_id=org, base="CNY", quote="USD", on=DAY)
        same = service.rate_on(session, org_id=org, base="JPY", quote="JPY", on=DAY)
        usd_eur = service.rate_on(session, org_id=org, base="USD", quote="EUR", on=DAY)
    # 1 / 8 = 0.125 exactly
    assert cny_usd == FxQuote("CNY", "USD", Decimal("0.125"), DAY, "PBOC", True)
    assert same == FxQuote("JPY", "JPY", Decimal(1), DAY, "identity", False)
    # 1 / 1.085 = 0.921658986175115..., 12 significant digits -> 0.921658986175
    assert usd_eur.rate == Decimal("0.921658986175") and usd_eur.inverted


def test_the_newer_of_pair_and_inverse_wins_and_the_pair_wins_a_tie(
    db: sessionmaker[Session], org: uuid.UUID, tmp_path: Path
) -> None:
    seed(
        db,
        org,
        tmp_path,
        "2024-03-01,USD,CNY,7.1,PBOC\n2024-03-01,CNY,USD,0.14,treasury\n"
        "2024-03-02,CNY,USD,0.125,treasury\n",
    )
    with db() as session:
        tie = service.rate_on(session, org_id=org, base="USD", quote="CNY", on=DAY)
        newer = service.rate_on(
            session, org_id=org, base="USD", quote="CNY", on=dt.date(2024, 3, 2)
        )
    assert (tie.rate, tie.inverted, tie.source) == (Decimal("7.1"), False, "PBOC")
    assert (newer.rate, newer.inverted, newer.date) == (Decimal(8), True, dt.date(2024, 3, 2))


def test_stale_or_missing_rates_raise_rate_missing_naming_pair_and_date(
    db: sessionmaker[Session], org: uuid.UUID, tmp_path: Path
) -> None:
    seed(db, org, tmp_path, "2024-03-01,USD,CNY,7.1,PBOC\n")
    with db() as session:
        # 2024-03-08 is 7 days after the rate: still usable.
        assert (
            service.rate_on(
                session, org_id=org, base="USD", quote="CNY", on=dt.date(2024, 3, 8)
            ).date
            == DAY
        )
        with pytest.raises(service.RateMissing) as stale:
            service.rate_on(session, org_id=org, base="USD", quote="CNY", on=dt.date(2024, 3, 9))
        with pytest.raises(service.RateMissing) as none:
            service.rate_on(session, org_id=org, base="USD", quote="JPY", on=dt.date(2024, 3, 9))
        with pytest.raises(service.RateMissing) as before:
            service.rate_on(session, org_id=org, base="USD", quote="CNY", on=dt.date(2024, 2, 29))
        wider = service.rate_on(
            session, org_id=org, base="USD", quote="CNY", on=dt.date(2024, 3, 31), max_age_days=30
        )
    assert wider.date == DAY  # 30 days before 2024-03-31 is 2024-03-01
    assert isinstance(stale.value, ValidationFailed) and stale.value.status_code == 422
    assert stale.value.detail == (
        "no USD/CNY rate within 7 days up to 2024-03-09: the latest (or its inverse) is dated "
        "2024-03-01, 8 days before"
    )
    assert (stale.value.pairs, stale.value.on) == ((("USD", "CNY"),), dt.date(2024, 3, 9))
    assert none.value.detail == "no USD/JPY rate (or inverse) on or before 2024-03-09"
    assert before.value.detail == "no USD/CNY rate (or inverse) on or before 2024-02-29"


def test_rates_for_reads_every_currency_in_one_query(
    db: sessionmaker[Session], org: uuid.UUID, tmp_path: Path
) -> None:
    seed(
        db,
        org,
        tmp_path,
        "2024-03-01,USD,CNY,7.1,PBOC\n2024-02-28,EUR,CNY,7.7,ECB\n2024-03-01,CNY,JPY,20.5,PBOC\n",
    )
    from sqlalchemy import event

    statements: list[str] = []
    with db() as session:
        bind = session.get_bind()
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(bind, "before_cursor_execute", listener)
        try:
            quotes = service.rates_for(
                session,
                org_id=org,
                currencies=["usd", "EUR", "JPY", "CNY", "USD"],
                to="CNY",
                on=DAY,
            )
        finally:
            event.remove(bind, "before_cursor_execute", listener)
    assert len([s for s in statements if s.startswith("SELECT")]) == 1
    assert sorted(quotes) == ["CNY", "EUR", "JPY", "USD"]
    assert quotes["USD"].rate == Decimal("7.1")
    assert (quotes["EUR"].rate, quotes["EUR"].date) == (Decimal("7.7"), dt.date(2024, 2, 28))
    # 1 / 20.5 = 0.0487804878048780..., 12 significant digits -> 0.0487804878049
    assert quotes["JPY"] == FxQuote("JPY", "CNY", Decimal("0.0487804878049"), DAY, "PBOC", True)
    assert quotes["CNY"].rate == 1
    # 100000 JPY x 0.0487804878049 = 4878.04878049 CNY -> 487805 fen
    assert quotes["JPY"].convert_minor(100_000) == 487_805


def test_rates_for_names_every_missing_pair(
    db: sessionmaker[Session], org: uuid.UUID, tmp_path: Path
) -> None:
    seed(db, org, tmp_path, "2024-03-01,USD,CNY,7.1,PBOC\n")
    with db() as session, pytest.raises(service.RateMissing) as caught:
        service.rates_for(session, org_id=org, currencies=["USD", "EUR", "GBP"], to="CNY", on=DAY)
    assert caught.value.pairs == (("EUR", "CNY"), ("GBP", "CNY"))
    assert "EUR/CNY" in str(caught.value.detail) and "GBP/CNY" in str(caught.value.detail)


def test_another_organisations_rates_are_never_used(
    db: sessionmaker[Session], org: uuid.UUID, tmp_path: Path
) -> None:
    other = make_org(db, "SELLER-B")
    seed(db, other, tmp_path, "2024-03-01,USD,CNY,7.1,PBOC\n")
    with db() as session, pytest.raises(service.RateMissing):
        service.rate_on(session, org_id=org, base="USD", quote="CNY", on=DAY)


def test_convert_records_the_rate_and_date_used(
    db: sessionmaker[Session], org: uuid.UUID, tmp_path: Path
) -> None:
    seed(db, org, tmp_path, "2024-03-01,USD,JPY,151.235,treasury\n")
    with db() as session:
        result = service.convert(
            session, org_id=org, amount_minor=10_000, currency="USD", to_currency="JPY", on=DAY
        )
    # 100.00 USD x 151.235 = 15123.5 JPY -> half-even 15124
    assert (result.converted_minor, result.to_currency) == (15_124, "JPY")
    assert (result.quote.rate, result.quote.date, result.quote.source) == (
        Decimal("151.235"),
        DAY,
        "treasury",
    )


# --- CLI ----------------------------------------------------------------------------------------


def test_cli_import_list_and_convert(
    db: sessionmaker[Session], cli_env: Settings, org: uuid.UUID, tmp_path: Path
) -> None:
    from arshield.cli.main import app

    runner = CliRunner()
    path = write(tmp_path, GOOD)
    first = runner.invoke(app, ["fx", "import", str(path), "--org", "SELLER-A"])
    assert first.exit_code == 0, first.output
    assert "rows read" in first.stdout and "inserted" in first.stdout
    again = runner.invoke(app, ["fx", "import", str(path), "--org", "SELLER-A", "--format", "json"])
    assert again.exit_code == 0, again.output
    report = json.loads(again.stdout)
    assert (report["rows_read"], report["unchanged"], report["inserted"]) == (3, 3, 0)

    listed = runner.invoke(
        app, ["fx", "list", "--org", "SELLER-A", "--base", "USD", "--format", "csv"]
    )
    assert listed.exit_code == 0, listed.output
    rows = list(csv.DictReader(listed.stdout.splitlines()))
    assert [(r["date"], r["base"], r["quote"], r["rate"]) for r in rows] == [
        ("2024-03-04", "USD", "CNY", "7.105"),
        ("2024-03-01", "USD", "CNY", "7.1023"),
    ]
    ranged = runner.invoke(
        app,
        ["fx", "list", "--org", "SELLER-A", "--from", "2024-03-02", "--format", "json"],
    )
    assert [r["rate"] for r in json.loads(ranged.stdout)] == ["7.105"]

    converted = runner.invoke(
        app,
        ["fx", "convert", "1000.00", "CNY", "USD", "--on", "2024-03-05", "--org", "SELLER-A",
         "--format", "json"],
    )  # fmt: skip
    assert converted.exit_code == 0, converted.output
    # CNY/USD from the 2024-03-04 USD/CNY 7.105: 1 / 7.105 = 0.140745953554 (12 digits);
    # 1000.00 CNY x 0.140745953554 = 140.745953554 USD -> 140.75
    assert json.loads(converted.stdout) == {
        "amount": "1000.00",
        "currency": "CNY",
        "converted": "140.75",
        "to_currency": "USD",
        "rate": "0.140745953554",
        "rate_date": "2024-03-04",
        "source": "manual",
        "inverted": True,
    }
    table = runner.invoke(
        app, ["fx", "convert", "1000", "CNY", "USD", "--on", "2024-03-05", "--org", "SELLER-A"]
    )
    assert "1000.00 CNY = 140.75 USD" in table.stdout


def test_cli_rejected_import_exits_1_and_writes_nothing(
    db: sessionmaker[Session], cli_env: Settings, org: uuid.UUID, tmp_path: Path
) -> None:
    from arshield.cli.main import app

    runner = CliRunner()
    path = write(tmp_path, HEADER + "2024-03-01,USD,CNY,7.1,PBOC\n2024-03-01,USD,USD,1,PBOC\n")
    result = runner.invoke(app, ["fx", "import", str(path), "--org", "SELLER-A"])
    assert result.exit_code == 1
    assert "quote equals base USD" in result.stdout and "nothing was imported" in result.stdout
    assert stored(db, org) == []
    rejects = tmp_path / "rejects.csv"
    partial = runner.invoke(
        app,
        ["fx", "import", str(path), "--org", "SELLER-A", "--partial", "--rejects", str(rejects)],
    )
    assert partial.exit_code == 1  # a row was rejected even though the good one went in
    assert len(stored(db, org)) == 1 and rejects.exists()


def test_cli_errors_exit_1_with_the_reason(
    db: sessionmaker[Session], cli_env: Settings, org: uuid.UUID, tmp_path: Path
) -> None:
    from arshield.cli.main import app

    runner = CliRunner()
    missing = runner.invoke(
        app, ["fx", "convert", "10", "USD", "CNY", "--on", "2024-03-01", "--org", "SELLER-A"]
    )
    assert missing.exit_code == 1
    assert "no USD/CNY rate (or inverse) on or before 2024-03-01" in missing.stderr
    unknown = runner.invoke(app, ["fx", "list", "--org", "NOPE"])
    assert unknown.exit_code == 1 and "no organisation 'NOPE'" in unknown.stderr
    bad_date = runner.invoke(
        app, ["fx", "convert", "10", "USD", "CNY", "--on", "03/01/2024", "--org", "SELLER-A"]
    )
    assert bad_date.exit_code == 1 and "--on" in bad_date.stderr
