"""Receivables analytics: aging, DSO family, cash forecast, concentration, currency conversion.

Pure functions over the Polars frames described in :mod:`arshield.receivables.frames`, with an
explicit ``as_of``. Money is Int64 minor units in each row's own currency; rates, ratios and
day counts are Decimal. Bad input raises ValidationFailed naming what is wrong.
"""

from __future__ import annotations

from arshield.receivables.analytics_aging import (
    DEFAULT_BUCKETS,
    NOT_DUE,
    TOTAL,
    AgingBuckets,
    AgingBy,
    BucketError,
    aging,
    aging_columns,
    render_aging,
)
from arshield.receivables.analytics_concentration import Concentration, concentration, hhi
from arshield.receivables.analytics_dso import dso, dso_trend
from arshield.receivables.analytics_forecast import (
    LATER,
    WEEKS,
    DelayBasis,
    cash_forecast,
    expected_payments,
    payment_delays,
)
from arshield.receivables.analytics_fx import Converted, convert_groups
from arshield.receivables.analytics_ledger import DISPUTED, outstanding, render_minor

__all__ = [
    "DEFAULT_BUCKETS",
    "DISPUTED",
    "LATER",
    "NOT_DUE",
    "TOTAL",
    "WEEKS",
    "AgingBuckets",
    "AgingBy",
    "BucketError",
    "Concentration",
    "Converted",
    "DelayBasis",
    "aging",
    "aging_columns",
    "cash_forecast",
    "concentration",
    "convert_groups",
    "dso",
    "dso_trend",
    "expected_payments",
    "hhi",
    "outstanding",
    "payment_delays",
    "render_aging",
    "render_minor",
]
