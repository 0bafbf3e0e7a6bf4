"""Realistic demo data: companies, statements, payment experience, events and outcomes.

Every company has a hidden default propensity (a latent normal). It shapes the company's
age, size, ratios, payment behaviour and events, and decides whether the company defaults
in the twelve months after ``as_of``. Choices are documented in docs/demo-data.md.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from arshield.demo import activity, financials, identifiers, names, vocab
from arshield.demo.profiles import COUNTRIES, SECTORS, country_array, sector_array
from arshield.kit.errors import ValidationFailed
from arshield.kit.money import currency_exponent

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

DEFAULT_AS_OF: Final = dt.date(2026, 6, 30)
DEFAULT_PAYMENT_MONTHS: Final = 12
MAX_PAYMENT_MONTHS: Final = 120
# Outcome calibration: already insolvent firms, and defaults of going concerns after as_of.
INSOLVENT_SHARE: Final = 0.003
FUTURE_DEFAULT_RATE: Final = 0.027
DEFAULT_SLOPE: Final = 1.6  # log-odds of default per unit of the latent propensity
INSOLVENT_SLOPE: Final = 2.0
EARLIEST_FOUNDING: Final = dt.date(1950, 1, 1)

COMPANY_COLUMNS: Final = (
    "company_ref", "name", "country", "registration_id", "id_type", "sector", "founded",
    "employees", "name_latin",
)  # fmt: skip
FINANCIAL_COLUMNS: Final = ("company_ref", "fiscal_year_end", "currency", *financials.MONEY_COLUMNS)
PAYMENT_COLUMNS: Final = (
    "company_ref", "month", "amount_paid", "amount_overdue", "days_beyond_terms", "currency",
)  # fmt: skip
EVENT_COLUMNS: Final = ("company_ref", "date", "type", "severity", "description")
OUTCOME_COLUMNS: Final = ("company_ref", "defaulted_within_12m")
FILES: Final = ("companies.csv", "financials.csv", "payments.csv", "events.csv", "outcomes.csv")
STEPS: Final = ("companies", "financials", "payments", "events", "outcomes")


@dataclass(frozen=True, slots=True)
class DemoData:
    """The five demo files as Polars frames, columns exactly as written."""

    companies: pl.DataFrame
    financials: pl.DataFrame
    payments: pl.DataFrame
    events: pl.DataFrame
    outcomes: pl.DataFrame

    def frames(self) -> dict[str, pl.DataFrame]:
        """File name -> frame, in ``FILES`` order."""
        return dict(
            zip(
                FILES,
                (self.companies, self.financials, self.payments, self.events, self.outcomes),
                strict=True,
            )
        )


def fiscal_years(as_of: dt.date) -> list[int]:
    """The three fiscal years ending on December 31 strictly before ``as_of``."""
    latest = as_of.year - 1
    return [latest - 2, latest - 1, latest]


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def calibrate_intercept(latent: FloatArray, *, slope: float, target: float) -> float:
    """The intercept ``a`` with mean(sigmoid(a + slope * latent)) == target (bisection)."""
    if latent.size == 0:
        return 0.0
    low, high = -30.0, 10.0
    for _ in range(50):
        mid = (low + high) / 2.0
        if float(np.mean(_sigmoid(mid + slope * latent))) < target:
            low = mid
        else:
            high = mid
    return (low + high) / 2.0


def _check(companies: int, as_of: dt.date, payment_months: int) -> None:
    if companies < 1:
        raise ValidationFailed("companies must be at least 1")
    if not 0 <= payment_months <= MAX_PAYMENT_MONTHS:
        raise ValidationFailed(f"payment_months must be between 0 and {MAX_PAYMENT_MONTHS}")
    if as_of.year < EARLIEST_FOUNDING.year + 5:
        raise ValidationFailed(f"as_of must be after {EARLIEST_FOUNDING.year + 5}-01-01")


def _founding_dates(
    rng: np.random.Generator, latent: FloatArray, as_of: dt.date
) -> npt.NDArray[np.datetime64]:
    """Ages skewed young (exponential), riskier firms younger; 1950 to two years before as_of."""
    n = latent.size
    oldest = (as_of - EARLIEST_FOUNDING).days / 365.25
    age_years = 1.5 + rng.exponential(16.0 * np.exp(-0.3 * latent), n)
    # The few older than 1950 are spread over the oldest quarter of the range, not piled up.
    too_old = age_years > oldest
    age_years[too_old] = rng.uniform(0.75 * oldest, oldest, int(too_old.sum()))
    day = np.datetime64(as_of, "D") - np.rint(age_years * 365.25).astype("timedelta64[D]")
    latest = np.datetime64(dt.date(as_of.year - 2, 12, 31), "D")
    return np.clip(day, np.datetime64(EARLIEST_FOUNDING, "D"), latest)


def _employees(rng: np.random.Generator, latent: FloatArray, age_years: FloatArray) -> FloatArray:
    """Heavy-tailed head counts: a Pareto (Lomax) tail with exponent 1.06, as firm sizes show."""
    raw = 8.0 * (1.0 + rng.pareto(1.06, latent.size))
    scaled = raw * np.exp(-0.2 * latent) * np.clip(age_years / 10.0, 0.2, 5.0) ** 0.3
    return np.asarray(np.clip(np.rint(scaled), 1, 600_000), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class _Population:
    """Hidden and visible attributes of every company, before the files are built."""

    country: IntArray
    sector: IntArray
    latent: FloatArray
    employees: FloatArray
    founded_year: IntArray
    refs: pl.Series
    currencies: pl.Series
    exponent: IntArray


def _region_codes(rng: np.random.Generator, cn_city: IntArray) -> IntArray:
    """A district code (GB/T 2260) of each company's Chinese city."""
    districts = [c[3] for c in vocab.CN_CITIES]
    flat = np.array([int(code) for group in districts for code in group], dtype=np.int64)
    starts = np.cumsum([0] + [len(g) for g in districts[:-1]]).astype(np.int64)
    counts = np.array([len(g) for g in districts], dtype=np.int64)
    pick = starts[cn_city] + np.floor(rng.random(cn_city.size) * counts[cn_city]).astype(np.int64)
    return np.asarray(flat[pick], dtype=np.int64)


def _companies(
    rng: np.random.Generator, n: int, as_of: dt.date
) -> tuple[pl.DataFrame, _Population]:
    """The companies file and the population behind it."""
    shares = country_array("share")
    country = rng.choice(len(COUNTRIES), size=n, p=shares / shares.sum()).astype(np.int64)
    sector_shares = sector_array("share")
    sector = rng.choice(len(SECTORS), size=n, p=sector_shares / sector_shares.sum()).astype(
        np.int64
    )
    latent = (
        0.95 * rng.standard_normal(n)
        + country_array("risk_shift")[country]
        + sector_array("risk_shift")[sector]
    )
    founded_day = _founding_dates(rng, latent, as_of)
    age_years = (np.datetime64(as_of, "D") - founded_day).astype(np.float64) / 365.25
    employees = _employees(rng, latent, age_years)
    cn_city = names.city_of_chinese(rng, n)
    got = names.company_names(rng, country=country, sector=sector, cn_city=cn_city)
    nace = names.sector_codes(rng, sector)
    founded = pl.Series("founded", founded_day)
    spanish_sl = got.name.str.ends_with(" S.L.").to_numpy()
    id_type, reg_id = identifiers.registration_ids(
        rng, country=country, region=_region_codes(rng, cn_city), founded=founded, nace=nace,
        core_latin=got.core_latin, legal_form_limited=spanish_sl,
    )  # fmt: skip
    width = max(7, len(str(n)))
    refs = "B" + pl.Series(np.arange(1, n + 1, dtype=np.int64)).cast(pl.String).str.zfill(width)
    codes = pl.Series([c.code for c in COUNTRIES])
    currency_codes = [c.currency for c in COUNTRIES]
    # A little missing registry data, to exercise data-quality handling.
    no_founded = pl.Series(rng.random(n) < 0.01)
    no_employees = pl.Series(rng.random(n) < 0.02)
    frame = pl.DataFrame(
        {
            "company_ref": refs,
            "name": got.name,
            "country": codes.gather(country),
            "registration_id": reg_id,
            "id_type": id_type,
            "sector": nace,
            "founded": founded,
            "employees": pl.Series(employees.astype(np.int64)),
            "name_latin": got.name_latin,
            "_no_founded": no_founded,
            "_no_employees": no_employees,
        }
    ).select(
        *COMPANY_COLUMNS[:6],
        pl.when(pl.col("_no_founded")).then(None).otherwise(pl.col("founded")).alias("founded"),
        pl.when(pl.col("_no_employees"))
        .then(None)
        .otherwise(pl.col("employees"))
        .alias("employees"),
        "name_latin",
    )
    population = _Population(
        country=country,
        sector=sector,
        latent=np.asarray(latent, dtype=np.float64),
        employees=employees,
        founded_year=founded_day.astype("datetime64[Y]").astype(np.int64) + 1970,
        refs=refs,
        currencies=pl.Series(currency_codes).gather(country),
        exponent=np.array([currency_exponent(c) for c in currency_codes], dtype=np.int64)[country],
    )
    return frame, population


def generate(
    *,
    companies: int,
    seed: int,
    as_of: dt.date = DEFAULT_AS_OF,
    payment_months: int = DEFAULT_PAYMENT_MONTHS,
    on_step: Callable[[str], None] | None = None,
) -> DemoData:
    """Generate the demo files for ``companies`` companies; same arguments, same data.

    ``on_step`` is called with each name of ``STEPS`` once that part is done.
    """
    _check(companies, as_of, payment_months)
    step = on_step or (lambda _name: None)
    rng = np.random.default_rng(seed)
    company_frame, pop = _companies(rng, companies, as_of)
    step("companies")

    # Outcomes first (they are hidden): a few firms are already insolvent, the rest may default.
    latent = pop.latent
    a_insolvent = calibrate_intercept(latent, slope=INSOLVENT_SLOPE, target=INSOLVENT_SHARE)
    insolvent = rng.random(companies) < _sigmoid(a_insolvent + INSOLVENT_SLOPE * latent)
    going = latent[~insolvent]
    a_default = calibrate_intercept(going, slope=DEFAULT_SLOPE, target=FUTURE_DEFAULT_RATE)
    defaults = insolvent | (rng.random(companies) < _sigmoid(a_default + DEFAULT_SLOPE * latent))

    firms = financials.Firms(
        latent=latent,
        country=pop.country,
        sector=pop.sector,
        employees=pop.employees,
        founded_year=pop.founded_year,
        insolvent=insolvent,
        exponent=pop.exponent,
        usd_per_unit=country_array("usd_per_unit")[pop.country],
    )
    sales_usd = financials.latest_sales_usd(rng, firms)
    financial_frame = financials.statements_frame(
        rng, firms, sales_latest=sales_usd, refs=pop.refs, currencies=pop.currencies,
        fiscal_years=fiscal_years(as_of),
    )  # fmt: skip
    step("financials")

    filing_days, filing_month = activity.filing_schedule(
        rng, insolvent=insolvent, as_of=as_of, months=payment_months
    )
    payment_frame = activity.payments_frame(
        rng, latent=latent, delay_factor=country_array("delay_factor")[pop.country],
        sales_usd=sales_usd, usd_per_unit=firms.usd_per_unit, exponent=pop.exponent,
        filing_month=filing_month, refs=pop.refs, currencies=pop.currencies, as_of=as_of,
        months=payment_months,
    )  # fmt: skip
    step("payments")

    event_frame = activity.events_frame(
        rng, latent=latent, employees=pop.employees, chinese=pop.country == 0,
        insolvent=insolvent, filing_days=filing_days, refs=pop.refs, as_of=as_of,
    )  # fmt: skip
    step("events")

    outcome_frame = pl.DataFrame(
        {"company_ref": pop.refs, "defaulted_within_12m": pl.Series(defaults.astype(np.int8))}
    )
    step("outcomes")
    return DemoData(
        companies=company_frame,
        financials=financial_frame,
        payments=payment_frame,
        events=event_frame,
        outcomes=outcome_frame,
    )


def write(data: DemoData, out_dir: Path) -> list[Path]:
    """Write the five files (UTF-8 CSV, no BOM) into ``out_dir``; return their paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for name, frame in data.frames().items():
        path = out_dir / name
        frame.write_csv(path, date_format="%Y-%m-%d")
        paths.append(path)
    return paths
