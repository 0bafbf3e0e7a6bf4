"""Reason codes a grade can carry, with the sentence shown to users."""

from __future__ import annotations

from typing import Final

REASON_TEXT: Final[dict[str, str]] = {
    "ALTMAN_DISTRESS": "Weak Altman emerging-market score: working capital, retained earnings, "
    "EBIT or equity are low against assets and liabilities",
    "ALTMAN_SAFE": "Strong Altman emerging-market score",
    "LOW_LIQUIDITY": "Current assets cover current liabilities poorly",
    "STRONG_LIQUIDITY": "Current assets comfortably cover current liabilities",
    "HIGH_LEVERAGE": "Liabilities are high relative to total assets",
    "LOW_LEVERAGE": "Liabilities are low relative to total assets",
    "LOSSES": "Low or negative return on assets",
    "PROFITABLE": "Healthy return on assets",
    "DECLINING_TREND": "Sales or operating profit declining over the years available",
    "GROWING_TREND": "Sales and operating profit growing over the years available",
    "PAYS_LATE": "Payment experience shows overdue amounts or days beyond terms",
    "PAYS_ON_TIME": "Payment experience shows payment on terms",
    "ADVERSE_EVENTS": "Recent lawsuits, judgments, payment incidents or tax arrears",
    "NO_ADVERSE_EVENTS": "No recent adverse events",
    "YOUNG_FIRM": "Young company",
    "ESTABLISHED_FIRM": "Long-established company",
    "SMALL_FIRM": "Small company by headcount",
    "LARGE_FIRM": "Large company by headcount",
    "COUNTRY_RISK_ELEVATED": "The buyer's country carries elevated short-term risk",
    "COUNTRY_RISK_LOW": "The buyer's country carries low short-term risk",
    "SECTOR_RISK_ELEVATED": "The buyer's sector carries elevated risk",
    "SECTOR_RISK_LOW": "The buyer's sector carries low risk",
    "INSOLVENCY_FILING": "An insolvency filing is recorded: grade 10",
    "INSOLVENCY_OPENED": "Insolvency proceedings are open: grade 10",
    "DEFAULT": "A default is recorded: grade 10",
    "STATUS_INSOLVENT": "The company's status is insolvent: grade 10",
    "STATUS_DISSOLVED": "The company is dissolved: grade 10",
    "NO_USABLE_STATEMENTS": "No financial statement from the last 30 months: confidence is low "
    "and the best grade is capped",
    "STALE_STATEMENTS": "The latest financial statement is over 18 months old: the best grade is "
    "capped",
}


def reason_text(code: str) -> str:
    """The sentence for ``code`` (the code itself if unknown)."""
    return REASON_TEXT.get(code, code)


def _code_factors() -> dict[str, str]:
    from arshield.risk.expert import FACTORS

    mapping = {code: factor for factor, codes in FACTORS.items() for code in codes}
    for code in ("INSOLVENCY_FILING", "INSOLVENCY_OPENED", "DEFAULT", "STATUS_INSOLVENT"):
        mapping[code] = "default"
    mapping["STATUS_DISSOLVED"] = "default"
    mapping["NO_USABLE_STATEMENTS"] = "data_quality"
    mapping["STALE_STATEMENTS"] = "data_quality"
    return mapping


CODE_FACTOR: Final = _code_factors()


def parse_reasons(text: str | None) -> list[tuple[str, str, float]]:
    """``CODE:contribution;...`` (as stored and exported) to (code, factor, contribution)."""
    out = []
    for part in (text or "").split(";"):
        if not part:
            continue
        code, _, value = part.rpartition(":")
        out.append((code, CODE_FACTOR.get(code, "other"), float(value)))
    return out
