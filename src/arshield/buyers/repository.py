"""Every query on the buyer registry's read side. Plain SQL that SQLite and PostgreSQL agree on."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import reduce
from operator import add

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    case,
    false,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.orm import Session

from arshield.buyers.domain import IdType
from arshield.buyers.models import (
    Company,
    CompanyEvent,
    CompanyIdentifier,
    FinancialStatement,
    PaymentExperience,
)

ESCAPE = "\\"


def escape_like(text: str) -> str:
    """``text`` with LIKE wildcards escaped (used with ``ESCAPE '\\'``)."""
    return text.replace(ESCAPE, ESCAPE * 2).replace("%", ESCAPE + "%").replace("_", ESCAPE + "_")


def _contains(text: str) -> str:
    return f"%{escape_like(text)}%"


def _starts(text: str) -> str:
    return f"{escape_like(text)}%"


def get_company(session: Session, company_id: uuid.UUID) -> Company | None:
    return session.get(Company, company_id)


def get_company_by_ref(session: Session, ref: str) -> Company | None:
    return session.scalars(select(Company).where(Company.ref == ref)).one_or_none()


@dataclass(frozen=True, slots=True)
class TextQuery:
    """A free-text search, prepared by the service.

    ``variants`` are the lower-cased texts matched against names and refs; ``key`` is the query's
    search key (matched without spaces, so pinyin written together or apart agree) and is empty
    for Chinese text, which is matched as characters; ``identifier_values`` are the normalised
    forms matched exactly against identifier values.
    """

    variants: tuple[str, ...]
    key: str
    identifier_values: tuple[str, ...]


def _with_identifier(values: Sequence[str]) -> ColumnElement[bool]:
    if not values:
        return false()
    owners = select(CompanyIdentifier.company_id).where(CompanyIdentifier.value.in_(values))
    return Company.id.in_(owners)


def _int(value: int) -> ColumnElement[int]:
    """An integer written into the SQL (typed on every backend, unlike a bound parameter)."""
    return literal_column(str(int(value)), Integer)


def _compact_key() -> ColumnElement[str]:
    return func.replace(Company.search_key, " ", "")


def _text_condition(text: TextQuery) -> ColumnElement[bool]:
    name, latin, ref = (
        func.lower(Company.name),
        func.lower(Company.name_latin),
        func.lower(Company.ref),
    )
    conditions: list[ColumnElement[bool]] = []
    for variant in text.variants:
        pattern = _contains(variant)
        conditions += [
            name.like(pattern, escape=ESCAPE),
            latin.like(pattern, escape=ESCAPE),
            ref.like(pattern, escape=ESCAPE),
        ]
    if text.key:
        conditions.append(_compact_key().like(_contains(text.key.replace(" ", "")), escape=ESCAPE))
    conditions.append(_with_identifier(text.identifier_values))
    return or_(*conditions)


def _text_rank(text: TextQuery) -> ColumnElement[int]:
    """0 exact ref or identifier, 1 exact name or key, 2 name or key starts so, 3 contains."""
    name, latin, ref = (
        func.lower(Company.name),
        func.lower(Company.name_latin),
        func.lower(Company.ref),
    )
    exact_ref = [ref == v for v in text.variants]
    exact_name = [c for v in text.variants for c in (name == v, latin == v)]
    starts = [
        c
        for v in text.variants
        for c in (name.like(_starts(v), escape=ESCAPE), latin.like(_starts(v), escape=ESCAPE))
    ]
    if text.key:
        exact_name.append(Company.search_key == text.key)
        starts.append(_compact_key().like(_starts(text.key.replace(" ", "")), escape=ESCAPE))
    return case(
        (or_(*exact_ref, _with_identifier(text.identifier_values)), _int(0)),
        (or_(*exact_name), _int(1)),
        (or_(*starts), _int(2)),
        else_=_int(3),
    )


def search_companies(
    session: Session,
    *,
    text: TextQuery | None,
    country: str | None,
    identifier_values: Sequence[str] | None,
    limit: int,
    offset: int,
) -> tuple[list[Company], int]:
    """One page of companies matching all given filters, best first, and the total count."""
    filters: list[ColumnElement[bool]] = []
    if text is not None:
        filters.append(_text_condition(text))
    if country is not None:
        filters.append(Company.country == country)
    if identifier_values is not None:
        filters.append(_with_identifier(identifier_values))
    total = session.scalar(select(func.count()).select_from(Company).where(*filters)) or 0
    query: Select[tuple[Company]] = select(Company).where(*filters)
    if text is not None:
        query = query.order_by(_text_rank(text))
    query = query.order_by(Company.search_key, Company.ref, Company.id).limit(limit).offset(offset)
    return list(session.scalars(query)), int(total)


def identifiers_for(
    session: Session, company_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[CompanyIdentifier]]:
    """The identifiers of each company, by type then value."""
    found: dict[uuid.UUID, list[CompanyIdentifier]] = defaultdict(list)
    if not company_ids:
        return found
    rows = session.scalars(
        select(CompanyIdentifier)
        .where(CompanyIdentifier.company_id.in_(list(company_ids)))
        .order_by(CompanyIdentifier.id_type, CompanyIdentifier.value)
    )
    for identifier in rows:
        found[identifier.company_id].append(identifier)
    return found


def statements_for(session: Session, company_id: uuid.UUID) -> list[FinancialStatement]:
    """A company's financial statements, latest fiscal year first."""
    return list(
        session.scalars(
            select(FinancialStatement)
            .where(FinancialStatement.company_id == company_id)
            .order_by(FinancialStatement.fiscal_year_end.desc())
        )
    )


def payments_for(
    session: Session, company_id: uuid.UUID, *, first_month: dt.date, last_month: dt.date
) -> list[PaymentExperience]:
    """Payment experience for months in ``[first_month, last_month]``, latest first."""
    return list(
        session.scalars(
            select(PaymentExperience)
            .where(
                PaymentExperience.company_id == company_id,
                PaymentExperience.month >= first_month,
                PaymentExperience.month <= last_month,
            )
            .order_by(PaymentExperience.month.desc())
        )
    )


def latest_payment_month(session: Session, company_id: uuid.UUID) -> dt.date | None:
    """The latest month of payment experience reported for a company."""
    return session.scalar(
        select(func.max(PaymentExperience.month)).where(PaymentExperience.company_id == company_id)
    )


def events_for(session: Session, company_id: uuid.UUID) -> list[CompanyEvent]:
    """A company's events, newest first."""
    return list(
        session.scalars(
            select(CompanyEvent)
            .where(CompanyEvent.company_id == company_id)
            .order_by(CompanyEvent.date.desc(), CompanyEvent.created_at.desc(), CompanyEvent.id)
        )
    )


def companies_with_identifier(
    session: Session, *, values: Sequence[str], id_type: IdType | None
) -> list[Company]:
    """Companies holding one of ``values`` (of ``id_type`` when given)."""
    owners = select(CompanyIdentifier.company_id).where(CompanyIdentifier.value.in_(values))
    if id_type is not None:
        owners = owners.where(CompanyIdentifier.id_type == id_type)
    return list(
        session.scalars(select(Company).where(Company.id.in_(owners)).order_by(Company.ref))
    )


def identifier_values_of_type(
    session: Session, company_ids: Sequence[uuid.UUID], id_type: IdType
) -> dict[uuid.UUID, set[str]]:
    """Each company's identifier values of one type."""
    found: dict[uuid.UUID, set[str]] = defaultdict(set)
    if not company_ids:
        return found
    rows = session.execute(
        select(CompanyIdentifier.company_id, CompanyIdentifier.value).where(
            CompanyIdentifier.company_id.in_(list(company_ids)),
            CompanyIdentifier.id_type == id_type,
        )
    )
    for company_id, value in rows:
        found[company_id].add(value)
    return found


def match_prefilter(
    session: Session,
    *,
    key: str,
    prefixes: Sequence[str],
    pairs: Sequence[str],
    country: str | None,
    limit: int,
) -> list[Company]:
    """At most ``limit`` companies whose names hold the query's word prefixes or Chinese pairs.

    Each prefix or pair found counts one hit (an equal search key five); rows are kept by most
    hits, then same country first, so a large registry is cut down in SQL before fuzzy scoring.
    """
    latin = func.lower(Company.name_latin)
    hits: list[ColumnElement[bool]] = []
    for prefix in prefixes:
        # Keys are compared without spaces: "biyadi" must meet "bi ya di".
        hits.append(
            or_(
                _compact_key().like(_contains(prefix), escape=ESCAPE),
                latin.like(_contains(prefix), escape=ESCAPE),
            )
        )
    for pair in pairs:
        hits.append(Company.name.like(_contains(pair), escape=ESCAPE))
    if not hits and not key:
        return []
    exact = Company.search_key == key
    weights: list[ColumnElement[int]] = [case((hit, _int(1)), else_=_int(0)) for hit in hits]
    weights.append(case((exact, _int(5)), else_=_int(0)))
    score = reduce(add, weights)
    query = select(Company).where(or_(exact, *hits)).order_by(score.desc())
    if country is not None:
        query = query.order_by(case((Company.country == country, _int(0)), else_=_int(1)))
    query = query.order_by(Company.ref).limit(limit)
    return list(session.scalars(query))
