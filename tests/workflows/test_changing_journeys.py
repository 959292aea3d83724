"""Changing a journey step safely (README, "Changing journeys safely"): a change to the commands a step issues
breaks the replay of runs recorded before it, unless it goes behind `patched`, which keeps the old path for them.

The variants of JourneyRun below stand for the next version of the code: registered under the same workflow name,
they replay the stored histories with Temporal's real Replayer, and the patched one also runs new journeys on the
time-skipping server against the real database and SMTP sink.
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer, Worker, WorkflowReplayResult

from engine.db import session_scope
from engine.messages.templates import TemplateSpec, save_template
from tests.smtp_sink import Sink
from tests.workflows.conftest import HISTORIES, Lane, load_members, publish_live
from tests.workflows.journey_variants import (
    EmailSettlesFirst,
    EmailSettlesFirstDeprecated,
    EmailSettlesFirstPatched,
    EmailThroughAnotherActivity,
)
from tests.workflows.test_replay import LOCAL_ACTIVITY_MARKER, stored, what_ran
from workflows.journey_run import JourneyRun
from workflows.worker import ACTIVITIES, WORKFLOW_RUNNER, WORKFLOWS

# Every stored run whose send_email step handed a message to SMTP (the command the variants change).
EMAIL_SENT = [path for path in sorted(HISTORIES.glob("*.json")) if "deliver_email" in what_ran(stored(path)).activities]


def journey_runs(run_class: type[JourneyRun]) -> list[type]:
    """The worker's workflows with `run_class` in JourneyRun's place."""
    return [run_class if workflow_class is JourneyRun else workflow_class for workflow_class in WORKFLOWS]


async def replay(history: WorkflowHistory, run_class: type[JourneyRun]) -> WorkflowReplayResult:
    replayer = Replayer(
        workflows=journey_runs(run_class), data_converter=pydantic_data_converter, workflow_runner=WORKFLOW_RUNNER
    )
    return await replayer.replay_workflow(history, raise_on_replay_failure=False)


def test_stored_runs_send_email_through_smtp() -> None:
    assert len(EMAIL_SENT) >= 2, "the negative replay tests need stored runs whose send_email step delivered"


@pytest.mark.parametrize(
    ("variant", "mismatch"),
    [
        (EmailSettlesFirst, r"\[TMPRL1100\] Nondeterminism error: "),  # a timer where the history has a local activity
        (
            EmailThroughAnotherActivity,
            r"\[TMPRL1100\] Nondeterminism error: Activity type .*'deliver_email'.*'deliver_sms'",
        ),
    ],
    ids=["extra-timer", "other-activity"],
)
@pytest.mark.parametrize("path", EMAIL_SENT, ids=lambda path: path.stem.split("--")[1])
async def test_a_changed_send_email_step_fails_the_replay_of_runs_recorded_before(
    path: Path, variant: type[JourneyRun], mismatch: str
) -> None:
    history = stored(path)

    unchanged = await replay(history, JourneyRun)
    changed = await replay(history, variant)

    assert unchanged.replay_failure is None, unchanged.replay_failure
    assert isinstance(changed.replay_failure, workflow.NondeterminismError), changed.replay_failure
    with pytest.raises(workflow.NondeterminismError, match=mismatch):
        raise changed.replay_failure


@pytest.mark.parametrize("path", EMAIL_SENT, ids=lambda path: path.stem.split("--")[1])
async def test_the_change_behind_patched_replays_the_runs_recorded_before_until_the_patch_is_deprecated(
    path: Path,
) -> None:
    patched = await replay(stored(path), EmailSettlesFirstPatched)
    deprecated = await replay(stored(path), EmailSettlesFirstDeprecated)

    assert patched.replay_failure is None, patched.replay_failure
    assert isinstance(deprecated.replay_failure, workflow.NondeterminismError), deprecated.replay_failure


@pytest.mark.database
async def test_new_runs_take_the_patched_path_and_replay_on_it_and_once_the_patch_is_deprecated(
    time_skipping: WorkflowEnvironment,
    executor: concurrent.futures.ThreadPoolExecutor,
    task_queue: str,
    db: None,
    smtp_sink: Sink,
    tmp_path: Path,
) -> None:
    load_members(tmp_path, "M1,张三,zs@example.com,,,,上海,,2024-01-01,\n")
    with session_scope() as session:
        save_template(session, TemplateSpec(
            key="hello", name="hello", channel="email", subject="你好 {{ member.name }}",
            html="<p>你好 {{ member.name }}</p><a href='{{ unsubscribe_url }}'>退订</a>",
            text="你好 {{ member.name }} 退订 {{ unsubscribe_url }}",
        ))  # fmt: skip
    _, plan = publish_live({"id": "hello", "name": "hello", "trigger": {"type": "manual"},
                            "steps": [{"id": "mail", "type": "send_email", "template": "hello"}]})  # fmt: skip
    async with Worker(
        time_skipping.client, task_queue=task_queue, workflows=journey_runs(EmailSettlesFirstPatched),
        activities=ACTIVITIES, activity_executor=executor, workflow_runner=WORKFLOW_RUNNER,
    ):  # fmt: skip
        lane = Lane(time_skipping.client, time_skipping, task_queue)
        handle = await lane.start(plan, "M1")
        result = await lane.result(handle)
        history = await handle.fetch_history()

    assert result.status == "completed"
    assert commands(history) == ["marker core_patch", "timer 60 s", "activity deliver_email"]
    assert [mail["To"] for mail in smtp_sink.received] == ["zs@example.com"]
    assert (await replay(history, EmailSettlesFirstPatched)).replay_failure is None
    assert (await replay(history, EmailSettlesFirstDeprecated)).replay_failure is None
    assert isinstance((await replay(history, JourneyRun)).replay_failure, workflow.NondeterminismError)


def commands(history: WorkflowHistory) -> list[str]:
    """The patch markers, timers and regular activities of a history, in order (local activities left out)."""
    found = []
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_MARKER_RECORDED:
            found.append(f"marker {event.marker_recorded_event_attributes.marker_name}")
        elif event.event_type == EventType.EVENT_TYPE_TIMER_STARTED:
            found.append(f"timer {event.timer_started_event_attributes.start_to_fire_timeout.seconds} s")
        elif event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
            found.append(f"activity {event.activity_task_scheduled_event_attributes.activity_type.name}")
    return [command for command in found if command != f"marker {LOCAL_ACTIVITY_MARKER}"]
