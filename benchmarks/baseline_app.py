"""The credit-check benchmark's baselines: bare FastAPI apps with one primary-key lookup.

    ARSHIELD_DATABASE_URL=postgresql+psycopg://... uvicorn baseline_app:app --workers 2
    ARSHIELD_DATABASE_URL=postgresql+psycopg://... uvicorn baseline_app:async_app --workers 2

``POST /api/v1/credit-checks`` takes the same body as the product's route (validated by a
pydantic model), reads one buyer by primary key and answers a small JSON object. ``app`` is a
plain ``def`` route (FastAPI runs it in its thread pool) reading with SQLAlchemy Core over
psycopg 3; ``async_app`` an ``async def`` route reading with asyncpg on the event loop, as the
product's credit checks do on PostgreSQL. Both use the product's pool size. No
authentication, no pre-ping, nothing else: what the framework and one database round trip
cost.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid

import asyncpg
from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from arshield.kit.db import MAX_OVERFLOW, POOL_SIZE

# The product's pool size, without its pre-ping: a bare engine.
engine = create_engine(
    os.environ["ARSHIELD_DATABASE_URL"], pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW
)
LOOKUP = text("SELECT id, ref, country FROM companies WHERE id = :id")

app = FastAPI(title="baseline")


class CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    buyer_id: uuid.UUID
    amount: str
    currency: str
    order_ref: str | None = None
    ship_date: dt.date | None = None
    policy_id: uuid.UUID | None = None


class BuyerOut(BaseModel):
    buyer_id: uuid.UUID
    buyer_ref: str
    country: str


@app.get("/healthz")
def healthz() -> dict[str, str]:
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    return {"status": "ok"}


@app.post("/api/v1/credit-checks", response_model=BuyerOut)
def lookup(body: CheckIn) -> BuyerOut:
    with engine.connect() as conn:
        row = conn.execute(LOOKUP, {"id": body.buyer_id}).one()
    return BuyerOut(buyer_id=row.id, buyer_ref=row.ref, country=row.country)


# --- the same lookup on the event loop ------------------------------------------------------------

DSN = make_url(os.environ["ARSHIELD_DATABASE_URL"]).set(drivername="postgresql")
async_app = FastAPI(title="baseline (async)")
_pools: list[asyncpg.Pool] = []


async def _pool() -> asyncpg.Pool:
    if not _pools:
        _pools.append(
            await asyncpg.create_pool(
                DSN.render_as_string(hide_password=False), min_size=1, max_size=POOL_SIZE
            )
        )
    return _pools[0]


@async_app.get("/healthz")
async def async_healthz() -> dict[str, str]:
    async with (await _pool()).acquire() as conn:
        await conn.fetchval("SELECT 1")
    return {"status": "ok"}


@async_app.post("/api/v1/credit-checks", response_model=BuyerOut)
async def async_lookup(body: CheckIn) -> BuyerOut:
    async with (await _pool()).acquire() as conn:
        row = await conn.fetchrow(
            "SELECT id, ref, country FROM companies WHERE id = $1", body.buyer_id
        )
    assert row is not None
    return BuyerOut(buyer_id=row["id"], buyer_ref=row["ref"], country=row["country"])
