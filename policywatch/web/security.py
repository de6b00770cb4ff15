"""Response headers that keep scraped content inert, and the optional access token.

The Content-Security-Policy allows scripts only from this server's own static files, so even a string that escaped
escaping could not run. With a token, every request must carry it: ``Authorization: Bearer TOKEN`` (API clients),
``?token=TOKEN`` (feed readers, the first visit from a browser) or the cookie that a valid ``?token=`` sets.
"""
from __future__ import annotations

import hmac
import os
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

TOKEN_ENV = "POLICYWATCH_TOKEN"
COOKIE = "policywatch_token"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
#: Paths served without the token: the stylesheet and script carry nothing private.
OPEN_PREFIXES = ("/static/",)


def resolve_token(cli_value: str | None, config: object) -> str | None:
    """The token from the command line, else env POLICYWATCH_TOKEN, else the config's ``token`` (if it has one);
    empty strings count as none."""
    for value in (cli_value, os.environ.get(TOKEN_ENV), getattr(config, "token", None)):
        if value and str(value).strip():
            return str(value).strip()
    return None


def _same(given: str | None, token: str) -> bool:
    return bool(given) and hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8"))  # type: ignore[union-attr]


def token_middleware(
    token: str | None, deny: Callable[[Request], Awaitable[Response]]
) -> Callable[[Request, Callable[[Request], Awaitable[Response]]], Awaitable[Response]]:
    """An HTTP middleware that adds ``HEADERS`` to every response and, when ``token`` is set, answers requests
    without it with ``deny(request)``."""

    async def middleware(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        set_cookie = False
        if token and not request.url.path.startswith(OPEN_PREFIXES):
            auth = request.headers.get("authorization", "")
            bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else None
            if _same(request.query_params.get("token"), token):
                set_cookie = request.cookies.get(COOKIE) != token
            elif not (_same(bearer, token) or _same(request.cookies.get(COOKIE), token)):
                response = await deny(request)
                response.headers.update(HEADERS)
                return response
        response = await call_next(request)
        if set_cookie:
            response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=request.url.scheme == "https",  # type: ignore[arg-type]
                                max_age=180 * 86400)
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return middleware
