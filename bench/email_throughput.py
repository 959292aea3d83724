"""Email throughput: N members through a journey whose one block is send_email, delivered by the worker to a local
SMTP sink, against sending the same number of emails with aiosmtplib straight from one process (the same sink, 20
at a time). Goal: journey rate / raw rate >= 0.7.

Usage: python -m bench.email_throughput [--emails 1000] [--workers 1]

With --workers N the journeys run on N worker processes (one Python process uses one core at most).

The journey's time runs from the enroll call until the last message is recorded as sent, so it includes starting
the runs, the rules and rendering, recording each message before and after SMTP, and the workflow steps around it.
A third figure runs the same members through a one-block add_tag journey: the journey machinery without email.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import time
from typing import Any

with socket.socket() as _probe:  # the sink's port, set before the lab (and its worker) read the settings
    _probe.bind(("127.0.0.1", 0))
    os.environ["SMTP_PORT"] = str(_probe.getsockname()[1])
os.environ.update({"QUIET_HOURS": "", "FREQUENCY_CAP": ""})

import aiosmtplib
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from bench.journey_lab import WORK, Lab, publish_live, seconds_since
from connectors.email import build_email
from engine.db import session_scope, upgrade
from engine.intake.csv_import import import_csv
from engine.messages.templates import TemplateSpec, save_template
from engine.models import Journey, JourneyEntry, Message
from engine.settings import get_settings
from workflows.enroll import enroll

RAW_CONCURRENCY = 20
TEMPLATE = TemplateSpec(
    key="bench-mail", name="bench", channel="email", subject="你好 {{ member.name }}",
    html="<p>{{ member.name }}，本周新品 <a href=\"https://shop.example.com/new\">看看</a></p>",
    text="{{ member.name }}，本周新品：https://shop.example.com/new\n退订：{{ unsubscribe_url }}",
)  # fmt: skip


class Counter:
    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received += 1
        return "250 OK"


async def raw_rate(emails: int) -> float:
    settings = get_settings()
    gate = asyncio.Semaphore(RAW_CONCURRENCY)

    async def one(n: int) -> None:
        email = build_email(sender=settings.smtp_from, recipient=f"raw{n}@example.com", subject=f"你好 {n}",
                            html=f"<p>{n}</p>", text=f"{n}", idempotency_key=f"raw-{n}",
                            unsubscribe_url="https://example.com/u")  # fmt: skip
        async with gate:
            await aiosmtplib.send(email, hostname=settings.smtp_host, port=settings.smtp_port)

    began = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(emails)))
    return emails / seconds_since(began)


def sent() -> int:
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(Message).where(Message.status == "sent")) or 0


async def journey_rate(lab: Lab, emails: int) -> float:
    keys = [f"E{n:06d}" for n in range(emails)]
    path = WORK / "mail-members.csv"
    path.write_text("member_id,name,email\n" + "".join(f"{k},会员{k},{k.lower()}@example.com\n" for k in keys))
    assert import_csv(path, "members").rejected == 0
    with session_scope() as session:
        save_template(session, TEMPLATE)
    plan = publish_live({"id": "bench-mail", "name": "bench", "trigger": {"type": "manual"},
                         "steps": [{"id": "mail", "type": "send_email", "template": "bench-mail"}]})  # fmt: skip
    began = time.perf_counter()
    await enroll(lab.client, plan, keys, "bench", task_queue=get_settings().temporal_task_queue)
    while sent() < emails:  # noqa: ASYNC110 - the count lives in the database, written by the worker's process
        await asyncio.sleep(0.2)
    return emails / seconds_since(began)


def finished(journey_key: str) -> int:
    with session_scope() as session:
        return session.scalar(
            select(func.count()).select_from(JourneyEntry).join(Journey, Journey.id == JourneyEntry.journey_id)
            .where(Journey.key == journey_key, JourneyEntry.status != "running")
        ) or 0  # fmt: skip


async def machinery_rate(lab: Lab, runs: int) -> float:
    """The same members through a journey whose one block is add_tag: what the journey machinery alone allows."""
    keys = [f"E{n:06d}" for n in range(runs)]
    plan = publish_live({"id": "bench-tag", "name": "bench", "trigger": {"type": "manual"},
                         "steps": [{"id": "tag", "type": "add_tag", "tag": "BENCH"}]})  # fmt: skip
    began = time.perf_counter()
    await enroll(lab.client, plan, keys, "bench", task_queue=get_settings().temporal_task_queue)
    while finished("bench-tag") < runs:  # noqa: ASYNC110 - the count lives in the database, written by the worker
        await asyncio.sleep(0.2)
    return runs / seconds_since(began)


async def main(emails: int, workers: int) -> None:
    upgrade(get_settings().sqlalchemy_url)
    counter = Counter()
    sink = Controller(counter, hostname="127.0.0.1", port=get_settings().smtp_port)
    sink.start()
    try:
        raw = await raw_rate(emails)
        async with Lab(workers) as lab:
            journey = await journey_rate(lab, emails)
            machinery = await machinery_rate(lab, emails)
    finally:
        sink.stop()
    print(f"emails: {emails}; the sink received {counter.received}")
    print(f"raw aiosmtplib from one process ({RAW_CONCURRENCY} at a time): {raw:.0f} emails/s")
    print(f"through journeys and {workers} worker process{'es' if workers > 1 else ''}: {journey:.0f} emails/s")
    print(f"ratio journey / raw: {journey / raw:.2f} (goal >= 0.7)")
    print(
        f"the same members through an add_tag journey (the machinery alone): {machinery:.0f} runs/s; "
        f"email journeys reach {journey / machinery:.2f} of it"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--emails", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=1, help="worker processes")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.emails, arguments.workers))
