"""The links inside messages, answered without an API token but only with a valid signature: unsubscribe
(a confirmation page, then a POST; mail clients' one-click POST per RFC 8058), the open pixel, tracked clicks."""

from __future__ import annotations

import base64

from litestar import Controller, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from engine import clock
from engine.db import session_scope
from engine.messages.message_log import count_click, count_open, unsubscribe, verify
from engine.settings import get_settings

PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")  # a transparent 1×1 GIF


def _message(purpose: str, token: str, extra: str = "") -> int:
    found = verify(get_settings().link_key(), purpose, token, extra)
    if found is None:
        raise NotFoundException("this link is not valid")
    return found


class LinkController(Controller):
    include_in_schema = False

    @get("/u/{token:str}", sync_to_thread=True)
    def confirm_unsubscribe(self, token: FromPath[str]) -> Template:
        _message("unsubscribe", token)
        return Template("unsubscribe.html", context={"token": token, "done": None})

    @post("/u/{token:str}", sync_to_thread=True, status_code=200)
    def unsubscribe(self, token: FromPath[str]) -> Template:
        with session_scope() as session:
            done = unsubscribe(session, _message("unsubscribe", token), clock.now())
        if done is None:
            raise NotFoundException("this link is not valid")
        return Template("unsubscribe.html", context={"token": token, "done": done[1]})

    @get("/o/{token:str}", sync_to_thread=True)
    def opened(self, token: FromPath[str]) -> Response[bytes]:
        message = _message("open", token.removesuffix(".gif"))
        with session_scope() as session:
            count_open(session, message, clock.now())
        return Response(PIXEL, media_type="image/gif", headers={"Cache-Control": "no-store"})

    @get("/c/{token:str}", sync_to_thread=True)
    def clicked(self, token: FromPath[str], u: FromQuery[str]) -> Redirect:
        message = _message("click", token, u)
        with session_scope() as session:
            count_click(session, message, clock.now())
        return Redirect(u, status_code=302)
