"""Routes for grades, countries and sectors."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(tags=["risk"])
