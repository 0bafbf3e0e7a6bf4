"""The expert model written as a plain per-row Python loop.

Not used to grade: it is the oracle the vectorised engine is tested against and the baseline
``make bench`` measures it with. It follows ``docs/grading.md`` line by line.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from typing import Any

from arshield.risk.expert import DEFAULT_EVENT_TYPES, DEFAULT_SPEC, FACTORS, ExpertSpec
from arshield.risk.master_scale import GRADE_PD, grade_floor_pd, grade_for_pd, score_for_pd


def _clip(value: float, bounds: tuple[float, float]) -> float:
    return min(max(value, bounds[0]), bounds[1])


def _month_start_back(as_of: dt.date, months: int) -> dt.date:
    index = as_of.year * 12 + as_of.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def grade_rows(
    *,
    companies: list[dict[str, Any]],
    statements: list[dict[str, Any]],
    payments: list[dict[str, Any]],
    events: list[dict[str, Any]],
    country_short_term: dict[str, int],
    sector_risk: dict[str, str],
    as_of: dt.date,
    spec: ExpertSpec = DEFAULT_SPEC,
) -> list[dict[str, Any]]:
    """Grade each company dict; returns dicts with score, grade, pd, model_pd and contributions."""
    by_company: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in statements:
        by_company[row["company_id"]].append(row)
    pays: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in payments:
        pays[row["company_id"]].append(row)
    evs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in events:
        evs[row["company_id"]].append(row)
    out = []
    for company in companies:
        cid = company["company_id"]
        out.append(
            _grade_one(
                company,
                by_company.get(cid, []),
                pays.get(cid, []),
                evs.get(cid, []),
                country_short_term,
                sector_risk,
                as_of,
                spec,
            )
        )
    return out


def _grade_one(
    company: dict[str, Any],
    statements: list[dict[str, Any]],
    payments: list[dict[str, Any]],
    events: list[dict[str, Any]],
    country_short_term: dict[str, int],
    sector_risk: dict[str, str],
    as_of: dt.date,
    spec: ExpertSpec,
) -> dict[str, Any]:
    s = spec
    c: dict[str, float] = dict.fromkeys(FACTORS, 0.0)
    known = sorted(
        (st for st in statements if st["fiscal_year_end"] <= as_of),
        key=lambda st: st["fiscal_year_end"],
    )
    trend_from = as_of - dt.timedelta(days=s.unusable_after_days + 3 * 366)
    window = [st for st in known if st["fiscal_year_end"] >= trend_from]
    usable = bool(window) and window[-1]["fiscal_year_end"] >= as_of - dt.timedelta(
        days=s.unusable_after_days
    )
    statement_date = window[-1]["fiscal_year_end"] if usable else None
    if usable:
        last, first = window[-1], window[0]
        ta = last["total_assets"]
        x1 = (last["current_assets"] - last["current_liabilities"]) / ta
        x2 = last["retained_earnings"] / ta
        x3 = last["ebit"] / ta
        tl = last["total_liabilities"]
        x4 = min(max(last["equity"] / tl, -5.0), 10.0) if tl > 0 else 10.0
        em = 3.25 + 6.56 * x1 + 3.26 * x2 + 6.72 * x3 + 1.05 * x4
        c["altman"] = _clip(s.em_slope * (em - s.em_neutral), s.em_clip)
        cl = last["current_liabilities"]
        cr = min(max(last["current_assets"] / cl, 0.0), 10.0) if cl > 0 else 10.0
        c["liquidity"] = _clip(s.cr_slope * math.log(max(cr, 0.05) / s.cr_neutral), s.cr_clip)
        c["leverage"] = _clip(s.lev_slope * (tl / ta - s.lev_neutral), s.lev_clip)
        c["profitability"] = _clip(
            s.roa_slope * (last["net_income"] / ta - s.roa_neutral), s.roa_clip
        )
        years = (last["fiscal_year_end"] - first["fiscal_year_end"]).days / 365.25
        if years >= 0.5:
            trend = 0.0
            if first["sales"] > 0 and last["sales"] > 0:
                growth = math.exp(math.log(last["sales"] / first["sales"]) / years) - 1
                trend += s.growth_slope * (growth - s.growth_neutral)
            x3_first = first["ebit"] / first["total_assets"]
            trend += s.ebit_change_slope * (x3 - x3_first) / years
            c["trend"] = _clip(trend, s.trend_clip)
    first_month = _month_start_back(as_of, s.pay_window_months - 1)
    recent = [p for p in payments if first_month <= p["month"] <= as_of]
    if recent:
        total = sum(p["amount_paid"] + p["amount_overdue"] for p in recent)
        share = sum(p["amount_overdue"] for p in recent) / max(total, 1)
        days = sum(p["days_beyond_terms"] for p in recent) / len(recent)
        pay = s.pay_overdue_slope * share + s.pay_days_slope * days + s.pay_offset
        c["payments"] = _clip(pay, s.pay_clip)
    load = 0.0
    default_type = None
    for ev in sorted(events, key=lambda e: e["date"]):
        if ev["date"] > as_of:
            continue
        if ev["type"] in DEFAULT_EVENT_TYPES and default_type is None:
            default_type = ev["type"]
        age = (as_of - ev["date"]).days / 365.25
        load += (
            s.severity_weight.get(ev["severity"], 0.3)
            * s.event_type_weight.get(ev["type"], 0.0)
            * math.exp(-age / s.event_decay_years)
        )
    c["events"] = _clip(load, (0.0, s.event_cap))
    if company["founded"] is not None:
        age_years = max((as_of - company["founded"]).days, 0) / 365.25
        c["age"] = _clip(s.age_offset + s.age_slope * math.log1p(age_years), s.age_clip)
    if company["employees"] is not None:
        c["size"] = _clip(
            s.size_offset + s.size_slope * math.log1p(company["employees"]), s.size_clip
        )
    level = country_short_term.get(company["country"])
    c["country"] = (
        s.country_points.get(level, s.country_unknown) if level is not None else s.country_unknown
    )
    sector = company["sector"]
    risk = sector_risk.get(sector[:1]) if sector else None
    c["sector"] = s.sector_points.get(risk, 0.0) if risk is not None else 0.0
    logit = math.log(s.base_pd / (1 - s.base_pd)) + sum(c.values())
    model_pd = min(max(1 / (1 + math.exp(-logit)), 0.0003), 0.60)
    cap = 1
    if statement_date is None:
        cap = s.missing_best_grade
    elif (as_of - statement_date).days > s.stale_after_days:
        cap = s.stale_best_grade
    in_default = default_type is not None or company["status"] in ("insolvent", "dissolved")
    effective = 1.0 if in_default else max(model_pd, grade_floor_pd(cap))
    grade = 10 if in_default else grade_for_pd(effective)
    return {
        "company_id": company["company_id"],
        "model_pd": model_pd,
        "grade": grade,
        "score": score_for_pd(effective),
        "pd": GRADE_PD[grade],
        "cap_grade": cap,
        "contributions": c,
    }
