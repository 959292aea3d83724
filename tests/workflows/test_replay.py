"""Determinism: the stored histories of finished runs (example journeys, signals, pause, goals, versions, and at
least one run through every registered block type) replay on today's workflow code. A change that would break runs
in flight fails here; how to make one safely: README, "Changing journeys safely".

Recording a history (a new block type, or the old behaviour before a patched change): run the workflow test that
drives it on the time-skipping server with RECORD_HISTORIES=1, e.g.
    RECORD_HISTORIES=1 .venv/bin/pytest tests/nodes/test_branch.py
and commit the files it writes under tests/workflows/histories/ (named after the test and the workflow id).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from temporalio import activity
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import HistoryEvent
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from engine.journey.base import BlockBase
from engine.journey.registry import blocks
from tests.workflows.conftest import HISTORIES
from workflows.journey_activities import JourneyRunInput, JourneyRunResult
from workflows.worker import WORKFLOW_RUNNER, WORKFLOWS

STORED = sorted(HISTORIES.glob("*.json"))
LOCAL_ACTIVITY_MARKER = "core_local_activity"  # how the SDK's core records a local activity (its `data` names it)


def test_histories_of_the_example_journeys_are_stored() -> None:
    journeys = {path.name.split("--journey_")[1].split("_")[0] for path in STORED}

    assert {"welcome", "vip-thanks"} <= journeys


def stored(path: Path) -> WorkflowHistory:
    return WorkflowHistory.from_json(path.stem.split("--")[1], path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", STORED, ids=lambda path: path.stem.split("--")[0][5:])
async def test_a_stored_history_replays_on_the_current_code(path: Path) -> None:
    history = stored(path)
    replayer = Replayer(
        workflows=list(WORKFLOWS), data_converter=pydantic_data_converter, workflow_runner=WORKFLOW_RUNNER
    )

    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)

    assert result.replay_failure is None, f"{path.name}: {result.replay_failure}"


@dataclass(frozen=True)
class StoredRun:
    """What one stored JourneyRun history shows: the types of the blocks the member passed (the run's result lists
    the block ids, its input holds the plan that gives their types) and every activity it ran, regular or local."""

    block_types: frozenset[str]
    activities: frozenset[str]


def what_ran(history: WorkflowHistory) -> StoredRun:
    """Read a JourneyRun history (a run that did not complete passed no block as far as this says)."""
    plan_types: dict[str, str] = {}
    passed: list[str] = []
    ran: set[str] = set()
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_STARTED:
            request = decoded(event.workflow_execution_started_event_attributes.input.payloads, JourneyRunInput)
            plan_types = {block_id: step.block["type"] for block_id, step in request.plan.steps.items()}
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED:
            passed = decoded(
                event.workflow_execution_completed_event_attributes.result.payloads, JourneyRunResult
            ).blocks
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            ran.add(event.activity_task_scheduled_event_attributes.activity_type.name)
        elif (local := local_activity_type(event)) is not None:
            ran.add(local)
    return StoredRun(frozenset(plan_types[block_id] for block_id in passed), frozenset(ran))


def decoded(payloads: Sequence[Any], kind: type[Any]) -> Any:
    return pydantic_data_converter.payload_converter.from_payloads(list(payloads), [kind])[0]


def local_activity_type(event: HistoryEvent) -> str | None:
    if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
        return None
    marker = event.marker_recorded_event_attributes
    if marker.marker_name != LOCAL_ACTIVITY_MARKER:
        return None
    return str(json.loads(marker.details["data"].payloads[0].data)["activity_type"])


def activity_name(function: Callable[..., Any]) -> str:
    return activity._Definition.must_from_callable(function).name


def coverage_gap(kind: type[BlockBase], runs: Sequence[StoredRun]) -> str | None:
    """Why the stored runs do not cover the block type `kind` (None when they do): a run must pass a block of it, and
    the runs that pass one must between them run every activity its step can call."""
    slug = kind.model_fields["type"].default
    passing = [run for run in runs if slug in run.block_types]
    if not passing:
        return "no stored run passes a block of this type"
    ran = frozenset().union(*(run.activities for run in passing))
    if unrun := sorted(name for name in map(activity_name, kind.activities()) if name not in ran):
        return f"no stored run that passes it runs {', '.join(unrun)}"
    return None


def test_a_stored_history_tells_which_blocks_ran_and_which_activities() -> None:
    path = HISTORIES / "test_quiet_hours_defer_the_send_to_their_end_or_skip_it--journey_deferring_M1_manual-1.json"

    run = what_ran(stored(path))

    assert run.block_types == {"issue_coupon", "send_email"}
    assert run.activities == {
        "enter_journey", "issue_coupon", "prepare_email", "record_journey_steps", "deliver_email", "finish_entry"
    }  # fmt: skip


def test_every_registered_block_type_has_a_stored_history_running_its_activities() -> None:
    runs = [what_ran(stored(path)) for path in STORED]

    gaps = {slug: gap for slug, kind in blocks().items() if (gap := coverage_gap(kind, runs)) is not None}

    assert not gaps, (
        "block types without a stored replay history: "
        + "; ".join(f"{slug} ({gap})" for slug, gap in gaps.items())
        + ". Record one: RECORD_HISTORIES=1 .venv/bin/pytest tests/nodes/test_<slug>.py -k <it>, "
        "and commit what it writes under tests/workflows/histories/"
    )
