"""What the web tests share: the app under test with a client, and the Temporal dev-server lane of the workflow
tests (tests/workflows/conftest.py), made reachable here by importing its fixtures rather than copying them."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from tests.login import sign_in
from tests.workflows.conftest import dev_server, executor, live_worker, task_queue
from web.app import create_app

__all__ = ["client", "dev_server", "executor", "live_worker", "task_queue"]  # fixtures of the web tests


@pytest.fixture
async def client(db: None) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """The whole app in this process (no server, no Temporal unless a test connects one), signed in as a marketer
    through the login form (pages need a signed-in user; /api takes its token besides)."""
    async with AsyncTestClient(app=create_app()) as test_client:
        await sign_in(test_client, "marketer")
        yield test_client
