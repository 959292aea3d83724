"""Starting JourneyRuns: workflow ids that encode journey, member and entry key, so Temporal's id rules keep
the re-entry policy (never: one id forever; after_exit: one at a time; always: one per entry key)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from pydantic import BaseModel
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from engine.journey.plan import Plan
from workflows.journey_activities import JourneyRunInput
from workflows.journey_run import JourneyRun

START_CONCURRENCY = 64


class EnrollReport(BaseModel):
    started: int = 0
    already_in: int = 0


def entry_key_for(plan: Plan, occasion: str) -> str:
    """What makes an entry distinct: nothing under 'never' (one entry ever), else the occasion (day, event, …)."""
    return "once" if plan.reentry.policy == "never" else occasion


def workflow_id_for(plan: Plan, member_key: str, entry_key: str) -> str:
    base = f"journey/{plan.journey_key}/{member_key}"
    return f"{base}/{entry_key}" if plan.reentry.policy == "always" else base


def reuse_policy(plan: Plan) -> WorkflowIDReusePolicy:
    # 'after_exit' reuses the member's id once the previous run closed; the others never reuse an id.
    if plan.reentry.policy == "after_exit":
        return WorkflowIDReusePolicy.ALLOW_DUPLICATE
    return WorkflowIDReusePolicy.REJECT_DUPLICATE


async def enroll(
    client: Client,
    plan: Plan,
    member_keys: Iterable[str],
    occasion: str,
    *,
    task_queue: str,
    trigger_event_id: int | None = None,
) -> EnrollReport:
    """Start one JourneyRun per member; members already inside (or done, where no re-entry) are counted, not errors."""
    report = EnrollReport()
    entry_key = entry_key_for(plan, occasion)
    gate = asyncio.Semaphore(START_CONCURRENCY)

    async def start(member_key: str) -> None:
        async with gate:
            try:
                await client.start_workflow(
                    JourneyRun.run,
                    JourneyRunInput(
                        plan=plan, member_key=member_key, entry_key=entry_key, trigger_event_id=trigger_event_id
                    ),
                    id=workflow_id_for(plan, member_key, entry_key),
                    task_queue=task_queue,
                    id_reuse_policy=reuse_policy(plan),
                    id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
                )
                report.started += 1
            except WorkflowAlreadyStartedError:
                report.already_in += 1

    await asyncio.gather(*(start(key) for key in member_keys))
    return report
