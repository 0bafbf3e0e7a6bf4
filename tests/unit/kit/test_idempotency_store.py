"""The key store on each database: claim, complete, release, take over an abandoned claim."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from arshield.kit import idempotency as store
from arshield.kit.db import unit_of_work
from arshield.kit.idempotency import IdempotencyKey, KeyState
from arshield.orgs import service as orgs_service
from arshield.orgs.domain import OrgKind

T0 = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
STALE = dt.timedelta(seconds=60)


@pytest.fixture
def org_id(db: sessionmaker[Session]) -> uuid.UUID:
    with unit_of_work(db) as session:
        return orgs_service.create_org(session, ref="S", name="S", kind=OrgKind.SELLER).id


def _claim(
    db: sessionmaker[Session], org_id: uuid.UUID, fp: str = "a" * 64, now: dt.datetime = T0
) -> store.Claim | store.StoredResponse:
    return store.claim(db, org_id=org_id, key="k-1", fingerprint=fp, now=now, stale_after=STALE)


def _rows(db: sessionmaker[Session]) -> list[IdempotencyKey]:
    with unit_of_work(db) as session:
        return list(session.scalars(select(IdempotencyKey)))


def test_a_completed_claim_is_replayed_and_another_body_refused(
    db: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    first = _claim(db, org_id)
    assert isinstance(first, store.Claim)
    with unit_of_work(db) as session:
        store.complete(session, first, status_code=201, body='{"id":1}', now=T0)
    again = _claim(db, org_id, now=T0 + dt.timedelta(hours=1))
    assert again == store.StoredResponse(status_code=201, body='{"id":1}')
    with pytest.raises(store.IdempotencyKeyReused) as caught:
        _claim(db, org_id, fp="b" * 64)
    assert caught.value.status_code == 422
    (row,) = _rows(db)
    assert row.state is KeyState.DONE and row.completed_at == T0


def test_a_running_claim_is_a_409_until_it_is_stale_then_taken_over(
    db: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    first = _claim(db, org_id)
    assert isinstance(first, store.Claim)
    with pytest.raises(store.IdempotencyKeyInProgress) as caught:
        _claim(db, org_id, now=T0 + STALE - dt.timedelta(seconds=1))
    assert caught.value.status_code == 409
    taken = _claim(db, org_id, fp="c" * 64, now=T0 + STALE)
    assert isinstance(taken, store.Claim)
    assert taken.id == first.id and taken.token != first.token
    # The first request, still running past the limit, can neither complete nor release.
    with pytest.raises(store.IdempotencyKeyInProgress), unit_of_work(db) as session:
        store.complete(session, first, status_code=201, body="{}", now=T0 + STALE)
    store.release(db, first)
    (row,) = _rows(db)
    assert row.state is KeyState.IN_FLIGHT and row.token == taken.token
    assert row.fingerprint == "c" * 64
    with unit_of_work(db) as session:
        store.complete(session, taken, status_code=200, body="[]", now=T0 + STALE)
    assert _claim(db, org_id, fp="c" * 64) == store.StoredResponse(200, "[]")


def test_a_released_claim_frees_the_key(db: sessionmaker[Session], org_id: uuid.UUID) -> None:
    first = _claim(db, org_id)
    assert isinstance(first, store.Claim)
    store.release(db, first)
    assert _rows(db) == []
    second = _claim(db, org_id, fp="d" * 64)
    assert isinstance(second, store.Claim)


def test_a_completion_rolled_back_with_its_effect_leaves_the_claim_running(
    db: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    first = _claim(db, org_id)
    assert isinstance(first, store.Claim)
    session = db()
    store.complete(session, first, status_code=201, body="{}", now=T0)
    session.rollback()  # the effect failed: its transaction, completion included, rolls back
    session.close()
    (row,) = _rows(db)
    assert row.state is KeyState.IN_FLIGHT and row.response_body is None


def test_keys_are_scoped_per_organisation(db: sessionmaker[Session], org_id: uuid.UUID) -> None:
    with unit_of_work(db) as session:
        other = orgs_service.create_org(session, ref="O", name="O", kind=OrgKind.SELLER).id
    assert isinstance(_claim(db, org_id), store.Claim)
    assert isinstance(_claim(db, other), store.Claim)
    with unit_of_work(db) as session:
        count = session.scalar(select(func.count()).select_from(IdempotencyKey))
    assert count == 2


def test_an_invalid_key_is_refused_before_the_database(
    db: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    with pytest.raises(store.InvalidIdempotencyKey):
        store.claim(db, org_id=org_id, key=" ", fingerprint="a" * 64, now=T0)
    assert _rows(db) == []


def _stored(db: sessionmaker[Session], org_id: uuid.UUID, key: str, begun: dt.datetime) -> None:
    claim = store.claim(db, org_id=org_id, key=key, fingerprint="a" * 64, now=begun)
    assert isinstance(claim, store.Claim)
    with unit_of_work(db) as session:
        store.complete(session, claim, status_code=201, body="{}", now=begun)


def test_purge_deletes_finished_keys_past_the_retention_and_dead_claims(
    db: sessionmaker[Session], org_id: uuid.UUID
) -> None:
    now = T0 + dt.timedelta(hours=25)
    _stored(db, org_id, "done-old", T0)  # finished 25 h ago
    _stored(db, org_id, "done-young", now - dt.timedelta(hours=23))
    store.claim(db, org_id=org_id, key="dead", fingerprint="a" * 64, now=T0)  # never finished
    store.claim(db, org_id=org_id, key="running", fingerprint="a" * 64, now=now - STALE / 2)
    with unit_of_work(db) as session:
        too_young = dt.timedelta(seconds=30)
        with pytest.raises(store.ValidationFailed):
            store.purge(session, now=now, older_than=too_young, stale_after=STALE)
    assert len(_rows(db)) == 4  # refused: nothing deleted
    with unit_of_work(db) as session:
        deleted = store.purge(
            session, now=now, older_than=dt.timedelta(hours=24), stale_after=STALE
        )
    assert deleted == 2
    assert sorted(r.key for r in _rows(db)) == ["done-young", "running"]
    # A purged key is free again: another body is a new request, not a 422.
    again = store.claim(db, org_id=org_id, key="done-old", fingerprint="b" * 64, now=now)
    assert isinstance(again, store.Claim)
    # A young finished key still replays.
    young = store.claim(db, org_id=org_id, key="done-young", fingerprint="a" * 64, now=now)
    assert young == store.StoredResponse(status_code=201, body="{}")


def test_purge_command(cli_env: object, db: sessionmaker[Session], org_id: uuid.UUID) -> None:
    from typer.testing import CliRunner

    from arshield.cli.main import app
    from arshield.kit.time import utcnow

    now = utcnow()
    _stored(db, org_id, "old", now - dt.timedelta(hours=30))
    _stored(db, org_id, "recent", now - dt.timedelta(hours=2))
    result = CliRunner().invoke(app, ["idempotency", "purge", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    (report,) = json.loads(result.stdout)
    assert report["purged"] == 1  # the default retention is 24 hours
    assert [r.key for r in _rows(db)] == ["recent"]
    result = CliRunner().invoke(app, ["idempotency", "purge", "--older-than-hours", "1"])
    assert result.exit_code == 0 and [r.key for r in _rows(db)] == []
    refused = CliRunner().invoke(app, ["idempotency", "purge", "--older-than-hours", "0"])
    assert refused.exit_code == 1 and "stale limit" in refused.stderr
