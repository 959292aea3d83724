"""Temporal Schedules for sweeping journeys: a schedule trigger's cron, or a daily birthday check."""

from __future__ import annotations

from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleAlreadyRunningError,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    ScheduleState,
    ScheduleUpdate,
    ScheduleUpdateInput,
)
from temporalio.service import RPCError, RPCStatusCode

from engine.journey.language import BirthdayTrigger, ScheduleTrigger
from engine.journey.plan import Plan
from engine.settings import Settings
from workflows.sweep import AudienceSweep, SweepInput


def schedule_id(journey_key: str) -> str:
    return f"sweep/{journey_key}"


def cron_of(plan: Plan) -> str | None:
    if isinstance(plan.trigger, ScheduleTrigger):
        return plan.trigger.cron
    if isinstance(plan.trigger, BirthdayTrigger):
        return f"{plan.trigger.at.minute} {plan.trigger.at.hour} * * *"
    return None


async def sync_schedule(client: Client, settings: Settings, plan: Plan, status: str) -> str | None:
    """Create, update, pause or delete the journey's sweep schedule to match its plan and status."""
    handle = client.get_schedule_handle(schedule_id(plan.journey_key))
    cron = cron_of(plan)
    if cron is None or status == "archived":
        try:
            await handle.delete()
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
        return None
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            AudienceSweep.run,
            SweepInput(journey_key=plan.journey_key, shop_timezone=settings.shop_timezone),
            id=f"sweep/{plan.journey_key}",
            task_queue=settings.temporal_task_queue,
        ),
        spec=ScheduleSpec(cron_expressions=[cron], time_zone_name=settings.shop_timezone),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
        state=ScheduleState(paused=status != "live", note=f"journey {plan.journey_key} is {status}"),
    )
    await put_schedule(client, schedule_id(plan.journey_key), schedule)
    return schedule_id(plan.journey_key)


async def put_schedule(client: Client, id_: str, schedule: Schedule) -> None:
    """Create the schedule, or replace what an existing one with this id does."""
    try:
        await client.create_schedule(id_, schedule)
    except ScheduleAlreadyRunningError:

        def replace(_: ScheduleUpdateInput) -> ScheduleUpdate:
            return ScheduleUpdate(schedule=schedule)

        await client.get_schedule_handle(id_).update(replace)
