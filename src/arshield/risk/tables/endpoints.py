"""Routes for country and sector risk tables."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["country and sector risk"])
