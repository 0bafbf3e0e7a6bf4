"""Routes for importing buyer-registry files."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile

from arshield.api.deps import PrincipalDep, SessionDep
from arshield.api.errors import error_responses
from arshield.buyers.importing import ImportKind, ImportRejected, import_buyers
from arshield.buyers.importing_schemas import ImportReportOut
from arshield.kit.errors import Forbidden, Unauthorized
from arshield.kit.tabular import FORMATS, TableError
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
    limit: int = request.app.state.settings.max_upload_bytes
    name = Path(file.filename or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise TableError(f"{name}: unknown file type {suffix!r}; expected one of {sorted(FORMATS)}")
    with tempfile.TemporaryDirectory(prefix="arshield-import-") as folder:
        path = Path(folder) / f"upload{suffix}"
        with path.open("wb") as target:
            copied = _copy_limited(file, target, limit=limit)
        if copied > limit:
            raise TableError(f"{name} is over the upload limit of {limit} bytes")
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


def _copy_limited(source: UploadFile, target: object, *, limit: int) -> int:
    """Copy the upload in blocks, stopping once past ``limit``; returns bytes copied."""
    copied = 0
    while block := source.file.read(1 << 20):
        copied += len(block)
        if copied > limit:
            break
        target.write(block)  # type: ignore[attr-defined]
    return copied
