"""SMS from journeys: the HTTP provider against a local HTTP server that checks each request as a Twilio-compatible
gateway would; the outbox provider; segments and cost recorded; a gateway's 4xx fails at once, 5xx is retried."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from sqlalchemy import select
from sqlmodel import col
from typer.testing import CliRunner

from cli.main import app
from engine.db import session_scope
from engine.messages.sms import segments
from engine.models import Message
from tests.workflows.conftest import Lane, load_members, publish_live

pytestmark = [pytest.mark.database]
EXAMPLES = Path(__file__).parents[2] / "examples"
SID, TOKEN = "AC0123456789", "secret-token"


@dataclass
class Gateway:
    """What the gateway accepted, and how it should answer the next requests."""

    accepted: list[dict[str, Any]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # status codes to give first, e.g. [503]
    url: str = ""


@pytest.fixture
def gateway() -> Iterator[Gateway]:
    state = Gateway()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"])).decode()
            expected_auth = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
            form = {k: v[0] for k, v in parse_qs(body).items()}
            problems = [
                problem for problem, bad in [
                    ("wrong path", self.path != f"/2010-04-01/Accounts/{SID}/Messages.json"),
                    ("not authorised", self.headers["Authorization"] != expected_auth),
                    ("not a form", self.headers["Content-Type"] != "application/x-www-form-urlencoded"),
                    ("To, From and Body are required", not {"To", "From", "Body"} <= set(form)),
                    ("no idempotency key", not self.headers.get("Idempotency-Key")),
                ] if bad
            ]  # fmt: skip
            status = 400 if problems else (state.answers.pop(0) if state.answers else 201)
            if status == 201:
                state.accepted.append({**form, "key": self.headers["Idempotency-Key"]})
            answer = {"sid": f"SM{len(state.accepted):032d}", "status": "queued"} if status == 201 else {
                "message": "; ".join(problems) or "unavailable"}  # fmt: skip
            payload = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/2010-04-01/Accounts/{SID}/Messages.json"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()


@pytest.fixture
def shop(tmp_path: Path, db: None) -> None:
    load_members(tmp_path, "P1,王芳,,+8613800000001,,,,,,\nP2,赵磊,,+8613800000002,,,,,,\n")
    runner = CliRunner()
    for args in (["coupons", "load", str(EXAMPLES / "rewards" / "coupons.yaml")],
                 ["messages", "load", str(EXAMPLES / "messages" / "templates.yaml")]):  # fmt: skip
        assert runner.invoke(app, args).exit_code == 0


def sms_journey() -> dict[str, Any]:
    return {"id": "sms-test", "name": "sms test", "trigger": {"type": "manual"},
            "steps": [{"id": "coupon", "type": "issue_coupon", "template": "winback-20"},
                      {"id": "text", "type": "send_sms", "template": "winback-sms"}]}  # fmt: skip


def stored() -> list[Message]:
    with session_scope() as session:
        return list(session.scalars(select(Message).order_by(col(Message.id))))


async def test_the_gateway_gets_a_well_formed_request_and_the_cost_is_recorded(
    shop: None, worker: Lane, gateway: Gateway, rules: Any
) -> None:
    rules(sms_provider="http", sms_url=gateway.url, sms_username=SID, sms_password=TOKEN, sms_from="+15005550006",
          sms_cost_per_segment="0.05")  # fmt: skip
    gateway.answers = [503]  # busy once: tried again
    _, plan = publish_live(sms_journey())

    result = await worker.run(plan, "P1")

    [message] = stored()
    [request] = gateway.accepted
    assert result.status == "completed"
    assert (request["To"], request["From"]) == ("+8613800000001", "+15005550006")
    assert request["Body"].startswith("【memberflow】王芳，好久不见！送您满100减20，券码WB")
    assert request["key"] == message.idempotency_key
    assert (message.status, message.attempts, message.provider_id) == ("sent", 2, "SM" + "1".zfill(32))
    assert message.cost == Decimal("0.05") * segments(request["Body"])
    assert segments(request["Body"]) == 1


async def test_a_refused_request_fails_without_retrying(shop: None, worker: Lane, gateway: Gateway, rules: Any) -> None:
    rules(sms_provider="http", sms_url=gateway.url, sms_username=SID, sms_password="wrong")
    _, plan = publish_live(sms_journey())

    await worker.run(plan, "P1")

    [message] = stored()
    assert (message.status, message.attempts) == ("failed", 1)
    assert message.reason == 'gateway refused (400): {"message": "not authorised"}'
    assert gateway.accepted == []


async def test_the_outbox_provider_keeps_the_message_without_a_gateway(shop: None, worker: Lane) -> None:
    _, plan = publish_live(sms_journey())

    await worker.run(plan, "P2")

    [message] = stored()
    assert message.status == "sent" and message.provider_id == f"outbox:{message.id}"
    assert message.body_text is not None and "赵磊" in message.body_text
