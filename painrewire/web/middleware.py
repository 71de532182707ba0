"""Security headers, the CSRF cookie and a request size limit, for every HTTP response."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from painrewire.web.deps import CSRF_COOKIE

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "media-src 'self' blob:; connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
MAX_BODY_BYTES = 2 * 1024 * 1024
#: Paths whose answers may be kept by browsers and proxies: the app's own scripts, styles and pictures.
CACHEABLE_PREFIXES = ("/static/",)


class SecurityMiddleware:
    """Pure ASGI middleware (works with streaming and leaves WebSockets alone)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        secure_cookies: bool,
        max_body_bytes: int = MAX_BODY_BYTES,
        body_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.secure_cookies = secure_cookies
        self.max_body_bytes = max_body_bytes
        # path prefix -> its own limit (an upload route that needs more); the longest matching prefix wins
        self.body_limits = sorted((body_limits or {}).items(), key=lambda item: -len(item[0]))

    def body_limit(self, path: str) -> int:
        """The largest request body accepted at ``path``."""
        return next(
            (limit for prefix, limit in self.body_limits if path.startswith(prefix)), self.max_body_bytes
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        max_body = self.body_limit(scope.get("path", ""))
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_body:
            await _too_large(send)
            return
        cookie_header = headers.get("cookie", "")
        existing = None
        for part in cookie_header.split(";"):
            name, _, value = part.strip().partition("=")
            if name == CSRF_COOKIE and value:
                existing = value
        token = existing or secrets.token_urlsafe(32)
        scope.setdefault("state", {})["csrf_token"] = token
        https = scope.get("scheme") == "https"
        # Health pages, JSON answers and downloads (and the forms carrying a CSRF token) are never stored by a
        # browser's cache or a proxy: a shared computer's next user cannot find them there. A route that
        # chose its own caching (a calendar feed, a generated picture) keeps it.
        cacheable = scope.get("path", "").startswith(CACHEABLE_PREFIXES)

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > max_body:
                    raise _BodyTooLargeError
            return message

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = MutableHeaders(scope=message)
                out.setdefault("Content-Security-Policy", CSP)
                out.setdefault("X-Content-Type-Options", "nosniff")
                out.setdefault("X-Frame-Options", "DENY")
                out.setdefault("Referrer-Policy", "same-origin")
                out.setdefault("Permissions-Policy", "camera=(), geolocation=(), microphone=()")
                if not cacheable:
                    out.setdefault("Cache-Control", "no-store")
                if https:
                    out.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
                sets_csrf = any(
                    k.lower() == b"set-cookie" and v.startswith(CSRF_COOKIE.encode() + b"=")
                    for k, v in message.get("headers", [])
                )
                if existing is None and not sets_csrf:
                    flags = "; Path=/; HttpOnly; SameSite=Lax" + ("; Secure" if self.secure_cookies else "")
                    out.append("Set-Cookie", f"{CSRF_COOKIE}={token}{flags}")
            await send(message)

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except _BodyTooLargeError:
            await _too_large(send)


class _BodyTooLargeError(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = b'{"error":"PayloadTooLarge","detail":"What you sent is too large."}'
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
