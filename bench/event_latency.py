"""Event to first action: an order_placed event through POST /api/events until the first action (add tag) of an
event-triggered journey is in the database, against a bare signal-with-start of a workflow that runs one
activity doing the same write, on the same embedded dev server and worker process. Goal: p99 ratio <= 1.5.

Usage: python -m bench.event_latency [--events 200]

Events go one at a time (no queueing). The end of each measurement is the moment the tag row is visible to a
reader polling the database every 2 ms, for both paths alike. The web app runs as `memberflow web`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import time

import httpx
from sqlalchemy import select
from sqlmodel import col

from bench.baselines import BareSignalThenTag
from bench.journey_lab import Lab, load_members, percentile, publish_live, seconds_since
from engine import clock
from engine.db import session_scope
from engine.models import Member, MemberTag, Tag
from engine.settings import get_settings

JOURNEY = {
    "id": "order-thanks", "name": "下单感谢", "trigger": {"type": "event", "event": "order_placed"},
    "reentry": {"policy": "always"}, "steps": [{"id": "thank", "type": "add_tag", "tag": "THANKED"}],
}  # fmt: skip


def tagged(member_key: str, tag: str) -> bool:
    with session_scope() as session:
        found = session.scalar(
            select(col(MemberTag.member_id))
            .join(Tag, col(Tag.id) == col(MemberTag.tag_id))
            .join(Member, col(Member.id) == col(MemberTag.member_id))
            .where(col(Member.external_id) == member_key, col(Tag.name) == tag)
        )
        return found is not None


async def until_tagged(member_key: str, tag: str, began: float) -> float:
    while not tagged(member_key, tag):
        if seconds_since(began) > 60:
            raise TimeoutError(f"{member_key} not tagged {tag} after 60 s")
        await asyncio.sleep(0.002)
    return seconds_since(began)


async def through_the_api(api: httpx.AsyncClient, member_key: str, n: int) -> float:
    event = {"member_id": member_key, "type": "order_placed", "properties": {"amount": 88},
             "occurred_at": clock.now().isoformat(), "idempotency_key": f"bench-{n}"}  # fmt: skip
    began = time.perf_counter()
    response = await api.post("/api/events", json=event)
    assert response.status_code == 201, response.text
    return await until_tagged(member_key, "THANKED", began)


async def bare_signal_with_start(lab: Lab, member_key: str) -> float:
    began = time.perf_counter()
    await lab.client.start_workflow(
        BareSignalThenTag.run, member_key, id=f"bare/{member_key}", task_queue=get_settings().temporal_task_queue,
        start_signal="go", start_signal_args=["BARE"],
    )  # fmt: skip
    return await until_tagged(member_key, "BARE", began)


def api_token() -> str:
    """API_TOKEN, or a token made for this run (the one of an earlier run is revoked: only its hash was kept)."""
    from engine.access.api_tokens import create_token, revoke_token
    from engine.clock import now
    from engine.errors import NotFound

    if operator := get_settings().api_token.get_secret_value():
        return operator
    with session_scope() as session:
        with contextlib.suppress(NotFound):
            revoke_token(session, "event-latency-bench")
        return create_token(session, "event-latency-bench", now())


async def main(events: int) -> None:
    keys = load_members(events)
    publish_live(JOURNEY)
    settings = get_settings()
    async with Lab() as lab:
        lab.start("web")
        headers = {"Authorization": f"Bearer {api_token()}"}
        base = f"http://{settings.web_host}:{settings.web_port}"
        async with httpx.AsyncClient(base_url=base, headers=headers, timeout=60) as api:
            for warm in range(3):  # connections, caches, the worker's first tasks
                await through_the_api(api, keys[warm], -warm - 1)
                await bare_signal_with_start(lab, keys[warm])
            journey, bare = [], []
            for n, key in enumerate(keys[3:]):  # alternate, so drift hits both
                journey.append(await through_the_api(api, key, n))
                bare.append(await bare_signal_with_start(lab, key))
    ms = 1000
    print(f"events: {len(journey)}, one at a time")
    print(f"API event -> first journey action: p50 {percentile(journey, 0.5) * ms:.1f} ms, "
          f"p99 {percentile(journey, 0.99) * ms:.1f} ms")  # fmt: skip
    print(f"bare signal-with-start + activity: p50 {percentile(bare, 0.5) * ms:.1f} ms, "
          f"p99 {percentile(bare, 0.99) * ms:.1f} ms")  # fmt: skip
    print(f"ratio p50: {percentile(journey, 0.5) / percentile(bare, 0.5):.2f}")
    print(f"ratio p99: {percentile(journey, 0.99) / percentile(bare, 0.99):.2f}   (goal <= 1.5)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200)
    asyncio.run(main(parser.parse_args().events))
