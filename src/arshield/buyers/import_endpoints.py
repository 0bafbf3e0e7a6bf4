"""Routes for importing buyer-registry files."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile

from arshield.api.deps import PrincipalDep, SessionDep
from arshield.api.errors import error_responses
from arshield.api.uploads import saved_upload
from arshield.buyers.importing import ImportKind, ImportRejected, import_buyers
from arshield.kit.errors import Forbidden, Unauthorized
from arshield.kit.tabular_schemas import ImportReportOut
from arshield.orgs.domain import Action

router = APIRouter(tags=["imports"], responses=error_responses(Unauthorized, Forbidden))


@router.post(
    "/buyers/import/{kind}",
    response_model=ImportReportOut,
    responses=error_responses(ImportRejected),
)
def import_file(
    kind: ImportKind,
    request: Request,
    principal: PrincipalDep,
    session: SessionDep,
    file: Annotated[UploadFile, File(description="CSV, XLSX, JSON Lines or Parquet file.")],
    partial: Annotated[bool, Query(description="Write the good rows even if some fail.")] = False,
) -> ImportReportOut:
    """Import a registry file (analysts and admins). 422 ``import_rejected`` with the report
    when rows were rejected and nothing was written; ``invalid_file`` when it cannot be read."""
    principal.require(Action.WRITE_REGISTRY)
    with saved_upload(request, file) as (path, name, limit):
        report = import_buyers(
            session,
            kind=kind,
            path=path,
            partial=partial,
            actor=f"api:{principal.org_ref}:{principal.key_id}",
            max_bytes=limit,
            file_name=name,
        )
    return ImportReportOut.model_validate(report.to_dict())
