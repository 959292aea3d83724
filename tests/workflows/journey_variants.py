"""Next versions of JourneyRun for tests/workflows/test_changing_journeys.py: each registers under the workflow name
"JourneyRun" and changes what a send_email step does, carelessly or by the rule (README, "Changing journeys safely").

A module of its own, importing nothing of pytest's: the workflow sandbox imports a workflow's module afresh.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow

from workflows.journey_run import JourneyRun

with workflow.unsafe.imports_passed_through():  # as in workflows/journey_run.py: built once, outside the sandbox
    from engine.journey.base import BlockBase
    from engine.journey.runtime import ActionResult
    from nodes.send_sms import deliver_sms
    from workflows.journey_activities import JourneyRunInput, JourneyRunResult

SETTLE = "send_email/settle-before-delivery"  # the patch id: <block type>/<what changed>


@workflow.defn(name="JourneyRun")
class EmailSettlesFirst(JourneyRun):
    """A careless change: a send_email step now waits a minute before it hands the message over (a new timer)."""

    @workflow.run
    async def run(self, request: JourneyRunInput) -> JourneyRunResult:
        return await super().run(request)

    async def act_with_retries(self, block: BlockBase, activity: Callable[..., Any]) -> ActionResult:
        if block.type == "send_email":
            await workflow.sleep(timedelta(minutes=1))
        return await super().act_with_retries(block, activity)


@workflow.defn(name="JourneyRun")
class EmailThroughAnotherActivity(JourneyRun):
    """A careless change: a send_email step hands the message to another activity than before."""

    @workflow.run
    async def run(self, request: JourneyRunInput) -> JourneyRunResult:
        return await super().run(request)

    async def act_with_retries(self, block: BlockBase, activity: Callable[..., Any]) -> ActionResult:
        return await super().act_with_retries(block, deliver_sms if block.type == "send_email" else activity)


@workflow.defn(name="JourneyRun")
class EmailSettlesFirstPatched(JourneyRun):
    """The same change as EmailSettlesFirst, made by the rule: behind `patched`, with the old path kept."""

    @workflow.run
    async def run(self, request: JourneyRunInput) -> JourneyRunResult:
        return await super().run(request)

    async def act_with_retries(self, block: BlockBase, activity: Callable[..., Any]) -> ActionResult:
        if block.type == "send_email" and self.patched(SETTLE):
            await self.sleep(timedelta(minutes=1))
        return await super().act_with_retries(block, activity)


@workflow.defn(name="JourneyRun")
class EmailSettlesFirstDeprecated(JourneyRun):
    """The patch's next stage, once no run on the old path is open: the patch deprecated, the old path gone."""

    @workflow.run
    async def run(self, request: JourneyRunInput) -> JourneyRunResult:
        return await super().run(request)

    async def act_with_retries(self, block: BlockBase, activity: Callable[..., Any]) -> ActionResult:
        if block.type == "send_email":
            self.deprecate_patch(SETTLE)
            await self.sleep(timedelta(minutes=1))
        return await super().act_with_retries(block, activity)
