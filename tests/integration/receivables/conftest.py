"""Fixtures for ledger tests: a seller organisation and a few registry buyers."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from arshield.kit.db import unit_of_work
from arshield.orgs import service as orgs_service
from arshield.orgs.domain import OrgKind
from tests.buyer_builders import make_company

NOW = dt.datetime(2026, 6, 30, 12, 0, tzinfo=dt.UTC)


@dataclass(frozen=True)
class Ledger:
    """A seller's ledger under test: its organisation and buyers' ids by ref."""

    org_id: uuid.UUID
    other_org_id: uuid.UUID
    buyers: dict[str, uuid.UUID]


@pytest.fixture
def ledger(db: sessionmaker[Session]) -> Ledger:
    with unit_of_work(db) as session:
        seller = orgs_service.create_org(
            session, ref="SELLER-A", name="Seller A", kind=OrgKind.SELLER
        )
        other = orgs_service.create_org(
            session, ref="SELLER-B", name="Seller B", kind=OrgKind.SELLER
        )
        buyers = {
            ref: make_company(session, ref=ref, name=name, country=country).id
            for ref, name, country in (
                ("B1", "杭州甲贸易有限公司", "CN"),
                ("B2", "Acme GmbH", "DE"),
                ("B3", "Tokyo Trading KK", "JP"),
            )
        }
        return Ledger(org_id=seller.id, other_org_id=other.id, buyers=buyers)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path
