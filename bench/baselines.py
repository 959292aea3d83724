"""Hand-written Temporal workflows the journey benchmarks compare memberflow against.

Kept apart from the benchmark scripts: Temporal's sandbox imports a workflow's module for each run, so this one
imports nothing but temporalio. Activities are named, not imported (they live in bench.journey_lab).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

ACTIVITY_TIMEOUT = timedelta(seconds=30)
RETRY = RetryPolicy(maximum_attempts=3)  # a benchmark: a failure should show, not be retried for ever


@workflow.defn
class BareWait:
    """What enrollment is measured against: a workflow that only waits 30 days."""

    @workflow.run
    async def run(self, member_key: str) -> None:
        await workflow.sleep(timedelta(days=30))


@workflow.defn
class BareSignalThenTag:
    """What event latency is measured against: signal-with-start, then one activity that tags the member."""

    def __init__(self) -> None:
        self._tag: str | None = None

    @workflow.signal
    def go(self, tag: str) -> None:
        self._tag = tag

    @workflow.run
    async def run(self, member_key: str) -> None:
        await workflow.wait_condition(lambda: self._tag is not None)
        await workflow.execute_activity(
            "baseline_add_tag", [member_key, self._tag], start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY
        )


@workflow.defn
class HandWrittenJourney:
    """The history baseline: condition -> action -> wait -> condition -> action -> exit, written by hand the
    idiomatic way, with one activity per check and per action and a durable timer for the wait."""

    @workflow.run
    async def run(self, args: list[str]) -> str:
        member_key, local = args[0], args[1] == "local"

        async def call(name: str, *params: str) -> bool:
            if local:
                result = await workflow.execute_local_activity(
                    name, list(params), start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY
                )
            else:
                result = await workflow.execute_activity(
                    name, list(params), start_to_close_timeout=ACTIVITY_TIMEOUT, retry_policy=RETRY
                )
            return bool(result)

        if await call("baseline_has_tag", member_key, "VIP"):
            await call("baseline_add_tag", member_key, "VIP_THANKED")
        await workflow.sleep(timedelta(days=1))
        if await call("baseline_has_tag", member_key, "VIP_THANKED"):
            await call("baseline_add_tag", member_key, "VIP_FOLLOWED_UP")
        return "exited"
