"""History events per member for a representative journey — condition -> action -> wait -> condition -> action
-> exit — against the same steps written by hand as a Temporal workflow (bench/baselines.py), once with regular
activities (the usual way) and once with local activities (the leanest way). Goal: memberflow <= 1.5x the
hand-written workflow.

Usage: python -m bench.journey_history [--members 20]

Runs on Temporal's time-skipping test server (the 1-day wait passes at once); the event counts are what any
server would store.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import shutil
import sys
from pathlib import Path

from temporalio.api.testservice.v1 import LockTimeSkippingRequest, UnlockTimeSkippingRequest
from temporalio.client import Client
from temporalio.contrib.pydantic import pydantic_data_converter
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from bench.baselines import HandWrittenJourney
from bench.journey_lab import BASELINE_ACTIVITIES, BASELINE_WORKFLOWS, load_members, publish_live
from engine.settings import get_settings
from workflows.enroll import enroll, entry_key_for, workflow_id_for
from workflows.journey_activities import JourneyRunResult
from workflows.worker import ACTIVITIES, WORKFLOW_RUNNER, WORKFLOWS

JOURNEY = {
    "id": "representative", "name": "典型旅程", "trigger": {"type": "manual"},
    "steps": [
        {"id": "is-vip", "type": "if_else", "condition": {"kind": "has_tag", "tag": "VIP"},
         "then": [{"id": "thank", "type": "add_tag", "tag": "VIP_THANKED"}], "else": []},
        {"id": "wait-1d", "type": "wait", "days": 1},
        {"id": "thanked", "type": "if_else", "condition": {"kind": "has_tag", "tag": "VIP_THANKED"},
         "then": [{"id": "follow-up", "type": "add_tag", "tag": "VIP_FOLLOWED_UP"},
                  {"id": "done", "type": "exit", "reason": "followed up"}], "else": []},
    ],
}  # fmt: skip


async def events_of(client: Client, workflow_ids: list[str]) -> float:
    counts = [len((await client.get_workflow_handle(wid).fetch_history()).events) for wid in workflow_ids]
    return sum(counts) / len(counts)


async def finished(env: WorkflowEnvironment, workflow_id: str) -> JourneyRunResult:
    """The run's result, letting the server skip time meanwhile (it holds time still otherwise)."""
    await env.client.test_service.unlock_time_skipping(UnlockTimeSkippingRequest())
    try:
        return await env.client.get_workflow_handle(workflow_id, result_type=JourneyRunResult).result()
    finally:
        await env.client.test_service.lock_time_skipping(LockTimeSkippingRequest())


async def main(members: int) -> None:
    keys = load_members(members, tags="VIP")
    plan = publish_live(JOURNEY)
    server = Path(sys.executable).parent / "temporal-test-server"
    env = await WorkflowEnvironment.start_time_skipping(
        data_converter=pydantic_data_converter,
        test_server_existing_path=str(server) if server.exists() else shutil.which("temporal-test-server"),
    )
    queue = get_settings().temporal_task_queue
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as executor:
        async with (
            env,
            Worker(
                env.client,
                task_queue=queue,
                workflows=[*WORKFLOWS, *BASELINE_WORKFLOWS],
                activities=[*ACTIVITIES, *BASELINE_ACTIVITIES],
                activity_executor=executor,
                workflow_runner=WORKFLOW_RUNNER,
            ),
        ):
            await enroll(env.client, plan, keys, "bench", task_queue=queue)
            journey_ids = [workflow_id_for(plan, key, entry_key_for(plan, "bench")) for key in keys]
            results = [await finished(env, wid) for wid in journey_ids]
            assert all(r.blocks == ["is-vip", "thank", "wait-1d", "thanked", "follow-up", "done"] for r in results)
            baseline: dict[str, float] = {}
            for style in ("regular", "local"):
                ids = [f"hand/{style}/{key}" for key in keys]
                for key, wid in zip(keys, ids, strict=True):
                    await env.client.execute_workflow(HandWrittenJourney.run, [key, style], id=wid, task_queue=queue)
                baseline[style] = await events_of(env.client, ids)
            memberflow = await events_of(env.client, journey_ids)
    print(f"members: {members}; journey: condition -> action -> wait 1 day -> condition -> action -> exit")
    print(f"memberflow JourneyRun:                 {memberflow:.1f} history events per member")
    print(f"hand-written, regular activities:      {baseline['regular']:.1f} events per member")
    print(f"hand-written, local activities:        {baseline['local']:.1f} events per member")
    print(f"ratio vs hand-written (regular):       {memberflow / baseline['regular']:.2f}   (goal <= 1.5)")
    print(f"ratio vs hand-written (local):         {memberflow / baseline['local']:.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=20)
    asyncio.run(main(parser.parse_args().members))
