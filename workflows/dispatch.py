"""Delivering member events to journeys: start event-triggered runs, and signal the member's running runs."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from typing import Any

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from engine import clock
from engine.db import session_scope
from engine.journey.language import EventTrigger
from engine.journey.outbox import PendingEvent, mark_dispatched, pending_events, running_workflows_of
from engine.journey.plan import Plan
from engine.journey.store import live_journeys
from engine.models import Journey
from engine.settings import Settings
from engine.tag_rules import members_to_retag, retag
from workflows.enroll import enroll
from workflows.journey_activities import MemberEventSignal
from workflows.journey_run import JourneyRun

log = logging.getLogger(__name__)
BATCH = 500


def _load(limit: int) -> tuple[list[PendingEvent], dict[int, list[str]], list[tuple[Journey, Plan]]]:
    with session_scope() as session:
        pending = pending_events(session, limit)
        if not pending:
            return [], {}, []
        running = running_workflows_of(session, sorted({e.member_id for e in pending}))
        triggered = [(j, p) for j, p in live_journeys(session) if isinstance(p.trigger, EventTrigger)]
        return pending, running, triggered


def _mark(event_ids: list[int]) -> None:
    with session_scope() as session:
        mark_dispatched(session, event_ids, clock.now())


async def dispatch_pending(client: Client, settings: Settings, limit: int = BATCH) -> int:
    """Deliver up to `limit` undelivered events; returns how many were handled."""
    pending, running, triggered = await asyncio.to_thread(_load, limit)
    if not pending:
        return 0
    work: list[Coroutine[Any, Any, object]] = []
    for event in pending:
        signal = MemberEventSignal(
            event_id=event.event_id, type=event.type, properties=event.properties, occurred_at=event.occurred_at
        )
        work += [_signal(client, workflow_id, signal) for workflow_id in running.get(event.member_id, [])]
        for journey, plan in triggered:
            assert isinstance(plan.trigger, EventTrigger)
            fresh = journey.live_since is not None and event.occurred_at >= journey.live_since
            if fresh and plan.trigger.match.matches(event.type, event.properties):
                work.append(
                    enroll(
                        client, plan, [event.member_key], f"event-{event.event_id}",
                        task_queue=settings.temporal_task_queue, trigger_event_id=event.event_id,
                    )
                )  # fmt: skip
    await asyncio.gather(*work)
    await asyncio.to_thread(_mark, [e.event_id for e in pending])
    # Tag rules follow the members' new orders, sign-ups and segments; their tag changes go out next round.
    await asyncio.to_thread(retag, members_to_retag((e.member_id, e.type, e.properties) for e in pending))
    return len(pending)


async def _signal(client: Client, workflow_id: str, event: MemberEventSignal) -> None:
    try:
        await client.get_workflow_handle(workflow_id).signal(JourneyRun.member_event, event)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:  # the run just ended: nothing to tell it
            raise


async def dispatch_forever(client: Client, settings: Settings, stop: asyncio.Event, interval: float = 1.0) -> None:
    """The worker's delivery loop: catches events recorded by imports or by an API call whose delivery failed."""
    while not stop.is_set():
        try:
            handled = await dispatch_pending(client, settings)
        except Exception:
            log.exception("event delivery failed; retrying")
            handled = 0
        if handled < BATCH:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=interval)
