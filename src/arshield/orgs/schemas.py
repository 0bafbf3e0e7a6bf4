"""Request and response bodies for organisations and API keys."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, ConfigDict, Field

from arshield.orgs.domain import OrgKind, Role


class StrictModel(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OrgCreate(StrictModel):
    ref: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=300)
    kind: OrgKind


class OrgOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    ref: str
    name: str
    kind: OrgKind
    created_at: dt.datetime


class ApiKeyCreate(StrictModel):
    org_ref: str = Field(min_length=1, max_length=64)
    role: Role
    label: str | None = Field(default=None, max_length=200)


class ApiKeyOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    org_id: uuid.UUID
    role: Role
    prefix: str
    label: str | None
    created_at: dt.datetime
    revoked_at: dt.datetime | None


class ApiKeyIssued(ApiKeyOut):
    key: str = Field(description="The secret key. Shown only in this response.")


class WhoAmI(BaseModel):
    org_ref: str
    org_kind: OrgKind
    role: Role
