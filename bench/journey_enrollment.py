"""Enrolling 10,000 members into a live journey whose first block is a 30-day wait, against starting 10,000 bare
workflows (a 30-day sleep) with the same client, the same concurrency, on the same embedded dev server, with the
same worker process running both. Goal: journey rate / bare rate >= 0.8.

Usage: python -m bench.journey_enrollment [--members 10000] [--rounds 2]

Rounds alternate bare and journey so drift on this shared machine hits both. How many runs had written their entry
row when the last start returned is reported too, not part of the ratio.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from sqlalchemy import func, select

from bench.baselines import BareWait
from bench.journey_lab import Lab, load_members, percentile, publish_live, seconds_since
from engine.db import session_scope
from engine.models import JourneyEntry
from engine.settings import get_settings
from workflows.enroll import START_CONCURRENCY, enroll


async def start_bare(lab: Lab, keys: list[str], round_no: int) -> float:
    gate = asyncio.Semaphore(START_CONCURRENCY)
    queue = get_settings().temporal_task_queue

    async def start(key: str) -> None:
        async with gate:
            await lab.client.start_workflow(BareWait.run, key, id=f"bare/{round_no}/{key}", task_queue=queue)

    began = time.perf_counter()
    await asyncio.gather(*(start(key) for key in keys))
    return seconds_since(began)


def entries() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(JourneyEntry)) or 0


async def main(members: int, rounds: int) -> None:
    keys = load_members(members)
    async with Lab() as lab:
        bare_rates, journey_rates = [], []
        for round_no in range(rounds):
            plan = publish_live(
                {"id": f"wait-30d-{round_no}", "name": "30 天等待", "trigger": {"type": "manual"},
                 "steps": [{"id": "wait-30d", "type": "wait", "days": 30},
                           {"id": "tag", "type": "add_tag", "tag": "DONE"}]}
            )  # fmt: skip
            bare = await start_bare(lab, keys, round_no)
            began = time.perf_counter()
            report = await enroll(lab.client, plan, keys, "bench", task_queue=get_settings().temporal_task_queue)
            journey = seconds_since(began)
            assert report.started == members, report
            bare_rates.append(members / bare)
            journey_rates.append(members / journey)
            print(f"round {round_no + 1}: bare {members / bare:,.0f}/s, journey {members / journey:,.0f}/s", flush=True)
        inside = entries() - members * (rounds - 1)
        print(f"when the last start returned, {inside:,} of the last {members:,} runs had written their entry")
    bare_rate, journey_rate = percentile(bare_rates, 0.5), percentile(journey_rates, 0.5)
    print(f"\nmembers per round: {members:,}, start concurrency {START_CONCURRENCY}")
    print(f"bare workflow starts:   {bare_rate:,.0f} starts/s (median of {rounds})")
    print(f"journey enrollment:     {journey_rate:,.0f} members/s (median of {rounds})")
    print(f"ratio journey / bare:   {journey_rate / bare_rate:.2f}   (goal >= 0.8)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    asyncio.run(main(args.members, args.rounds))
