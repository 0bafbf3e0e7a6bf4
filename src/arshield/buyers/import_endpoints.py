"""Routes for importing buyer-registry files."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["imports"])
