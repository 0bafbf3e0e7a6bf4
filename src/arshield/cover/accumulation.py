"""Accumulation: the insurer's aggregate cover in force, by buyer, country, sector or grade,
in one reporting currency (the insurer's rate table converts)."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from arshield.buyers.models import Company
from arshield.cover import facts
from arshield.cover.domain import in_force
from arshield.cover.models import CoverDecision
from arshield.cover.rules import RuleSet, load_rules
from arshield.kit.money import normalize_currency
from arshield.kit.time import check_as_of
from arshield.risk.expert import DEFAULT_SPEC
from arshield.risk.models import GradeRecord
from arshield.risk.service import compute_grades


class GroupBy(enum.StrEnum):
    BUYER = "buyer"
    COUNTRY = "country"
    SECTOR = "sector"
    GRADE = "grade"


@dataclass
class Group:
    """One line of the report."""

    key: str
    label: str
    buyers: set[uuid.UUID] = field(default_factory=set)
    policies: set[uuid.UUID] = field(default_factory=set)
    cover: int = 0
    capacity: int | None = None
    capacity_source: str | None = None


@dataclass(frozen=True, slots=True)
class Accumulation:
    by: GroupBy
    as_of: dt.date
    currency: str
    groups: list[Group]
    total: int
    unconverted: list[str]


def accumulation(
    session: Session,
    *,
    by: GroupBy,
    as_of: dt.date,
    currency: str | None = None,
    rules: RuleSet | None = None,
) -> Accumulation:
    """Cover in force on ``as_of`` under every policy, summed by ``by``, largest first."""
    rules = rules or load_rules()
    check_as_of(as_of)
    currency = normalize_currency(currency or rules.rule_currency)
    converter = facts.insurer_converter(session, as_of)
    decisions = session.scalars(
        select(CoverDecision)
        .where(CoverDecision.changes_cover.is_(True))
        .order_by(CoverDecision.company_id, CoverDecision.policy_id, CoverDecision.seq)
    ).all()
    lines: dict[tuple[uuid.UUID, uuid.UUID], list[CoverDecision]] = {}
    for d in decisions:
        lines.setdefault((d.company_id, d.policy_id), []).append(d)
    amounts: dict[uuid.UUID, list[tuple[uuid.UUID, int]]] = {}
    unconverted: list[str] = []
    for (company_id, policy_id), history in lines.items():
        state = in_force(facts.points_of(history), as_of)
        if state.amount <= 0:
            continue
        converted = converter.convert(state.amount, history[-1].currency, currency)
        if converted is None:
            unconverted.append(f"no {history[-1].currency}/{currency} rate on {as_of}")
            continue
        amounts.setdefault(company_id, []).append((policy_id, converted))
    companies = {
        c.id: c for c in session.scalars(select(Company).where(Company.id.in_(list(amounts))))
    }
    grades = _grades(session, list(amounts), as_of) if by is GroupBy.GRADE else {}
    groups: dict[str, Group] = {}
    for company_id, parts in amounts.items():
        company = companies[company_id]
        key, label = _key(by, company, grades.get(company_id))
        group = groups.setdefault(key, Group(key=key, label=label))
        group.buyers.add(company_id)
        for policy_id, amount in parts:
            group.policies.add(policy_id)
            group.cover += amount
        if by is GroupBy.BUYER:
            capacity = facts.capacity_of(
                session, company_id, as_of=as_of, rules=rules, converter=converter
            )
            group.capacity = converter.convert(capacity.amount, capacity.currency, currency)
            group.capacity_source = capacity.source
    ordered = sorted(groups.values(), key=lambda g: (-g.cover, g.key))
    return Accumulation(
        by=by,
        as_of=as_of,
        currency=currency,
        groups=ordered,
        total=sum(g.cover for g in ordered),
        unconverted=sorted(set(unconverted)),
    )


def _grades(session: Session, company_ids: list[uuid.UUID], as_of: dt.date) -> dict[uuid.UUID, int]:
    """Each buyer's grade as of the day: the stored run's, else computed live (as decisions read
    it)."""
    stored: dict[uuid.UUID, int] = {}
    for start in range(0, len(company_ids), 500):
        chunk = company_ids[start : start + 500]
        stored |= dict(
            session.execute(
                select(GradeRecord.company_id, GradeRecord.grade).where(
                    GradeRecord.as_of == as_of,
                    GradeRecord.model_version == DEFAULT_SPEC.version,
                    GradeRecord.company_id.in_(chunk),
                )
            )
            .tuples()
            .all()
        )
    missing = [c for c in company_ids if c not in stored]
    if missing:
        stored |= {
            g.company_id: g.grade for g in compute_grades(session, company_ids=missing, as_of=as_of)
        }
    return stored


def _key(by: GroupBy, company: Company, grade: int | None) -> tuple[str, str]:
    if by is GroupBy.BUYER:
        return company.ref, company.name
    if by is GroupBy.COUNTRY:
        return company.country, company.country
    if by is GroupBy.SECTOR:
        section = (company.sector or "")[:1] or "?"
        return section, section if section != "?" else "unknown sector"
    return (str(grade), f"grade {grade}") if grade is not None else ("?", "not graded")
