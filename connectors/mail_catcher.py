"""The embedded SMTP catcher `make up` runs: it accepts every message and hands it to `keep` (which stores it for the
outbox page: engine.messages.message_log.keep_caught_mail), so a newcomer sees each email without a mail account."""

from __future__ import annotations

from collections.abc import Callable
from email import message_from_bytes
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from engine import clock
from engine.models import CaughtMail


class Catcher:
    def __init__(self, keep: Callable[[CaughtMail], None]) -> None:
        self._keep = keep

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        parsed = message_from_bytes(raw, policy=default)
        self._keep(CaughtMail(
            message_id=str(parsed.get("Message-ID") or f"<no-id-{clock.now().timestamp()}>"),
            sender=envelope.mail_from or "", recipients=", ".join(envelope.rcpt_tos)[:1000],
            subject=str(parsed.get("Subject") or "")[:300], raw=raw.decode("utf-8", "replace"), received_at=clock.now(),
        ))  # fmt: skip
        return "250 Message accepted"


def start_catcher(host: str, port: int, keep: Callable[[CaughtMail], None]) -> Controller:
    """Listen on host:port in a background thread, handing each message received to `keep`; `.stop()` ends it."""
    controller = Controller(Catcher(keep), hostname=host, port=port)
    controller.start()
    return controller
