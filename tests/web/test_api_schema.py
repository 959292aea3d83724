"""Schemathesis against the real API: `memberflow web` and `memberflow worker` on a Temporal dev server, every /api
operation fed generated requests (valid and invalid) from the OpenAPI schema. Each answer must be no 5xx and must
match the schema: documented status codes, `{"problems": [...]}` error bodies, fields as they are serialised."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from litestar.serialization import encode_json
from schemathesis import Case
from schemathesis.config import SchemathesisConfig

from connectors.temporal import temporal_cli, wait_for_port
from engine.db import session_scope
from engine.intake.csv_import import import_csv
from tests.conftest import TABLES
from tests.workflows.conftest import free_port
from web.app import create_app

pytestmark = [pytest.mark.database]
EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module")
def api_url(migrated: None, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The API of a running memberflow (web and worker processes on their own Temporal dev server), over a shop of
    a few members, orders, a published journey, a tag rule and a coupon template."""
    _empty_database()
    logs = tmp_path_factory.mktemp("served")
    temporal_port, web_port = free_port(), free_port()
    env = os.environ | {
        "TEMPORAL_ADDRESS": f"127.0.0.1:{temporal_port}",
        "WEB_HOST": "127.0.0.1",
        "WEB_PORT": str(web_port),
        "DEMO_MEMBERS": "0",
    }
    commands = {
        "temporal": [temporal_cli(), "server", "start-dev", "--ip", "127.0.0.1", "--port", str(temporal_port),
                     "--headless", "--log-level", "error"],
        "worker": [sys.executable, "-m", "cli", "worker"],
        "web": [sys.executable, "-m", "cli", "web"],
    }  # fmt: skip
    started: list[subprocess.Popen[bytes]] = []
    try:
        for name, command in commands.items():
            with (logs / f"{name}.log").open("wb") as log:
                started.append(subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT))
            port = temporal_port if name == "temporal" else web_port if name == "web" else None
            if port is not None:
                wait_for_port("127.0.0.1", port, timeout=180, process=started[-1])  # a loaded CI machine
        _a_small_shop(tmp_path_factory.mktemp("shop"), env)
        yield f"http://127.0.0.1:{web_port}"
    finally:
        for process in reversed(started):
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _empty_database() -> None:
    from sqlalchemy import text

    from engine.db import get_engine

    with get_engine().begin() as connection:
        for table in TABLES:
            connection.execute(text(f"DELETE FROM {table}"))  # noqa: S608


def _a_small_shop(folder: Path, env: dict[str, str]) -> None:
    (folder / "members.csv").write_text(
        "member_id,name,email,phone,tags\nM1,张三,zs@example.com,13800138000,VIP\nM2,李四,,,\n", encoding="utf-8"
    )
    (folder / "orders.csv").write_text(
        "order_id,member_id,placed_at,amount,category\nO1,M1,2026-01-02,120.50,母婴\nO2,M2,2026-01-03,8,食品\n",
        encoding="utf-8",
    )
    import_csv(folder / "members.csv", "members")
    import_csv(folder / "orders.csv", "orders")
    cli = [sys.executable, "-m", "cli"]
    for command in (
        ["coupons", "load", str(EXAMPLES / "rewards" / "coupons.yaml")],
        ["messages", "load", str(EXAMPLES / "messages" / "templates.yaml")],
        ["tags", "load", str(EXAMPLES / "rules" / "tag-rules.yaml")],
        ["journey", "publish", str(EXAMPLES / "vip-thanks.yaml")],
    ):
        done = subprocess.run([*cli, *command], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stdout + done.stderr
    with session_scope():
        pass


# What every case is checked for: all of schemathesis's checks, with two exceptions, each for a reason.
CHECKS = SchemathesisConfig.from_str("""
[auth.openapi.bearer]
bearer = "test-token"

[checks]
# Litestar 2 lists only some methods of a path in its automatic OPTIONS answer (litestar-org/litestar#4169).
allow_header_conformance.enabled = false
# 422 is how the API refuses a well-formed request naming what does not exist (a member, a coupon template).
positive_data_acceptance.expected-statuses = ["2xx", "401", "404", "409", "422"]

# Rules that reach beyond one field, which JSON Schema cannot state: a journey's blocks must name existing
# templates, a tag rule's condition must be answerable, a coupon's validity dates must be in order.
[[operations]]
include-path-regex = "^/api/(journeys|tag-rules/[^/]+|coupons/templates/[^/]+)$"
include-method-regex = "^(POST|PUT)$"
checks.positive_data_acceptance.enabled = false

# Bodies holding conditions (18 kinds, nested in all / any / not): the coverage phase would enumerate tens of
# thousands of their combinations; the generated cases still try them.
[[operations]]
include-path-regex = "^/api/(tag-rules/[^/]+|journeys/[^/]+/enroll)$"
phases.coverage.enabled = false
""")

# The schema the app serves at /schema/openapi.json, read from the app itself so tests are made at collection.
schema = schemathesis.openapi.from_dict(json.loads(encode_json(create_app().openapi_schema.to_schema())), config=CHECKS)


@schema.parametrize()
@settings(
    max_examples=15,
    deadline=timedelta(seconds=30),
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_answers_as_documented_and_never_5xx(case: Case, api_url: str) -> None:
    case.call_and_validate(base_url=api_url, timeout=60)
