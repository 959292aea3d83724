"""API authentication: a bearer token made with `memberflow token create` (kept hashed, engine.access.api_tokens),
or the operator's API_TOKEN from the environment; a signed-in browser may read (GET) with its session instead."""

from __future__ import annotations

import asyncio
import hashlib
import secrets
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from engine.access.api_tokens import token_in_use
from engine.access.audit import Actor, act_as
from engine.clock import now
from engine.db import session_scope
from engine.settings import get_settings
from web.sessions import signed_in_user

OPERATOR_TOKEN = "API_TOKEN"  # noqa: S105 - how the environment's token is named in the audit log, not a secret
_CALLER = "memberflow_api_caller"  # request state: who the token was, once checked
READS = frozenset({"GET", "HEAD"})


async def require_api_token(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """Let the call through with a valid token (or, to read, a signed-in session); NotAuthorizedException (401)
    otherwise. Checked once per request, however many layers name this guard; names the actor for the audit log."""
    if connection.state.get(_CALLER):
        return
    client = connection.client.host if connection.client else None
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        name = OPERATOR_TOKEN if _is_operator_token(token) else await asyncio.to_thread(_stored_token_name, token)
        if name is None:
            raise NotAuthorizedException("the API token is not valid")
        caller = f"api:{name}"
    elif _method(connection) in READS and (user := await signed_in_user(connection)) is not None:
        connection.scope["user"] = user
        caller = f"user:{user.login}"
    else:
        raise NotAuthorizedException("send the API token as 'Authorization: Bearer <token>'")
    connection.state[_CALLER] = caller
    act_as(Actor(name=caller, client=client))


def _is_operator_token(token: str) -> bool:
    """API_TOKEN, compared in constant time (as digests, so not even its length shows)."""
    operator = get_settings().api_token.get_secret_value()
    if not operator:
        return False
    return secrets.compare_digest(hashlib.sha256(token.encode()).digest(), hashlib.sha256(operator.encode()).digest())


def _stored_token_name(token: str) -> str | None:
    with session_scope() as session:
        return token_in_use(session, token, now())


def _method(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return str(connection.scope.get("method", "GET"))
