"""What the web tests share: the app under test with two clients, and the Temporal dev-server lane of the workflow
tests (tests/workflows/conftest.py), made reachable here by importing its fixtures rather than copying them.

- `client`: nobody signed in, as an API caller is: /api answers the bearer token each request sends (a signed-in
  browser may also read /api, which would hide a token that does not work), and pages answer a redirect to /login.
- `logged_in_client` (tests/login.py, a plugin of tests/conftest.py): signed in as a marketer through the login
  form, sending the CSRF header as htmx does: for pages and their htmx fragments."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from litestar.testing import AsyncTestClient

from tests.workflows.conftest import dev_server, executor, live_worker, task_queue
from web.app import create_app

__all__ = ["client", "dev_server", "executor", "live_worker", "task_queue"]  # fixtures of the web tests


@pytest.fixture
async def client(db: None) -> AsyncIterator[AsyncTestClient]:  # type: ignore[type-arg]
    """The whole app in this process (no server, no Temporal unless a test connects one), nobody signed in."""
    async with AsyncTestClient(app=create_app()) as test_client:
        yield test_client
