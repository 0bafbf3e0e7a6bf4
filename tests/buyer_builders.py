"""Builders for buyer-registry test data, written straight through the ORM models."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy.orm import Session, sessionmaker
from stdnum.cn import uscc

from arshield.buyers.domain import CompanyStatus, EventType, IdType, Severity, search_key
from arshield.buyers.models import (
    Company,
    CompanyEvent,
    CompanyIdentifier,
    FinancialStatement,
    PaymentExperience,
)
from arshield.kit.db import unit_of_work


def make_uscc(body17: str) -> str:
    """A valid USCC for the first 17 characters (the check character is computed)."""
    return body17 + uscc.calc_check_digit(body17)


# Valid unified social credit codes (check character verified by python-stdnum).
USCC_HUAWEI = "91110000600037341L"
USCC_TENCENT = make_uscc("91310000MA1FL8TQ3")  # 91310000MA1FL8TQ36
USCC_BYD = make_uscc("91440300192317458")  # 91440300192317458F
# The same as USCC_TENCENT with a wrong check character.
USCC_BAD_CHECK = "91310000MA1FL8TQ32"


def make_company(
    session: Session,
    *,
    ref: str,
    name: str,
    country: str = "CN",
    name_latin: str | None = None,
    sector: str | None = None,
    status: CompanyStatus = CompanyStatus.ACTIVE,
    identifiers: dict[IdType, str] | None = None,
    founded: dt.date | None = None,
    employees: int | None = None,
) -> Company:
    """A company with its search key and identifiers (``{IdType.USCC: "9111..."}``)."""
    company = Company(
        ref=ref,
        name=name,
        name_latin=name_latin,
        # As the importer stores it: the key of the name and the Latin name together.
        search_key=search_key(f"{name} {name_latin or ''}".strip()),
        country=country,
        sector=sector,
        status=status,
        founded=founded,
        employees=employees,
    )
    session.add(company)
    session.flush()
    for id_type, value in (identifiers or {}).items():
        session.add(CompanyIdentifier(company_id=company.id, id_type=id_type, value=value))
    session.flush()
    return company


def add_statement(
    session: Session,
    company: Company,
    *,
    fiscal_year_end: dt.date,
    currency: str = "CNY",
    total_assets: int = 1_000_000_00,
    equity: int = 400_000_00,
    sales: int = 1_500_000_00,
    net_income: int = 50_000_00,
    depreciation: int | None = None,
) -> FinancialStatement:
    """A fiscal year's statement; amounts in minor units, the rest derived consistently."""
    statement = FinancialStatement(
        company_id=company.id,
        fiscal_year_end=fiscal_year_end,
        currency=currency,
        total_assets=total_assets,
        current_assets=total_assets // 2,
        cash=total_assets // 10,
        receivables=total_assets // 5,
        inventory=total_assets // 10,
        total_liabilities=total_assets - equity,
        current_liabilities=(total_assets - equity) // 2,
        equity=equity,
        retained_earnings=equity // 2,
        sales=sales,
        ebit=net_income * 2,
        net_income=net_income,
        depreciation=depreciation,
    )
    session.add(statement)
    session.flush()
    return statement


def add_payment(
    session: Session,
    company: Company,
    *,
    month: dt.date,
    currency: str = "CNY",
    amount_paid: int = 100_000_00,
    amount_overdue: int = 0,
    days_beyond_terms: int = 0,
) -> PaymentExperience:
    """A month of payment experience (``month`` is any day of it)."""
    payment = PaymentExperience(
        company_id=company.id,
        month=month.replace(day=1),
        currency=currency,
        amount_paid=amount_paid,
        amount_overdue=amount_overdue,
        days_beyond_terms=days_beyond_terms,
    )
    session.add(payment)
    session.flush()
    return payment


def add_event(
    session: Session,
    company: Company,
    *,
    date: dt.date,
    type: EventType = EventType.LAWSUIT,
    severity: Severity = Severity.MEDIUM,
    description: str = "",
) -> CompanyEvent:
    """A dated event with a dedupe key derived from its content."""
    dedupe = hashlib.sha256(f"{date}|{type}|{description}".encode()).hexdigest()[:32]
    event = CompanyEvent(
        company_id=company.id,
        date=date,
        type=type,
        severity=severity,
        description=description,
        dedupe_key=dedupe,
    )
    session.add(event)
    session.flush()
    return event


def chinese_and_european_registry(factory: sessionmaker[Session]) -> list[str]:
    """Chinese companies with Latin names, and European ones with similar names.

    Returns the refs. CN-ZHONGHUA (中华威电器, "zhong hua wei") shares the pinyin "hua wei"
    with Huawei but no Chinese characters; NL-HUAWEI has Huawei's Latin name in another country.
    """
    rows: list[tuple[str, str, str, str | None, dict[IdType, str]]] = [
        (
            "CN-HUAWEI",
            "华为技术有限公司",
            "CN",
            "Huawei Technologies Co., Ltd.",
            {IdType.USCC: USCC_HUAWEI},
        ),
        ("CN-HUAWEI-DEVICE", "华为终端有限公司", "CN", "Huawei Device Co., Ltd.", {}),
        ("CN-BYD", "比亚迪股份有限公司", "CN", "BYD Company Limited", {IdType.USCC: USCC_BYD}),
        (
            "CN-TENCENT",
            "腾讯科技(深圳)有限公司",
            "CN",
            "Tencent Technology (Shenzhen) Co., Ltd.",
            {IdType.USCC: USCC_TENCENT},
        ),
        ("CN-ZHONGHUA", "中华威电器有限公司", "CN", None, {}),
        (
            "DE-HUAWEI",
            "Huawei Technologies Deutschland GmbH",
            "DE",
            None,
            {IdType.VAT: "DE811783411"},
        ),
        ("NL-HUAWEI", "Huawei Technologies B.V.", "NL", None, {}),
        ("NL-BYD", "BYD Europe B.V.", "NL", None, {}),
        ("NL-TENCENT", "Tencent Europe B.V.", "NL", None, {}),
        ("DE-MUELLER", "Büro Müller GmbH", "DE", None, {}),
        (
            "FR-SOCGEN",
            "Société Générale S.A.",
            "FR",
            None,
            {IdType.LEI: "O2RNE8IBXP4R0TD8PU41"},
        ),
    ]
    with unit_of_work(factory) as session:
        for ref, name, country, latin, ids in rows:
            make_company(
                session, ref=ref, name=name, country=country, name_latin=latin, identifiers=ids
            )
    return [ref for ref, *_ in rows]
