"""POST a JSON body to a shop's URL, signed so the receiver can trust it: the escape hatch to WeChat template
messages, mini-program notices or a CRM.

Headers: `X-Memberflow-Timestamp` (Unix seconds), `X-Memberflow-Signature: sha256=<hex HMAC of "timestamp.body"
with the shared secret>`, and `Idempotency-Key` (the same on every retry, so the receiver can drop repeats).
"""

from __future__ import annotations

import hashlib
import hmac

import httpx

from engine import clock
from engine.errors import PermanentFailure, TransientFailure
from engine.settings import MASK, mask_urls, url_secrets


def signature(secret: bytes, timestamp: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


async def post_webhook(url: str, body: bytes, *, secret: bytes, idempotency_key: str, timeout_seconds: float) -> str:
    """Deliver; returns the HTTP status as the provider id. Only a 2xx counts as delivered; 4xx (but 408/429) and
    redirects are permanent, 5xx and network trouble transient."""
    timestamp = str(int(clock.now().timestamp()))
    headers = {
        "Content-Type": "application/json", "Idempotency-Key": idempotency_key,
        "X-Memberflow-Timestamp": timestamp, "X-Memberflow-Signature": signature(secret, timestamp, body),
    }  # fmt: skip
    try:
        async with httpx.AsyncClient(timeout=timeout_seconds) as client:
            response = await client.post(url, content=body, headers=headers)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:  # the block's URL itself is wrong
        raise PermanentFailure(_masked(f"{url} cannot be used: {exc}", url)) from None
    except httpx.HTTPError as exc:
        raise TransientFailure(_masked(f"{type(exc).__name__}: {exc}", url)) from None
    if response.status_code in (408, 429) or response.status_code >= 500:
        raise TransientFailure(_masked(f"{url} answered {response.status_code}", url))
    if response.status_code >= 400:
        raise PermanentFailure(_masked(f"{url} refused ({response.status_code}): {response.text[:200]}", url))
    if not response.is_success:  # a redirect is not followed (the signed POST is for this URL): not delivered
        raise PermanentFailure(
            _masked(f"{url} answered {response.status_code}, not a success; point the block at the final URL", url)
        )
    return f"http {response.status_code}"


def _masked(reason: str, url: str) -> str:
    """A failure's reason, kept on the message and shown in the outbox, without the URL's secrets (a token in its
    query), even where the receiver echoed them back."""
    reason = mask_urls(reason)
    for secret in url_secrets(url):
        reason = reason.replace(secret, MASK)
    return reason
