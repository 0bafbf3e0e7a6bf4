"""The credit-check benchmark's baseline: a bare FastAPI app with one primary-key lookup.

    ARSHIELD_DATABASE_URL=postgresql+psycopg://... uvicorn baseline_app:app --workers 2

``POST /api/v1/credit-checks`` takes the same body as the product's route (validated by a
pydantic model), reads one buyer by primary key with SQLAlchemy Core over the same driver
(psycopg 3, the product's pool size) and answers a small JSON object. No authentication, no
pre-ping, nothing else: what the framework and one database round trip cost.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict
from sqlalchemy import create_engine, text

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
