"""Builders for test data: small functions that make valid objects with overridable fields."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from arshield.kit.db import unit_of_work
from arshield.orgs import service as orgs_service
from arshield.orgs.domain import OrgKind, Role


@dataclass(frozen=True)
class Caller:
    """An organisation's key, ready for an Authorization header."""

    org_ref: str
    role: Role
    secret: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}"}


def make_caller(
    factory: sessionmaker[Session], *, org_ref: str, kind: OrgKind, role: Role
) -> Caller:
    """Create the organisation if needed and issue a key with ``role``."""
    with unit_of_work(factory) as session:
        if orgs_service.repository.get_org_by_ref(session, org_ref) is None:
            orgs_service.create_org(session, ref=org_ref, name=f"{org_ref} Ltd", kind=kind)
        issued = orgs_service.create_api_key(session, org_ref=org_ref, role=role)
    return Caller(org_ref=org_ref, role=role, secret=issued.secret)


def standard_callers(factory: sessionmaker[Session]) -> dict[str, Caller]:
    """The insurer's admin, analyst and underwriter, and two sellers."""
    return {
        "admin": make_caller(factory, org_ref="INS", kind=OrgKind.INSURER, role=Role.ADMIN),
        "analyst": make_caller(factory, org_ref="INS", kind=OrgKind.INSURER, role=Role.ANALYST),
        "underwriter": make_caller(
            factory, org_ref="INS", kind=OrgKind.INSURER, role=Role.UNDERWRITER
        ),
        "seller_a": make_caller(factory, org_ref="SELLER-A", kind=OrgKind.SELLER, role=Role.SELLER),
        "seller_b": make_caller(factory, org_ref="SELLER-B", kind=OrgKind.SELLER, role=Role.SELLER),
    }
