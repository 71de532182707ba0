"""Answers whose body is made after the request's unit of work has committed."""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Receive, Scope, Send


class MadeAfterCommit(Response):
    """A body that takes long to make but needs no database (a PDF from HTML already rendered, say).

    The route returns at once, so its unit of work commits and gives the database back; the body is made in the
    thread pool while the answer is sent. Other requests do not wait behind the slow part.
    """

    def __init__(
        self,
        make: Callable[[], bytes],
        *,
        media_type: str,
        headers: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> None:
        self.make = make
        self.status_code = status_code
        self.media_type = media_type
        self.extra_headers = dict(headers or {})
        self.background = None
        super().__init__(b"", status_code=status_code, headers=self.extra_headers, media_type=media_type)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = await run_in_threadpool(self.make)
        made = Response(
            body, status_code=self.status_code, headers=self.extra_headers, media_type=self.media_type
        )
        for key, value in self.headers.items():  # what middleware added on the way out
            if key.lower() != "content-length" and key not in made.headers:
                made.headers[key] = value
        await made(scope, receive, send)
