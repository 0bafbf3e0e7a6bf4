"""Three fiscal years of balance sheets and income statements per company.

Amounts are modelled in US dollars, converted to the company's currency and rounded once to
integer minor units; the accounting identities are then enforced on those integers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import polars as pl

from arshield.demo.formatting import MoneyText
from arshield.demo.profiles import country_array, sector_array

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

YEARS = 3
MAX_SALES_USD = 8e11
MAX_ASSETS_USD = 3e12
MIN_ASSETS_USD = 5_000.0
MONEY_COLUMNS = (
    "total_assets", "current_assets", "cash", "receivables", "inventory", "total_liabilities",
    "current_liabilities", "equity", "retained_earnings", "sales", "ebit", "net_income",
    "depreciation", "interest_expense", "operating_cash_flow", "cost_of_sales",
)  # fmt: skip
OPTIONAL_COLUMNS = ("depreciation", "interest_expense", "operating_cash_flow", "cost_of_sales")


@dataclass(frozen=True, slots=True)
class Firms:
    """What the statement model needs to know about each company."""

    latent: FloatArray
    country: IntArray
    sector: IntArray
    employees: FloatArray
    founded_year: IntArray
    insolvent: BoolArray
    exponent: IntArray  # ISO 4217 exponent of the company's currency
    usd_per_unit: FloatArray


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def latest_sales_usd(rng: np.random.Generator, firms: Firms) -> FloatArray:
    """Sales of the latest fiscal year in US dollars: employees x sales per employee."""
    n = firms.latent.size
    per_employee = (
        sector_array("sales_per_employee_usd")[firms.sector]
        * country_array("productivity")[firms.country]
        * np.exp(rng.normal(0.0, 0.45, n))
    )
    sales = firms.employees * per_employee * np.exp(-0.15 * firms.latent)
    return np.asarray(np.minimum(sales, MAX_SALES_USD), dtype=np.float64)


def _amounts_usd(
    rng: np.random.Generator, firms: Firms, sales_latest: FloatArray
) -> dict[str, FloatArray]:
    """Float model of every line, shape (companies, years), oldest year first."""
    n = firms.latent.size
    lat = firms.latent[:, None]
    back = (YEARS - 1 - np.arange(YEARS))[None, :].astype(np.float64)  # years before the latest
    pos = np.maximum(lat, 0.0)

    def noise(sd: float) -> FloatArray:
        return rng.normal(0.0, sd, (n, YEARS))

    def firm(sd: float) -> FloatArray:
        return rng.normal(0.0, sd, (n, 1))

    # Sales: grow with noise; a risky firm's trend is weaker (declining for the riskiest).
    growth = np.clip(0.05 - 0.05 * lat + rng.normal(0.0, 0.09, (n, YEARS - 1)), -0.5, 1.0)
    sales = np.empty((n, YEARS))
    sales[:, -1] = sales_latest
    for k in range(YEARS - 2, -1, -1):
        sales[:, k] = sales[:, k + 1] / (1.0 + growth[:, k])
    turnover = sector_array("asset_turnover")[firms.sector][:, None] * np.exp(
        firm(0.3) + noise(0.05)
    )
    assets = np.clip(sales / turnover, MIN_ASSETS_USD, MAX_ASSETS_USD)
    # Ratios: weaker with the latent propensity, and deteriorating towards the latest year.
    equity_ratio = np.clip(
        0.36 - 0.09 * lat + firm(0.16) + 0.03 * lat * back + noise(0.02), -0.6, 0.92
    )
    current_share = np.clip(
        sector_array("current_share")[firms.sector][:, None] + firm(0.10) + noise(0.02), 0.05, 0.97
    )
    current_ratio = np.exp(np.log(1.45) - 0.15 * lat + firm(0.35) + 0.04 * lat * back + noise(0.05))
    cash_share = np.clip(0.22 - 0.03 * lat + firm(0.08) + noise(0.02), 0.01, 0.7)
    receivable_share = np.clip(0.35 + firm(0.10) + noise(0.02), 0.02, 0.8)
    inventory_share = np.clip(
        sector_array("inventory_share")[firms.sector][:, None] + firm(0.08) + noise(0.02), 0.0, 0.7
    )
    parts = cash_share + receivable_share + inventory_share
    scale = np.where(parts > 0.97, 0.97 / parts, 1.0)
    margin = 0.055 - 0.022 * lat + firm(0.04) + 0.012 * lat * back + noise(0.015)
    ebit = margin * sales
    liabilities = assets * (1.0 - equity_ratio)
    rate = country_array("interest_rate")[firms.country][:, None] + 0.01 * pos
    interest = liabilities * 0.45 * rate
    depreciation = assets * (1.0 - current_share) * 0.09
    pre_tax = ebit - interest
    net_income = np.where(pre_tax > 0, pre_tax * 0.75, pre_tax)
    cash_flow = net_income + depreciation + sales * (-0.01 * lat + noise(0.04))
    gross = np.maximum(
        sector_array("gross_margin")[firms.sector][:, None] + firm(0.05), margin + 0.05
    )
    cost_of_sales = sales * np.clip(1.0 - gross, 0.0, 1.0)
    # Retained earnings: latest level from the risk, earlier years by backing out retained profit.
    re_ratio = np.minimum(
        0.55 * equity_ratio[:, -1:] - 0.04 * lat + firm(0.08) - 0.02, equity_ratio[:, -1:] - 0.02
    )
    retained = np.empty((n, YEARS))
    retained[:, -1] = (re_ratio * assets[:, -1:])[:, 0]
    kept = np.where(net_income > 0, 0.7, 1.0) * net_income
    for k in range(YEARS - 2, -1, -1):
        retained[:, k] = retained[:, k + 1] - kept[:, k + 1]
    return {
        "assets": assets, "current": assets * current_share, "cash": cash_share * scale,
        "receivables": receivable_share * scale, "inventory": inventory_share * scale,
        "liabilities": liabilities, "current_ratio": current_ratio, "retained": retained,
        "current_cap": np.broadcast_to(rng.uniform(0.7, 1.0, (n, 1)), (n, YEARS)),
        "sales": sales, "ebit": ebit, "net_income": net_income, "depreciation": depreciation,
        "interest": interest, "cash_flow": cash_flow, "cost_of_sales": cost_of_sales,
    }  # fmt: skip


def _to_minor(values: FloatArray, factor: FloatArray) -> IntArray:
    return np.rint(values * factor).astype(np.int64)


def statement_lines(
    rng: np.random.Generator, firms: Firms, sales_latest: FloatArray
) -> dict[str, IntArray]:
    """Every line in integer minor units, shape (companies, years), identities exact."""
    usd = _amounts_usd(rng, firms, sales_latest)
    factor = (10.0**firms.exponent / firms.usd_per_unit)[:, None]
    total_assets = np.maximum(_to_minor(usd["assets"], factor), 1)
    current_assets = np.minimum(_to_minor(usd["current"], factor), total_assets)
    ca = current_assets.astype(np.float64)
    cash = np.floor(ca * usd["cash"]).astype(np.int64)
    receivables = np.floor(ca * usd["receivables"]).astype(np.int64)
    inventory = np.clip(
        np.floor(ca * usd["inventory"]).astype(np.int64), 0, current_assets - cash - receivables
    )
    total_liabilities = np.clip(_to_minor(usd["liabilities"], factor), 0, None)
    # Firms with little debt still owe some of it long term: cap at 70-100% of liabilities.
    long_term_floor = np.floor(total_liabilities * usd["current_cap"]).astype(np.int64)
    current_liabilities = np.clip(
        np.rint(ca / usd["current_ratio"]).astype(np.int64), 0, long_term_floor
    )
    return {
        "total_assets": total_assets,
        "current_assets": current_assets,
        "cash": cash,
        "receivables": receivables,
        "inventory": inventory,
        "total_liabilities": total_liabilities,
        "current_liabilities": current_liabilities,
        "equity": total_assets - total_liabilities,
        "retained_earnings": _to_minor(usd["retained"], factor),
        "sales": np.maximum(_to_minor(usd["sales"], factor), 0),
        "ebit": _to_minor(usd["ebit"], factor),
        "net_income": _to_minor(usd["net_income"], factor),
        "depreciation": _to_minor(usd["depreciation"], factor),
        "interest_expense": _to_minor(usd["interest"], factor),
        "operating_cash_flow": _to_minor(usd["cash_flow"], factor),
        "cost_of_sales": _to_minor(usd["cost_of_sales"], factor),
    }


def availability(rng: np.random.Generator, firms: Firms, fiscal_years: list[int]) -> BoolArray:
    """Which (company, year) statements exist: young firms, late filers, insolvent firms."""
    n = firms.latent.size
    years = np.array(fiscal_years, dtype=np.int64)[None, :]
    present = firms.founded_year[:, None] <= years
    # Late or missing filings, slightly more frequent for risky firms (about 6% of companies).
    gap = rng.random(n) < _sigmoid(-2.8 + 0.35 * firms.latent)
    kind = rng.random(n)
    none = gap & (kind < 0.35)
    only_two = gap & (kind >= 0.35) & (kind < 0.75)
    only_one = gap & (kind >= 0.75)
    present[none, :] = False
    present[only_two, -1] = False
    present[only_one, 1:] = False
    # Firms already in insolvency usually stopped filing.
    stopped = firms.insolvent & (rng.random(n) < 0.7)
    present[stopped, -1] = False
    present[stopped & (rng.random(n) < 0.4), -2] = False
    return np.asarray(present, dtype=np.bool_)


def statements_frame(
    rng: np.random.Generator,
    firms: Firms,
    *,
    sales_latest: FloatArray,
    refs: pl.Series,
    currencies: pl.Series,
    fiscal_years: list[int],
) -> pl.DataFrame:
    """The financials file: one row per available (company, fiscal year), oldest first."""
    lines = statement_lines(rng, firms, sales_latest)
    present = availability(rng, firms, fiscal_years)
    abbreviated = rng.random(firms.latent.size) < np.where(firms.employees < 10, 0.25, 0.05)
    company, year = np.nonzero(present)
    company = company.astype(np.int64)
    ends = pl.Series([dt.date(y, 12, 31) for y in fiscal_years], dtype=pl.Date)
    exponent = firms.exponent[company]
    columns: dict[str, pl.Series] = {
        "company_ref": refs.gather(company),
        "fiscal_year_end": ends.gather(year.astype(np.int64)),
        "currency": currencies.gather(company),
    }
    money = MoneyText(exponent)
    for name in MONEY_COLUMNS:
        columns[name] = money(lines[name][company, year]).alias(name)
    # Abbreviated accounts (small firms more often) leave the optional lines empty.
    short = pl.lit(pl.Series(abbreviated[company]))
    return pl.DataFrame(columns).with_columns(
        pl.when(short).then(None).otherwise(pl.col(name)).alias(name) for name in OPTIONAL_COLUMNS
    )
