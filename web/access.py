"""Who may use which route: the one guard the whole app runs (`access_guard`, set on the app in web/app.py).

- Routes marked public (opt PUBLIC: the health check, the signed message links, static files, the login page, the
  language switcher) answer anyone.
- /api/* answers an API token (web.auth.require_api_token); a signed-in browser may read it (GET), e.g. the A/B
  members CSV an analyst downloads from the experiments page, but changes through /api need the token (the API
  is exempt from CSRF checks, which a browser session needs). The OpenAPI schema (/schema/…) answers a token too.
- Every other route needs a signed-in user (else: a redirect to /login?next=… for a page, 401 for anything else);
  GET and HEAD take any role, other methods a marketer or an admin, and a route whose opt names ROLES takes only
  those (e.g. admin pages). An analyst changing anything gets 403.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.response import Redirect

from engine.access.audit import Actor, act_as
from engine.access.users import ANONYMOUS, ROLES, Role
from web.auth import require_api_token
from web.sessions import signed_in_user

PUBLIC = "public"  # opt: why the route answers anyone (a non-empty sentence)
ROLES_OPT = "roles"  # opt: the only roles a route answers, whatever the method
EDITORS: tuple[Role, ...] = ("admin", "marketer")
ANY_ROLE: tuple[Role, ...] = ROLES
ADMIN_ONLY: dict[str, Any] = {ROLES_OPT: ("admin",)}
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
LOGIN_PATH = "/login"


class LoginRequired(NotAuthorizedException):
    """Nobody is signed in: a page redirects to the login page (login_required), anything else answers 401."""


async def access_guard(connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler) -> None:
    """The app's guard, run before every route: see the module's docstring. Names the actor of the request for the
    audit log (engine.access.audit) and puts the signed-in user (or None) in `request.user`."""
    client = connection.client.host if connection.client else None
    act_as(Actor(name=ANONYMOUS, client=client))
    connection.scope["user"] = None
    if handler.opt.get(PUBLIC):
        if connection.scope.get("session"):  # the login page: who is signed in, if anyone
            connection.scope["user"] = await signed_in_user(connection)
        return
    if is_api(connection) or (is_schema(connection) and connection.headers.get("authorization")):
        await require_api_token(connection, handler)  # the API's schema too, for a client that holds a token
        return
    user = await signed_in_user(connection)
    if user is None:
        raise LoginRequired("sign in first")
    connection.scope["user"] = user
    act_as(Actor(name=f"user:{user.login}", client=client))
    allowed = allowed_roles(handler, _method(connection))
    if user.role not in allowed:
        raise PermissionDeniedException(
            f"your role ({user.role}) may not do this: it needs {' or '.join(allowed)}; ask an admin"
        )


def is_api(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return connection.scope["path"] == "/api" or connection.scope["path"].startswith("/api/")


def is_schema(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    """The OpenAPI schema and its page (/schema/...)."""
    return connection.scope["path"] == "/schema" or connection.scope["path"].startswith("/schema/")


def allowed_roles(handler: BaseRouteHandler, method: str) -> tuple[Role, ...]:
    """The roles a route answers for `method`: its opt ROLES if set, else any role to read and editors to change."""
    named: tuple[Role, ...] | None = handler.opt.get(ROLES_OPT)
    if named:
        return tuple(named)
    return ANY_ROLE if method in SAFE_METHODS else EDITORS


def login_required(request: Request[Any, Any, Any], exc: LoginRequired) -> Response[Any]:
    """A page read without a session goes to the login page and comes back after (`next`); htmx is told to go there
    (HX-Redirect); anything else gets 401 with a sentence."""
    back = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.headers.get("hx-request") and (current := request.headers.get("hx-current-url")):
        parts = urlsplit(current)
        back = parts.path + (f"?{parts.query}" if parts.query else "")
    target = f"{LOGIN_PATH}?next={quote(safe_next(back), safe='/')}"
    if request.method in {"GET", "HEAD"} and not request.headers.get("hx-request"):
        return Redirect(target, status_code=302)
    return Response(
        {"problems": ["sign in first: your session has ended or you have not signed in"]},
        status_code=401, headers={"HX-Redirect": target},
    )  # fmt: skip


def safe_next(target: str | None) -> str:
    """Where to go after signing in: `target` if it is a path on this site ('/members?q=x'), else '/'. Refused:
    other sites ('https://…', '//host', '/\\host', which browsers read as '//host'), control characters, and the
    login page itself."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path in {LOGIN_PATH, "/logout"}:
        return "/"
    return target


def _method(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    return str(connection.scope.get("method", "GET"))
