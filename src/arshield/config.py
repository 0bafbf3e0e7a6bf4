"""Settings, read from the environment with the ``ARSHIELD_`` prefix (or a ``.env`` file)."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Platform settings. ``ARSHIELD_DATABASE_URL`` picks the database."""

    model_config = SettingsConfigDict(env_prefix="ARSHIELD_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/arshield.db",
        description="SQLAlchemy URL; the embedded SQLite file is the default.",
    )
    max_page_size: int = Field(default=500, ge=1, le=10_000)
    max_upload_bytes: int = Field(default=200 * 1024 * 1024, ge=1)
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    grade_model_version: str = Field(default="expert-1.0")
    credit_check_fast_path: bool = Field(
        default=True,
        description="On PostgreSQL, answer credit checks that only read on the event loop "
        "(asyncpg) instead of the route's thread; the answers are the same.",
    )
    credit_check_pool_size: int = Field(
        default=20,
        ge=1,
        le=500,
        description="PostgreSQL connections per worker for the credit-check fast path.",
    )
    idempotency_retention_hours: float = Field(
        default=24,
        gt=0,
        description="How long `arshield idempotency purge` keeps finished Idempotency-Keys "
        "(a request sent again with a purged key is a new request).",
    )
    idempotency_stale_after_seconds: float = Field(
        default=60,
        gt=0,
        description="An Idempotency-Key claim unfinished after this long is presumed abandoned "
        "(its request died and rolled back) and a retry may take it over.",
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings (cached; tests build their own ``Settings``)."""
    return Settings()
