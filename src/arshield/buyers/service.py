"""Use cases for reading the buyer registry: look-up, search, matching and the detail view.

Services never commit: callers own the transaction.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from arshield.buyers import matching, repository
from arshield.buyers.domain import IdType, parse_country, search_key, validate_identifier
from arshield.buyers.models import (
    Company,
    CompanyEvent,
    CompanyIdentifier,
    FinancialStatement,
    PaymentExperience,
)
from arshield.kit.errors import NotFound, ValidationFailed
from arshield.kit.pagination import MAX_LIMIT

# Fuzzy scoring runs in Python on at most this many rows chosen in SQL.
PREFILTER_LIMIT = 2000
MAX_MATCH_LIMIT = 50
PAYMENT_MONTHS = 24
MAX_QUERY_LENGTH = 300


class BuyerNotFound(NotFound):
    """No buyer with that id or reference."""


@dataclass(frozen=True, slots=True)
class MatchCandidate:
    """A company proposed for a name / identifier, with its score 0-100 and the reasons."""

    company: Company
    score: int
    match_reasons: tuple[matching.MatchReason, ...]
    identifiers: tuple[CompanyIdentifier, ...]


@dataclass(frozen=True, slots=True)
class CompanyDetail:
    """A company with everything the registry knows about it, loaded on purpose."""

    company: Company
    identifiers: tuple[CompanyIdentifier, ...]
    financial_statements: tuple[FinancialStatement, ...]
    payment_experience: tuple[PaymentExperience, ...]
    events: tuple[CompanyEvent, ...]
    payments_from: dt.date | None
    payments_to: dt.date | None


def get_company(session: Session, *, company_id: uuid.UUID) -> Company:
    """The company with this id; 404 if none."""
    company = repository.get_company(session, company_id)
    if company is None:
        raise BuyerNotFound(f"no buyer with id {company_id}")
    return company


def get_company_by_ref(session: Session, *, ref: str) -> Company:
    """The company with this company_ref; 404 if none."""
    company = repository.get_company_by_ref(session, ref.strip())
    if company is None:
        raise BuyerNotFound(f"no buyer with company_ref {ref!r}")
    return company


def _identifier_forms(value: str) -> tuple[str, ...]:
    """Forms an identifier may be stored in: without spaces, and also without dashes or dots."""
    plain = re.sub(r"\s+", "", value).upper()
    bare = re.sub(r"[-.]", "", plain)
    return tuple(dict.fromkeys(v for v in (plain, bare) if v))


def _text_query(q: str) -> repository.TextQuery:
    text = q.strip()
    folded = unicodedata.normalize("NFKC", text)
    variants = tuple(dict.fromkeys(v.lower() for v in (text, folded)))
    key = "" if matching.has_cjk(text) else search_key(text)
    return repository.TextQuery(
        variants=variants, key=key, identifier_values=_identifier_forms(text)
    )


def check_page(*, limit: int, offset: int, max_limit: int = MAX_LIMIT) -> None:
    """Reject a page outside ``1 <= limit <= max_limit`` or a negative offset."""
    if not 1 <= limit <= max_limit:
        raise ValidationFailed(f"limit must be between 1 and {max_limit}, got {limit}")
    if offset < 0:
        raise ValidationFailed(f"offset must not be negative, got {offset}")


def search_companies(
    session: Session,
    *,
    q: str | None,
    country: str | None,
    identifier: str | None,
    limit: int,
    offset: int,
) -> tuple[list[Company], int]:
    """Companies whose name (Chinese, pinyin or Latin), company_ref or identifier matches ``q``.

    ``country`` (ISO alpha-2) and ``identifier`` (an exact value) narrow the result. Chinese
    text is matched as characters; Latin text also against the pinyin search key. Best matches
    come first (exact ref or identifier, exact name, name starting so, containing), then by
    search key and ref. Returns one page and the total count.
    """
    check_page(limit=limit, offset=offset)
    if q is not None and len(q) > MAX_QUERY_LENGTH:
        raise ValidationFailed(f"the query is longer than {MAX_QUERY_LENGTH} characters")
    text = _text_query(q) if q is not None and q.strip() else None
    country_code = parse_country(country) if country is not None and country.strip() else None
    identifier_values = None
    if identifier is not None and identifier.strip():
        identifier_values = _identifier_forms(identifier)
    return repository.search_companies(
        session,
        text=text,
        country=country_code,
        identifier_values=identifier_values,
        limit=limit,
        offset=offset,
    )


def identifiers_of(
    session: Session, *, company_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[CompanyIdentifier]]:
    """The identifiers of several companies (one query)."""
    return repository.identifiers_for(session, company_ids)


def match_companies(
    session: Session,
    *,
    name: str,
    country: str | None,
    identifier: str | None,
    id_type: str | None,
    limit: int = 5,
) -> list[MatchCandidate]:
    """Ranked candidates for a buyer named ``name``; see ``arshield.buyers.matching`` for scores.

    An exact identifier match scores 100 and ranks first. Name candidates are chosen in SQL (word
    prefixes and Chinese character pairs, same country first, at most ``PREFILTER_LIMIT`` rows)
    and scored in Python with rapidfuzz.
    """
    check_page(limit=limit, offset=0, max_limit=MAX_MATCH_LIMIT)
    name = (name or "").strip()
    if len(name) > MAX_QUERY_LENGTH:
        raise ValidationFailed(f"the name is longer than {MAX_QUERY_LENGTH} characters")
    country_code = parse_country(country) if country is not None and country.strip() else None
    kind, id_values = _match_identifier(identifier, id_type)
    query_forms = matching.NameForms.of(name)
    query_key = query_forms.keys[0] if query_forms.keys else ""
    if not query_key and not id_values:
        raise ValidationFailed("give a name with more than a legal form, or a registration id")

    by_id: dict[uuid.UUID, Company] = {}
    exact_ids: set[uuid.UUID] = set()
    if id_values:
        for company in repository.companies_with_identifier(
            session, values=id_values, id_type=kind
        ):
            by_id[company.id] = company
            exact_ids.add(company.id)
    if query_key:
        for company in repository.match_prefilter(
            session,
            key=query_key,
            prefixes=matching.word_prefixes(query_key),
            pairs=matching.cjk_pairs(name),
            country=country_code,
            limit=PREFILTER_LIMIT,
        ):
            by_id.setdefault(company.id, company)

    same_type: dict[uuid.UUID, set[str]] = {}
    if kind is not None and id_values:
        same_type = repository.identifier_values_of_type(session, list(by_id), kind)

    ranked: list[tuple[matching.Scored, Company]] = []
    for company in by_id.values():
        scored = matching.score_candidate(
            query=query_forms,
            candidate=matching.NameForms.of(company.name, company.name_latin),
            query_country=country_code,
            candidate_country=company.country,
            identifier_exact=company.id in exact_ids,
            identifier_conflict=bool(same_type.get(company.id, set()) - set(id_values)),
        )
        if scored is not None:
            ranked.append((scored, company))
    ranked.sort(key=lambda item: (-item[0].score, -item[0].similarity, item[1].ref))
    top = ranked[:limit]
    identifiers = repository.identifiers_for(session, [company.id for _, company in top])
    return [
        MatchCandidate(
            company=company,
            score=scored.score,
            match_reasons=scored.reasons,
            identifiers=tuple(identifiers.get(company.id, [])),
        )
        for scored, company in top
    ]


def _match_identifier(
    identifier: str | None, id_type: str | None
) -> tuple[IdType | None, tuple[str, ...]]:
    """The identifier type and the values to look for; checked when the type is given."""
    if identifier is None or not identifier.strip():
        if id_type is not None and id_type.strip():
            raise ValidationFailed("id_type was given without a registration_id")
        return None, ()
    if id_type is None or not id_type.strip():
        return None, _identifier_forms(identifier)
    kind, value = validate_identifier(id_type, identifier)
    return kind, (value,)


def _month_shift(month: dt.date, months: int) -> dt.date:
    index = month.year * 12 + month.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def company_detail(
    session: Session, *, company_id: uuid.UUID, as_of: dt.date | None = None
) -> CompanyDetail:
    """A company with identifiers, statements, 24 months of payment experience and events.

    The payment window is the 24 calendar months ending with ``as_of``'s month; without
    ``as_of`` it ends with the latest month reported for the company.
    """
    company = get_company(session, company_id=company_id)
    last = as_of if as_of is not None else repository.latest_payment_month(session, company.id)
    payments: list[PaymentExperience] = []
    first = None
    if last is not None:
        last = last.replace(day=1)
        first = _month_shift(last, -(PAYMENT_MONTHS - 1))
        last_day = _month_shift(last, 1) - dt.timedelta(days=1)
        payments = repository.payments_for(
            session, company.id, first_month=first, last_month=last_day
        )
    return CompanyDetail(
        company=company,
        identifiers=tuple(repository.identifiers_for(session, [company.id]).get(company.id, [])),
        financial_statements=tuple(repository.statements_for(session, company.id)),
        payment_experience=tuple(payments),
        events=tuple(repository.events_for(session, company.id)),
        payments_from=first,
        payments_to=last,
    )
