"""Secrets stay out of what the outside world makes of them: a database that cannot be reached, an SMS gateway or
a webhook receiver that echoes credentials back; each failure names the URL without its secrets."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from threading import Thread

import pytest

from connectors.sms import send_sms
from connectors.webhook import post_webhook
from engine.errors import PermanentFailure, TransientFailure
from engine.settings import Settings


def test_an_unreachable_database_is_one_sentence_without_its_password() -> None:
    env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": "postgresql://shop:s3cret-pw@127.0.0.1:1/memberflow"}
    result = subprocess.run([sys.executable, "-m", "cli", "db", "upgrade"], env=env, capture_output=True,
                            text=True, timeout=60, check=False)  # fmt: skip

    assert result.returncode == 2
    assert "s3cret-pw" not in result.stdout + result.stderr
    assert result.stderr.startswith("error: the database postgresql://shop:***@127.0.0.1:1/memberflow answered: ")
    assert "Traceback" not in result.stderr


@pytest.fixture
def echoing_server() -> Iterator[str]:
    """A real HTTP server that refuses every request, echoing its Authorization header and path (as careless
    gateways do), with the status the path's first segment names."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            payload = f"refused {self.path} for {self.headers.get('Authorization')}".encode()
            self.send_response(int(self.path.split("/")[1]))
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def test_a_gateway_echoing_the_sms_password_does_not_put_it_in_the_failure(echoing_server: str) -> None:
    http = Settings(sms_provider="http", sms_preset="json", sms_url=f"{echoing_server}/401",
                    sms_password="sms-gateway-pw-9920")  # fmt: skip

    with pytest.raises(PermanentFailure) as refused:
        await send_sms(http, to="+8613800138000", text="hi", idempotency_key="k1", message_id=1)

    assert str(refused.value) == "gateway refused (401): refused /401 for Bearer ***"


async def test_a_webhook_failure_names_the_url_without_its_token(echoing_server: str) -> None:
    url = f"{echoing_server}/%d/hook?shop=7&token=hook-token-77"

    with pytest.raises(TransientFailure) as unavailable:
        await post_webhook(url % 503, b"{}", secret=b"s", idempotency_key="k", timeout_seconds=5)
    with pytest.raises(PermanentFailure) as refused:
        await post_webhook(url % 400, b"{}", secret=b"s", idempotency_key="k", timeout_seconds=5)

    assert str(unavailable.value) == f"{echoing_server}/503/hook?shop=7&token=*** answered 503"
    assert "hook-token-77" not in str(refused.value)
    assert str(refused.value).startswith(f"{echoing_server}/400/hook?shop=7&token=*** refused (400): refused /400/hook")
