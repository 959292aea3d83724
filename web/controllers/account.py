"""Signing in and out: the login page (bare layout), its form (rate-limited, CSRF-checked, audited) and sign-out."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.exceptions import PermissionDeniedException, TooManyRequestsException
from litestar.params import Body, Parameter
from litestar.response import Redirect, Template

from engine import clock
from engine.access import audit
from engine.access.audit import Actor, acting_as
from engine.access.users import SignIn, UserView, sign_in
from engine.db import session_scope
from web.access import PUBLIC, safe_next
from web.i18n import translator
from web.security import LOGIN_ATTEMPTS, login_rate_limit
from web.sessions import sign_in_session
from web.words import N_

Next = Annotated[str | None, Parameter(max_length=2000, description="Where to go after signing in (a path here)")]
# The login page's sentences, in English as written; shown in the page's language (translated in _login_page).
WRONG = N_("Unknown login or wrong password.")
DISABLED = N_("This account is disabled: ask an admin.")
TOO_MANY = N_("Too many sign-in attempts from your address (%(attempts)s a minute): wait a minute, then try again.")
EXPIRED = N_("The sign-in form had expired (or cookies are blocked): try again.")


@dataclass
class LoginForm:
    login: str = ""
    password: str = ""
    next: str = "/"


def _login_page(request: Request[Any, Any, Any], next_: str | None, *, error: str | None = None, login: str = "",
                status_code: int = 200, headers: dict[str, str] | None = None) -> Template:  # fmt: skip
    """The login page; `error` (one of this module's sentences) in the request's language, LOGIN_ATTEMPTS filled in."""
    shown = None if error is None else translator(request).gettext(error) % {"attempts": LOGIN_ATTEMPTS}
    context = {"next": safe_next(next_), "error": shown, "login": login}
    return Template("login.html", context=context, status_code=status_code, headers=headers)


def _too_many_attempts(request: Request[Any, Any, Any], exc: TooManyRequestsException) -> Template:
    """429: the login page saying to wait, and when (Retry-After, from the rate limit's reset)."""
    headers = dict(exc.headers or {})
    if reset := headers.get("RateLimit-Reset"):
        headers["Retry-After"] = reset
    return _login_page(request, None, error=TOO_MANY, status_code=429, headers=headers)


def _form_expired(request: Request[Any, Any, Any], exc: PermissionDeniedException) -> Template:
    """403 from the CSRF check: the form came without its token (an old tab, cookies blocked)."""
    return _login_page(request, None, error=EXPIRED, status_code=403)


class AccountController(Controller):
    include_in_schema = False

    @get("/login", opt={PUBLIC: "the sign-in page"})
    async def login_page(self, request: Request[Any, Any, Any], next: Next = None) -> Template | Redirect:
        if request.scope.get("user") is not None:
            return Redirect(safe_next(next), status_code=302)
        return _login_page(request, next)

    @post(
        "/login", opt={PUBLIC: "the sign-in form"}, middleware=[login_rate_limit().middleware],
        exception_handlers={TooManyRequestsException: _too_many_attempts, PermissionDeniedException: _form_expired},
    )  # fmt: skip
    async def login(
        self, request: Request[Any, Any, Any],
        data: Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
    ) -> Template | Redirect:  # fmt: skip
        """Check the password; on success a new session (a new id) and back to `next`, else the form again (401)."""
        outcome = await asyncio.to_thread(_sign_in, data.login, data.password)
        if outcome.user is None:
            error = DISABLED if outcome.refusal == "disabled" else WRONG
            return _login_page(request, data.next, error=error, login=data.login[:254], status_code=401)
        sign_in_session(request, outcome.user)
        return Redirect(safe_next(data.next), status_code=303)

    @post("/logout", opt={PUBLIC: "signing out needs no session: it ends one if there is"})
    async def logout(self, request: Request[Any, Any, Any]) -> Redirect:
        """End the session (audited) and go to the login page; CSRF-checked like every form."""
        user: UserView | None = request.scope.get("user")  # the guard looked the session's user up
        if user is not None:
            client = request.client.host if request.client else None
            await asyncio.to_thread(_record_logout, user, client)
        request.clear_session()
        return Redirect("/login", status_code=303)


def _sign_in(login: str, password: str) -> SignIn:
    with session_scope() as session:
        return sign_in(session, login, password, clock.now())


def _record_logout(user: UserView, client: str | None) -> None:
    with acting_as(Actor(name=f"user:{user.login}", client=client)), session_scope() as session:
        audit.record(session, audit.LOGOUT, user.login, clock.now())
