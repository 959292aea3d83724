"""Delivering member events to journeys: start event-triggered runs, and signal the member's running runs.

Each event is delivered on its own. One that Temporal refuses (a signal payload too large, a start it rejects) is
recorded with the reason, tried again later and at last set aside (engine/journey/event_delivery.py), while the
others are marked delivered and their members' tag rules applied. Only Temporal being unreachable fails a whole
round: that is nobody's event's fault, so nothing is counted against the events and the round is simply tried again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Coroutine
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from engine import clock
from engine.db import session_scope
from engine.journey.event_delivery import (
    PendingEvent,
    mark_dispatched,
    pending_events,
    record_delivery_failures,
    running_workflows_of,
)
from engine.journey.language import EventTrigger
from engine.journey.plan import Plan
from engine.journey.store import live_journeys
from engine.members.tag_rules import members_to_retag, retag
from engine.models import Journey
from engine.settings import Settings
from workflows.enroll import enroll
from workflows.journey_activities import MemberEventSignal
from workflows.journey_run import JourneyRun

log = logging.getLogger(__name__)
BATCH = 500
UNREACHABLE = frozenset({RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED, RPCStatusCode.CANCELLED})


class TemporalUnreachable(Exception):
    """Temporal did not answer: the round is tried again as it is, without counting against any event."""


def _load(limit: int) -> tuple[list[PendingEvent], dict[int, list[str]], list[tuple[Journey, Plan]]]:
    with session_scope() as session:
        pending = pending_events(session, clock.now(), limit)
        if not pending:
            return [], {}, []
        running = running_workflows_of(session, sorted({e.member_id for e in pending}))
        triggered = [(j, p) for j, p in live_journeys(session) if isinstance(p.trigger, EventTrigger)]
        return pending, running, triggered


def _settle(delivered: list[int], failed: dict[int, str]) -> list[int]:
    with session_scope() as session:
        now = clock.now()
        mark_dispatched(session, delivered, now)
        return record_delivery_failures(session, failed, now)


async def dispatch_pending(client: Client, settings: Settings, limit: int = BATCH) -> int:
    """Deliver up to `limit` due events; returns how many were handled (delivered, or failed and recorded).

    Raises TemporalUnreachable when Temporal does not answer (nothing is recorded then)."""
    pending, running, triggered = await asyncio.to_thread(_load, limit)
    if not pending:
        return 0
    outcomes = await asyncio.gather(
        *(_deliver(client, settings, event, running.get(event.member_id, []), triggered) for event in pending),
        return_exceptions=True,
    )
    failed: dict[int, str] = {}
    for event, outcome in zip(pending, outcomes, strict=True):
        if isinstance(outcome, BaseException):
            raise outcome  # TemporalUnreachable, or a bug: the loop logs it and tries again
        if outcome is not None:
            failed[event.event_id] = outcome
    delivered = [e.event_id for e in pending if e.event_id not in failed]
    for event_id in await asyncio.to_thread(_settle, delivered, failed):
        log.warning("event %s set aside after repeated delivery failures: %s", event_id, failed[event_id][:200])
    # Tag rules follow the members' new orders, sign-ups and segments; their tag changes go out next round.
    await asyncio.to_thread(retag, members_to_retag((e.member_id, e.type, e.properties) for e in pending))
    return len(pending)


async def _deliver(
    client: Client,
    settings: Settings,
    event: PendingEvent,
    workflow_ids: list[str],
    triggered: list[tuple[Journey, Plan]],
) -> str | None:
    """Signal the member's running runs and start the event-triggered ones; None when all of it went through, else
    the reasons it did not."""
    signal = MemberEventSignal(
        event_id=event.event_id, type=event.type, properties=event.properties, occurred_at=event.occurred_at
    )
    work: list[tuple[str, Coroutine[Any, Any, object]]] = [
        (f"signal to {workflow_id}", _signal(client, workflow_id, signal)) for workflow_id in workflow_ids
    ]
    for journey, plan in triggered:
        assert isinstance(plan.trigger, EventTrigger)
        fresh = journey.live_since is not None and event.occurred_at >= journey.live_since
        if fresh and plan.trigger.match.matches(event.type, event.properties):
            starting = enroll(
                client, plan, [event.member_key], f"event-{event.event_id}",
                task_queue=settings.temporal_task_queue, trigger_event_id=event.event_id,
            )  # fmt: skip
            work.append((f"start of journey {plan.journey_key}", starting))
    results = await asyncio.gather(*(call for _, call in work), return_exceptions=True)
    problems = []
    for (what, _), result in zip(work, results, strict=True):
        if isinstance(result, asyncio.CancelledError):
            raise result
        if _unreachable(result):
            raise TemporalUnreachable(f"Temporal did not answer: {str(result)[:300]}")
        if isinstance(result, BaseException):
            problems.append(f"{what}: {_said(result)}")
    if not problems:
        return None
    size = len(json.dumps(event.properties, ensure_ascii=False, default=str).encode())
    return f"{'; '.join(problems)} (the event's properties are {size:,} bytes)"


def _unreachable(result: object) -> bool:
    if isinstance(result, RPCError):
        return result.status in UNREACHABLE
    # A client that never reached the server (connected lazily) says so in a RuntimeError of its own.
    return isinstance(result, RuntimeError) and str(result).startswith("Failed client connect")


def _said(error: BaseException) -> str:
    if isinstance(error, RPCError):
        return f"Temporal answered {error.status.name}: {error.message}"
    return f"{type(error).__name__}: {error}"


async def _signal(client: Client, workflow_id: str, event: MemberEventSignal) -> None:
    try:
        await client.get_workflow_handle(workflow_id).signal(JourneyRun.member_event, event)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:  # the run just ended: nothing to tell it
            raise


async def dispatch_forever(client: Client, settings: Settings, stop: asyncio.Event, interval: float = 1.0) -> None:
    """The worker's delivery loop: catches events recorded by imports or by an API call whose delivery failed.

    It never gives up, by design: what fails a whole round is Temporal or the database being unreachable, which
    no event can be blamed for; an event that fails on its own is retried a bounded number of times, then set aside.
    """
    while not stop.is_set():
        try:
            handled = await dispatch_pending(client, settings)
        except Exception:
            log.exception("event delivery failed; retrying")
            handled = 0
        if handled < BATCH:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
