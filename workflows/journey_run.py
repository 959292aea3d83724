"""JourneyRun: one member's pass through one journey version, a deterministic interpreter over its plan.

Every read and write happens in an activity; the workflow only keeps time, listens for the member's events
(signals) and walks the plan. Blocks run through the JourneyRunContext methods below.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError
from temporalio.exceptions import TimeoutError as ActivityTimeout  # not the builtin that timed waits raise

with workflow.unsafe.imports_passed_through():
    from engine.journey.base import BlockBase, ConditionBase
    from engine.journey.events import EventMatch
    from engine.journey.plan import Plan
    from engine.journey.runtime import ActionInput, ActionResult, EntryRef, StepRecord
    from engine.journey.timing import within_days_after
    from workflows.journey_activities import (
        ChooseInput,
        EnterInput,
        FinishInput,
        GiveUpInput,
        JourneyRunInput,
        JourneyRunResult,
        MemberEventSignal,
        RunStatus,
        StepsInput,
        choose_branch,
        enter_journey,
        finish_entry,
        give_up_message,
        record_journey_steps,
    )
    from workflows.retries import JOURNEY_DATABASE, PROVIDER

ACTIVITY_TIMEOUT = timedelta(seconds=30)
PROVIDER_TIMEOUT = timedelta(seconds=90)  # the longest provider timeout (a webhook's 60 s) and a margin
# What a block may raise in workflow code when its plan is bad beyond what validation caught (a wait too long for
# the calendar): the run ends failed with the reason rather than retrying its workflow task for ever.
BAD_PLAN = (ArithmeticError, ValueError, TypeError, LookupError)
# How an activity that gave up surfaces (a local one may raise its ApplicationError as it is); not cancellation.
GAVE_UP = (ActivityError, ApplicationError, ActivityTimeout)
InputT = TypeVar("InputT")
OutputT = TypeVar("OutputT")


@workflow.defn
class JourneyRun:
    def __init__(self) -> None:
        self._plan: Plan | None = None
        self._entry: EntryRef | None = None
        self._trigger_event_id: int | None = None
        self._events: list[MemberEventSignal] = []
        self._seen_events: set[int] = set()
        self._paused = False
        self._told_to_pause_or_resume = False
        self._end: tuple[RunStatus, str] | None = None
        self._goal_event: MemberEventSignal | None = None
        self._steps: dict[str, StepRecord] = {}
        self._passed: list[str] = []
        self._variables: dict[str, Any] = {}  # exported by actions (a coupon issued) for later blocks

    # --- signals and queries -------------------------------------------------------------------------------

    @workflow.signal
    def member_event(self, event: MemberEventSignal) -> None:
        if event.event_id in self._seen_events:  # delivered twice (dispatchers are at-least-once)
            return
        self._seen_events.add(event.event_id)
        self._events.append(event)
        self._check_goal(event)

    @workflow.signal
    def pause_journey(self, paused: bool) -> None:
        self._paused = paused
        self._told_to_pause_or_resume = True

    @workflow.signal
    def archive_journey(self) -> None:
        self._finish("exited", "journey archived")

    @workflow.query
    def position(self) -> list[str]:
        return list(self._passed)

    # --- the interpreter -----------------------------------------------------------------------------------

    @workflow.run
    async def run(self, request: JourneyRunInput) -> JourneyRunResult:
        plan = self._plan = request.plan
        self._trigger_event_id = request.trigger_event_id
        info = workflow.info()
        try:
            outcome = await self._local(
                enter_journey,
                EnterInput(
                    plan=plan, member_key=request.member_key, entry_key=request.entry_key,
                    workflow_id=info.workflow_id, run_id=info.run_id,
                    now=workflow.now(), started_at=info.workflow_start_time,
                ),
            )  # fmt: skip
        except GAVE_UP as exc:  # nothing was recorded: the entry is one transaction
            return JourneyRunResult(status="not_entered", reason=f"could not enter: {failure_reason(exc)}")
        if outcome.entry is None:
            return JourneyRunResult(status="not_entered", reason=outcome.reason)
        self._entry = outcome.entry
        if outcome.paused and not self._told_to_pause_or_resume:  # a signal is always newer than what enter read
            self._paused = True
        for event in self._events:  # events that arrived while we were entering
            self._check_goal(event)

        current = plan.start
        while current is not None and self._end is None:
            block = plan.block(current)
            if block.category == "action":
                await workflow.wait_condition(lambda: not self._paused or self._end is not None)
                if self._end is not None:
                    break
            self._steps[current] = StepRecord(block_id=current, entered_at=workflow.now())
            self._passed.append(current)
            try:
                branch = await block.run(self)
            except (*GAVE_UP, *BAD_PLAN) as exc:  # retrying cannot help any more: end with the reason
                self._finish("failed", f"block {current} failed: {failure_reason(exc)}")
                branch = None
            self._steps[current] = self._steps[current].model_copy(update={"branch": branch, "left_at": workflow.now()})
            current = plan.following(current, branch)

        status, reason = self._end or ("completed", "reached the end")
        await self._local(
            finish_entry,
            FinishInput(
                entry=self._entry, status=status, reason=reason, now=workflow.now(), steps=self._take_steps(),
                goal_event=self._goal_event if status == "converted" else None,
            ),
        )  # fmt: skip
        return JourneyRunResult(status=status, reason=reason, blocks=list(self._passed))

    # --- JourneyRunContext ---------------------------------------------------------------------------------

    @property
    def entry(self) -> EntryRef:
        assert self._entry is not None
        return self._entry

    def now(self) -> datetime:
        return workflow.now()

    @property
    def ended(self) -> bool:
        return self._end is not None

    async def act(self, block: BlockBase, activity: Callable[[ActionInput], ActionResult]) -> ActionResult:
        request = ActionInput(
            entry=self.entry,
            block=block.without_steps().model_dump(mode="json", by_alias=True),
            idempotency_key=f"{self.entry.action_prefix}:{block.id}",
            now=workflow.now(),
            steps=self._take_steps(),
            variables=dict(self._variables),
        )
        result = await self._local(activity, request)
        self._variables.update(result.exports)
        return result

    async def act_with_retries(self, block: BlockBase, activity: Callable[..., Any]) -> ActionResult:
        await self._flush_steps()
        request = ActionInput(
            entry=self.entry,
            block=block.without_steps().model_dump(mode="json", by_alias=True),
            idempotency_key=f"{self.entry.action_prefix}:{block.id}",
            now=workflow.now(),
            variables=dict(self._variables),
        )
        try:
            result: ActionResult = await workflow.execute_activity(
                activity, request, start_to_close_timeout=PROVIDER_TIMEOUT, retry_policy=PROVIDER
            )
        except GAVE_UP as exc:  # every attempt failed, timed out or crashed: the message fails, the run goes on
            reason = f"gave up: {failure_reason(exc)}"
            await self._local(give_up_message, GiveUpInput(idempotency_key=request.idempotency_key, reason=reason))
            return ActionResult(performed=False, detail={"status": "failed", "reason": reason})
        self._variables.update(result.exports)
        return result

    async def choose(self, block: BlockBase, conditions: Sequence[ConditionBase]) -> int | None:
        request = ChooseInput(
            entry=self.entry,
            conditions=list(conditions),
            now=workflow.now(),
            steps=self._take_steps(),
        )
        return await self._local(choose_branch, request)

    async def sleep(self, duration: timedelta) -> None:
        await self._flush_steps()
        with contextlib.suppress(TimeoutError):
            await workflow.wait_condition(lambda: self._end is not None, timeout=duration)

    async def wait_for_event(self, match: EventMatch, at_most: timedelta) -> bool:
        await self._flush_steps()
        since = len(self._events)

        def happened() -> bool:
            return any(match.matches(e.type, e.properties) for e in self._events[since:])

        try:
            await workflow.wait_condition(lambda: self._end is not None or happened(), timeout=at_most)
        except TimeoutError:
            return False
        return happened()

    def finish(self, reason: str) -> None:
        self._finish("exited", reason)

    def patched(self, change: str) -> bool:
        return workflow.patched(change)

    def deprecate_patch(self, change: str) -> None:
        workflow.deprecate_patch(change)

    # --- helpers -------------------------------------------------------------------------------------------

    def _finish(self, status: RunStatus, reason: str) -> None:
        if self._end is None:
            self._end = (status, reason)

    def _check_goal(self, event: MemberEventSignal) -> None:
        plan, entry = self._plan, self._entry
        if plan is None or plan.goal is None or entry is None or self._end is not None:
            return
        if event.event_id == self._trigger_event_id or not plan.goal.match.matches(event.type, event.properties):
            return
        if self._within_goal_window(entry, plan.goal.within_days, event.occurred_at):
            self._goal_event = event
            self._finish("converted", f"goal reached: {event.type}")

    @staticmethod
    def _within_goal_window(entry: EntryRef, within_days: int, occurred_at: datetime) -> bool:
        """Calendar days in the shop's zone, whose name the entry carries (the sandbox reads no settings); an entry
        made before it carried one keeps the 24-hour periods it was started with, so its history replays."""
        if entry.shop_timezone is None:
            return entry.entered_at <= occurred_at <= entry.entered_at + timedelta(days=within_days)
        return within_days_after(entry.entered_at, occurred_at, within_days, entry.shop_timezone)

    def _take_steps(self) -> list[StepRecord]:
        """Steps not yet recorded; blocks still running stay pending so their exit is recorded later."""
        pending = list(self._steps.values())
        self._steps = {block_id: step for block_id, step in self._steps.items() if step.left_at is None}
        return pending

    async def _flush_steps(self) -> None:
        if self._steps:
            await self._local(record_journey_steps, StepsInput(entry=self.entry, steps=self._take_steps()))

    async def _local(self, activity: Callable[[InputT], OutputT], request: InputT) -> OutputT:
        return await workflow.execute_local_activity(
            activity, request, start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=JOURNEY_DATABASE
        )


def failure_reason(error: BaseException) -> str:
    """A failed activity (or a bad plan's error) in words: the innermost cause's type and message."""
    cause = error.cause if isinstance(error, ActivityError) and error.cause is not None else error
    if isinstance(cause, ApplicationError):
        return f"{cause.type}: {cause.message}" if cause.type else cause.message
    if isinstance(cause, ActivityTimeout):
        return f"timed out ({cause.type.name if cause.type else 'no answer'})"
    return f"{type(cause).__name__}: {cause}"
