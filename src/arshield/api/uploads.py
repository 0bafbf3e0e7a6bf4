"""Uploaded import files: checked for type, copied to a temporary file within the size limit."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import Request, UploadFile

from arshield.kit.tabular import FORMATS, TableError

BLOCK = 1 << 20


@contextmanager
def saved_upload(request: Request, file: UploadFile) -> Iterator[tuple[Path, str, int]]:
    """(path of a temporary copy, the file's own name, the upload limit); removed afterwards.

    Refuses an unknown file type and stops copying as soon as the upload passes the configured
    ``max_upload_bytes`` (``invalid_file``), so an oversized body never fills the disk.
    """
    limit: int = request.app.state.settings.max_upload_bytes
    name = Path(file.filename or "upload").name
    suffix = Path(name).suffix.lower()
    if suffix not in FORMATS:
        raise TableError(f"{name}: unknown file type {suffix!r}; expected one of {sorted(FORMATS)}")
    with tempfile.TemporaryDirectory(prefix="arshield-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        copied = 0
        with path.open("wb") as target:
            while block := file.file.read(BLOCK):
                copied += len(block)
                if copied > limit:
                    raise TableError(f"{name} is over the upload limit of {limit} bytes")
                target.write(block)
        yield path, name, limit
