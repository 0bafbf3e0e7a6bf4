"""Monthly payment experience and dated events, both driven by the hidden propensity."""

from __future__ import annotations

import datetime as dt
from typing import Final

import numpy as np
import numpy.typing as npt
import polars as pl

from arshield.buyers.domain import EventType, Severity
from arshield.demo.formatting import MoneyText

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

EVENT_WINDOW_DAYS: Final = 1095  # three years before as_of
MAX_DAYS_BEYOND_TERMS: Final = 180
OVERDUE_CAP: Final = 2.0  # overdue never exceeds twice the month's expected purchases

_SEVERITIES: Final = (Severity.LOW, Severity.MEDIUM, Severity.HIGH, Severity.CRITICAL)

# type, base rate over three years, sensitivity to the propensity, severity weights
# (low, medium, high, critical).
_EVENT_MODEL: Final[tuple[tuple[EventType, float, float, tuple[float, ...]], ...]] = (
    (EventType.LAWSUIT, 0.08, 0.8, (0.45, 0.40, 0.15, 0.0)),
    (EventType.JUDGMENT, 0.02, 1.1, (0.0, 0.5, 0.5, 0.0)),
    (EventType.PAYMENT_INCIDENT, 0.02, 1.3, (0.0, 0.55, 0.45, 0.0)),
    (EventType.TAX_ARREARS, 0.012, 1.2, (0.0, 0.6, 0.4, 0.0)),
    (EventType.MANAGEMENT_CHANGE, 0.07, 0.3, (0.85, 0.15, 0.0, 0.0)),
    (EventType.OWNERSHIP_CHANGE, 0.04, 0.1, (0.7, 0.3, 0.0, 0.0)),
    (EventType.CAPITAL_REDUCTION, 0.008, 0.9, (0.0, 0.6, 0.4, 0.0)),
)
_NEUTRAL: Final = frozenset({EventType.MANAGEMENT_CHANGE, EventType.OWNERSHIP_CHANGE})

# Short descriptions per type: (English variants, Chinese variants).
DESCRIPTIONS: Final[dict[EventType, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    EventType.LAWSUIT: (
        ("Sued by a supplier over unpaid invoices", "Contract dispute with a customer",
         "Employment dispute", "Lease dispute with landlord"),
        ("买卖合同纠纷被诉", "承揽合同纠纷", "劳动争议", "租赁合同纠纷", "借款合同纠纷"),
    ),
    EventType.JUDGMENT: (
        ("Court ordered payment of outstanding invoices", "Enforcement order issued",
         "Judgment for damages"),
        ("法院判决支付货款及利息", "被列为被执行人", "强制执行裁定"),
    ),
    EventType.PAYMENT_INCIDENT: (
        ("Supplier reported serious arrears", "Bill of exchange dishonoured",
         "Direct debit returned unpaid"),
        ("供应商报告严重逾期", "商业汇票拒付", "货款长期拖欠"),
    ),
    EventType.TAX_ARREARS: (
        ("Tax authority registered a lien", "Social security contributions in arrears"),
        ("欠税公告", "社保费欠缴"),
    ),
    EventType.MANAGEMENT_CHANGE: (
        ("New managing director appointed", "Chief financial officer resigned"),
        ("法定代表人变更", "总经理变更"),
    ),
    EventType.OWNERSHIP_CHANGE: (
        ("Majority shareholder changed", "New investor joined"),
        ("股东变更", "股权转让"),
    ),
    EventType.CAPITAL_REDUCTION: (("Share capital reduced",), ("减少注册资本",)),
    EventType.INSOLVENCY_FILING: (("Insolvency petition filed",), ("申请破产清算", "申请破产重整")),
    EventType.INSOLVENCY_OPENED: (("Insolvency proceedings opened",), ("法院裁定受理破产申请",)),
    EventType.DEFAULT: (("Payment default on bank loan",), ("银行贷款违约",)),
}  # fmt: skip


def _sigmoid(x: FloatArray) -> FloatArray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=np.float64)


def month_labels(as_of: dt.date, months: int) -> list[str]:
    """``YYYY-MM`` of the ``months`` calendar months ending with the month of ``as_of``."""
    last = as_of.year * 12 + as_of.month - 1
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(last - months + 1, last + 1)]


def payments_frame(
    rng: np.random.Generator,
    *,
    latent: FloatArray,
    delay_factor: FloatArray,
    sales_usd: FloatArray,
    usd_per_unit: FloatArray,
    exponent: IntArray,
    filing_month: IntArray,
    refs: pl.Series,
    currencies: pl.Series,
    as_of: dt.date,
    months: int,
) -> pl.DataFrame:
    """The payments file: monthly experience of suppliers reporting to the platform.

    ``filing_month`` is the index (0 = oldest month) of an insolvency filing, or ``months``.
    """
    n = latent.size
    columns = (
        "company_ref",
        "month",
        "amount_paid",
        "amount_overdue",
        "days_beyond_terms",
        "currency",
    )
    if months <= 0 or n == 0:
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.String)).with_columns(
            pl.col("days_beyond_terms").cast(pl.Int64)
        )
    lat = latent[:, None]
    pos = np.maximum(lat, 0.0)
    t = np.arange(months, dtype=np.float64)[None, :]
    progress = t / max(months - 1, 1)
    # Who is reported: most firms for the whole window, some only recently, a few not at all.
    has = rng.random(n) < 0.93 - 0.02 * np.clip(latent, 0.0, None)
    start = np.where(rng.random(n) < 0.12, rng.integers(1, max(months, 2), n), 0)
    stop = np.minimum(filing_month, months)
    valid = has[:, None] & (t >= start[:, None]) & (t < stop[:, None])
    # Expected monthly purchases from reporting suppliers, with seasonality and noise.
    share = np.clip(np.exp(rng.normal(np.log(0.02), 0.9, n)), 0.001, 0.3)
    expected = (sales_usd / 12.0 * share)[:, None]
    season = 1.0 + 0.12 * np.sin(2 * np.pi * (t + rng.integers(0, 12)) / 12.0)
    purchases = expected * season * np.exp(rng.normal(0.0, 0.3, (n, months)) - 0.03 * pos * t)
    # Delays: longer for risky firms and local payment cultures, worsening towards as_of.
    typical = np.exp(1.0 + 0.65 * lat + rng.normal(0.0, 0.5, (n, 1))) * delay_factor[:, None]
    days = typical * np.exp(0.25 * pos * progress + rng.normal(0.0, 0.6, (n, months)))
    on_time = rng.random((n, months)) < _sigmoid(0.8 - 1.0 * lat)
    dbt = np.where(on_time, 0, np.clip(np.rint(days), 0, MAX_DAYS_BEYOND_TERMS)).astype(np.int64)
    ratio = np.clip(dbt / 30.0 * rng.uniform(0.6, 1.4, (n, months)), 0.0, None)
    overdue = np.minimum(purchases * ratio, expected * OVERDUE_CAP)
    factor = (10.0**exponent / usd_per_unit)[:, None]
    paid_minor = np.rint(purchases * factor).astype(np.int64)
    overdue_minor = np.where(dbt > 0, np.rint(overdue * factor), 0).astype(np.int64)
    company, month = np.nonzero(valid)
    company = company.astype(np.int64)
    money = MoneyText(exponent[company])
    labels = pl.Series(month_labels(as_of, months))
    return pl.DataFrame(
        {
            "company_ref": refs.gather(company),
            "month": labels.gather(month.astype(np.int64)),
            "amount_paid": money(paid_minor[company, month]),
            "amount_overdue": money(overdue_minor[company, month]),
            "days_beyond_terms": dbt[company, month],
            "currency": currencies.gather(company),
        }
    )


def _description_table() -> tuple[pl.Series, dict[tuple[EventType, int], tuple[int, int]]]:
    flat: list[str] = []
    where: dict[tuple[EventType, int], tuple[int, int]] = {}
    for kind, variants in DESCRIPTIONS.items():
        for lang, texts in enumerate(variants):
            where[(kind, lang)] = (len(flat), len(texts))
            flat.extend(texts)
    return pl.Series(flat), where


_DESC_TEXT, _DESC_WHERE = _description_table()


def events_frame(
    rng: np.random.Generator,
    *,
    latent: FloatArray,
    employees: FloatArray,
    chinese: BoolArray,
    insolvent: BoolArray,
    filing_days: IntArray,
    refs: pl.Series,
    as_of: dt.date,
) -> pl.DataFrame:
    """The events file: adverse and notable events of the three years before ``as_of``."""
    n = latent.size
    size = np.clip((np.nan_to_num(employees, nan=15.0) / 15.0) ** 0.15, 0.5, 3.0)
    company_parts: list[IntArray] = []
    kind_parts: list[IntArray] = []
    days_parts: list[IntArray] = []
    severity_parts: list[IntArray] = []
    kinds: list[EventType] = [m[0] for m in _EVENT_MODEL]
    for k, (kind, base, beta, weights) in enumerate(_EVENT_MODEL):
        counts = rng.poisson(base * size * np.exp(beta * latent))
        who = np.repeat(np.arange(n, dtype=np.int64), counts)
        steep = 1.0 if kind in _NEUTRAL else 1.0 + 0.5 * np.maximum(latent[who], 0.0)
        days = np.ceil(EVENT_WINDOW_DAYS * rng.random(who.size) ** steep).astype(np.int64)
        severity = rng.choice(4, size=who.size, p=np.array(weights))
        escalate = (kind not in _NEUTRAL) & (latent[who] > 1.5) & (rng.random(who.size) < 0.4)
        severity = np.minimum(severity + escalate, 2 if kind not in _NEUTRAL else 1)
        company_parts.append(who)
        kind_parts.append(np.full(who.size, k, dtype=np.int64))
        days_parts.append(np.maximum(days, 1))
        severity_parts.append(severity.astype(np.int64))
    # Companies already in insolvency: a filing, often an opening and a prior default.
    firms = np.flatnonzero(insolvent).astype(np.int64)
    extra = [
        (EventType.INSOLVENCY_FILING, firms, filing_days[firms]),
    ]
    opened = firms[rng.random(firms.size) < 0.6]
    opened_days = filing_days[opened] - rng.integers(20, 121, opened.size)
    extra.append(
        (EventType.INSOLVENCY_OPENED, opened[opened_days >= 1], opened_days[opened_days >= 1])
    )
    defaulted = firms[rng.random(firms.size) < 0.5]
    default_days = filing_days[defaulted] + rng.integers(10, 121, defaulted.size)
    keep = default_days <= EVENT_WINDOW_DAYS
    extra.append((EventType.DEFAULT, defaulted[keep], default_days[keep]))
    for kind, who, days in extra:
        kinds.append(kind)
        company_parts.append(who)
        kind_parts.append(np.full(who.size, len(kinds) - 1, dtype=np.int64))
        days_parts.append(days.astype(np.int64))
        severity_parts.append(np.full(who.size, 3, dtype=np.int64))
    company = np.concatenate(company_parts)
    kind_idx = np.concatenate(kind_parts)
    days_back = np.concatenate(days_parts)
    severity_idx = np.concatenate(severity_parts)
    order = np.lexsort((kind_idx, -days_back, company))
    company, kind_idx, days_back, severity_idx = (
        company[order],
        kind_idx[order],
        days_back[order],
        severity_idx[order],
    )
    # Descriptions: Chinese for Chinese companies.
    lang = chinese[company].astype(np.int64)
    start = np.zeros(company.size, dtype=np.int64)
    count = np.ones(company.size, dtype=np.int64)
    for k, kind in enumerate(kinds):
        for code in (0, 1):
            mask = (kind_idx == k) & (lang == code)
            first, many = _DESC_WHERE[(kind, code)]
            start[mask] = first
            count[mask] = many
    description = _DESC_TEXT.gather(
        start + np.floor(rng.random(company.size) * count).astype(np.int64)
    )
    type_names = pl.Series([str(k) for k in kinds])
    severity_names = pl.Series([str(s) for s in _SEVERITIES])
    frame = pl.DataFrame(
        {
            "company_ref": refs.gather(company),
            "date": pl.Series(np.datetime64(as_of, "D") - days_back.astype("timedelta64[D]")),
            "type": type_names.gather(kind_idx),
            "severity": severity_names.gather(severity_idx),
            "description": description,
        }
    )
    # The importer keys an event by (company, date, type, description): keep one of each.
    return frame.unique(
        subset=["company_ref", "date", "type", "description"], keep="first", maintain_order=True
    )


def filing_schedule(
    rng: np.random.Generator, *, insolvent: BoolArray, as_of: dt.date, months: int
) -> tuple[IntArray, IntArray]:
    """Days before ``as_of`` of each insolvent firm's filing, and its month index.

    The month index counts from the oldest payment month; it is ``months`` for other firms.
    """
    n = insolvent.size
    days = np.where(insolvent, rng.integers(30, 541, n), 0).astype(np.int64)
    filing_dates = np.datetime64(as_of, "D") - days.astype("timedelta64[D]")
    month_number = filing_dates.astype("datetime64[M]").astype(np.int64)  # months since 1970-01
    last = (as_of.year - 1970) * 12 + as_of.month - 1
    index = month_number - (last - months + 1)
    return days, np.where(insolvent, np.clip(index, 0, months), months).astype(np.int64)
