"""Routes of policies, cover, the underwriter queue, buyer capacity, accumulation and credit
checks.

A seller's keys see and ask for cover under its own policies only (another seller's objects
answer 404); the insurer's staff create policies, decide referrals, reduce or cancel cover and
set buyer capacity.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from contextlib import contextmanager
from typing import Annotated

from anyio import CapacityLimiter, to_thread
from anyio.lowlevel import RunVar
from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from arshield.api.deps import (
    DbSlot,
    PrincipalDep,
    SessionDep,
    authenticate,
    bearer_secret,
    get_session,
)
from arshield.api.errors import error_responses
from arshield.api.idempotency import (
    HEADER,
    HEADER_DESCRIPTION,
    IDEMPOTENCY_ERRORS,
    Idempotency,
    IdempotencyDep,
    get_idempotency,
)
from arshield.cover import accumulation as accumulation_service
from arshield.cover import checks, policies, service
from arshield.cover.domain import CoverStatus
from arshield.cover.models import CoverRequest
from arshield.cover.rules import load_rules
from arshield.cover.schemas import (
    AccumulationOut,
    CapacityIn,
    CapacityOut,
    ChangeIn,
    CoverIn,
    CoverOut,
    CreditCheckIn,
    CreditCheckOut,
    DecisionIn,
    DecisionOut,
    InForceOut,
    PolicyIn,
    PolicyOut,
    PolicyPatch,
    QueueItemOut,
    amount_text,
    minor_of,
)
from arshield.cover.trail import Actor
from arshield.kit.db import autocommit_reads, lock_for_write, unit_of_work
from arshield.kit.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from arshield.kit.idempotency import check_key
from arshield.kit.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page
from arshield.kit.time import today, utcnow
from arshield.orgs.domain import Action, Principal

router = APIRouter(tags=["cover"], responses=error_responses(Unauthorized, Forbidden, NotFound))
Writes = {**IDEMPOTENCY_ERRORS, **error_responses(ValidationFailed, Conflict)}
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]
Offset = Annotated[int, Query(ge=0)]
AsOf = Annotated[dt.date | None, Query(description="The day to read the cover on (today).")]


def _seller_scope(principal: Principal) -> uuid.UUID | None:
    """A seller sees its own objects only; the insurer's staff see every seller's."""
    return None if principal.is_insurer else principal.org_id


def _actor(principal: Principal) -> Actor:
    return Actor.of(principal, utcnow())


# --- credit checks -------------------------------------------------------------------------------


IdempotencyKey = Annotated[str | None, Header(alias=HEADER, description=HEADER_DESCRIPTION)]


def may_check(principal: Principal) -> None:
    principal.require(Action.CREDIT_CHECK)
    if principal.is_insurer:
        raise Forbidden("credit checks are made by the insured seller's own keys")


def to_check_in(body: CreditCheckIn) -> checks.CheckIn:
    return checks.CheckIn(
        buyer_id=body.buyer_id,
        amount=minor_of(body.amount, body.currency) or 0,
        currency=body.currency,
        order_ref=body.order_ref,
        ship_date=body.ship_date,
        policy_id=body.policy_id,
    )


def _read_only_body(raw: bytes) -> CreditCheckIn | None:
    """The body if it is a valid check holding no order, else None (the route then validates
    it as any other and answers 422, or holds the order)."""
    try:
        body = CreditCheckIn.model_validate(json.loads(raw))
    except (ValueError, RecursionError):  # not JSON, or not a valid check
        return None
    return body if body.order_ref is None else None


def _authenticate_and_read(request: Request, raw: bytes) -> Principal | Response:
    """The caller; and the answer too when the check writes nothing (no order to hold, no
    Idempotency-Key), read on the connection the key was read on, without a transaction on
    PostgreSQL."""
    secret = bearer_secret(request)
    key = request.headers.get(HEADER)
    with unit_of_work(request.app.state.session_factory) as session:
        autocommit_reads(session)
        principal = authenticate(session, secret)
        if key is not None:
            check_key(key)  # a malformed key is refused next, as by the other routes
            return principal
        body = _read_only_body(raw)
        if body is None:
            return principal
        may_check(principal)
        result = checks.credit_check(
            session, to_check_in(body), org_id=principal.org_id, now=utcnow()
        )
    # The bytes idem.respond would send, serialised by pydantic itself (jsonable_encoder walking
    # the model cost about 0.1 ms a check).
    return Response(CreditCheckOut.build(result).model_dump_json(), media_type="application/json")


# Threads of a worker that answer credit checks at once. A check is Python around three short
# statements: beyond a few threads, more only contend for the interpreter lock (under 64
# connections on two workers, 4-6 threads used about a tenth less CPU per check than the 40 of
# the shared thread pool). Other routes keep the shared pool.
CHECK_THREADS = 6
_check_threads: RunVar[CapacityLimiter] = RunVar("credit_check_threads")


def _check_limiter() -> CapacityLimiter:
    try:
        return _check_threads.get()
    except LookupError:
        limiter = CapacityLimiter(CHECK_THREADS)
        _check_threads.set(limiter)
        return limiter


async def _caller_or_answer(
    request: Request, _slot: Annotated[None, DbSlot]
) -> Principal | Response:
    """Authenticate first (401 before any 422, as PrincipalDep) and answer a check that writes
    nothing in the same trip to a thread: ERPs call this before every shipment."""
    raw = await request.body()
    return await to_thread.run_sync(_authenticate_and_read, request, raw, limiter=_check_limiter())


@router.post("/credit-checks", response_model=CreditCheckOut, responses=Writes)
async def credit_check(
    body: CreditCheckIn,
    caller: Annotated[Principal | Response, Depends(_caller_or_answer)],
    request: Request,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Check a shipment against the cover in force: ``ok``, ``warn`` or ``block`` with reasons."""
    if isinstance(caller, Response):
        return caller
    return await run_in_threadpool(_hold_checked_order, request, body, caller, idempotency_key)


def _hold_checked_order(
    request: Request, body: CreditCheckIn, principal: Principal, idempotency_key: str | None
) -> Response:
    """A check that writes (an order to hold, or a response to store under its key), in the
    request's transaction, as the other write routes."""
    with (
        contextmanager(get_session)(request) as session,
        contextmanager(get_idempotency)(request, session, idempotency_key) as idem,
    ):
        may_check(principal)
        if (replay := idem.replay(principal, body)) is not None:
            return replay
        result = checks.credit_check(
            session, to_check_in(body), org_id=principal.org_id, now=utcnow()
        )
        return idem.respond(session, CreditCheckOut.build(result))


# --- policies ------------------------------------------------------------------------------------


@router.post("/policies", response_model=PolicyOut, status_code=201, responses=Writes)
def create_policy(
    body: PolicyIn, principal: PrincipalDep, idem: IdempotencyDep, session: SessionDep
) -> Response:
    """Create an insured seller's policy (the insurer's staff)."""
    principal.require(Action.MANAGE_POLICIES)
    if (replay := idem.replay(principal, body)) is not None:
        return replay
    lock_for_write(session)
    policy = policies.create_policy(
        session,
        number=body.number,
        seller_ref=body.seller,
        terms=body.terms(),
        actor=_actor(principal),
    )
    return idem.respond(session, PolicyOut.build(policy), status_code=201)


@router.get("/policies", response_model=Page[PolicyOut])
def list_policies(
    principal: PrincipalDep,
    session: SessionDep,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[PolicyOut]:
    """Policies: a seller's own, or every policy for the insurer's staff."""
    principal.require(Action.READ_POLICIES)
    rows, total = policies.list_policies(
        session, org_id=_seller_scope(principal), limit=limit, offset=offset
    )
    return Page[PolicyOut](
        items=[PolicyOut.build(p) for p in rows], total=total, limit=limit, offset=offset
    )


@router.get("/policies/{policy_id}", response_model=PolicyOut)
def get_policy(policy_id: uuid.UUID, principal: PrincipalDep, session: SessionDep) -> PolicyOut:
    principal.require(Action.READ_POLICIES)
    return PolicyOut.build(policies.get_policy(session, policy_id, org_id=_seller_scope(principal)))


@router.patch("/policies/{policy_id}", response_model=PolicyOut, responses=Writes)
def edit_policy(
    policy_id: uuid.UUID, body: PolicyPatch, principal: PrincipalDep, session: SessionDep
) -> PolicyOut:
    """Change some terms of a policy (the insurer's staff); its version goes up."""
    principal.require(Action.MANAGE_POLICIES)
    lock_for_write(session)
    policy = policies.get_policy(session, policy_id, org_id=None)
    edited = policies.edit_policy(
        session,
        policy_id=policy_id,
        changes=body.changes(policy.currency),
        actor=_actor(principal),
        reason=body.reason,
    )
    return PolicyOut.build(edited)


# --- cover ---------------------------------------------------------------------------------------


def _cover_out(
    session: SessionDep,
    request: CoverRequest,
    *,
    principal: Principal,
    as_of: dt.date | None = None,
    history: bool = False,
) -> CoverOut:
    read = service.history_of(session, request, as_of or today())
    return CoverOut.build(
        request,
        read.own,
        in_force=InForceOut.build(read.state, request.currency, read.decisions),
        history=read.decisions if history else None,
        show_suggestion=principal.is_insurer,
    )


@router.post(
    "/covers",
    response_model=CoverOut,
    status_code=201,
    responses={
        **Writes,
        202: {"model": CoverOut, "description": "Referred to an underwriter."},
    },
)
def request_cover(
    body: CoverIn, principal: PrincipalDep, idem: IdempotencyDep, session: SessionDep
) -> Response:
    """Ask for cover on a buyer: 201 with the decision, or 202 when referred to an underwriter."""
    principal.require(Action.REQUEST_COVER)
    if (replay := idem.replay(principal, body)) is not None:
        return replay
    outcome = service.request_cover(
        session,
        service.CoverAskIn(
            policy_id=body.policy_id,
            buyer_id=body.buyer_id,
            amount=minor_of(body.amount, body.currency) or 0,
            currency=body.currency,
            kind=body.kind,
            payment_terms_days=body.payment_terms_days,
            credit_report_date=body.credit_report_date,
            note=body.note,
        ),
        actor=_actor(principal),
        seller_org_id=_seller_scope(principal),
    )
    out = _cover_out(session, outcome.request, principal=principal)
    code = 202 if outcome.request.status is CoverStatus.REFERRED else 201
    return idem.respond(session, out, status_code=code)


@router.get("/covers", response_model=Page[CoverOut])
def list_covers(
    principal: PrincipalDep,
    session: SessionDep,
    policy_id: uuid.UUID | None = None,
    buyer_id: uuid.UUID | None = None,
    status: CoverStatus | None = None,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[CoverOut]:
    """Cover requests, newest first; a seller's own only."""
    principal.require(Action.READ_POLICIES)
    rows, total = service.list_covers(
        session,
        seller_org_id=_seller_scope(principal),
        policy_id=policy_id,
        buyer_id=buyer_id,
        status=status,
        limit=limit,
        offset=offset,
    )
    items = [CoverOut.build(r, None, show_suggestion=principal.is_insurer) for r in rows]
    return Page[CoverOut](items=items, total=total, limit=limit, offset=offset)


@router.get("/covers/queue", response_model=Page[QueueItemOut])
def underwriter_queue(
    principal: PrincipalDep,
    session: SessionDep,
    limit: Limit = DEFAULT_LIMIT,
    offset: Offset = 0,
) -> Page[QueueItemOut]:
    """Referred requests, largest expected loss (amount x PD) first, then amount, then age."""
    principal.require(Action.DECIDE_COVER)
    rules = load_rules()
    rows, total = service.queue(session, as_of=today(), limit=limit, offset=offset, rules=rules)
    items = [
        QueueItemOut(
            cover=CoverOut.build(r, None),
            amount_in_rule_currency=amount_text(base, rules.rule_currency),
            rule_currency=rules.rule_currency,
            pd=r.pd,
        )
        for r, base in rows
    ]
    return Page[QueueItemOut](items=items, total=total, limit=limit, offset=offset)


@router.get("/covers/{cover_id}", response_model=CoverOut)
def get_cover(
    cover_id: uuid.UUID, principal: PrincipalDep, session: SessionDep, as_of: AsOf = None
) -> CoverOut:
    """One cover request with its outcome, the cover in force on ``as_of`` and its history."""
    principal.require(Action.READ_POLICIES)
    request = service.get_cover(session, cover_id, seller_org_id=_seller_scope(principal))
    return _cover_out(session, request, principal=principal, as_of=as_of, history=True)


@router.post("/covers/{cover_id}/decision", response_model=CoverOut, responses=Writes)
def decide_cover(
    cover_id: uuid.UUID,
    body: DecisionIn,
    principal: PrincipalDep,
    idem: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """An underwriter decides a referred request with a comment."""
    principal.require(Action.DECIDE_COVER)
    if (replay := idem.replay(principal, body)) is not None:
        return replay
    lock_for_write(session)
    request = service.get_cover(session, cover_id, seller_org_id=None)
    outcome = service.decide_referred(
        session,
        cover_id,
        service.UnderwriterDecision(
            status=CoverStatus(body.status),
            amount=minor_of(body.amount, request.currency),
            comment=body.comment,
            conditions=tuple(body.conditions),
            expires_on=body.expires_on,
            review_on=body.review_on,
        ),
        actor=_actor(principal),
    )
    out = _cover_out(session, outcome.request, principal=principal)
    return idem.respond(session, out)


def _change(
    cover_id: uuid.UUID,
    body: ChangeIn,
    principal: Principal,
    idem: Idempotency,
    session: SessionDep,
    *,
    cancel: bool,
) -> Response:
    if principal.is_insurer:
        principal.require(Action.DECIDE_COVER)
    else:
        principal.require(Action.REQUEST_COVER)
    if (replay := idem.replay(principal, body)) is not None:
        return replay
    lock_for_write(session)
    request = service.get_cover(session, cover_id, seller_org_id=_seller_scope(principal))
    if cancel and body.amount is not None:
        raise ValidationFailed("a cancellation carries no amount; use /reduce")
    if not cancel and body.amount is None:
        raise ValidationFailed("a reduction needs the new amount")
    decision = service.change_cover(
        session,
        cover_id,
        amount=None if cancel else minor_of(body.amount, request.currency),
        reason=body.reason,
        insolvency=body.insolvency,
        actor=_actor(principal),
        seller_org_id=_seller_scope(principal),
    )
    return idem.respond(session, DecisionOut.build(decision))


@router.post("/covers/{cover_id}/reduce", response_model=DecisionOut, responses=Writes)
def reduce_cover(
    cover_id: uuid.UUID,
    body: ChangeIn,
    principal: PrincipalDep,
    idem: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Reduce the cover: by the insurer after the policy's notice period (at once on
    insolvency), by the seller at once."""
    return _change(cover_id, body, principal, idem, session, cancel=False)


@router.post("/covers/{cover_id}/cancel", response_model=DecisionOut, responses=Writes)
def cancel_cover(
    cover_id: uuid.UUID,
    body: ChangeIn,
    principal: PrincipalDep,
    idem: IdempotencyDep,
    session: SessionDep,
) -> Response:
    """Cancel the cover: by the insurer after the notice period (at once on insolvency), by the
    seller at once."""
    return _change(cover_id, body, principal, idem, session, cancel=True)


# --- capacity and accumulation -------------------------------------------------------------------


@router.get("/buyers/{buyer_id}/capacity", response_model=CapacityOut)
def get_capacity(
    buyer_id: uuid.UUID, principal: PrincipalDep, session: SessionDep, as_of: AsOf = None
) -> CapacityOut:
    """The insurer's total appetite on a buyer, what aggregate cover uses and what is left."""
    principal.require(Action.READ_ACCUMULATION)
    return CapacityOut.build(service.get_capacity(session, buyer_id, as_of=as_of or today()))


@router.put("/buyers/{buyer_id}/capacity", response_model=CapacityOut, responses=Writes)
def set_capacity(
    buyer_id: uuid.UUID, body: CapacityIn, principal: PrincipalDep, session: SessionDep
) -> CapacityOut:
    """Override a buyer's capacity (an underwriter); shared by every policy."""
    principal.require(Action.SET_CAPACITY)
    service.set_capacity(
        session,
        buyer_id,
        amount=minor_of(body.amount, body.currency) or 0,
        currency=body.currency,
        reason=body.reason,
        actor=_actor(principal),
    )
    return CapacityOut.build(service.get_capacity(session, buyer_id, as_of=today()))


@router.get("/accumulation", response_model=AccumulationOut, responses=Writes)
def get_accumulation(
    principal: PrincipalDep,
    session: SessionDep,
    by: accumulation_service.GroupBy = accumulation_service.GroupBy.BUYER,
    as_of: AsOf = None,
    currency: Annotated[str | None, Query(min_length=3, max_length=3)] = None,
) -> AccumulationOut:
    """Aggregate cover in force by buyer, country, sector or grade (the insurer's staff)."""
    principal.require(Action.READ_ACCUMULATION)
    result = accumulation_service.accumulation(
        session, by=by, as_of=as_of or today(), currency=currency
    )
    return AccumulationOut.build(result)
