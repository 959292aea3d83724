"""The embedded SMTP catcher `make up` runs: it accepts every message and keeps it in the database for the outbox
page, so a newcomer sees each email without a mail account. Like a mailbox it keeps one copy per Message-ID."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller

from engine import clock
from engine.db import session_scope
from engine.ingest import insert_new
from engine.models import CaughtMail, table_of


class Catcher:
    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        parsed = message_from_bytes(raw, policy=default)
        row = {"message_id": str(parsed.get("Message-ID") or f"<no-id-{clock.now().timestamp()}>"),
               "sender": envelope.mail_from or "", "recipients": ", ".join(envelope.rcpt_tos)[:1000],
               "subject": str(parsed.get("Subject") or "")[:300], "raw": raw.decode("utf-8", "replace"),
               "received_at": clock.now()}  # fmt: skip
        with session_scope() as db:
            insert_new(db, table_of(CaughtMail), [row], "message_id")
        return "250 Message accepted"


def start_catcher(host: str, port: int) -> Controller:
    """Listen on host:port in a background thread; `.stop()` ends it."""
    controller = Controller(Catcher(), hostname=host, port=port)
    controller.start()
    return controller
