"""Demo data generator: file formats, determinism, identifiers, balance sheets and realism."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.br import cnpj
from stdnum.cn import uscc
from stdnum.es import cif
from stdnum.fr import siren
from stdnum.it import iva
from stdnum.jp import cn as jp_cn
from stdnum.kr import brn
from stdnum.tr import vkn
from stdnum.vn import mst
from typer.testing import CliRunner

from arshield.buyers.domain import (
    EventType,
    Severity,
    parse_country,
    parse_nace,
    validate_identifier,
)
from arshield.cli.main import app
from arshield.demo.formatting import minor_text
from arshield.demo.generate import (
    COMPANY_COLUMNS,
    DEFAULT_AS_OF,
    EVENT_COLUMNS,
    FILES,
    FINANCIAL_COLUMNS,
    OUTCOME_COLUMNS,
    PAYMENT_COLUMNS,
    DemoData,
    calibrate_intercept,
    fiscal_years,
    generate,
    write,
)
from arshield.demo.identifiers import registration_ids, unique_serials
from arshield.demo.profiles import COUNTRIES
from arshield.kit.errors import ValidationFailed
from arshield.kit.money import currency_exponent, parse_minor

N = 20_000
SEED = 20260630
BALANCE_COLUMNS = (
    "total_assets", "current_assets", "cash", "receivables", "inventory", "total_liabilities",
    "current_liabilities", "equity", "retained_earnings", "sales", "ebit",
)  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    """The 20,000-company files as written, read back as text."""
    out = tmp_path_factory.mktemp("demo")
    write(generate(companies=N, seed=SEED, as_of=DEFAULT_AS_OF), out)
    return {name: pl.read_csv(out / name, infer_schema=False) for name in FILES}


def _minor(frame: pl.DataFrame, column: str) -> np.ndarray:
    """Parse a money column back to integer minor units with the platform's strict parser."""
    values = [
        parse_minor(text, currency)
        for text, currency in zip(frame[column], frame["currency"], strict=True)
    ]
    return np.array(values, dtype=np.int64)


def test_files_have_exactly_the_import_columns(files: dict[str, pl.DataFrame]) -> None:
    expected = (COMPANY_COLUMNS, FINANCIAL_COLUMNS, PAYMENT_COLUMNS, EVENT_COLUMNS, OUTCOME_COLUMNS)
    assert [tuple(files[name].columns) for name in FILES] == [tuple(c) for c in expected]
    assert COMPANY_COLUMNS[:8] == (
        "company_ref", "name", "country", "registration_id", "id_type", "sector", "founded",
        "employees",
    )  # fmt: skip
    assert FINANCIAL_COLUMNS[-1] == "cost_of_sales"
    assert PAYMENT_COLUMNS == (
        "company_ref", "month", "amount_paid", "amount_overdue", "days_beyond_terms", "currency",
    )  # fmt: skip
    assert EVENT_COLUMNS == ("company_ref", "date", "type", "severity", "description")
    assert OUTCOME_COLUMNS == ("company_ref", "defaulted_within_12m")
    assert files["companies.csv"].height == N
    assert (
        files["outcomes.csv"]["company_ref"].to_list()
        == files["companies.csv"]["company_ref"].to_list()
    )
    assert files["companies.csv"]["company_ref"][0] == "B0000001"


def test_same_seed_gives_byte_identical_files(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write(generate(companies=1500, seed=7, as_of=DEFAULT_AS_OF), first)
    write(generate(companies=1500, seed=7, as_of=DEFAULT_AS_OF), second)
    write(generate(companies=1500, seed=8, as_of=DEFAULT_AS_OF), other)
    for name in FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert (first / "companies.csv").read_bytes() != (other / "companies.csv").read_bytes()


def test_default_rate_is_between_two_and_four_percent(files: dict[str, pl.DataFrame]) -> None:
    flags = files["outcomes.csv"]["defaulted_within_12m"]
    assert set(flags.unique().to_list()) == {"0", "1"}
    rate = flags.cast(pl.Int64).mean()
    assert isinstance(rate, float)
    assert 0.02 <= rate <= 0.04


def test_already_insolvent_companies_default(files: dict[str, pl.DataFrame]) -> None:
    events = files["events.csv"]
    insolvent = events.filter(pl.col("type").is_in(["insolvency_filing", "insolvency_opened"]))[
        "company_ref"
    ].unique()
    assert 0.001 * N <= insolvent.len() <= 0.006 * N
    outcomes = files["outcomes.csv"].filter(pl.col("company_ref").is_in(insolvent.implode()))
    assert (outcomes["defaulted_within_12m"] == "1").all()
    filings = events.filter(pl.col("type") == "insolvency_filing")
    assert (filings["severity"] == "critical").all()


def test_chinese_ids_are_valid_unified_social_credit_codes(files: dict[str, pl.DataFrame]) -> None:
    companies = files["companies.csv"]
    chinese = companies.filter(pl.col("country") == "CN")
    assert (chinese["id_type"] == "uscc").all()
    codes = chinese["registration_id"].to_list()
    assert all(uscc.is_valid(code) for code in codes)
    assert all(len(code) == 18 for code in codes)
    # Companies registered since 2015 carry the "MA" organisation codes of that period.
    recent = chinese.filter(pl.col("founded") >= "2016-01-01")["registration_id"]
    assert recent.str.slice(8, 2).eq("MA").all()


def test_other_identifiers_pass_their_check_digit_rules(files: dict[str, pl.DataFrame]) -> None:
    checks: dict[str, Callable[[str], bool]] = {
        "FR": siren.is_valid,
        "IT": lambda v: v.startswith("IT") and iva.is_valid(v[2:]),
        "BR": cnpj.is_valid,
        "TR": vkn.is_valid,
        "ES": lambda v: v.startswith("ES") and cif.is_valid(v[2:]),
        "JP": jp_cn.is_valid,
        "VN": mst.is_valid,
        "KR": brn.is_valid,
    }
    companies = files["companies.csv"]
    for country, check in checks.items():
        values = companies.filter(pl.col("country") == country)["registration_id"].to_list()
        assert values, country
        assert all(check(v) for v in values), country


def test_identifiers_are_unique_and_accepted(files: dict[str, pl.DataFrame]) -> None:
    companies = files["companies.csv"]
    assert companies["id_type"].is_in(["uscc", "registry", "vat"]).all()
    normalised = [
        validate_identifier(kind, value)
        for kind, value in zip(companies["id_type"], companies["registration_id"], strict=True)
    ]
    assert len(set(normalised)) == N
    # Values never repeat even across identifier types.
    assert len({value for _, value in normalised}) == N
    assert companies["company_ref"].n_unique() == N


def test_countries_sectors_and_names(files: dict[str, pl.DataFrame]) -> None:
    companies = files["companies.csv"]
    shares = companies["country"].value_counts(normalize=True, sort=True)
    assert shares["country"][0] == "CN"
    assert 0.40 <= shares["proportion"][0] <= 0.50
    assert shares.height >= 15
    assert all(parse_country(c) == c for c in shares["country"])
    assert all(parse_nace(code) == code for code in companies["sector"].unique())
    assert companies["sector"].str.slice(0, 1).n_unique() >= 8
    chinese = companies.filter(pl.col("country") == "CN")
    assert chinese["name"].str.contains("公司$").all()
    assert chinese["name_latin"].str.ends_with("Co., Ltd.").all()
    assert companies.filter(pl.col("country") != "CN")["name_latin"].is_null().all()
    german = companies.filter(pl.col("country") == "DE")["name"]
    assert german.str.contains(r"(GmbH|AG|UG|KG)").all()
    # A few deliberate near-duplicates: the same name core under other countries' legal forms.
    cores = companies.select(
        pl.col("name").str.replace(r" (Inc\.|LLC|Ltd|GmbH|SAS|B\.V\.|S\.L\.|S\.r\.l\.)$", ""),
        "country",
    )
    shared = cores.group_by("name").agg(pl.col("country").n_unique().alias("countries"))
    assert shared.filter(pl.col("countries") > 1).height >= 5


def test_sizes_are_heavy_tailed_and_firms_mostly_young(files: dict[str, pl.DataFrame]) -> None:
    companies = files["companies.csv"]
    employees = companies["employees"].drop_nulls().cast(pl.Int64)
    median = employees.median()
    assert isinstance(median, float)
    assert 5 <= median <= 50
    assert (employees.max() or 0) >= 200 * median
    assert companies["employees"].null_count() > 0
    founded = companies["founded"].drop_nulls().str.to_date()
    assert founded.min() is not None and founded.min() >= dt.date(1950, 1, 1)  # type: ignore[operator]
    assert founded.max() is not None and founded.max() <= dt.date(2024, 12, 31)  # type: ignore[operator]
    years = founded.dt.year()
    assert (years >= 2005).sum() > (years < 2005).sum()


def test_balance_sheets_balance_exactly(files: dict[str, pl.DataFrame]) -> None:
    fin = files["financials.csv"]
    v = {column: _minor(fin, column) for column in BALANCE_COLUMNS}
    assert (v["total_assets"] > 0).all()
    assert (v["current_assets"] <= v["total_assets"]).all()
    for part in ("cash", "receivables", "inventory"):
        assert (v[part] >= 0).all(), part
    assert (v["cash"] + v["receivables"] + v["inventory"] <= v["current_assets"]).all()
    assert (v["total_liabilities"] + v["equity"] == v["total_assets"]).all()
    assert (v["current_liabilities"] <= v["total_liabilities"]).all()
    assert (v["sales"] >= 0).all()
    negative = v["equity"] < 0
    assert negative.any()
    assert (v["total_liabilities"][negative] > v["total_assets"][negative]).all()


def test_amounts_have_exactly_the_currency_decimals(files: dict[str, pl.DataFrame]) -> None:
    money = [
        c for c in FINANCIAL_COLUMNS if c not in ("company_ref", "fiscal_year_end", "currency")
    ]
    checked = {"JPY": 0, "KRW": 0, "VND": 0, "CNY": 2, "EUR": 2, "KWD": 3}
    for name, columns in (
        ("financials.csv", money),
        ("payments.csv", ["amount_paid", "amount_overdue"]),
    ):
        frame = files[name]
        for currency in frame["currency"].unique():
            exp = currency_exponent(currency)
            pattern = r"^-?\d+$" if exp == 0 else rf"^-?\d+\.\d{{{exp}}}$"
            rows = frame.filter(pl.col("currency") == currency)
            for column in columns:
                assert rows[column].drop_nulls().str.contains(pattern).all(), (
                    name,
                    currency,
                    column,
                )
            checked.pop(currency, None)
    assert checked == {}, "each exponent kind is exercised"
    sample = files["payments.csv"].head(5000)
    assert (_minor(sample, "amount_overdue") >= 0).all()


def test_statement_years_and_gaps(files: dict[str, pl.DataFrame]) -> None:
    fin = files["financials.csv"]
    assert fiscal_years(DEFAULT_AS_OF) == [2023, 2024, 2025]
    assert set(fin["fiscal_year_end"].unique()) == {"2023-12-31", "2024-12-31", "2025-12-31"}
    per_company = fin.group_by("company_ref").agg(
        pl.len().alias("n"), pl.col("fiscal_year_end").max().alias("latest")
    )
    without_statements = N - per_company.height
    stale = per_company.filter(pl.col("latest") < "2025-12-31").height
    assert 0.05 <= (without_statements + stale) / N <= 0.10
    assert per_company.filter(pl.col("n") == 3).height > 0.8 * N
    assert fin["operating_cash_flow"].null_count() > 0


def test_payments_cover_the_months_before_as_of(files: dict[str, pl.DataFrame]) -> None:
    pay = files["payments.csv"]
    months = sorted(pay["month"].unique())
    assert months == [f"2025-{m:02d}" for m in range(7, 13)] + [
        f"2026-{m:02d}" for m in range(1, 7)
    ]
    days = pay["days_beyond_terms"].cast(pl.Int64)
    assert days.min() == 0
    assert (days.max() or 0) <= 180
    per_company = pay.group_by("company_ref").len()
    assert 0.8 * N <= per_company.filter(pl.col("len") == 12).height < N
    assert per_company.height < N
    assert pay.select(pl.struct("company_ref", "month").is_unique().all()).item()


def test_events_are_typed_and_dated_before_as_of(files: dict[str, pl.DataFrame]) -> None:
    events = files["events.csv"]
    assert set(events["type"].unique()) <= {e.value for e in EventType}
    assert {"lawsuit", "judgment", "payment_incident", "tax_arrears", "management_change"} <= set(
        events["type"].unique()
    )
    assert set(events["severity"].unique()) <= {s.value for s in Severity}
    dates = events["date"].str.to_date()
    assert (dates < DEFAULT_AS_OF).all()
    assert (dates >= DEFAULT_AS_OF - dt.timedelta(days=1095)).all()
    assert (events["description"].str.len_chars() > 0).all()
    chinese_refs = files["companies.csv"].filter(pl.col("country") == "CN")["company_ref"]
    chinese_events = events.filter(pl.col("company_ref").is_in(chinese_refs.implode()))
    assert chinese_events["description"].str.contains(r"[\u4e00-\u9fff]").all()


def _latest_z(files: dict[str, pl.DataFrame]) -> pl.DataFrame:
    fin = files["financials.csv"]
    latest = fin.sort("fiscal_year_end").group_by("company_ref", maintain_order=True).last()
    parsed = {c: _minor(latest, c).astype(np.float64) for c in BALANCE_COLUMNS}
    ta = parsed["total_assets"]
    z = (
        6.56 * (parsed["current_assets"] - parsed["current_liabilities"]) / ta
        + 3.26 * parsed["retained_earnings"] / ta
        + 6.72 * parsed["ebit"] / ta
        + 1.05 * parsed["equity"] / parsed["total_liabilities"]
    )
    return pl.DataFrame({"company_ref": latest["company_ref"], "z": z}).join(
        files["outcomes.csv"], on="company_ref"
    )


def test_defaulters_have_weaker_altman_z_and_more_overdue(files: dict[str, pl.DataFrame]) -> None:
    z = _latest_z(files).group_by("defaulted_within_12m").agg(pl.col("z").mean())
    means = dict(z.iter_rows())
    assert means["1"] < means["0"] - 0.5
    pay = files["payments.csv"].with_columns(
        pl.col("amount_paid").cast(pl.Float64), pl.col("amount_overdue").cast(pl.Float64)
    )
    share = (
        pay.group_by("company_ref")
        .agg(
            (pl.col("amount_overdue").sum() / pl.col("amount_paid").sum()).alias("overdue"),
            pl.col("days_beyond_terms").cast(pl.Int64).mean().alias("days"),
        )
        .join(files["outcomes.csv"], on="company_ref")
        .group_by("defaulted_within_12m")
        .agg(pl.col("overdue").mean(), pl.col("days").mean())
    )
    rows = {r[0]: r for r in share.iter_rows()}
    assert rows["1"][1] > 2 * rows["0"][1]
    assert rows["1"][2] > 2 * rows["0"][2]
    events = files["events.csv"].filter(
        pl.col("type").is_in(["lawsuit", "judgment", "tax_arrears"])
    )
    counts = (
        files["outcomes.csv"]
        .join(events.group_by("company_ref").len(), on="company_ref", how="left")
        .group_by("defaulted_within_12m")
        .agg(pl.col("len").fill_null(0).mean())
    )
    per_flag = dict(counts.iter_rows())
    assert per_flag["1"] > 1.5 * per_flag["0"]


def test_payment_months_option_and_as_of_shift() -> None:
    data = generate(companies=500, seed=3, as_of=dt.date(2025, 3, 15), payment_months=3)
    assert sorted(data.payments["month"].unique()) == ["2025-01", "2025-02", "2025-03"]
    years = data.financials["fiscal_year_end"].dt.year().unique().sort().to_list()
    assert years == [2022, 2023, 2024]
    none = generate(companies=200, seed=3, as_of=DEFAULT_AS_OF, payment_months=0)
    assert none.payments.height == 0
    assert none.payments.columns == list(PAYMENT_COLUMNS)


def test_bad_arguments_are_rejected() -> None:
    with pytest.raises(ValidationFailed):
        generate(companies=0, seed=1, as_of=DEFAULT_AS_OF)
    with pytest.raises(ValidationFailed):
        generate(companies=10, seed=1, as_of=DEFAULT_AS_OF, payment_months=-1)


@pytest.mark.parametrize(("n", "span"), [(1, 10), (5, 5), (10, 3), (1000, 1001), (4000, 10**8)])
def test_unique_serials_are_distinct_and_in_range(n: int, span: int) -> None:
    values = unique_serials(np.random.default_rng(n), n, low=7, span=span)
    assert len(set(values.tolist())) == n
    assert values.min() >= 7
    assert values.max() < 7 + max(span, n)


def test_identifiers_stay_unique_and_valid_at_scale() -> None:
    """Fixed-width formats must not wrap: many companies of one country, every id distinct."""
    rng = np.random.default_rng(5)
    n = 60_000
    for country in ("ES", "US", "FR", "VN", "TR", "MX"):
        index = [c.code for c in COUNTRIES].index(country)
        _kinds, ids = registration_ids(
            rng,
            country=np.full(n, index, dtype=np.int64),
            region=np.full(n, 110105, dtype=np.int64),
            founded=pl.Series(
                [dt.date(1950, 1, 1) + dt.timedelta(days=i % 27_000) for i in range(n)]
            ),
            nace=pl.Series(["C25.11"] * n),
            core_latin=pl.Series(["Acme Metal Works"] * n),
            legal_form_limited=np.ones(n, dtype=np.bool_),
        )
        assert ids.n_unique() == n, country
        assert ids.str.len_chars().n_unique() == 1, country


def test_calibration_hits_its_target() -> None:
    latent = np.random.default_rng(0).standard_normal(50_000)
    a = calibrate_intercept(latent, slope=1.6, target=0.027)
    assert abs(float(np.mean(1 / (1 + np.exp(-(a + 1.6 * latent))))) - 0.027) < 1e-6


def test_minor_text_worked_examples() -> None:
    minor = np.array([123456, -5, 0, -1, 7, 1000, -123456789012345678], dtype=np.int64)
    exponent = np.array([2, 0, 2, 2, 3, 3, 2], dtype=np.int64)
    assert minor_text(minor, exponent).to_list() == [
        "1234.56", "-5", "0.00", "-0.01", "0.007", "1.000", "-1234567890123456.78",
    ]  # fmt: skip


@given(
    st.lists(st.integers(-(2**63) + 1, 2**63 - 1), min_size=1, max_size=30),
    st.sampled_from([("JPY", 0), ("CNY", 2), ("KWD", 3)]),
)
def test_minor_text_round_trips_through_the_strict_parser(
    values: list[int], currency: tuple[str, int]
) -> None:
    code, exp = currency
    texts = minor_text(np.array(values, dtype=np.int64), np.full(len(values), exp, dtype=np.int64))
    assert [parse_minor(t, code) for t in texts] == values


def test_cli_writes_the_five_files(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        app, ["demo", "generate", "--companies", "300", "--seed", "11", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(FILES)
    companies = pl.read_csv(out / "companies.csv", infer_schema=False)
    assert companies.height == 300
    assert "companies.csv" in result.output
    direct = generate(companies=300, seed=11, as_of=DEFAULT_AS_OF)
    assert isinstance(direct, DemoData)
    assert companies["name"].to_list() == direct.companies["name"].to_list()


def test_cli_rejects_a_bad_date(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["demo", "generate", "--companies", "5", "--out", str(tmp_path), "--as-of", "2026-02-30"],
    )
    assert result.exit_code == 1


def test_events_are_unique_by_the_importers_key() -> None:
    # Collisions are rare (about one per 40,000 events), so use a large portfolio.
    data = generate(companies=300_000, seed=5, payment_months=0)
    key = ["company_ref", "date", "type", "description"]
    assert data.events.height > 0
    assert data.events.select(key).is_duplicated().sum() == 0
