"""API authentication: a bearer token made with `memberflow token create` (kept hashed,
engine.access.api_tokens), or the operator's API_TOKEN from the environment."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from engine.access.api_tokens import token_in_use
from engine.clock import now
from engine.db import session_scope
from engine.settings import get_settings


async def require_api_token(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException("send the API token as 'Authorization: Bearer <token>'")
    if not (_is_operator_token(token) or await asyncio.to_thread(_is_stored_token, token)):
        raise NotAuthorizedException("the API token is not valid")


def _is_operator_token(token: str) -> bool:
    """API_TOKEN, compared in constant time (as digests, so not even its length shows)."""
    operator = get_settings().api_token.get_secret_value()
    if not operator:
        return False
    return secrets.compare_digest(hashlib.sha256(token.encode()).digest(), hashlib.sha256(operator.encode()).digest())


def _is_stored_token(token: str) -> bool:
    with session_scope() as session:
        return token_in_use(session, token, now()) is not None
