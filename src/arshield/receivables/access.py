"""Whose ledger a caller may read or write.

A seller's keys read and write their own ledger only; naming another organisation finds
nothing (404, as if it did not exist). The insurer's staff may read an insured seller's ledger
and reports by naming it, and never write it.
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from arshield.kit.errors import Forbidden, NotFound, ValidationFailed
from arshield.orgs import repository as orgs_repository
from arshield.orgs.domain import Action, OrgKind, Principal


class LedgerNotFound(NotFound):
    """No such seller ledger for this caller."""


def ledger_org(
    session: Session, principal: Principal, org_ref: str | None, *, write: bool = False
) -> uuid.UUID:
    """The organisation whose ledger this call works on."""
    principal.require(Action.WRITE_LEDGER if write else Action.READ_LEDGER)
    if not principal.is_insurer:
        if org_ref is not None and org_ref != principal.org_ref:
            raise LedgerNotFound(f"no ledger {org_ref!r}")
        return principal.org_id
    if write:
        raise Forbidden("only the seller's own keys may change its ledger")
    if org_ref is None:
        raise ValidationFailed("name the seller whose ledger to read with org=<ref>")
    org = orgs_repository.get_org_by_ref(session, org_ref)
    if org is None or org.kind is not OrgKind.SELLER:
        raise LedgerNotFound(f"no ledger {org_ref!r}")
    return org.id
