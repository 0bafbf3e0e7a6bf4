"""The audit trail: recording, listing, tenant scoping over HTTP, and the command line."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from arshield.audit import service as audit_service
from arshield.audit.domain import AuditActor, EventFilter
from arshield.config import Settings
from arshield.kit.db import unit_of_work
from arshield.kit.errors import ValidationFailed
from arshield.orgs import service as orgs_service
from arshield.orgs.domain import OrgKind, Principal
from tests.builders import Caller, standard_callers

V = "/api/v1/audit-events"
T0 = dt.datetime(2026, 4, 1, 8, 0, tzinfo=dt.UTC)


def principal_of(session: Session, caller: Caller) -> Principal:
    return orgs_service.authenticate(session, secret=caller.secret, now=T0)


@pytest.fixture
def callers(db: sessionmaker[Session]) -> dict[str, Caller]:
    return standard_callers(db)


@pytest.fixture
def events(db: sessionmaker[Session], callers: dict[str, Caller]) -> dict[str, uuid.UUID]:
    """Five events an hour apart: two about seller A's objects (one by the insurer's
    underwriter, one by A itself), two about B's, one about no tenant."""
    with unit_of_work(db) as session:
        a = principal_of(session, callers["seller_a"])
        b = principal_of(session, callers["seller_b"])
        uw = principal_of(session, callers["underwriter"])
        specs: list[tuple[str, Principal, str, str, str, uuid.UUID | None]] = [
            ("a_decided", uw, "cover.decide", "cover_request", "CR-A", a.org_id),
            ("a_paid", a, "ledger.payment", "payment", "P-A", a.org_id),
            ("b_decided", uw, "cover.decide", "cover_request", "CR-B", b.org_id),
            ("b_paid", b, "ledger.payment", "payment", "P-B", b.org_id),
            ("table", uw, "risk.edit_table", "country", "DE", None),
        ]
        ids = {}
        for hour, (name, who, action, otype, oid, tenant) in enumerate(specs):
            event = audit_service.record(
                session,
                actor=who,
                action=action,
                object_type=otype,
                object_id=oid,
                tenant_org_id=tenant,
                reason=f"reason {name}",
                details={"name": name, "amount": "1000.00", "n": hour},
                at=T0 + dt.timedelta(hours=hour),
            )
            ids[name] = event.id
        return ids


def listed(client: TestClient, caller: Caller | None, **params: Any) -> Any:
    headers = caller.headers if caller else {}
    return client.get(V, headers=headers, params=params)


def names(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [item["details"]["name"] for item in response.json()["items"]]


# --- recording -----------------------------------------------------------------------------------


def test_record_keeps_who_what_when_and_why(
    db: sessionmaker[Session], callers: dict[str, Caller]
) -> None:
    with unit_of_work(db) as session:
        uw = principal_of(session, callers["underwriter"])
        seller = principal_of(session, callers["seller_a"])
        event = audit_service.record(
            session,
            actor=uw,
            action="cover.decide",
            object_type="cover_request",
            object_id=uuid.UUID(int=7),
            tenant_org_id=seller.org_id,
            reason="  grade 4, limit reduced  ",
            details={"limit": "50000.00", "currency": "EUR"},
            at=dt.datetime(2026, 4, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        )
    with unit_of_work(db) as session:
        views, total = audit_service.list_events(session, EventFilter())
    assert total == 1
    (view,) = views
    stored = view.event
    assert stored.id == event.id
    assert stored.at == dt.datetime(2026, 4, 1, 2, 0, tzinfo=dt.UTC)
    assert stored.actor.startswith("underwriter key ars_")
    assert stored.key_id == uw.key_id and stored.actor_org_id == uw.org_id
    assert stored.object_id == str(uuid.UUID(int=7))
    assert stored.reason == "grade 4, limit reduced"
    assert json.loads(stored.details) == {"currency": "EUR", "limit": "50000.00"}
    assert (view.actor_org_ref, view.tenant_org_ref) == ("INS", "SELLER-A")


def test_an_event_that_says_nothing_clear_is_refused(db: sessionmaker[Session]) -> None:
    with unit_of_work(db) as session:
        org = orgs_service.create_org(session, ref="X", name="X", kind=OrgKind.SELLER)
        actor = AuditActor(org_id=org.id, name="cli:ops")
        good: dict[str, Any] = {
            "actor": actor,
            "action": "cover.decide",
            "object_type": "cover_request",
            "object_id": "1",
            "tenant_org_id": None,
            "at": T0,
        }
        for bad in (
            {"action": "Cover Decide"},
            {"action": "decide"},
            {"object_type": "Cover-Request"},
            {"object_id": " "},
            {"details": {"amount": float("nan")}},
            {"details": {"when": T0}},
            {"actor": AuditActor(org_id=org.id, name="")},
        ):
            with pytest.raises(ValidationFailed):
                audit_service.record(session, **{**good, **bad})


# --- listing and scoping -------------------------------------------------------------------------


def test_insurer_staff_read_every_event_newest_first(
    client: TestClient, callers: dict[str, Caller], events: dict[str, uuid.UUID]
) -> None:
    for role in ("admin", "analyst", "underwriter"):
        response = listed(client, callers[role])
        assert names(response) == ["table", "b_paid", "b_decided", "a_paid", "a_decided"]
        assert response.json()["total"] == 5
    one = listed(client, callers["analyst"], tenant="SELLER-B").json()
    assert [i["details"]["name"] for i in one["items"]] == ["b_paid", "b_decided"]
    assert one["items"][0]["tenant_org"] == "SELLER-B"
    assert one["items"][1]["actor"].startswith("underwriter key ars_")
    assert listed(client, callers["analyst"], tenant="NOPE").status_code == 404


def test_a_seller_reads_only_events_about_its_own_objects(
    client: TestClient, callers: dict[str, Caller], events: dict[str, uuid.UUID]
) -> None:
    a, b = callers["seller_a"], callers["seller_b"]
    assert names(listed(client, a)) == ["a_paid", "a_decided"]
    assert names(listed(client, b)) == ["b_paid", "b_decided"]
    assert names(listed(client, a, tenant="SELLER-A")) == ["a_paid", "a_decided"]
    # Naming another seller finds nothing, as if it did not exist; filters never widen the scope.
    assert listed(client, a, tenant="SELLER-B").status_code == 404
    assert listed(client, a, object_id="CR-B").json() == {
        "items": [],
        "total": 0,
        "limit": 50,
        "offset": 0,
    }
    assert listed(client, a, action="risk.edit_table").json()["total"] == 0
    # The insurer's keys appear by role only; A's own keys in full.
    items = {i["details"]["name"]: i for i in listed(client, a).json()["items"]}
    assert items["a_decided"]["actor"] == "underwriter"
    assert items["a_decided"]["key_id"] is None
    assert items["a_paid"]["actor"].startswith("seller key ars_")
    assert items["a_paid"]["key_id"] is not None


def test_anonymous_and_revoked_keys_are_401(
    client: TestClient,
    db: sessionmaker[Session],
    callers: dict[str, Caller],
    events: dict[str, uuid.UUID],
) -> None:
    assert listed(client, None).status_code == 401
    bogus = Caller(org_ref="SELLER-A", role=callers["seller_a"].role, secret="ars_nope")
    assert listed(client, bogus).status_code == 401
    with unit_of_work(db) as session:
        key_id = principal_of(session, callers["seller_a"]).key_id
        orgs_service.revoke_api_key(session, key_id=key_id, now=T0)
    response = listed(client, callers["seller_a"])
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_filters_and_a_half_open_time_range(
    client: TestClient, callers: dict[str, Caller], events: dict[str, uuid.UUID]
) -> None:
    staff = callers["analyst"]
    assert names(listed(client, staff, action="cover.decide")) == ["b_decided", "a_decided"]
    assert names(listed(client, staff, object_type="payment", object_id="P-A")) == ["a_paid"]
    # [01:00, 03:00) holds the events at 01:00 and 02:00, not the one at 03:00.
    window = {"from": "2026-04-01T09:00:00Z", "to": "2026-04-01T11:00:00Z"}
    assert names(listed(client, staff, **window)) == ["b_decided", "a_paid"]
    # The same instants written in another zone.
    shifted = {"from": "2026-04-01T17:00:00+08:00", "to": "2026-04-01T19:00:00+08:00"}
    assert names(listed(client, staff, **shifted)) == ["b_decided", "a_paid"]
    empty = listed(client, staff, **{"from": window["to"], "to": window["from"]})
    assert empty.status_code == 422


def test_pages_are_stable_and_cover_everything_once(
    client: TestClient, db: sessionmaker[Session], callers: dict[str, Caller]
) -> None:
    with unit_of_work(db) as session:
        a = principal_of(session, callers["seller_a"])
        for i in range(7):  # several events at the same instant: the id breaks ties
            audit_service.record(
                session,
                actor=a,
                action="ledger.payment",
                object_type="payment",
                object_id=f"P{i}",
                tenant_org_id=a.org_id,
                at=T0 + dt.timedelta(minutes=i // 3),
            )
    seen: list[str] = []
    for offset in range(0, 8, 3):
        page = listed(client, callers["seller_a"], limit=3, offset=offset).json()
        assert page["total"] == 7
        seen += [i["object_id"] for i in page["items"]]
    assert sorted(seen) == [f"P{i}" for i in range(7)]
    again = [i["object_id"] for i in listed(client, callers["seller_a"], limit=7).json()["items"]]
    assert again == seen
    assert listed(client, callers["seller_a"], limit=501).status_code == 422


# --- command line --------------------------------------------------------------------------------


def test_cli_lists_every_organisation_s_events(
    cli_env: Settings, callers: dict[str, Caller], events: dict[str, uuid.UUID]
) -> None:
    from arshield.cli.main import app

    runner = CliRunner()
    as_json = runner.invoke(app, ["audit", "list", "--action", "cover.decide", "--format", "json"])
    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.stdout)
    assert [r["object_id"] for r in rows] == ["CR-B", "CR-A"]
    assert rows[0]["details"]["name"] == "b_decided"
    assert rows[0]["actor"].startswith("underwriter key ars_")
    as_csv = runner.invoke(app, ["audit", "list", "--object-type", "payment", "--format", "csv"])
    assert as_csv.exit_code == 0, as_csv.output
    table = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["object_id"], r["tenant_org"]) for r in table] == [
        ("P-B", "SELLER-B"),
        ("P-A", "SELLER-A"),
    ]
    one = runner.invoke(app, ["audit", "list", "--object-id", "DE"], env={"COLUMNS": "200"})
    assert one.exit_code == 0
    assert "risk.edit_table" in one.stdout and "reason table" in one.stdout
    assert "CR-A" not in one.stdout
    scoped = runner.invoke(app, ["audit", "list", "--tenant", "SELLER-A", "--format", "json"])
    assert [r["object_id"] for r in json.loads(scoped.stdout)] == ["P-A", "CR-A"]
    window = ["--from", "2026-04-01T09:00", "--to", "2026-04-01T11:00+00:00", "--format", "json"]
    assert len(json.loads(runner.invoke(app, ["audit", "list", *window]).stdout)) == 2
    bad = runner.invoke(app, ["audit", "list", "--from", "yesterday"])
    assert bad.exit_code == 1
    assert "--from" in bad.output
