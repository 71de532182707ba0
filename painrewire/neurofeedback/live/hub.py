"""The live sessions of one server process: ``LiveHub`` (one per app, ``hub_of(app)``) starts a
``runner.LiveRunner`` when a practitioner sets a session up, reaches sessions wherever they run, and keeps
what they share.

Nothing else in the server talks to a runner directly: the patient's and the practitioner's screens subscribe
to its channels (``messages``), and the practitioner's commands (start, note, stop, ...) reach it as messages
with a reply (``LiveHub.command``), all through the broadcast channel -- so with several workers or servers
(Redis), the screens and the commands may be served by any process.

The hub keeps its sessions alive in the record (a heartbeat), forces their recordings to disk from a worker
thread, recovers at start-up the recordings of sessions a stopped server left behind, and ends them all
properly at shut-down.

Consent (``series``): once a minute the hub asks, in one unit of work for all its sham sessions, whether each
patient still consents to blinded sessions; a sham session whose patient withdrew it is stopped there and then,
and the patient's running series with it.

A process refuses a session it cannot run on time (``LiveHub.admit``, ``signal.load``): when its loop would be
too busy once the sessions set up, and the new one, all train, or while its sessions already wake late. Past
that point one more session would make every patient's feedback lag; the practitioner is told so instead.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from fastapi.concurrency import run_in_threadpool

from painrewire.db import unit_of_work, utcnow
from painrewire.neurofeedback import series, service
from painrewire.neurofeedback.live import messages
from painrewire.neurofeedback.live.broadcast import Broadcast, make_broadcast
from painrewire.neurofeedback.live.runner import LiveRunner
from painrewire.neurofeedback.recording.recorder import SessionRecorder, recover_recording
from painrewire.neurofeedback.service import LiveServerBusy, SessionNotLive
from painrewire.neurofeedback.signal.load import LoopBusy, RecentLag, predicted_share
from painrewire.neurofeedback.signal.training import SessionState
from painrewire.web.deps import database_gate

logger = logging.getLogger(__name__)

T = TypeVar("T")

#: A command not answered within this long finds no live session.
COMMAND_TIMEOUT = 5.0
#: Live recordings are forced to disk this often, from a worker thread (an fsync on the event loop would stall
#: every session of the process).
SYNC_SECONDS = 5.0
#: A new session is refused while this share of the process's recent wakes came later than the lag limit
#: (``Settings.live_lag_limit_ms``): one in ten, so a single stall (a garbage collection, a disk) does not
#: refuse anyone, but a core that no longer keeps up does.
LAG_QUANTILE = 0.9
#: How often the live loop's busy share is read (``signal.load.LoopBusy``).
LOAD_EVERY = 1.0
#: A refused set-up is told to try again after this long.
BUSY_RETRY_SECONDS = 60
#: How often sham sessions' consent to blinded sessions is checked again (as the sockets re-check logins).
CONSENT_CHECK_SECONDS = 60.0


class LiveHub:
    """This process's live sessions, its broadcast channel, and the database access they share with requests."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.runners: dict[uuid.UUID, LiveRunner] = {}
        self._broadcast: Broadcast | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self._syncer: asyncio.Task[None] | None = None
        self.command_timeout = float(getattr(app.state, "nfb_command_timeout", COMMAND_TIMEOUT))
        self.consent_every = float(getattr(app.state, "nfb_consent_check_seconds", CONSENT_CHECK_SECONDS))
        self._consent_watch: asyncio.Task[None] | None = None
        settings = app.state.settings
        self.recording_dir = Path(settings.recording_dir)
        #: How busy this process's live loop is and how late its sessions wake for their hops (``admit``).
        self.busy = LoopBusy()
        #: Seconds the steps of sessions not yet training took since the last busy reading (their runners add).
        self.starting_seconds = 0.0
        self.lag = RecentLag()
        self.load_limit = float(settings.live_load_limit)
        self.lag_limit = float(settings.live_lag_limit_ms) / 1e3
        self.max_sessions = int(settings.max_live_sessions)
        self._load_watch: asyncio.Task[None] | None = None

    @property
    def broadcast(self) -> Broadcast:
        if self._broadcast is None:
            self._broadcast = make_broadcast(self.app.state.settings.redis_url)
        return self._broadcast

    async def db(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn(session, *args)`` as one unit of work (committed, or rolled back on error), admitted
        through the same gate as requests."""
        async with database_gate(self.app):
            return await run_in_threadpool(self._unit, fn, *args, **kwargs)

    def _unit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        with unit_of_work(self.app.state.session_factory) as session:
            return fn(session, *args, **kwargs)

    # -- running sessions

    def admit(self) -> None:
        """Refuse (``LiveServerBusy``) a new session this process cannot run on time: at its fixed limit of
        sessions, when its loop would be too busy once the sessions set up and the new one all train, or while
        its sessions already wake late for their hops. One more would make every patient's feedback later.
        (Called from request threads too: it only reads.)"""
        runners = list(self.runners.values())
        running = len(runners)
        sessions = f"{running} live session{'' if running == 1 else 's'}"
        if self.max_sessions and running >= self.max_sessions:
            raise _busy(f"This server is already running {sessions}, its limit.")
        training = sum(
            1 for r in runners if r.training is not None and r.training.state is SessionState.TRAINING
        )
        predicted = predicted_share(self.busy.share, training, running - training, self.busy.starting_share)
        if self.load_limit and predicted is not None and predicted > self.load_limit:
            raise _busy(
                f"This server cannot take another live session: with {sessions}, its live loop would be busy "
                f"{predicted:.0%} of the time once they all train (the limit is {self.load_limit:.0%}), and "
                "every patient's feedback would lag."
            )
        if not self.lag_limit:
            return
        late = self.lag.quantile(LAG_QUANTILE, time.monotonic())
        if late is not None and late > self.lag_limit:
            raise _busy(
                f"This server cannot keep up with another live session: with {sessions}, one feedback step "
                f"in ten is already {late * 1e3:.0f} ms or more late (the limit is {self.lag_limit * 1e3:.0f} ms)."
            )

    def start(self, session_id: uuid.UUID) -> LiveRunner:
        """Start the live loop of a session just set up (and committed)."""
        runner = LiveRunner(self, session_id)
        self.runners[session_id] = runner
        runner.task = asyncio.get_running_loop().create_task(runner.run(), name=f"nfb-session-{session_id}")
        if self._heartbeat is None or self._heartbeat.done():
            self._heartbeat = asyncio.get_running_loop().create_task(self._beat(), name="nfb-heartbeat")
        if self._syncer is None or self._syncer.done():
            self._syncer = asyncio.get_running_loop().create_task(self._sync(), name="nfb-sync")
        if self._load_watch is None or self._load_watch.done():
            self._load_watch = asyncio.get_running_loop().create_task(self._watch_load(), name="nfb-load")
        if self._consent_watch is None or self._consent_watch.done():
            self._consent_watch = asyncio.get_running_loop().create_task(
                self._watch_consent(), name="nfb-consent"
            )
        return runner

    def finished(self, runner: LiveRunner) -> None:
        if self.runners.get(runner.session_id) is runner:
            del self.runners[runner.session_id]

    async def _beat(self) -> None:
        while self.runners:
            await asyncio.sleep(service.HEARTBEAT_SECONDS)
            ids = list(self.runners)
            try:
                gone = await self.db(_beat_unit, ids, at=utcnow())
            except Exception:  # a missed beat is retried; STALE_SECONDS allows several
                logger.exception("Could not refresh the heartbeat of %d live sessions", len(ids))
                continue
            for session_id in gone:  # erased while running where the erasure's stop did not reach
                runner = self.runners.get(session_id)
                if runner is not None:
                    runner.discard()

    async def discard(self, session_ids: list[uuid.UUID]) -> None:
        """Stop these sessions wherever they run, keeping nothing of them (an erasure): no outcome stored, the
        recording on disk deleted. A session that does not answer is found by its server's heartbeat."""
        elsewhere = []
        for session_id in session_ids:
            runner = self.runners.get(session_id)
            if runner is not None:
                runner.discard()
            else:
                elsewhere.append(self.command(session_id, "discard"))
        await asyncio.gather(*elsewhere, return_exceptions=True)  # not answering: see the heartbeat

    async def _watch_consent(self) -> None:
        while self.runners:
            await asyncio.sleep(self.consent_every)
            try:
                await self.check_consent()
            except Exception:  # checked again at the next turn
                logger.exception("Could not re-check the consent of the live sham sessions")

    async def check_consent(self) -> list[uuid.UUID]:
        """Stop the live sham sessions whose patient no longer consents to blinded sessions; return their ids.
        One unit of work for all of them, and none at all while this process runs no sham session."""
        sham = [
            r.session_id for r in list(self.runners.values()) if r.plan is not None and r.plan.sham_rewards
        ]
        if not sham:
            return []
        withdrawn = await self.db(series.sham_sessions_without_consent, sham, now=utcnow())
        for session_id in withdrawn:
            runner = self.runners.get(session_id)
            if runner is not None:
                runner.request_stop(series.WITHDRAWN_SESSION_REASON, completed=False)
                runner._wake()
        return withdrawn

    async def _watch_load(self) -> None:
        """Read the loop thread's CPU time every LOAD_EVERY (this task runs on that thread)."""
        self.busy = LoopBusy()  # readings from before the process last ran no session say nothing now
        self.starting_seconds = 0.0
        cpu, wall = time.thread_time(), time.monotonic()
        while self.runners:
            await asyncio.sleep(LOAD_EVERY)
            now_cpu, now_wall = time.thread_time(), time.monotonic()
            self.busy.add(now_cpu - cpu, now_wall - wall, self.starting_seconds)
            self.starting_seconds = 0.0
            cpu, wall = now_cpu, now_wall

    async def _sync(self) -> None:
        while self.runners:
            await asyncio.sleep(SYNC_SECONDS)
            recorders = [
                r.training.recorder
                for r in list(self.runners.values())
                if r.training is not None and r.training.recorder is not None
            ]
            try:
                await asyncio.to_thread(_sync_all, recorders)
            except Exception:
                logger.exception("Could not force %d live recordings to disk", len(recorders))

    async def command(
        self, session_id: uuid.UUID, name: str, *, timeout: float | None = None, **payload: Any
    ) -> dict[str, Any]:
        """Send a command to a session's live loop, wherever it runs, and return its reply."""
        timeout = self.command_timeout if timeout is None else timeout
        command_id = uuid.uuid4().hex
        async with self.broadcast.subscribe(messages.channel(session_id, messages.REPLIES)) as replies:
            await self.broadcast.publish(
                messages.channel(session_id, messages.COMMANDS),
                {"id": command_id, "name": name, "sent_at": time.time(), **payload},
            )
            try:
                async with asyncio.timeout(timeout):
                    async for reply in replies:
                        if reply.get("id") == command_id:
                            return reply
            except TimeoutError:
                pass
        raise SessionNotLive(
            "The live session is not answering: it may have ended, or the server running it stopped."
        )

    async def startup(self) -> None:
        """Recover the recordings of sessions this machine was running when its server stopped."""
        if not self.recording_dir.is_dir():
            return
        for partial in sorted(self.recording_dir.glob("*.edf.partial")):
            try:
                session_id = uuid.UUID(partial.name.split(".", 1)[0])
            except ValueError:
                continue
            if session_id in self.runners:
                continue
            try:
                await self.db(_recover_interrupted, session_id, partial)
            except Exception:
                logger.exception("Could not recover the interrupted recording %s", partial)

    async def shutdown(self, *, timeout: float = 30.0) -> None:
        """End every live session of this process properly (recording stored), then close the channel."""
        runners = list(self.runners.values())
        for runner in runners:
            runner.request_stop("The server was shut down during the session.", completed=False)
        tasks = [r.task for r in runners if r.task is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        for task in (self._heartbeat, self._syncer, self._load_watch, self._consent_watch):
            if task is not None:
                task.cancel()
        if self._broadcast is not None:
            with contextlib.suppress(Exception):
                await self._broadcast.close()
            self._broadcast = None


def _busy(reason: str) -> LiveServerBusy:
    """A refused set-up: why, and what the practitioner can do."""
    return LiveServerBusy(
        f"{reason} Start this session when another one ends, or ask your administrator to add a server worker.",
        retry_after_seconds=BUSY_RETRY_SECONDS,
    )


def _sync_all(recorders: list[SessionRecorder]) -> None:
    for recorder in recorders:
        try:
            recorder.sync()
        except OSError:  # one failing disk write must not leave the other sessions' recordings unsynced
            logger.exception("Could not force the live recording %s to disk", recorder.path.name)


def _beat_unit(session: Any, session_ids: list[uuid.UUID], *, at: Any) -> list[uuid.UUID]:
    """Refresh the live sessions' heartbeat; return those whose row is gone (their patient was erased)."""
    service.touch(session, session_ids, at=at)
    return service.missing_sessions(session, session_ids)


def hub_of(app: Any) -> LiveHub:
    hub = getattr(app.state, "nfb_hub", None)
    if hub is None:
        hub = app.state.nfb_hub = LiveHub(app)
    return hub


def _recover_interrupted(session: Any, session_id: uuid.UUID, partial: Path) -> None:
    """Finish the EDF+ file of a session whose server died, if its heartbeat says nothing runs it now."""
    found = service.interrupted_session(session, session_id)
    if found is service.Interrupted.ERASED:
        # The session is gone with its patient's erased record: nothing of it may stay on disk. (The folder
        # is the clinic's own: ``Settings.recording_dir`` is one per clinic.)
        shutil.rmtree(partial, ignore_errors=True)
        partial.with_suffix("").unlink(missing_ok=True)
        return
    if found is service.Interrupted.RUNNING:
        return
    path = recover_recording(partial)
    try:
        service.record_recovered(session, session_id, path.read_bytes())
    finally:
        path.unlink(missing_ok=True)
