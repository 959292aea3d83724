"""The webhook block against a local HTTP server that checks the signature as a receiver would: the body carries
the member, journey, block and coupon; retries send the same bytes and key; a 4xx fails at once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlmodel import col
from typer.testing import CliRunner

from cli.main import app
from connectors.webhook import signature
from engine.db import session_scope
from engine.models import Message
from engine.settings import get_settings
from tests.workflows.conftest import Lane, load_members, publish_live

pytestmark = [pytest.mark.database]
EXAMPLES = Path(__file__).parents[2] / "examples"


@dataclass
class Receiver:
    bodies: list[tuple[str, dict[str, Any]]] = field(default_factory=list)  # (idempotency key, body)
    answers: list[int] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            expected = signature(get_settings().webhook_key(), self.headers["X-Memberflow-Timestamp"], body)
            status = state.answers.pop(0) if state.answers else 204
            if self.headers["X-Memberflow-Signature"] != expected:
                status = 401
            elif status == 204:
                state.bodies.append((self.headers["Idempotency-Key"], json.loads(body)))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/memberflow"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state
    server.shutdown()


@pytest.fixture
def shop(tmp_path: Path, db: None) -> None:
    load_members(tmp_path, "H1,周敏,zm@example.com,,,,杭州,,,\n")
    assert CliRunner().invoke(app, ["coupons", "load", str(EXAMPLES / "rewards" / "coupons.yaml")]).exit_code == 0


def hook_journey(url: str) -> dict[str, Any]:
    return {"id": "hook-test", "name": "hook test", "trigger": {"type": "manual"},
            "steps": [{"id": "coupon", "type": "issue_coupon", "template": "birthday-gift"},
                      {"id": "notify", "type": "webhook", "url": url}]}  # fmt: skip


async def test_the_receiver_gets_a_signed_body_once_after_a_retry(shop: None, worker: Lane, receiver: Receiver) -> None:
    receiver.answers = [503]
    _, plan = publish_live(hook_journey(receiver.url))

    result = await worker.run(plan, "H1")

    [(key, body)] = receiver.bodies
    with session_scope() as session:
        message = session.scalars(select(Message)).one()
    assert result.status == "completed"
    assert key == message.idempotency_key == body["idempotency_key"]
    assert body["member"]["id"] == "H1" and body["member"]["city"] == "杭州"
    assert (body["journey"]["key"], body["block"]) == ("hook-test", "notify")
    assert body["coupon"]["template"] == "birthday-gift" and body["coupon"]["code"].startswith("BD")
    assert (message.channel, message.status, message.attempts) == ("webhook", "sent", 2)


async def test_a_refusing_receiver_fails_the_message_without_retrying(
    shop: None, worker: Lane, receiver: Receiver
) -> None:
    receiver.answers = [410]
    _, plan = publish_live(hook_journey(f"{receiver.url}?shop=7&token=hook-token-77"))

    await worker.run(plan, "H1")

    with session_scope() as session:
        status, attempts, reason, recipient = session.execute(
            select(col(Message.status), col(Message.attempts), col(Message.reason), col(Message.recipient))
        ).one()
    assert (status, attempts) == ("failed", 1)
    assert reason == f"{receiver.url}?shop=7&token=*** refused (410): "  # the outbox shows no token of the URL
    assert recipient == f"{receiver.url}?shop=7&token=***"
