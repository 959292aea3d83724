"""MemberIntelligence: recompute RFM, apply the tag rules, expire points; on a Temporal Schedule (RFM_SCHEDULE) and
on demand.

The RFM run is keyed by the workflow id (a scheduled fire has its own id), so a retried activity returns the run it
already stored. Applying tag rules is idempotent by nature: a member who has the tag is not tagged again; expiring
points writes each write-off and each warning under a key derived from the ledger, so a second run adds nothing.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta

from pydantic import BaseModel
from temporalio import activity, workflow
from temporalio.client import (
    Client,
    Schedule,
    ScheduleActionStartWorkflow,
    ScheduleOverlapPolicy,
    SchedulePolicy,
    ScheduleSpec,
    WorkflowHandle,
)

with workflow.unsafe.imports_passed_through():
    from engine.db import session_scope
    from engine.journey.timing import local_date
    from engine.members.tag_rules import RuleReport, apply_rules
    from engine.rewards.points import ExpiryReport, expire_points
    from engine.rfm.recompute import recompute_for_shop
    from engine.settings import Settings, get_settings
    from workflows.retries import BATCH
    from workflows.schedules import put_schedule

SCHEDULE_ID = "member-intelligence/daily"


class IntelligenceRequest(BaseModel):
    shop_timezone: str
    as_of: date | None = None  # default: today in the shop's zone
    window_days: int | None = None  # default: RFM_WINDOW_DAYS
    apply_tag_rules: bool = True
    expire_points: bool = True


class RecomputeRequest(BaseModel):
    run_key: str
    as_of: date
    window_days: int | None = None


class RecomputeResult(BaseModel):
    run_id: int
    as_of: date
    members_scored: int
    segment_changes: int


class IntelligenceResult(BaseModel):
    rfm: RecomputeResult
    tag_rules: RuleReport | None = None
    points: ExpiryReport | None = None


@activity.defn
def recompute_rfm(request: RecomputeRequest) -> RecomputeResult:
    run = recompute_for_shop(
        get_settings(), run_key=request.run_key, as_of=request.as_of, window_days=request.window_days
    )
    assert run.id is not None
    return RecomputeResult(
        run_id=run.id, as_of=run.as_of, members_scored=run.members_scored, segment_changes=run.segment_changes
    )


@activity.defn
def apply_tag_rules() -> RuleReport:
    with session_scope() as session:
        return apply_rules(session)


@activity.defn
def expire_points_due(now: datetime) -> ExpiryReport:
    with session_scope() as session:
        return expire_points(session, now=now)


@workflow.defn
class MemberIntelligence:
    @workflow.run
    async def run(self, request: IntelligenceRequest) -> IntelligenceResult:
        as_of = request.as_of or local_date(workflow.now(), request.shop_timezone)
        rfm = await workflow.execute_activity(
            recompute_rfm,
            RecomputeRequest(run_key=workflow.info().workflow_id, as_of=as_of, window_days=request.window_days),
            start_to_close_timeout=timedelta(hours=2), retry_policy=BATCH,
        )  # fmt: skip
        result = IntelligenceResult(rfm=rfm)
        if request.apply_tag_rules:  # after RFM, so rules on segments see today's scores
            result.tag_rules = await workflow.execute_activity(
                apply_tag_rules, start_to_close_timeout=timedelta(hours=2), retry_policy=BATCH
            )
        if request.expire_points and workflow.patched("points-expiry"):
            result.points = await workflow.execute_activity(
                expire_points_due, workflow.now(), start_to_close_timeout=timedelta(hours=1), retry_policy=BATCH
            )
        return result


async def sync_intelligence_schedule(client: Client, settings: Settings) -> None:
    """Create the daily schedule, or bring it in line with RFM_SCHEDULE and the shop's zone."""
    schedule = Schedule(
        action=ScheduleActionStartWorkflow(
            MemberIntelligence.run,
            IntelligenceRequest(shop_timezone=settings.shop_timezone),
            id="member-intelligence",
            task_queue=settings.temporal_task_queue,
        ),
        spec=ScheduleSpec(cron_expressions=[settings.rfm_schedule], time_zone_name=settings.shop_timezone),
        policy=SchedulePolicy(overlap=ScheduleOverlapPolicy.SKIP),
    )
    await put_schedule(client, SCHEDULE_ID, schedule)


async def start_recompute(
    client: Client,
    settings: Settings,
    asked_from: str,
    *,
    as_of: date | None = None,
    window_days: int | None = None,
    apply_tag_rules: bool = True,
) -> WorkflowHandle[MemberIntelligence, IntelligenceResult]:
    """Start a recompute now, as the daily schedule does (RFM, then the tag rules unless told not to, then points
    expiry), and return its handle without waiting. `as_of` defaults to today in the shop's zone, `window_days` to
    RFM_WINDOW_DAYS. The workflow id says where it was asked for (`asked_from`: web, api), e.g.
    member-intelligence/api-<uuid>."""
    request = IntelligenceRequest(
        shop_timezone=settings.shop_timezone, as_of=as_of, window_days=window_days, apply_tag_rules=apply_tag_rules
    )
    return await client.start_workflow(
        MemberIntelligence.run, request, id=f"member-intelligence/{asked_from}-{uuid.uuid4()}",
        task_queue=settings.temporal_task_queue,
    )  # fmt: skip
