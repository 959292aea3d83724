"""AudienceSweep: a schedule's run over all members, a page at a time, enrolling those the trigger selects.

Entries are keyed by the sweep day (or the birthday), so a sweep that runs twice in a day enrolls nobody twice.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import BaseModel, ConfigDict
from temporalio import activity, workflow

with workflow.unsafe.imports_passed_through():
    from engine.db import session_scope
    from engine.journey.audience import AudiencePage, Candidate, audience_page
    from engine.journey.plan import Plan
    from engine.journey.store import live_plan
    from engine.journey.timing import local_date
    from engine.settings import get_settings
    from workflows.enroll import EnrollReport, enroll
    from workflows.retries import BATCH

PAGE = 500
PAGES_PER_RUN = 200  # then continue as new, to keep each history small


class SweepInput(BaseModel):
    journey_key: str
    shop_timezone: str
    after_member_id: int = 0
    totals: EnrollReport = EnrollReport()
    started_at: datetime | None = None  # kept across continue-as-new so a long sweep keeps its day


class PageInput(BaseModel):
    journey_key: str
    after_member_id: int
    now: datetime
    today: date


class PageResult(BaseModel):
    model_config = ConfigDict(defer_build=True)  # holds a plan: built on first use (engine.journey.registry)

    plan: Plan | None
    page: AudiencePage | None


class EnrollInput(BaseModel):
    model_config = ConfigDict(defer_build=True)

    plan: Plan
    candidates: list[Candidate]


@activity.defn
def sweep_page(request: PageInput) -> PageResult:
    with session_scope() as session:
        journey, plan = live_plan(session, request.journey_key)
        if journey.status != "live":
            return PageResult(plan=None, page=None)
        page = audience_page(
            session, plan, after_member_id=request.after_member_id, limit=PAGE, now=request.now, today=request.today
        )
        return PageResult(plan=plan, page=page)


@activity.defn
async def enroll_candidates(request: EnrollInput) -> EnrollReport:
    report = EnrollReport()
    by_occasion: dict[str, list[str]] = {}
    for candidate in request.candidates:
        by_occasion.setdefault(candidate.occasion, []).append(candidate.member_key)
    for occasion, members in by_occasion.items():
        part = await enroll(
            activity.client(), request.plan, members, occasion, task_queue=get_settings().temporal_task_queue
        )
        report.started += part.started
        report.already_in += part.already_in
    return report


@workflow.defn
class AudienceSweep:
    @workflow.run
    async def run(self, request: SweepInput) -> EnrollReport:
        now = request.started_at or workflow.now()
        today = local_date(now, request.shop_timezone)
        after, totals = request.after_member_id, request.totals.model_copy()
        for _ in range(PAGES_PER_RUN):
            result = await workflow.execute_activity(
                sweep_page,
                PageInput(journey_key=request.journey_key, after_member_id=after, now=now, today=today),
                start_to_close_timeout=timedelta(minutes=5), retry_policy=BATCH,
            )  # fmt: skip
            if result.plan is None or result.page is None:
                return totals
            if result.page.candidates:
                report = await workflow.execute_activity(
                    enroll_candidates,
                    EnrollInput(plan=result.plan, candidates=result.page.candidates),
                    start_to_close_timeout=timedelta(minutes=5), retry_policy=BATCH,
                )  # fmt: skip
                totals.started += report.started
                totals.already_in += report.already_in
            if result.page.last_member_id is None:
                return totals
            after = result.page.last_member_id
        workflow.continue_as_new(
            request.model_copy(update={"after_member_id": after, "totals": totals, "started_at": now})
        )
