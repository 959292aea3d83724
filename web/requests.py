"""The request every route receives: a JSON body is checked once, as it is decoded, against what no route takes
(invalid UTF-8, nesting deeper than MAX_JSON_DEPTH, NUL characters), and the URL's parameters for NUL."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.exceptions import ClientException

from engine.limits import MAX_JSON_DEPTH, depth_of, nul_paths

NUL = "contains a NUL character (\\u0000), which cannot be stored"


class IntakeRequest(Request):  # type: ignore[type-arg]
    async def json(self) -> Any:
        """The decoded body; ClientException (400) naming the problem for bodies no route can take."""
        try:
            value = await super().json()
        except UnicodeDecodeError as exc:
            raise ClientException(f"the body is not UTF-8 text (a bad byte at offset {exc.start})") from None
        except RecursionError:
            raise ClientException(f"the body nests deeper than {MAX_JSON_DEPTH} levels") from None
        if depth_of(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise ClientException(f"the body nests deeper than {MAX_JSON_DEPTH} levels")
        if (where := next(nul_paths(value), None)) is not None:
            raise ClientException(f"{where or 'body'} {NUL}")
        return value


async def refuse_nul_in_url(request: Request) -> None:  # type: ignore[type-arg]
    """Before any route: a NUL character in a path or query parameter is a 400 naming the parameter."""
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if isinstance(value, str) and "\x00" in value:
            raise ClientException(f"{name} {NUL}")
