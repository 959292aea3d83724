"""What protects the browser side: headers on every response, CSRF checks, the sign-in rate limit.

- Headers (`security_headers`, a before_send hook, so 404s and error answers carry them too): a
  Content-Security-Policy allowing only this site's own scripts, styles, images and fonts (no inline script or
  style attribute anywhere: templates use classes and files under /static), no framing (frame-ancestors 'none'
  and X-Frame-Options DENY), Referrer-Policy same-origin (a member search in a URL never reaches another site),
  X-Content-Type-Options nosniff. Over HTTPS every cookie is marked Secure.
- CSRF (`csrf_config`, Litestar's double-submit token): every POST, PUT, PATCH and DELETE of a page needs the token
  from its form field `_csrf_token` or the X-CSRFToken header (templates: `csrf_token()`, `_csrf.html` sets the
  header for htmx). Exempt: /api (bearer tokens, which a browser does not send by itself) and the signed links.
- Sign-in rate limit (`login_rate_limit`, Litestar's RateLimitConfig): LOGIN_ATTEMPTS attempts a minute per client
  address, then 429 until the minute is over; nothing is ever locked for longer.
"""

from __future__ import annotations

from litestar.config.csrf import CSRFConfig
from litestar.middleware.rate_limit import RateLimitConfig
from litestar.types import Message, Scope

from engine.settings import get_settings

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
    "connect-src 'self'", "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'none'",
])  # fmt: skip
HEADERS = {
    b"content-security-policy": CONTENT_SECURITY_POLICY.encode(),
    b"x-frame-options": b"DENY",
    b"referrer-policy": b"same-origin",
    b"x-content-type-options": b"nosniff",
}
CSRF_COOKIE = "memberflow_csrf"
CSRF_HEADER = "x-csrftoken"
EXEMPT_FROM_CSRF = "exclude_from_csrf"  # opt (Litestar's key): signed links
LOGIN_ATTEMPTS = 5


async def security_headers(message: Message, scope: Scope) -> None:
    """Add HEADERS to a response's start (a header a route set itself stays), and Secure to its cookies when the
    request came over HTTPS (directly, or through a proxy uvicorn trusts with X-Forwarded-Proto)."""
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers") or [])
    present = {name.lower() for name, _ in headers}
    headers += [(name, value) for name, value in HEADERS.items() if name not in present]
    if scope.get("scheme") == "https":
        headers = [(name, _secure(value) if name.lower() == b"set-cookie" else value) for name, value in headers]
    message["headers"] = headers


def _secure(cookie: bytes) -> bytes:
    attributes = {part.strip().lower() for part in cookie.split(b";")[1:]}
    return cookie if b"secure" in attributes else cookie + b"; Secure"


def csrf_config() -> CSRFConfig:
    return CSRFConfig(
        secret=get_settings().csrf_key(), cookie_name=CSRF_COOKIE, header_name=CSRF_HEADER, cookie_httponly=True,
        cookie_samesite="lax", exclude=["^/api/"], exclude_from_csrf_key=EXEMPT_FROM_CSRF,
    )  # fmt: skip


def login_rate_limit() -> RateLimitConfig:
    """LOGIN_ATTEMPTS a minute per client address, counted in the database (every web process shares the count);
    put on the sign-in POST only."""
    return RateLimitConfig(rate_limit=("minute", LOGIN_ATTEMPTS), store="sign_in_attempts")
