"""The language switcher's link: `/locale?to=en&next=/members` remembers the choice and goes back to the page.
Public: the login page has the switcher too, before anyone is signed in."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.datastructures import Cookie
from litestar.exceptions import ClientException
from litestar.params import QueryParameter
from litestar.response import Redirect

from engine.access.users import UserView, set_locale
from engine.db import session_scope
from web.access import PUBLIC
from web.i18n import COOKIE, SESSION_KEY, TAGS, parse_locale, safe_next

YEAR = int(timedelta(days=365).total_seconds())


class LocaleController(Controller):
    include_in_schema = False

    @get("/locale", opt={PUBLIC: "the language switcher, on the login page too"})
    async def switch(
        self,
        request: Request[Any, Any, Any],
        to: Annotated[str, QueryParameter(max_length=35, description="A language tag: zh-CN or en")],
        back: Annotated[str, QueryParameter(name="next", max_length=2000, description="A path on this site")] = "/",
    ) -> Redirect:
        """Sets the `locale` cookie for a year (and, for a signed-in user, the session's choice and the user's saved
        language, users.locale), then 303 to `next` when it is a path on this site, else to the home page. 400 for a
        language memberflow does not speak."""
        locale = parse_locale(to)
        if locale is None:
            raise ClientException(f"to '{to}' is not a language of memberflow; use {' or '.join(TAGS.values())}")
        user: UserView | None = request.scope.get("user")  # the guard looked the session's user up
        if user is not None and isinstance(session := request.scope.get("session"), dict):
            session[SESSION_KEY] = TAGS[locale]
            await asyncio.to_thread(_save, user.id, TAGS[locale])
        cookie = Cookie(key=COOKIE, value=TAGS[locale], max_age=YEAR, path="/", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")  # fmt: skip
        return Redirect(safe_next(back), status_code=303, cookies=[cookie])


def _save(user_id: int, tag: str) -> None:
    with session_scope() as session:
        set_locale(session, user_id, tag)
