"""Publishing journeys and changing their status, with everything Temporal must hear about it."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlmodel import col
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from engine import clock
from engine.access import audit
from engine.db import session_scope
from engine.errors import Conflict, Invalid
from engine.journey.language import JourneyDefinition, Status
from engine.journey.plan import Plan
from engine.journey.store import Published, live_journeys, live_plan, publish, set_status
from engine.models import Journey, JourneyEntry
from engine.settings import Settings
from workflows.journey_run import JourneyRun
from workflows.member_intelligence import sync_intelligence_schedule
from workflows.schedules import cron_of, sync_schedule


async def publish_journey(client: Client, settings: Settings, journey: JourneyDefinition, status: Status) -> Published:
    published = await asyncio.to_thread(_publish, journey, status)
    _, plan = await asyncio.to_thread(_plan, journey.key)
    await sync_schedule(client, settings, plan, published.status)
    return published


def _publish(journey: JourneyDefinition, status: Status) -> Published:
    with session_scope() as session:
        return publish(session, journey, now=clock.now(), status=status)


def _plan(key: str) -> tuple[Journey, Plan]:
    with session_scope() as session:
        return live_plan(session, key)


async def change_status(client: Client, settings: Settings, key: str, status: Status) -> list[str]:
    """Pause (running members hold before their next action), resume, or archive (running members leave)."""
    workflow_ids, plan = await asyncio.to_thread(_set_status, key, status)
    if status == "archived":
        await asyncio.gather(*(_tell(client, wf, "archive") for wf in workflow_ids))
    else:
        await asyncio.gather(*(_tell(client, wf, "pause", status == "paused") for wf in workflow_ids))
    await sync_schedule(client, settings, plan, status)
    return workflow_ids


def _set_status(key: str, status: Status) -> tuple[list[str], Plan]:
    with session_scope() as session:
        row, plan = live_plan(session, key)
        if row.status != status:
            audit.record(session, audit.JOURNEY_STATUS, key, clock.now(), status=status, was=row.status)
        set_status(row, status, clock.now())
        running = session.execute(
            select(col(JourneyEntry.workflow_id)).where(
                col(JourneyEntry.journey_id) == row.id, col(JourneyEntry.status) == "running"
            )
        )
        return list(running.scalars()), plan


async def _tell(client: Client, workflow_id: str, what: str, paused: bool = False) -> None:
    handle = client.get_workflow_handle(workflow_id)
    try:
        if what == "archive":
            await handle.signal(JourneyRun.archive_journey)
        else:
            await handle.signal(JourneyRun.pause_journey, paused)
    except RPCError as exc:
        if exc.status != RPCStatusCode.NOT_FOUND:
            raise


async def sweep_now(client: Client, settings: Settings, key: str) -> str:
    """Run a schedule or birthday journey's sweep now, as its schedule would (the same day's occasion, so members
    the day's own sweep already took stay where they are). Returns the schedule id."""
    row, plan = await asyncio.to_thread(_plan, key)
    if cron_of(plan) is None:
        trigger = plan.trigger.type
        raise Invalid([f"journey {key} has a {trigger} trigger; only schedule and birthday journeys sweep"])
    if row.status != "live":
        raise Conflict([f"journey {key} is {row.status}; only live journeys take new members"])
    id_ = await sync_schedule(client, settings, plan, row.status)  # the worker may not have made it yet
    assert id_ is not None
    await client.get_schedule_handle(id_).trigger()
    return id_


async def sync_all_schedules(client: Client, settings: Settings) -> int:
    """At worker start: every live or paused sweeping journey has its schedule (publishing may have been offline),
    and so has the daily RFM and tag-rule recompute."""

    def plans() -> list[tuple[str, Plan]]:
        with session_scope() as session:
            return [(row.status, plan) for row, plan in live_journeys(session)]

    found = await asyncio.to_thread(plans)
    for status, plan in found:
        await sync_schedule(client, settings, plan, status)
    await sync_intelligence_schedule(client, settings)
    return len(found)
