"""The language switcher's link: `/locale?to=en&next=/members` remembers the choice and goes back to the page."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from litestar import Controller, Request, get
from litestar.datastructures import Cookie
from litestar.exceptions import ClientException
from litestar.params import QueryParameter
from litestar.response import Redirect

from web.i18n import COOKIE, SESSION_KEY, TAGS, parse_locale, safe_next

YEAR = int(timedelta(days=365).total_seconds())


class LocaleController(Controller):
    include_in_schema = False

    @get("/locale")
    async def switch(
        self,
        request: Request,  # type: ignore[type-arg]
        to: Annotated[str, QueryParameter(max_length=35, description="A language tag: zh-CN or en")],
        back: Annotated[str, QueryParameter(name="next", max_length=2000, description="A path on this site")] = "/",
    ) -> Redirect:
        """Sets the `locale` cookie for a year (and the session's choice when the app has sessions), then 303 to
        `next` when it is a path on this site, else to the home page. 400 for a language memberflow does not speak."""
        locale = parse_locale(to)
        if locale is None:
            raise ClientException(f"to '{to}' is not a language of memberflow; use {' or '.join(TAGS.values())}")
        if isinstance(session := request.scope.get("session"), dict):
            session[SESSION_KEY] = TAGS[locale]
        cookie = Cookie(key=COOKIE, value=TAGS[locale], max_age=YEAR, path="/", httponly=True, samesite="lax",
                        secure=request.url.scheme == "https")  # fmt: skip
        return Redirect(safe_next(back), status_code=303, cookies=[cookie])
