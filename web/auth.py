"""API authentication: a bearer token from settings (API_TOKEN, or the one kept under VAR_DIR)."""

from __future__ import annotations

import secrets
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.handlers.base import BaseRouteHandler

from engine.settings import get_settings


def require_api_token(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    scheme, _, token = connection.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise NotAuthorizedException("send the API token as 'Authorization: Bearer <token>'")
    if not secrets.compare_digest(token.encode(), get_settings().bearer_token().encode()):
        raise NotAuthorizedException("the API token is not valid")
