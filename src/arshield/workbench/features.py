"""The platform's documented model features, computed from its buyers' data as of a date.

Every feature a trained model may use on the platform is listed in ``CATALOGUE``: its name, what
it measures, the factor its reason codes report under, and the names it is also known by (the
Polish bankruptcy data's ``AttrN`` ratios where the definition is the same, so a model trained
on such data can grade the platform's buyers). A model whose features are not all in the
catalogue cannot be activated. Point-in-time like the expert model: only statements with
``fiscal_year_end <= as_of`` (the latest one no older than 30 months), payment months up to
``as_of`` and events on or before ``as_of`` are read. A ratio whose denominator is zero or
unknown is missing, as is any feature built on an optional statement field left empty.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Final

import polars as pl

from arshield.risk.expert import DEFAULT_SPEC, ExpertSpec, build_features
from arshield.risk.inputs import STATEMENT_COLUMNS
from arshield.workbench.domain import ActivationRefused

OPTIONAL_STATEMENT_COLUMNS: Final = (
    "cash",
    "receivables",
    "inventory",
    "depreciation",
    "interest_expense",
    "operating_cash_flow",
    "cost_of_sales",
)
EXTENDED_STATEMENT_SCHEMA: Final = {
    "company_id": pl.Utf8,
    "fiscal_year_end": pl.Date,
    "currency": pl.Utf8,
    **dict.fromkeys((*STATEMENT_COLUMNS, *OPTIONAL_STATEMENT_COLUMNS), pl.Float64),
}
SECTOR_LEVELS: Final = {"low": 0, "medium": 1, "sensitive": 2, "high": 3}
# Policy columns the grading step needs besides the features.
POLICY_COLUMNS: Final = (
    "company_id",
    "company_ref",
    "status",
    "default_event",
    "default_event_type",
    "statement_date",
    "statement_years",
    "payment_months",
)


@dataclass(frozen=True, slots=True)
class Feature:
    """One documented platform feature."""

    name: str
    description: str
    factor: str
    aliases: tuple[str, ...] = ()


def _f(name: str, description: str, factor: str, *aliases: str) -> Feature:
    return Feature(name=name, description=description, factor=factor, aliases=aliases)


CATALOGUE: Final[tuple[Feature, ...]] = (
    _f("ni_ta", "net income / total assets", "profitability", "Attr1"),
    _f("tl_ta", "total liabilities / total assets", "leverage", "Attr2"),
    _f("wc_ta", "(current assets - current liabilities) / total assets", "altman", "Attr3"),
    _f("current_ratio", "current assets / current liabilities", "liquidity", "Attr4"),
    _f("re_ta", "retained earnings / total assets", "altman", "Attr6"),
    _f("ebit_ta", "EBIT / total assets", "altman", "Attr7"),
    _f("equity_tl", "equity / total liabilities", "altman", "Attr8"),
    _f("sales_ta", "sales / total assets", "altman", "Attr9", "Attr36"),
    _f("equity_ta", "equity / total assets", "leverage", "Attr10"),
    _f("ta_tl", "total assets / total liabilities", "leverage", "Attr17"),
    _f("inventory_days", "inventory x 365 / sales", "liquidity", "Attr20"),
    _f(
        "sales_growth_1y",
        "sales / sales of the previous fiscal year (statements 300-430 days apart, same currency)",
        "trend",
        "Attr21",
    ),
    _f("ni_sales", "net income / sales", "profitability", "Attr23"),
    _f("ni_dep_tl", "(net income + depreciation) / total liabilities", "profitability", "Attr26"),
    _f(
        "cash_cl",
        "(current assets - inventory - receivables) / current liabilities",
        "liquidity",
        "Attr40",
    ),
    _f("ebit_sales", "EBIT / sales", "profitability"),
    _f("receivable_days", "receivables x 365 / sales", "liquidity", "Attr44"),
    _f("ni_inventory", "net income / inventory", "profitability", "Attr45"),
    _f("quick_ratio", "(current assets - inventory) / current liabilities", "liquidity", "Attr46"),
    _f("inventory_days_cogs", "inventory x 365 / cost of sales", "liquidity", "Attr47"),
    _f("ca_tl", "current assets / total liabilities", "liquidity", "Attr50"),
    _f("cl_ta", "current liabilities / total assets", "leverage", "Attr51"),
    _f(
        "cl_days_cogs", "current liabilities x 365 / cost of sales", "liquidity", "Attr32", "Attr52"
    ),
    _f("gross_margin", "(sales - cost of sales) / sales", "profitability", "Attr56"),
    _f("ltl_equity", "(total liabilities - current liabilities) / equity", "leverage", "Attr59"),
    _f("sales_inventory", "sales / inventory", "liquidity", "Attr60"),
    _f("sales_receivables", "sales / receivables", "liquidity", "Attr61"),
    _f("cl_days_sales", "current liabilities x 365 / sales", "liquidity", "Attr62"),
    _f("sales_cl", "sales / current liabilities", "liquidity", "Attr63"),
    _f("cash_ta", "cash / total assets", "liquidity"),
    _f("interest_cover", "EBIT / interest expense", "profitability"),
    _f("ocf_tl", "operating cash flow / total liabilities", "liquidity"),
    _f(
        "sales_growth",
        "yearly sales growth between the first and the latest statement of the last ~5.5 years "
        "(as the expert model's trend factor)",
        "trend",
    ),
    _f("ebit_ta_change", "yearly change in EBIT / total assets over the same years", "trend"),
    _f("overdue_share", "overdue / (paid + overdue) over the 12 months to as_of", "payments"),
    _f("days_beyond_terms", "mean days beyond terms over the 12 months to as_of", "payments"),
    _f("payment_months", "months of payment experience in the 12 months to as_of", "payments"),
    _f(
        "event_load",
        "adverse events weighted by severity, type and recency (expert model)",
        "events",
    ),
    _f("age_years", "years since the company was founded", "age"),
    _f("employees", "number of employees", "size"),
    _f("country_short_term", "short-term country risk level 1-4 in force on as_of", "country"),
    _f(
        "sector_risk_level",
        "sector risk in force on as_of: low 0, medium 1, sensitive 2, high 3",
        "sector",
    ),
)
PLATFORM_FEATURES: Final = tuple(f.name for f in CATALOGUE)
_BY_NAME: Final = {f.name: f for f in CATALOGUE} | {
    alias: f for f in CATALOGUE for alias in f.aliases
}


def resolve(name: str) -> Feature | None:
    """The catalogue feature a model's feature name stands for (its own name or an alias)."""
    return _BY_NAME.get(name)


def check_computable(features: tuple[str, ...], *, model: str) -> tuple[Feature, ...]:
    """The catalogue feature of each model feature, or ``ActivationRefused`` naming the rest."""
    unknown = [name for name in features if resolve(name) is None]
    if unknown:
        shown = ", ".join(unknown[:12]) + (
            f" and {len(unknown) - 12} more" if len(unknown) > 12 else ""
        )
        raise ActivationRefused(
            f"{model} cannot grade the platform's buyers: {len(unknown)} of its "
            f"{len(features)} features are not computed by the platform ({shown}). The platform "
            "computes the features listed in docs/workbench.md (by name, or by the Polish "
            "ratio names they equal); train on those columns only."
        )
    return tuple(f for name in features if (f := resolve(name)) is not None)


def _ratio(num: pl.Expr, den: pl.Expr) -> pl.Expr:
    """num / den, missing where den is zero or missing."""
    return pl.when(den.is_not_null() & (den != 0)).then(num / den).otherwise(None)


def statement_ratios(
    statements: pl.DataFrame, *, as_of: dt.date, spec: ExpertSpec = DEFAULT_SPEC
) -> pl.DataFrame:
    """Ratios of each company's latest usable statement, and its sales growth on the year."""
    usable_from = as_of - dt.timedelta(days=spec.unusable_after_days)
    known = statements.filter(pl.col("fiscal_year_end") <= as_of).sort(
        "company_id", "fiscal_year_end"
    )
    last = known.group_by("company_id").agg(
        pl.all().last(),
        pl.col("fiscal_year_end").tail(2).first().alias("previous_end"),
        pl.col("sales").tail(2).first().alias("previous_sales"),
        pl.col("currency").tail(2).first().alias("previous_currency"),
        pl.len().alias("_years"),
    )
    last = last.filter(pl.col("fiscal_year_end") >= usable_from)
    c = pl.col
    gap = (c("fiscal_year_end") - c("previous_end")).dt.total_days()
    year_on_year = (
        (c("_years") >= 2) & gap.is_between(300, 430) & (c("currency") == c("previous_currency"))
    )
    return last.select(
        "company_id",
        _ratio(c("net_income"), c("total_assets")).alias("ni_ta"),
        _ratio(c("total_liabilities"), c("total_assets")).alias("tl_ta"),
        _ratio(c("current_assets") - c("current_liabilities"), c("total_assets")).alias("wc_ta"),
        _ratio(c("current_assets"), c("current_liabilities")).alias("current_ratio"),
        _ratio(c("retained_earnings"), c("total_assets")).alias("re_ta"),
        _ratio(c("ebit"), c("total_assets")).alias("ebit_ta"),
        _ratio(c("equity"), c("total_liabilities")).alias("equity_tl"),
        _ratio(c("sales"), c("total_assets")).alias("sales_ta"),
        _ratio(c("equity"), c("total_assets")).alias("equity_ta"),
        _ratio(c("total_assets"), c("total_liabilities")).alias("ta_tl"),
        _ratio(c("inventory") * 365, c("sales")).alias("inventory_days"),
        pl.when(year_on_year)
        .then(_ratio(c("sales"), c("previous_sales")))
        .alias("sales_growth_1y"),
        _ratio(c("net_income"), c("sales")).alias("ni_sales"),
        _ratio(c("net_income") + c("depreciation"), c("total_liabilities")).alias("ni_dep_tl"),
        _ratio(
            c("current_assets") - c("inventory") - c("receivables"), c("current_liabilities")
        ).alias("cash_cl"),
        _ratio(c("ebit"), c("sales")).alias("ebit_sales"),
        _ratio(c("receivables") * 365, c("sales")).alias("receivable_days"),
        _ratio(c("net_income"), c("inventory")).alias("ni_inventory"),
        _ratio(c("current_assets") - c("inventory"), c("current_liabilities")).alias("quick_ratio"),
        _ratio(c("inventory") * 365, c("cost_of_sales")).alias("inventory_days_cogs"),
        _ratio(c("current_assets"), c("total_liabilities")).alias("ca_tl"),
        _ratio(c("current_liabilities"), c("total_assets")).alias("cl_ta"),
        _ratio(c("current_liabilities") * 365, c("cost_of_sales")).alias("cl_days_cogs"),
        _ratio(c("sales") - c("cost_of_sales"), c("sales")).alias("gross_margin"),
        _ratio(c("total_liabilities") - c("current_liabilities"), c("equity")).alias("ltl_equity"),
        _ratio(c("sales"), c("inventory")).alias("sales_inventory"),
        _ratio(c("sales"), c("receivables")).alias("sales_receivables"),
        _ratio(c("current_liabilities") * 365, c("sales")).alias("cl_days_sales"),
        _ratio(c("sales"), c("current_liabilities")).alias("sales_cl"),
        _ratio(c("cash"), c("total_assets")).alias("cash_ta"),
        _ratio(c("ebit"), c("interest_expense")).alias("interest_cover"),
        _ratio(c("operating_cash_flow"), c("total_liabilities")).alias("ocf_tl"),
    )


def platform_frame(
    *,
    companies: pl.DataFrame,
    statements: pl.DataFrame,
    payments: pl.DataFrame,
    events: pl.DataFrame,
    country_short_term: dict[str, int],
    sector_risk: dict[str, str],
    as_of: dt.date,
) -> pl.DataFrame:
    """One row per company: ``POLICY_COLUMNS`` and every catalogue feature, as of ``as_of``
    (``payment_months`` is both).

    ``statements`` carries the extended statement columns (``EXTENDED_STATEMENT_SCHEMA``).
    """
    measured = build_features(
        companies=companies,
        statements=statements,
        payments=payments,
        events=events,
        country_short_term=country_short_term,
        sector_risk=sector_risk,
        as_of=as_of,
    )
    measured = measured.with_columns(
        pl.col("employees").cast(pl.Float64),
        pl.col("country_short_term").cast(pl.Float64),
        pl.col("sector_risk")
        .replace_strict(SECTOR_LEVELS, default=None, return_dtype=pl.Float64)
        .alias("sector_risk_level"),
    )
    ratios = statement_ratios(statements, as_of=as_of)
    frame = measured.join(ratios, on="company_id", how="left")
    own = [
        "sales_growth",
        "ebit_ta_change",
        "overdue_share",
        "days_beyond_terms",
        "event_load",
        "age_years",
        "employees",
        "country_short_term",
        "sector_risk_level",
    ]
    return frame.select(
        *POLICY_COLUMNS,
        *[pl.col(name).cast(pl.Float64) for name in ratios.columns if name != "company_id"],
        *[pl.col(name).cast(pl.Float64) for name in own],
    )


def feature_matrix(frame: pl.DataFrame, features: tuple[Feature, ...]) -> pl.DataFrame:
    """The columns a model reads, in its order, from a :func:`platform_frame` (floats, NaN)."""
    return frame.select(
        pl.col(f.name).cast(pl.Float64).fill_null(float("nan")).alias(f"_{i}")
        for i, f in enumerate(features)
    )
