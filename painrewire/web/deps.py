"""Request dependencies: the unit of work, settings, the caller's address, and CSRF protection.

Who is logged in is the accounts domain's to say (``painrewire.accounts.deps``)."""

from __future__ import annotations

import asyncio
import hmac
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session
from starlette.requests import HTTPConnection

from painrewire.config import Settings
from painrewire.db import finish_failed_unit
from painrewire.errors import Forbidden
from painrewire.web.onehop import in_one_hop

SESSION_COOKIE = "pr_session"
CSRF_COOKIE = "pr_csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data", "text/plain")


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed before the response is sent, rolled back on any error.

    In a plain (``def``) route the whole request runs in one thread hop (``web.onehop``), so the commit and the
    close run in place, in the thread that did the work. A route written ``async def`` takes its turn at the
    process's admission gate here and reaches the database through the thread pool, one trip per call.
    """
    if in_one_hop():
        session: Session = request.app.state.session_factory()
        try:
            yield session
            session.commit()
        except BaseException as exc:
            finish_failed_unit(session, exc)
            raise
        finally:
            session.close()
        return
    async with _gate(request):
        session = request.app.state.session_factory()
        try:
            yield session
            await run_in_threadpool(session.commit)
        except BaseException as exc:
            await run_in_threadpool(finish_failed_unit, session, exc)
            raise
        finally:
            await run_in_threadpool(session.close)


def _gate(request: Request) -> asyncio.Semaphore:
    return database_gate(request.app)


def database_gate(app: Any) -> asyncio.Semaphore:
    """The admission gate of this process's running event loop (asyncio primitives belong to one loop).

    Shared by requests, WebSockets and background loops (a live neurofeedback session) of the app. It admits
    fewer units of work than the thread pool has threads: a unit that holds the database (SQLite's one writer, a
    PostgreSQL connection) across several trips to the thread pool always finds a thread for its next trip, however
    many others wait for the database in theirs.
    """
    loop = asyncio.get_running_loop()
    gates: dict[int, asyncio.Semaphore] = app.state.db_gates
    gate = gates.get(id(loop))
    if gate is None:
        gate = gates[id(loop)] = asyncio.Semaphore(app.state.db_concurrency)
    return gate


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def client_address(request: Request) -> str | None:
    """The caller's address: the peer that connected, or, from a proxy named in ``Settings.trusted_proxies``,
    the address its ``X-Forwarded-For`` gives (``painrewire serve`` sets uvicorn up so)."""
    return request.client.host if request.client else None


@dataclass(frozen=True)
class Viewer:
    """What the page layout shows of the logged-in user; a plain copy, still readable after a rollback.

    ``role`` and ``discipline`` hold the accounts domain's ``Role`` and ``Discipline`` (string enums)."""

    id: uuid.UUID
    full_name: str
    role: str
    discipline: str | None
    discipline_label: str


async def verify_csrf(connection: HTTPConnection) -> None:
    """Unsafe requests that a browser could send from another site must echo the CSRF cookie.

    That is every form post (forms can be posted cross-site) and every request carrying the session cookie.
    Bearer-token API calls, and cookie-less JSON calls (a cross-site page cannot send JSON without a CORS
    pre-flight, which this app never grants), carry no ambient authority and need no token. WebSockets
    carry no method; their routes check the Origin themselves.
    """
    if not isinstance(connection, Request):
        return
    request = connection
    if request.method not in UNSAFE_METHODS or bearer_token(request):
        return
    content_type = request.headers.get("content-type", "")
    is_form = content_type.startswith(FORM_TYPES)
    if not is_form and SESSION_COOKIE not in request.cookies:
        return
    expected = request.cookies.get(CSRF_COOKIE)
    given = request.headers.get(CSRF_HEADER)
    if given is None and content_type.startswith(FORM_TYPES[:2]):
        form = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not expected or not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise Forbidden(
            "This form has expired or was not sent from PainRewire. Reload the page and try again."
        )


CSRF = Depends(verify_csrf)
