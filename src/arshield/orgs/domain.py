"""Organisations, roles and what each role may do. Pure rules: no database, no web."""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass

from arshield.kit.errors import Forbidden, ValidationFailed


class OrgKind(enum.StrEnum):
    """The insurer that operates the platform, or an insured seller."""

    INSURER = "insurer"
    SELLER = "seller"


class Role(enum.StrEnum):
    """What a key's holder does on the platform."""

    ADMIN = "admin"
    UNDERWRITER = "underwriter"
    ANALYST = "analyst"
    CLAIMS = "claims"
    SELLER = "seller"


class Action(enum.StrEnum):
    """Actions guarded by role."""

    READ_REGISTRY = "read_registry"
    WRITE_REGISTRY = "write_registry"
    EDIT_RISK_TABLES = "edit_risk_tables"
    RUN_GRADING = "run_grading"
    MANAGE_ORGS = "manage_orgs"
    READ_LEDGER = "read_ledger"
    WRITE_LEDGER = "write_ledger"
    READ_FX_RATES = "read_fx_rates"
    WRITE_FX_RATES = "write_fx_rates"
    READ_POLICIES = "read_policies"
    MANAGE_POLICIES = "manage_policies"
    REQUEST_COVER = "request_cover"
    DECIDE_COVER = "decide_cover"
    SET_CAPACITY = "set_buyer_capacity"
    READ_ACCUMULATION = "read_accumulation"
    CREDIT_CHECK = "credit_check"
    READ_AUDIT = "read_audit"


# Sellers read the buyer registry and grades; the insurer's staff maintain them.
PERMISSIONS: dict[Action, frozenset[Role]] = {
    Action.READ_REGISTRY: frozenset(Role),
    Action.WRITE_REGISTRY: frozenset({Role.ADMIN, Role.ANALYST}),
    Action.EDIT_RISK_TABLES: frozenset({Role.ADMIN, Role.ANALYST}),
    Action.RUN_GRADING: frozenset({Role.ADMIN, Role.ANALYST}),
    Action.MANAGE_ORGS: frozenset({Role.ADMIN}),
    # A seller's receivables: its own keys read and write them; the insurer's staff may read
    # an insured seller's ledger and reports (never write them).
    Action.READ_LEDGER: frozenset(Role),
    Action.WRITE_LEDGER: frozenset({Role.SELLER, Role.ADMIN}),
    # Every organisation keeps its own rate table (a seller's treasury rates, the insurer's).
    Action.READ_FX_RATES: frozenset(Role),
    Action.WRITE_FX_RATES: frozenset(Role),
    # Cover: the insurer's staff write policies and decide; a seller reads its own policies and
    # covers, asks for cover and checks its shipments (its own keys only).
    Action.READ_POLICIES: frozenset(Role),
    Action.MANAGE_POLICIES: frozenset({Role.ADMIN, Role.UNDERWRITER}),
    Action.REQUEST_COVER: frozenset({Role.SELLER, Role.ADMIN, Role.UNDERWRITER}),
    Action.DECIDE_COVER: frozenset({Role.ADMIN, Role.UNDERWRITER}),
    Action.SET_CAPACITY: frozenset({Role.ADMIN, Role.UNDERWRITER}),
    Action.READ_ACCUMULATION: frozenset({Role.ADMIN, Role.UNDERWRITER, Role.ANALYST}),
    Action.CREDIT_CHECK: frozenset({Role.SELLER, Role.ADMIN}),
    # The audit trail: the insurer's staff read every event, a seller's keys only the events
    # about its own objects (scoped by the audit service).
    Action.READ_AUDIT: frozenset(Role),
}

# Actions on shared data (the registry, risk tables, grades) belong to the insurer's staff only,
# whatever role a seller's key carries.
INSURER_ONLY: frozenset[Action] = frozenset(
    {
        Action.WRITE_REGISTRY,
        Action.EDIT_RISK_TABLES,
        Action.RUN_GRADING,
        Action.MANAGE_POLICIES,
        Action.DECIDE_COVER,
        Action.SET_CAPACITY,
        Action.READ_ACCUMULATION,
    }
)

# Roles an organisation of each kind may hold.
ROLES_BY_KIND: dict[OrgKind, frozenset[Role]] = {
    OrgKind.INSURER: frozenset({Role.ADMIN, Role.UNDERWRITER, Role.ANALYST, Role.CLAIMS}),
    OrgKind.SELLER: frozenset({Role.SELLER, Role.ADMIN}),
}

_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def check_org_ref(ref: str) -> str:
    """An organisation reference: 1-64 letters, digits, dot, dash or underscore."""
    if not _REF.match(ref):
        raise ValidationFailed(
            f"organisation ref {ref!r} must be 1-64 letters, digits, '.', '_' or '-'"
        )
    return ref


def check_role_for_kind(role: Role, kind: OrgKind) -> None:
    """Reject a role an organisation of this kind cannot hold (a seller cannot underwrite)."""
    if role not in ROLES_BY_KIND[kind]:
        allowed = ", ".join(sorted(ROLES_BY_KIND[kind]))
        raise ValidationFailed(f"a {kind} organisation's keys may have roles: {allowed}")


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the key's organisation and role."""

    key_id: uuid.UUID
    org_id: uuid.UUID
    org_ref: str
    org_kind: OrgKind
    role: Role

    @property
    def is_insurer(self) -> bool:
        return self.org_kind is OrgKind.INSURER

    def require(self, action: Action) -> None:
        """Raise 403 unless this principal's role may perform ``action``."""
        if self.role not in PERMISSIONS[action]:
            raise Forbidden(f"role {self.role} may not {action.value.replace('_', ' ')}")
        if action in INSURER_ONLY and not self.is_insurer:
            raise Forbidden(f"only the insurer's staff may {action.value.replace('_', ' ')}")
