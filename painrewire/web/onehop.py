"""One thread hop per request: a plain (``def``) route's dependencies, body, commit and answer run together.

FastAPI runs each synchronous dependency, the endpoint, and (through the unit of work) the commit and close in
separate trips to the thread pool, and the event loop schedules every trip. A request that held the database (the
SQLite write lock, a PostgreSQL connection) between trips waited for the loop and a free thread while holding it, and
every other request queued behind those waits. ``OneHopRoute`` reads the body on the event loop (where the
connection's receive channel lives), then runs the whole of FastAPI's handler for the route -- dependencies,
endpoint, the unit of work's commit and close, serialising the answer -- in one worker thread, on an event loop of
that thread's own, with FastAPI's thread-pool calls run in place. Routes written ``async def`` stay on the server's
loop: they may await objects that belong to it (a live neurofeedback session).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import threading
from collections.abc import Callable, Coroutine
from contextlib import AsyncExitStack
from typing import Any, TypeVar

import fastapi.dependencies.utils
import fastapi.routing
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool as _to_thread
from starlette.requests import Request
from starlette.responses import Response

T = TypeVar("T")

_STACKS = ("fastapi_inner_astack", "fastapi_function_astack")
_IN_ONE_HOP: contextvars.ContextVar[bool] = contextvars.ContextVar("painrewire_in_one_hop", default=False)
_loops = threading.local()


def in_one_hop() -> bool:
    """Whether this code runs inside a request's single thread hop (blocking calls are fine here)."""
    return _IN_ONE_HOP.get()


async def run_blocking(func: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run blocking ``func``: in place inside a one-hop request, else in the thread pool."""
    if _IN_ONE_HOP.get():
        return func(*args, **kwargs)
    return await _to_thread(func, *args, **kwargs)


# FastAPI calls these module-level names for synchronous dependencies, endpoints and response validation.
fastapi.routing.run_in_threadpool = run_blocking
fastapi.dependencies.utils.run_in_threadpool = run_blocking


def admission_gate(app: Any) -> asyncio.Semaphore:
    """The process's admission gate on the server's loop (``web.deps.database_gate``)."""
    from painrewire.web.deps import database_gate

    return database_gate(app)


class _ThreadLoop:
    """A worker thread's own event loop, closed when the thread ends (its thread-local goes with it)."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()

    def __del__(self) -> None:
        self.loop.close()


def _thread_loop() -> asyncio.AbstractEventLoop:
    holder: _ThreadLoop | None = getattr(_loops, "holder", None)
    if holder is None:
        holder = _loops.holder = _ThreadLoop()
    return holder.loop


class OneHopRoute(APIRoute):
    """An ``APIRoute`` whose plain (``def``) endpoints run with their dependencies in one thread hop."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        if asyncio.iscoroutinefunction(self.dependant.call):
            return handler

        async def in_one_scope(request: Request) -> Response:
            # Dependencies with ``yield`` (the unit of work) enter and end in this hop, on this thread's loop, before
            # the answer is sent: their exit stacks are this hop's own.
            scope = request.scope
            outer = {key: scope.get(key) for key in _STACKS}
            async with AsyncExitStack() as request_stack, AsyncExitStack() as function_stack:
                scope["fastapi_inner_astack"] = request_stack
                scope["fastapi_function_astack"] = function_stack
                try:
                    return await handler(request)
                finally:
                    scope.update(outer)

        def one_hop(request: Request) -> Response:
            token = _IN_ONE_HOP.set(True)
            try:
                return _thread_loop().run_until_complete(in_one_scope(request))
            finally:
                _IN_ONE_HOP.reset(token)

        @functools.wraps(handler)
        async def app(request: Request) -> Response:
            await request.body()
            async with admission_gate(request.app):
                return await _to_thread(one_hop, request)

        return app
