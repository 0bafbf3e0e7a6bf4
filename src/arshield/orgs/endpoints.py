"""Routes for organisations and API keys (admins of the insurer manage them)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, status

from arshield.api.deps import PrincipalDep, SessionDep
from arshield.api.errors import error_responses
from arshield.kit.errors import Conflict, Forbidden, NotFound, Unauthorized
from arshield.kit.time import utcnow
from arshield.orgs import service
from arshield.orgs.domain import Action, Principal
from arshield.orgs.schemas import ApiKeyCreate, ApiKeyIssued, ApiKeyOut, OrgCreate, OrgOut, WhoAmI

router = APIRouter(tags=["organisations"], responses=error_responses(Unauthorized, Forbidden))


def _require_platform_admin(principal: Principal) -> None:
    principal.require(Action.MANAGE_ORGS)
    if not principal.is_insurer:
        raise Forbidden("only the insurer's administrators manage organisations")


@router.get("/me", response_model=WhoAmI)
def whoami(principal: PrincipalDep) -> WhoAmI:
    """The organisation and role of the calling key."""
    return WhoAmI(org_ref=principal.org_ref, org_kind=principal.org_kind, role=principal.role)


@router.post(
    "/orgs",
    response_model=OrgOut,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(Conflict),
)
def create_org(body: OrgCreate, principal: PrincipalDep, session: SessionDep) -> OrgOut:
    """Create an organisation (insurer admins only)."""
    _require_platform_admin(principal)
    org = service.create_org(session, ref=body.ref, name=body.name, kind=body.kind)
    return OrgOut.model_validate(org)


@router.get("/orgs", response_model=list[OrgOut])
def list_orgs(principal: PrincipalDep, session: SessionDep) -> list[OrgOut]:
    """All organisations (insurer admins only)."""
    _require_platform_admin(principal)
    return [OrgOut.model_validate(o) for o in service.list_orgs(session)]


@router.post(
    "/apikeys",
    response_model=ApiKeyIssued,
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(NotFound),
)
def create_key(body: ApiKeyCreate, principal: PrincipalDep, session: SessionDep) -> ApiKeyIssued:
    """Issue a key; the secret is in this response only (insurer admins only)."""
    _require_platform_admin(principal)
    issued = service.create_api_key(session, org_ref=body.org_ref, role=body.role, label=body.label)
    out = ApiKeyOut.model_validate(issued.key)
    return ApiKeyIssued(**out.model_dump(), key=issued.secret)


@router.get("/apikeys", response_model=list[ApiKeyOut])
def list_keys(principal: PrincipalDep, session: SessionDep) -> list[ApiKeyOut]:
    """Keys of the caller's organisation (insurer admins see all)."""
    principal.require(Action.MANAGE_ORGS)
    org_id = None if principal.is_insurer else principal.org_id
    return [ApiKeyOut.model_validate(k) for k in service.list_api_keys(session, org_id=org_id)]


@router.post(
    "/apikeys/{key_id}/revoke", response_model=ApiKeyOut, responses=error_responses(NotFound)
)
def revoke_key(key_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> ApiKeyOut:
    """Revoke a key at once (admins; a seller's admin only its own organisation's keys)."""
    principal.require(Action.MANAGE_ORGS)
    org_id = None if principal.is_insurer else principal.org_id
    key = service.revoke_api_key(session, key_id=key_id, now=utcnow(), org_id=org_id)
    return ApiKeyOut.model_validate(key)
