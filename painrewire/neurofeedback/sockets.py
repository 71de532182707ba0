"""The two WebSockets of a live session: feedback for the patient's screen, the console for the practitioner's.

A socket is checked when it connects with the same rule as every request (``access.patient_for``): the
patient may watch only their own session, a clinician only the sessions of patients on their care team,
and only clinicians get the console. The login comes from the session cookie -- then the ``Origin`` must be
this site, since browsers send cookies with cross-site WebSockets (no CORS protects them) -- or from a bearer
token. A refused socket is accepted and closed at once with 1008 (policy violation) and a reason, so the
page can say why; nothing is sent before. The login, and the right to watch, are checked again every minute:
logging out elsewhere, or being taken off the patient's care team, ends the socket. One ``LoginGuard`` per
process re-checks all its open sockets in one unit of work: a few queries a minute, however many sockets are
open.

The socket only forwards the session's broadcast channel, so it works in any worker or server, whichever
one runs the session.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fastapi import WebSocket, WebSocketDisconnect
from sqlalchemy.orm import Session
from starlette.websockets import WebSocketState

from painrewire.accounts import service as accounts
from painrewire.accounts.models import Role
from painrewire.errors import DomainError
from painrewire.neurofeedback import service
from painrewire.neurofeedback.live.broadcast import Message
from painrewire.neurofeedback.live.hub import LiveHub, hub_of
from painrewire.neurofeedback.live.messages import COMMANDS, CONSOLE, FEEDBACK, channel
from painrewire.neurofeedback.live.runner import WATCH_SECONDS
from painrewire.neurofeedback.models import SessionStatus
from painrewire.web.deps import SESSION_COOKIE

logger = logging.getLogger(__name__)

POLICY_VIOLATION = 1008
RECHECK_SECONDS = 60.0


@dataclass(frozen=True)
class SocketViewer:
    user_id: uuid.UUID
    role: Role
    status: SessionStatus
    hello: dict[str, Any]


def _token(websocket: WebSocket) -> tuple[str | None, bool]:
    """The login token, and whether it came from the cookie (ambient, so the Origin matters)."""
    scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    return websocket.cookies.get(SESSION_COOKIE), True


def same_origin(websocket: WebSocket) -> bool:
    """The page that opened the socket is this site (the Host it connected to, or the configured base URL)."""
    origin = websocket.headers.get("origin")
    if not origin:
        return False
    parts = urlsplit(origin)
    host = websocket.headers.get("host", "")
    base = urlsplit(str(websocket.app.state.settings.base_url))
    return parts.netloc == host or (parts.scheme, parts.netloc) == (base.scheme, base.netloc)


def _check(session: Session, token: str, session_id: uuid.UUID, *, console: bool) -> SocketViewer | str:
    user = accounts.resolve_session(session, token)
    if user is None:
        return "Your login has ended; please log in again."
    if console and user.role != Role.CLINICIAN:
        return "The session console is for the practitioner."
    if user.role not in (Role.CLINICIAN, Role.PATIENT):
        return "Live sessions are for the patient and their care team."
    try:
        row = service.get_session(session, user, session_id, resource_type="nfb_live")
    except DomainError as exc:
        return exc.message
    hello: dict[str, Any] = {"type": "hello", "status": row.status.value}
    if console:
        hello.update(
            signal_check=row.signal_check,
            protocol=row.protocol,
            planned_seconds=row.planned_seconds,
            end_reason=row.end_reason,
            notes=[
                {"text": n.text, "onset": round(n.offset_seconds, 3)} for n in service.notes_for(session, row)
            ],
        )
    return SocketViewer(user.id, user.role, row.status, hello)


async def _refuse(websocket: WebSocket, reason: str) -> None:
    await websocket.accept()
    await websocket.close(code=POLICY_VIOLATION, reason=reason[:120])


async def serve(websocket: WebSocket, session_id: uuid.UUID, *, console: bool) -> None:
    """Authorise the socket, then forward the session's live channel until either side ends."""
    hub = hub_of(websocket.app)
    token, from_cookie = _token(websocket)
    if not token:
        await _refuse(websocket, "Please log in to watch this session.")
        return
    if from_cookie and not same_origin(websocket):
        await _refuse(websocket, "This live session can only be opened from PainRewire's own pages.")
        return
    try:
        checked = await hub.db(_check, token, session_id, console=console)
    except Exception:
        logger.exception("Could not authorise a live neurofeedback socket")
        await _refuse(websocket, "The live session is not available right now.")
        return
    if isinstance(checked, str):
        await _refuse(websocket, checked)
        return
    await websocket.accept()
    kind = CONSOLE if console else FEEDBACK
    async with hub.broadcast.subscribe(channel(session_id, kind)) as messages:
        await websocket.send_text(Message(checked.hello).text)
        if checked.status not in service.ACTIVE:
            await websocket.close(code=1000)
            return
        forward = asyncio.create_task(_forward(websocket, messages))
        drain = asyncio.create_task(_drain(websocket))
        logged_out = guard_of(websocket.app).watch(token, checked.user_id, session_id)
        tasks: set[asyncio.Future[Any]] = {forward, drain, logged_out}
        if console:
            tasks.add(asyncio.create_task(_watch(hub, session_id)))
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            if logged_out.done() and not logged_out.cancelled():
                with contextlib.suppress(Exception):
                    await websocket.close(code=POLICY_VIOLATION, reason=logged_out.result())
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.gather(*tasks, return_exceptions=True)
    if websocket.client_state is WebSocketState.CONNECTED:
        with contextlib.suppress(Exception):
            await websocket.close(code=1000)


async def _forward(websocket: WebSocket, messages: AsyncIterator[Message]) -> None:
    async for message in messages:
        await websocket.send_text(message.text)
        if _ends(message):
            return


def _ends(message: Message) -> bool:
    """The session's last message to this screen."""
    kind = message.get("type")
    return kind == "ended" or (kind == "state" and message.get("state") == "ended")


async def _drain(websocket: WebSocket) -> None:
    """Read (and ignore) what the page sends, to notice when it goes away."""
    with contextlib.suppress(WebSocketDisconnect):
        while True:
            message = await websocket.receive()
            if message.get("type") == "websocket.disconnect":
                return


async def _watch(hub: LiveHub, session_id: uuid.UUID) -> None:
    """Tell the session's live loop, wherever it runs, that its console is open (it skips the console's
    periodic messages while nobody watches)."""
    while True:
        try:
            await hub.broadcast.publish(channel(session_id, COMMANDS), {"name": "watch"})
        except Exception:
            logger.exception("Could not tell a live session that its console is open")
        await asyncio.sleep(WATCH_SECONDS)


LOGIN_ENDED = "Your login has ended; please log in again."
OFF_THE_TEAM = "You are no longer on this patient's care team."


class LoginGuard:
    """Re-checks this process's open live sockets every ``RECHECK_SECONDS``, all in one unit of work, and ends
    those whose login has ended (logged out, revoked, expired, account closed) or whose viewer may no longer
    see the session's patient (taken off the care team)."""

    def __init__(self, hub: LiveHub) -> None:
        self._hub = hub
        self._watched: dict[asyncio.Future[str], tuple[str, uuid.UUID, uuid.UUID]] = {}
        self._task: asyncio.Task[None] | None = None

    def watch(self, token: str, user_id: uuid.UUID, session_id: uuid.UUID) -> asyncio.Future[str]:
        """A future that resolves, with the reason, when this login ends or its user may no longer watch the
        session; cancel it when the socket closes."""
        ended: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._watched[ended] = (token, user_id, session_id)
        ended.add_done_callback(self._forget)
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._run(), name="nfb-login-guard")
        return ended

    def _forget(self, ended: asyncio.Future[str]) -> None:
        self._watched.pop(ended, None)

    async def _run(self) -> None:
        while self._watched:
            await asyncio.sleep(RECHECK_SECONDS)
            await self.check()

    async def check(self) -> None:
        """Check every watched login now."""
        watched = list(self._watched.items())
        if not watched:
            return
        tokens = {token for _, (token, _, _) in watched}
        viewers = {(user_id, session_id) for _, (_, user_id, session_id) in watched}
        try:
            alive, allowed = await self._hub.db(_recheck, tokens, viewers)
        except Exception:
            logger.exception("Could not re-check the logins of %d live sockets", len(watched))
            return
        for ended, (token, user_id, session_id) in watched:
            if ended.done():
                continue
            if alive.get(token) != user_id:
                ended.set_result(LOGIN_ENDED)
            elif (user_id, session_id) not in allowed:
                ended.set_result(OFF_THE_TEAM)


def _recheck(
    session: Session, tokens: set[str], viewers: set[tuple[uuid.UUID, uuid.UUID]]
) -> tuple[dict[str, uuid.UUID], set[tuple[uuid.UUID, uuid.UUID]]]:
    """The live logins among ``tokens``, and which (user, session) pairs may still watch."""
    return accounts.live_logins(session, tokens), service.viewers_allowed(session, viewers)


def guard_of(app: Any) -> LoginGuard:
    guard = getattr(app.state, "nfb_login_guard", None)
    if guard is None:
        guard = app.state.nfb_login_guard = LoginGuard(hub_of(app))
    return guard
