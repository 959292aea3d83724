"""The links inside messages, answered without an API token but only with a valid signature: unsubscribe
(a confirmation page, then a POST; mail clients' one-click POST per RFC 8058), the open pixel, tracked clicks."""

from __future__ import annotations

import base64

from litestar import Controller, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from engine import clock
from engine.errors import NotFound
from engine.messages.message_log import count_click, count_open, unsubscribe, verify
from web.dependencies import SessionDep, SettingsDep

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")  # a transparent 1×1 GIF


def _message(settings: SettingsDep, purpose: str, token: str, extra: str = "") -> int:
    """The message a signed link belongs to; NotFound for a token that is not ours or not for this purpose."""
    found = verify(settings.link_key(), purpose, token, extra)
    if found is None:
        raise NotFound(["this link is not valid"])
    return found


class LinkController(Controller):
    include_in_schema = False

    @get("/u/{token:str}", sync_to_thread=True)
    def confirm_unsubscribe(self, settings: SettingsDep, token: FromPath[str]) -> Template:
        _message(settings, "unsubscribe", token)
        return Template("unsubscribe.html", context={"token": token, "done": None})

    @post("/u/{token:str}", sync_to_thread=True, status_code=200)
    def unsubscribe(self, session: SessionDep, settings: SettingsDep, token: FromPath[str]) -> Template:
        done = unsubscribe(session, _message(settings, "unsubscribe", token), clock.now())
        if done is None:
            raise NotFound(["this link is not valid"])
        return Template("unsubscribe.html", context={"token": token, "done": done[1]})

    @get("/o/{token:str}", sync_to_thread=True)
    def opened(self, session: SessionDep, settings: SettingsDep, token: FromPath[str]) -> Response[bytes]:
        count_open(session, _message(settings, "open", token.removesuffix(".gif")), clock.now())
        return Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})

    @get("/c/{token:str}", sync_to_thread=True)
    def clicked(self, session: SessionDep, settings: SettingsDep, token: FromPath[str], u: FromQuery[str]) -> Redirect:
        count_click(session, _message(settings, "click", token, u), clock.now())
        return Redirect(u, status_code=302)
