"""Bounded limit/offset pagination shared by every list route."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


class PageParams(BaseModel):
    """Which slice of a list to return."""

    model_config = ConfigDict(extra="forbid")

    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    offset: int = Field(default=0, ge=0)


class Page(BaseModel, Generic[T]):
    """One page of results with the total count."""

    items: list[T]
    total: int
    limit: int
    offset: int
