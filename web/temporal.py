"""The web app's Temporal client: connected on first use, then shared by every request."""

from __future__ import annotations

import asyncio

from litestar.datastructures import State
from temporalio.client import Client

from connectors.temporal import connect
from engine.settings import get_settings


async def temporal_client(state: State) -> Client:
    client = state.get("temporal_client")
    if client is None:
        client = await asyncio.wait_for(connect(get_settings()), timeout=3)
        state.temporal_client = client
    assert isinstance(client, Client)
    return client
