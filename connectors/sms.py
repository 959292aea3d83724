"""SMS out: the outbox provider (the default: the message is kept and shown, nothing leaves the machine) and the
HTTP provider for a real gateway (Twilio-compatible form post, or a JSON body), with what a failure means.

Every gateway request carries the message's idempotency key (`Idempotency-Key`), so a gateway that honours it
keeps one message when a crashed worker's retry sends it again.
"""

from __future__ import annotations

from typing import Any

import httpx

from engine.errors import PermanentFailure, TransientFailure
from engine.settings import Settings

SMS_TIMEOUT = 20.0  # seconds per gateway request


async def send_sms(settings: Settings, *, to: str, text: str, idempotency_key: str, message_id: int) -> str:
    """Send (or keep, for the outbox provider); returns the provider's id for the message."""
    if settings.sms_provider == "outbox":
        return f"outbox:{message_id}"
    request: dict[str, Any] = {"headers": {"Idempotency-Key": idempotency_key}}
    password = settings.sms_password.get_secret_value()
    if settings.sms_username:
        request["auth"] = (settings.sms_username, password)
    elif password:
        request["headers"]["Authorization"] = f"Bearer {password}"
    if settings.sms_preset == "twilio":
        request["data"] = {"To": to, "From": settings.sms_from, "Body": text}
    else:
        request["json"] = {"to": to, "from": settings.sms_from, "text": text, "idempotency_key": idempotency_key}
    try:
        async with httpx.AsyncClient(timeout=SMS_TIMEOUT) as client:
            response = await client.post(settings.sms_url, **request)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:  # SMS_URL itself is wrong: no retry mends it
        raise PermanentFailure(settings.mask(f"SMS_URL {settings.sms_url!r} cannot be used: {exc}")) from None
    except httpx.HTTPError as exc:
        raise TransientFailure(settings.mask(f"{type(exc).__name__}: {exc}")) from None
    # The reason is kept on the message and shown in the outbox: a gateway echoing our credentials must not leak them.
    if response.status_code == 429 or response.status_code >= 500:
        raise TransientFailure(settings.mask(f"gateway answered {response.status_code}: {response.text[:200]}"))
    if response.status_code >= 400:
        raise PermanentFailure(settings.mask(f"gateway refused ({response.status_code}): {response.text[:200]}"))
    if not response.is_success:  # a redirect or an informational answer: nothing was accepted
        raise PermanentFailure(
            settings.mask(f"gateway answered {response.status_code}, not a success: {response.text[:200]}")
        )
    try:
        answer = response.json()
    except ValueError:
        answer = {}
    answer = answer if isinstance(answer, dict) else {}  # a gateway answering a list or a bare value gave no id
    if refusal := refused_in(answer):
        raise PermanentFailure(f"gateway did not accept it ({response.status_code}): {refusal}")
    return str(answer.get("sid") or answer.get("id") or f"http:{idempotency_key}")


REFUSED_STATES = frozenset({"failed", "undelivered", "rejected", "canceled", "cancelled", "error"})


def refused_in(answer: object) -> str | None:
    """What a gateway's 2xx body says when it did not take the message after all: a Twilio-style status of
    failed/undelivered/…, an error code, or a JSON gateway's {"ok": false} / {"error": …}; None when accepted."""
    if not isinstance(answer, dict):
        return None
    status = str(answer.get("status") or "").lower()
    if status in REFUSED_STATES:
        return f"status {status}" + (f": {answer['error_message']}" if answer.get("error_message") else "")
    if answer.get("error_code"):
        return f"error {answer['error_code']}: {answer.get('error_message') or ''}".rstrip(": ")
    if answer.get("ok") is False or answer.get("success") is False or answer.get("error"):
        return str(answer.get("error") or answer.get("message") or "the gateway says it failed")[:200]
    return None
