"""The wait_for_event block inside JourneyRun: the member goes down "timed_out" when the wait runs out, and down
"happened" as soon as a matching event arrives (a signal, days into the wait)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.workflows.conftest import Lane, load_members, publish_live, tags_of
from tests.workflows.test_journey_run import MEMBERS, journey, order_event
from workflows.journey_run import JourneyRun

pytestmark = [pytest.mark.database]

WAIT_FOR_ORDER = journey(
    "wait-for-order",
    [
        {"id": "wait-order", "type": "wait_for_event", "until": {"event": "order_placed"}, "timeout_days": 7,
         "happened": [{"id": "thanks", "type": "add_tag", "tag": "BOUGHT"}],
         "timed_out": [{"id": "nudge", "type": "add_tag", "tag": "NUDGE"}]},
    ],
)  # fmt: skip


async def test_wait_for_event_times_out(worker: Lane, tmp_path: Path) -> None:
    load_members(tmp_path, MEMBERS)
    _, plan = publish_live(WAIT_FOR_ORDER)

    result = await worker.run(plan, "M2")

    assert result.blocks == ["wait-order", "nudge"]
    assert "NUDGE" in tags_of("M2")


async def test_wait_for_event_is_satisfied_by_a_matching_event(worker: Lane, tmp_path: Path) -> None:
    load_members(tmp_path, MEMBERS)
    _, plan = publish_live(WAIT_FOR_ORDER)
    handle = await worker.start(plan, "M2")
    await worker.env.sleep(timedelta(days=2))

    await handle.signal(JourneyRun.member_event, order_event(1, await worker.env.get_current_time(), 99))
    result = await worker.result(handle)

    assert result.blocks == ["wait-order", "thanks"]
    assert "BOUGHT" in tags_of("M2")
