"""The one place that turns an error into an HTTP answer. The status follows the error's type (engine.errors'
refusals, Litestar's own HTTP and validation errors); the answer's form follows who asked: /api gets JSON
{"problems": [sentence, ...]} (documented here for OpenAPI), an htmx request an HTML fragment to swap in, any other
page a whole HTML page. Every form carries the same sentences."""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.exceptions.http_exceptions import RequestEntityTooLarge
from litestar.openapi.datastructures import ResponseSpec
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_500_INTERNAL_SERVER_ERROR
from pydantic import BaseModel, Field

from engine.errors import Conflict, Invalid, NotFound, Refusal, Rejected, Unavailable
from engine.limits import MAX_BODY_BYTES
from web.payloads import BatchResult


class Problems(BaseModel):
    """Every error answer: one sentence per problem, naming the field, cell or parameter."""

    problems: list[str] = Field(description="e.g. \"amount '-5' is negative\"")


WHY = {
    400: "The request or its body is invalid; every problem is named",
    401: "No API token, or not the right one",
    404: "The member, journey, block, tag rule or template named in the path does not exist",
    409: "Conflicts with what is stored (an idempotency key used for other content, a journey's state, …)",
    413: f"The body is larger than {MAX_BODY_BYTES:,} bytes",
    422: "Understood but refused: a member that does not exist, a journey with problems, …",
    503: "Temporal is unreachable; try again when it runs",
}


def batch_answers(record: type[BaseModel], *codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI answers of an ingest route (web.payloads.respond): 200 for a batch or a record updated or unchanged
    (201, inserted, is the route's own), and the given error statuses."""
    done = ResponseSpec(
        data_container=record | BatchResult,  # type: ignore[arg-type]
        description="A batch with every item's fate, or one record updated or unchanged",
        generate_examples=False,
    )
    return {200: done, **problems(*codes)}


def problems(*codes: int) -> dict[int, ResponseSpec]:
    """OpenAPI answers for a route: the given error statuses, each with the {"problems": [...]} body, plus 401 (every
    /api route but health needs the token)."""
    return {
        code: ResponseSpec(data_container=Problems, description=WHY[code], generate_examples=False)
        for code in sorted({401, *codes})
    }


# The status of each refusal; the first type the error is an instance of counts (Rejected before Invalid).
STATUS: dict[type[Refusal], int] = {NotFound: 404, Conflict: 409, Rejected: 422, Invalid: 400, Unavailable: 503}


def status_of(error: Refusal) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(error, kind)), HTTP_400_BAD_REQUEST)


def answer(
    request: Request,  # type: ignore[type-arg]
    problems: list[str],
    status: int,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    """The error answer in the form the asker reads: JSON for /api, a fragment for htmx, else a page."""
    if request.url.path == "/api" or request.url.path.startswith("/api/"):
        return Response({"problems": problems}, status_code=status, headers=headers)
    fragment = bool(request.headers.get("hx-request"))  # htmx swaps 4xx/5xx answers in (base.html's htmx-config)
    return Template(
        "error_fragment.html" if fragment else "error.html",
        context={"status": status, "phrase": _phrase(status), "problems": problems},
        status_code=status,
        headers=headers,
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def refusal(request: Request, exc: Refusal) -> Response[Any]:  # type: ignore[type-arg]
    return answer(request, exc.problems, status_of(exc))


def validation_error(request: Request, exc: ValidationException) -> Response[Any]:  # type: ignore[type-arg]
    problems = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if item.get("source") == "body" and item.get("key") == "data" and item.get("message") == "'data'":
            problems.append("the request has no JSON body; send one (Content-Type: application/json)")
            continue
        problems.append(_sentence(str(item.get("key") or ""), str(item.get("message") or "is not valid")))
    return answer(request, problems or [exc.detail], exc.status_code)


# Litestar's (msgspec's) words for a URL parameter out of its domain, as a marketer would say them.
_PARAMETER_WORDS = (
    (re.compile(r"^Expected `str` of length <= (\d+)$"), "is longer than {0} characters"),
    (re.compile(r"^Expected `str` of length >= 1$"), "is empty"),
    (re.compile(r"^Expected `str` matching regex .*x00.*$"), "must be one line, without control characters"),
    (re.compile(r"^Expected `int` <= (\d+)$"), "must be at most {0}"),
    (re.compile(r"^Expected `int` >= (\d+)$"), "must be at least {0}"),
    (re.compile(r"^Expected `int`, got `\w+`$"), "must be a whole number"),
    (re.compile(r"^Expected `float`, got `\w+`$"), "must be a number"),
    (re.compile(r"^Expected `bool`, got `\w+`$"), "must be true or false"),
    (re.compile(r"^Unable to extract tag using discriminator '(\w+)'$"), "needs its {0}"),
    (re.compile(r"^Input should be less than or equal to (.+)$"), "must be at most {0}"),
    (re.compile(r"^Input should be greater than or equal to (.+)$"), "must be at least {0}"),
    (re.compile(r"^Input should be less than (.+)$"), "must be less than {0}"),
    (re.compile(r"^Input should be greater than (.+)$"), "must be more than {0}"),
)


def _sentence(key: str, message: str) -> str:
    """'many.1.email' + "Value error, 'x' is not an email address" -> "item 1: email 'x' is not an email address"."""
    message = message.removeprefix("Value error, ")
    for pattern, words in _PARAMETER_WORDS:
        if found := pattern.match(message):
            message = words.format(*(f"{int(part):,}" if part.isdigit() else part for part in found.groups()))
            break
    message = "is required" if message == "Field required" else message[0].lower() + message[1:]
    parts = key.split(".")
    if parts[0] in {"one", "many"}:
        parts = parts[1:]
    prefix = ""
    if parts and parts[0].isdigit():
        prefix, parts = f"item {parts[0]}: ", parts[1:]
    field = ".".join(parts) or "body"
    if field == "body" and "discriminator" in message:
        message = "must be a JSON object or a list of objects"
    return f"{prefix}{field} {message}"


def http_error(request: Request, exc: HTTPException) -> Response[Any]:  # type: ignore[type-arg]
    detail = _too_large(request) if isinstance(exc, RequestEntityTooLarge) else exc.detail
    return answer(request, [detail], exc.status_code, exc.headers)


def _too_large(request: Request) -> str:  # type: ignore[type-arg]
    limit = f"the limit is {MAX_BODY_BYTES:,} bytes ({MAX_BODY_BYTES // 1024 // 1024} MB)"
    size = request.headers.get("content-length", "")
    if size.isdigit() and len(size) < 20:
        return f"the request body is {int(size):,} bytes; {limit}: send fewer records per request"
    return f"the request body is larger than allowed; {limit}: send fewer records per request"


def unexpected_error(request: Request, exc: Exception) -> Response[Any]:  # type: ignore[type-arg]
    request.logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return answer(request, ["internal error; see the server log"], HTTP_500_INTERNAL_SERVER_ERROR)


EXCEPTION_HANDLERS = {
    Refusal: refusal,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
