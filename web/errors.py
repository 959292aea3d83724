"""The one place that turns an error into an HTTP response: {"problems": [sentence, ...]}."""

from __future__ import annotations

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from engine.errors import InputError


def input_error(_: Request, exc: InputError) -> Response[dict[str, list[str]]]:  # type: ignore[type-arg]
    return Response({"problems": exc.problems}, status_code=exc.status_code)


def validation_error(_: Request, exc: ValidationException) -> Response[dict[str, list[str]]]:  # type: ignore[type-arg]
    problems = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        problems.append(_sentence(str(item.get("key") or ""), str(item.get("message") or "is not valid")))
    return Response({"problems": problems or [exc.detail]}, status_code=exc.status_code)


def _sentence(key: str, message: str) -> str:
    """'many.1.email' + "Value error, 'x' is not an email address" -> "item 1: email 'x' is not an email address"."""
    message = message.removeprefix("Value error, ")
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


def http_error(_: Request, exc: HTTPException) -> Response[dict[str, list[str]]]:  # type: ignore[type-arg]
    return Response({"problems": [exc.detail]}, status_code=exc.status_code, headers=exc.headers)


def unexpected_error(request: Request, exc: Exception) -> Response[dict[str, list[str]]]:  # type: ignore[type-arg]
    request.logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return Response({"problems": ["internal error; see the server log"]}, status_code=HTTP_500_INTERNAL_SERVER_ERROR)


EXCEPTION_HANDLERS = {
    InputError: input_error,
    ValidationException: validation_error,
    HTTPException: http_error,
    Exception: unexpected_error,
}
