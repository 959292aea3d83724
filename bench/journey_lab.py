"""A private memberflow for the journey benchmarks: its own SQLite file, its own embedded Temporal dev server on
free ports, and a worker process that also hosts the hand-written baseline workflows.

Import this module before anything else from memberflow: it sets the environment the settings read.
Run `python -m bench.journey_lab worker` to start the worker (the benchmarks do it for you).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if "MEMBERFLOW_BENCH_DIR" not in os.environ:  # the parent: make a fresh lab; the worker child inherits it
    _work = Path(tempfile.mkdtemp(prefix="memberflow-bench-"))

    def _free_port() -> int:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])

    os.environ.update(
        {
            "MEMBERFLOW_BENCH_DIR": str(_work),
            "VAR_DIR": str(_work / "var"),
            "DATABASE_URL": f"sqlite:///{_work / 'bench.db'}",
            "API_TOKEN": "bench-token",
            "TEMPORAL_DEV_PORT": str(_free_port()),
            "TEMPORAL_UI_PORT": str(_free_port()),
            "WEB_PORT": str(_free_port()),
            "DEMO_MEMBERS": "0",
        }
    )
    os.environ.pop("TEMPORAL_ADDRESS", None)
WORK = Path(os.environ["MEMBERFLOW_BENCH_DIR"])

from temporalio import activity  # noqa: E402
from temporalio.client import Client  # noqa: E402
from temporalio.worker import Worker  # noqa: E402

from bench.baselines import BareSignalThenTag, BareWait, HandWrittenJourney  # noqa: E402
from connectors.temporal import connect, start_dev_server, wait_for_port  # noqa: E402
from engine import clock  # noqa: E402
from engine.db import session_scope, upgrade  # noqa: E402
from engine.intake.csv_import import import_csv  # noqa: E402
from engine.journey.facts import MemberFacts  # noqa: E402
from engine.journey.plan import Plan  # noqa: E402
from engine.journey.store import live_plan, publish  # noqa: E402
from engine.journey.validate import parse_journey  # noqa: E402
from engine.members.tags import add_tag  # noqa: E402
from engine.models import Member  # noqa: E402
from engine.settings import get_settings  # noqa: E402
from workflows.worker import ACTIVITIES, WORKFLOW_RUNNER, WORKFLOWS  # noqa: E402

# --- The hand-written baselines ------------------------------------------------------------------------------------


@activity.defn
def baseline_has_tag(request: list[str]) -> bool:
    member_key, tag = request
    with session_scope() as session:
        member = session.query(Member).filter(Member.external_id == member_key).one()
        return tag in MemberFacts(session, member, now=clock.now(), entered_at=clock.now()).tags


@activity.defn
def baseline_add_tag(request: list[str]) -> bool:
    """One real action: tag a member (member key, tag), as a hand-written workflow's activity would."""
    member_key, tag = request
    with session_scope() as session:
        member = session.query(Member).filter(Member.external_id == member_key).one()
        return add_tag(session, member, tag, source="baseline", added_by="baseline", now=clock.now())


BASELINE_WORKFLOWS = (BareWait, BareSignalThenTag, HandWrittenJourney)
BASELINE_ACTIVITIES = (baseline_add_tag, baseline_has_tag)


# --- The lab -------------------------------------------------------------------------------------------------------


def load_members(count: int, tags: str = "") -> list[str]:
    upgrade(get_settings().sqlalchemy_url)
    keys = [f"B{n:06d}" for n in range(count)]
    path = WORK / f"members-{count}.csv"
    rows = "".join(f"{key},会员,,,,,,,2024-01-01,{tags}\n" for key in keys)
    path.write_text("member_id,name,email,phone,birthday,gender,city,timezone,registered_at,tags\n" + rows)
    report = import_csv(path, "members")
    assert report.rejected == 0
    return keys


def publish_live(journey: dict[str, object]) -> Plan:
    definition = parse_journey(journey)
    with session_scope() as session:
        publish(session, definition, now=clock.now())
    with session_scope() as session:
        return live_plan(session, definition.key)[1]


class Lab:
    """The dev server and worker processes (one unless told); `async with Lab() as lab:` gives `lab.client`."""

    def __init__(self, workers: int = 1) -> None:
        self.children: list[subprocess.Popen[bytes]] = []
        self.client: Client
        self.workers = workers

    async def __aenter__(self) -> Lab:
        settings = get_settings()
        upgrade(settings.sqlalchemy_url)
        self.children.append(start_dev_server(settings))
        self.client = await connect(settings)
        for _ in range(self.workers):
            self.start("worker")
        await asyncio.sleep(2)  # the workers connect and poll
        return self

    def start(self, *command: str) -> subprocess.Popen[bytes]:
        env = {**os.environ, "TEMPORAL_ADDRESS": get_settings().temporal_target}
        log = (WORK / f"{command[0]}.log").open("ab")
        if command[0] == "worker":
            argv = [sys.executable, "-m", "bench.journey_lab", "worker"]
        else:
            argv = [sys.executable, "-m", "cli", *command]
        child = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.children.append(child)
        if command[0] == "web":
            settings = get_settings()
            wait_for_port(settings.web_host, settings.web_port, timeout=60, process=child)
        return child

    async def __aexit__(self, *_: object) -> None:
        for child in reversed(self.children):
            child.terminate()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()


async def run_worker() -> None:
    """memberflow's worker as `memberflow worker` builds it, plus the baseline workflows on the same queue."""
    settings = get_settings()
    client = await connect(settings)
    with concurrent.futures.ThreadPoolExecutor(max_workers=32) as executor:
        worker = Worker(
            client,
            task_queue=settings.temporal_task_queue,
            workflows=[*WORKFLOWS, *BASELINE_WORKFLOWS],
            activities=[*ACTIVITIES, *BASELINE_ACTIVITIES],
            activity_executor=executor,
            workflow_runner=WORKFLOW_RUNNER,
            max_concurrent_activities=32,
        )
        await worker.run()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def seconds_since(start: float) -> float:
    return time.perf_counter() - start


if __name__ == "__main__" and sys.argv[1:] == ["worker"]:
    asyncio.run(run_worker())
