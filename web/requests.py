"""The request every route receives: a JSON body is checked once, as it is decoded, against what no route takes
(invalid UTF-8, nesting deeper than MAX_JSON_DEPTH, NUL characters); the URL's parameters for NUL and for names
the route does not take."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, cast

from litestar import Request
from litestar._signature.types import ExtendedMsgSpecValidationError  # what Litestar's own pydantic decoder raises
from litestar.exceptions import ClientException
from litestar.handlers import BaseRouteHandler
from litestar.plugins.pydantic import PydanticInitPlugin
from litestar.serialization import encode_json
from pydantic import BaseModel, ValidationError

from engine.limits import MAX_JSON_DEPTH, depth_of, nul_problem

NUL = "contains a NUL character (\\u0000), which cannot be stored"


class IntakeRequest(Request):  # type: ignore[type-arg]
    async def json(self) -> Any:
        """The decoded body; ClientException (400) naming the problem for bodies no route can take."""
        try:
            value = await super().json()
        except UnicodeDecodeError:
            raise ClientException(f"the body is not UTF-8 text ({_first_bad_byte(await self.body())})") from None
        except RecursionError:
            raise ClientException(f"the body nests deeper than {MAX_JSON_DEPTH} levels") from None
        if depth_of(value, MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
            raise ClientException(f"the body nests deeper than {MAX_JSON_DEPTH} levels")
        if problem := nul_problem(value):
            raise ClientException(problem)
        return value


def _first_bad_byte(body: bytes) -> str:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"byte {body[exc.start]:#04x} at offset {exc.start}"
    return "a string that is not"


def is_model(target: Any) -> bool:
    return isinstance(target, type) and issubclass(target, BaseModel)


def validate_as_json(model: type[BaseModel], value: Any) -> BaseModel:
    """A body's model, validated as pydantic validates JSON in strict mode: each value must have the JSON type the
    schema gives (no 0 for false, no "5" for 5), while dates, times and decimals still come as strings."""
    try:
        return model.model_validate_json(encode_json(value), strict=True)
    except ValidationError as exc:  # Litestar turns this one into a 400 naming each field
        raise ExtendedMsgSpecValidationError(errors=cast("list[dict[str, Any]]", exc.errors())) from exc


class StrictJsonModels(PydanticInitPlugin):
    """Litestar's pydantic plugin, with request bodies validated by `validate_as_json` rather than leniently."""

    @classmethod
    def decoders(cls, validate_strict: bool = False) -> list[tuple[Callable[[Any], bool], Callable[[Any, Any], Any]]]:
        return [(is_model, validate_as_json), *super().decoders(validate_strict)]


# What a handler's signature names that is not a query parameter.
_NOT_QUERY = frozenset({"data", "state", "request", "scope", "socket", "headers", "cookies", "query", "body"})


async def check_url(request: Request) -> None:  # type: ignore[type-arg]
    """Before any route: a NUL character in a path or query parameter, or an /api query parameter the route does
    not take (a typo such as `limt` would otherwise be ignored without a word), is a 400 naming the parameter."""
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if isinstance(value, str) and "\x00" in value:
            raise ClientException(f"{name} {NUL}")
    if request.url.path.startswith("/api/"):
        taken = _query_names(request.route_handler) - request.path_params.keys()
        if unknown := sorted(set(request.query_params) - taken):
            takes = f"it takes {', '.join(sorted(taken))}" if taken else "it takes none"
            raise ClientException(f"unknown query parameter {', '.join(unknown)}; {takes}")


@cache
def _query_names(handler: BaseRouteHandler) -> frozenset[str]:
    """The names a handler's signature takes from the query: neither a reserved name nor a dependency (session,
    settings, temporal: web.dependencies)."""
    return frozenset(handler.parsed_fn_signature.parameters) - _NOT_QUERY - handler.resolve_dependencies().keys()
