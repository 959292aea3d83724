"""Determinism: the stored histories of finished runs (example journeys, signals, pause, goals, versions) replay
on today's workflow code. A change that would break runs in flight fails here.

Recording them again (only when a change is meant to be incompatible, with a new workflow version):
    RECORD_HISTORIES=1 pytest tests/workflows/test_example_journeys.py tests/workflows/test_journey_run.py
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.worker import Replayer

from tests.workflows.conftest import HISTORIES
from workflows.worker import WORKFLOW_RUNNER, WORKFLOWS

STORED = sorted(HISTORIES.glob("*.json"))


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
