"""The web app's Temporal client: connected on first use, then shared by every request."""

from __future__ import annotations

import asyncio
import logging

from litestar.datastructures import State
from temporalio.client import Client

from connectors.temporal import connect
from engine.errors import Unavailable
from engine.settings import get_settings
from workflows.event_delivery import dispatch_pending

log = logging.getLogger(__name__)


async def temporal_client(state: State) -> Client:
    """The shared client; Unavailable when Temporal cannot be reached within 3 seconds."""
    client = state.get("temporal_client")
    if client is None:
        settings = get_settings()
        try:
            client = await asyncio.wait_for(connect(settings), timeout=3)
        except (TimeoutError, RuntimeError, OSError) as exc:
            reason = str(exc).splitlines()[0][:200] if str(exc) else "no answer within 3 s"
            raise Unavailable(
                [f"Temporal is unreachable at {settings.temporal_target} ({reason}); try again once it runs"]
            ) from None
        state.temporal_client = client
    assert isinstance(client, Client)
    return client


class Temporal:
    """The shared client as handlers receive it (web.dependencies): reached only when a handler asks, after its
    input has been checked, so bad input is named even while Temporal is down."""

    def __init__(self, state: State) -> None:
        self._state = state

    async def client(self) -> Client:
        """The shared client; Unavailable when Temporal cannot be reached within 3 seconds."""
        return await temporal_client(self._state)

    async def deliver_events(self) -> None:
        """Hand the events just recorded to journeys now (`deliver_events`)."""
        await deliver_events(self._state)


async def deliver_events(state: State) -> None:
    """Hand the events just recorded to journeys now, for low latency; if Temporal is unreachable the worker's
    delivery loop does it later (events stay marked undelivered), so the request does not fail."""
    try:
        await dispatch_pending(await temporal_client(state), get_settings())
    except Exception as exc:  # the API call succeeded; delivery is retried by the worker
        log.warning("event delivery deferred to the worker: %s", str(exc).splitlines()[0][:200])
