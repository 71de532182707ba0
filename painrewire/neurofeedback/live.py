"""The live loop: one asyncio task per running session, in the server process that started it.

``LiveHub`` (one per app, ``hub_of(app)``) starts a ``LiveRunner`` when a practitioner sets a session up. The
runner opens the headset, records from the first sample, runs the signal check, and once the practitioner
starts training computes feedback every hop and publishes it at once. Nothing else in the server talks to
the runner directly: the patient's and the practitioner's screens subscribe to its channels, and the
practitioner's commands (start, note, stop, ...) reach it as messages with a reply, all through the
broadcast channel -- so with several workers or servers (Redis), the screens and the commands may be served
by any process.

Channels of session ``S`` (``channel(S, kind)``):

* ``feedback`` -- to the patient's screen: ``state`` (checking / ready / baseline / feedback / paused /
  ended) and ``feedback`` (0..1 value, reward). It never says whether the session is sham.
* ``console`` -- to the practitioner's screen: ``status`` (state, connection, lost samples, latency, reward
  and inhibited shares), ``check`` (per channel pass or fail), ``hop`` (band powers, metric, threshold,
  reward, each inhibit band against its threshold: the newest hop twice a second; a blinded series session
  leaves out the metric, threshold and inhibits, which a sham reward ignores), ``raw`` (traces twice a
  second, with each channel's signal quality once a second), ``note``, ``ended``.
  The periodic ones (``status``, ``hop``, ``raw``) due at the same step go out as one ``batch`` message
  (``parts``, in that order): two console messages a second instead of five.
* ``commands`` / ``replies`` -- the practitioner's commands and the runner's answers.

Timing (peers.md: silent lag): the runner sleeps until the samples completing the next hop are due, steps
the session, and publishes the newest hop only (older hops of the same step are recorded, never sent). The
time from that hop's newest sample to its message being published is recorded for every hop and kept with
the session (median, p99, clock offset). Sessions never block the event loop on a headset or a disk: opening a
board, a reconnect attempt, forcing recordings to disk and writing the final EDF+ run in worker threads (a
recording's samples are handed to the operating system in one write a second, on the loop: a thread doing it
for every session fought the loop for the GIL and stalled it).

Consent (``series``): once a minute the hub asks, in one unit of work for all its sham sessions, whether each
patient still consents to blinded sessions; a sham session whose patient withdrew it is stopped there and then,
and the patient's running series with it.

A process refuses a session it cannot run on time (``LiveHub.admit``, ``load``): when its loop would be too busy
once the sessions set up, and the new one, all train, or while its sessions already wake late. Past that point
one more session would make every patient's feedback lag; the practitioner is told so instead.

Hundreds of sessions share one event loop, so what each does per hop is kept small and spread out: messages
are encoded once (``broadcast.Message``), the console's periodic messages run on each session's own phase
(``Cadence``), and a session keeps its hops in columns (``engine.HopLog``), not as objects the garbage
collector would walk.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import math
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from fastapi.concurrency import run_in_threadpool

from painrewire.db import unit_of_work, utcnow
from painrewire.errors import DomainError
from painrewire.neurofeedback import series, service
from painrewire.neurofeedback.acquisition import (
    BrainFlowSource,
    Chunk,
    LSLSource,
    PlaybackSource,
    Source,
    SourceError,
    SourceStatus,
)
from painrewire.neurofeedback.broadcast import Broadcast, make_broadcast
from painrewire.neurofeedback.engine import HopResult, Phase
from painrewire.neurofeedback.load import LoopBusy, RecentLag, predicted_share
from painrewire.neurofeedback.models import SessionStatus
from painrewire.neurofeedback.protocols import get_protocol
from painrewire.neurofeedback.recording import SessionRecorder, recover_recording
from painrewire.neurofeedback.service import LiveServerBusy, RunPlan, SessionNotLive, SessionOutcome
from painrewire.neurofeedback.sham import ShamReplay
from painrewire.neurofeedback.traces import ConsoleTraces
from painrewire.neurofeedback.training import SessionState, SignalCheckFailed, TrainingSession
from painrewire.web.deps import database_gate

logger = logging.getLogger(__name__)

T = TypeVar("T")

PREFIX = "painrewire:nfb"
FEEDBACK, CONSOLE, COMMANDS, REPLIES = "feedback", "console", "commands", "replies"

#: A command not answered within this long finds no live session.
COMMAND_TIMEOUT = 5.0
#: A checked session that nobody starts is ended after this long.
READY_TIMEOUT = 30 * 60.0
#: The console's newest hop (meter, band powers) and raw traces (``traces.ConsoleTraces``) go out together
#: this often (the patient gets every hop); STATUS_EVERY is a multiple of it, so the status joins them.
CONSOLE_EVERY = 0.5
#: An open console says so this often (a ``watch`` command); a session nobody has watched for three times
#: as long skips the console's periodic messages (status, hops, traces), which are most of its work.
WATCH_SECONDS = 5.0
STATUS_EVERY = 1.0
#: How often the patient's screen is reminded of the session's state (a screen that joined late learns it).
STATE_EVERY = 5.0
#: Step period before training, while waiting for late data, and the margin after a hop's last sample is due.
IDLE_STEP = 0.1
LATE_STEP = 0.02
RECONNECT_STEP = 0.25
HOP_MARGIN = 0.002
#: A session's recording is handed to the operating system this often, in one write (a crash of the process
#: loses at most this much; a write per step of hundreds of sessions adds up)...
FLUSH_SECONDS = 1.0
#: ... and forced to disk this often, from a worker thread (an fsync on the event loop would stall every session
#: of the process).
SYNC_SECONDS = 5.0
#: The console's recent reward rate covers this many feedback hops (a minute at 4 hops a second).
RECENT_HOPS = 240
#: A new session is refused while this share of the process's recent wakes came later than the lag limit
#: (``Settings.live_lag_limit_ms``): one in ten, so a single stall (a garbage collection, a disk) does not
#: refuse anyone, but a core that no longer keeps up does.
LAG_QUANTILE = 0.9
#: How often the live loop's busy share is read (``load.LoopBusy``).
LOAD_EVERY = 1.0
#: A refused set-up is told to try again after this long.
BUSY_RETRY_SECONDS = 60
#: Why an erased patient's running session ended (nothing of it is kept).
ERASED_REASON = "Stopped: the patient's record was erased."
#: How often sham sessions' consent to blinded sessions is checked again (as the sockets re-check logins).
CONSENT_CHECK_SECONDS = 60.0


def channel(session_id: uuid.UUID | str, kind: str) -> str:
    return f"{PREFIX}:{session_id}:{kind}"


# -- sources --------------------------------------------------------------------------------------------------


def open_source(plan: RunPlan, playback_file: Path | None) -> Source:
    """The headset a session's plan names (not yet started)."""
    params = plan.source_params
    if plan.source == "brainflow":
        return BrainFlowSource(-1 if plan.board_id is None else plan.board_id, **params)
    if plan.source == "lsl":
        return LSLSource(
            name=params.get("name"),
            stream_type=params.get("stream_type") or "EEG",
            source_id=params.get("source_id"),
        )
    if plan.source == "playback":
        if playback_file is None:
            raise SourceError("There is no recording to play")
        return PlaybackSource.from_file(playback_file, clock=time.time, loop=True)
    raise SourceError(f"Unknown source {plan.source!r}")


class TappedSource:
    """A source whose chunks the live loop also sees (for the practitioner's traces and signal quality)."""

    def __init__(self, inner: Source) -> None:
        self.inner = inner
        self._chunks: list[Chunk] = []
        self.sfreq: float = float(inner.sfreq)
        self.channel_names: tuple[str, ...] = tuple(inner.channel_names)
        self.counter_modulus: int | None = inner.counter_modulus
        self.timestamp_jitter: float = float(getattr(inner, "timestamp_jitter", 0.0))
        self.description: str = str(inner.description)

    @property
    def clock_offset(self) -> float:
        """The inner source's (an LSL inlet refreshes its time correction as it goes)."""
        return float(self.inner.clock_offset)

    @clock_offset.setter
    def clock_offset(self, value: float) -> None:
        self.inner.clock_offset = value

    @property
    def reconnects(self) -> int:
        return int(getattr(self.inner, "reconnects", 0))

    @property
    def status(self) -> SourceStatus:
        return self.inner.status

    @property
    def positions(self) -> dict[str, tuple[float, float, float] | None]:
        return self.inner.positions

    def start(self) -> None:
        self.inner.start()

    def read(self) -> Chunk | None:
        chunk = self.inner.read()
        if chunk is not None:
            self._chunks.append(chunk)
        return chunk

    def take(self) -> list[Chunk]:
        chunks, self._chunks = self._chunks, []
        return chunks

    def stop(self) -> None:
        self.inner.stop()

    def now(self) -> float:
        return self.inner.now()


# -- the hub ----------------------------------------------------------------------------------------------------


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
        async with self.broadcast.subscribe(channel(session_id, REPLIES)) as replies:
            await self.broadcast.publish(
                channel(session_id, COMMANDS),
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
    from painrewire.neurofeedback.models import NeurofeedbackSession

    row = session.get(NeurofeedbackSession, session_id)
    if row is None:
        # The session is gone with its patient's erased record: nothing of it may stay on disk. (The folder
        # is the clinic's own: ``Settings.recording_dir`` is one per clinic.)
        shutil.rmtree(partial, ignore_errors=True)
        partial.with_suffix("").unlink(missing_ok=True)
        return
    alive = (
        row.status in service.ACTIVE
        and row.heartbeat_at is not None
        and (utcnow() - row.heartbeat_at).total_seconds() < service.STALE_SECONDS
    )
    if alive:
        return
    path = recover_recording(partial)
    try:
        data = path.read_bytes()
        if row.recording_edf is None:
            from painrewire.neurofeedback.review import read_edf_bytes

            row.recording_edf = data
            row.recording_seconds = read_edf_bytes(data).duration_s
        if row.status in service.ACTIVE:
            row.status = SessionStatus.ABORTED
            row.ended_at = utcnow()
            row.heartbeat_at = None
        row.end_reason = (row.end_reason or service.ORPHANED_REASON) + " The recording was recovered."
        session.flush()
    finally:
        path.unlink(missing_ok=True)


# -- one session --------------------------------------------------------------------------------------------------


class Cadence:
    """A periodic duty (the console's status, traces...) on a fixed grid with a session's own offset.

    Timed from when it was last done instead, the duties of hundreds of sessions fell into step: after any
    stall of the event loop every session caught up at once, so all their timers restarted together and from
    then on they all published in the same few milliseconds, every period -- a burst that stalled the loop
    again (measured: 20-60 ms lags every second with 400 sessions). On a grid, a late duty is done late once
    and the next one is due where it always was. Duties whose periods are multiples of each other and that
    share an offset fall due at the same steps, so their messages can go out together.
    """

    def __init__(self, period: float, offset: float, *, now: float | None = None) -> None:
        self.period = period
        start = time.monotonic() if now is None else now
        self.next = start + offset

    def due(self, now: float) -> bool:
        """Whether the duty is due at ``now``; if so it counts as done (missed turns are skipped)."""
        if now < self.next:
            return False
        self.next += self.period * (math.floor((now - self.next) / self.period) + 1)
        return True


@dataclass
class _Stop:
    reason: str
    completed: bool


class LiveRunner:
    """The live loop of one session."""

    def __init__(self, hub: LiveHub, session_id: uuid.UUID) -> None:
        self.hub = hub
        self.session_id = session_id
        self.task: asyncio.Task[None] | None = None
        self.training: TrainingSession | None = None
        self.tap: TappedSource | None = None
        self.plan: RunPlan | None = None
        self._commands: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._writes: asyncio.Queue[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = (
            asyncio.Queue()
        )
        self._stop: _Stop | None = None
        #: Erased while running: stop keeping nothing (``discard``).
        self._discarding = False
        self._training_elapsed = 0.0
        self._patient_state = ""
        self._channels: dict[str, str] = {}
        #: The console's periodic messages of this step, sent together (``_flush_console``).
        self._console_parts: list[dict[str, Any]] = []
        #: The raw signal for the console (set when the headset is open).
        self._raw: ConsoleTraces | None = None
        #: The console's hop labels (channels, protocol rows, bands), made at the first hop.
        self._hop_labels: tuple[list[str], list[int], list[str]] | None = None
        # The console's and the patient screen's periodic duties, each on this session's own phase. The
        # console's turns (hop and traces) and its status share one grid, so they fall due at the same steps
        # and go out as one message.
        phase = (session_id.int % 9973) / 9973
        start = time.monotonic()
        self._console_turns = Cadence(CONSOLE_EVERY, phase * CONSOLE_EVERY, now=start)
        self._status = Cadence(STATUS_EVERY, phase * CONSOLE_EVERY, now=start)
        self._state_reminder = Cadence(STATE_EVERY, phase * STATE_EVERY, now=start)
        self._flush = Cadence(FLUSH_SECONDS, phase * FLUSH_SECONDS, now=start)
        self._console_seen = -math.inf
        self._ready_since: float | None = None
        self._files: list[Path] = []
        self._sleeper: asyncio.Future[None] | None = None
        #: Rewards of the feedback hops of the last minute, for the console.
        self._recent_rewards: collections.deque[bool] = collections.deque(maxlen=RECENT_HOPS)

    # -- plumbing

    def request_stop(self, reason: str, *, completed: bool) -> None:
        if self._stop is None:
            self._stop = _Stop(reason, completed)

    def discard(self) -> None:
        """Stop at the next step and keep nothing: the patient's record was erased."""
        self._discarding = True
        self._stop = _Stop(ERASED_REASON, completed=False)
        self._wake()

    def write(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Queue a write to the record; writes run in order, off the loop, so a busy database never delays
        feedback."""
        self._writes.put_nowait((fn, args, kwargs))

    async def _writer(self) -> None:
        while True:
            fn, args, kwargs = await self._writes.get()
            try:
                await self.hub.db(fn, self.session_id, *args, **kwargs)
            except Exception:
                logger.exception(
                    "Could not store %s for neurofeedback session %s", fn.__name__, self.session_id
                )
            finally:
                self._writes.task_done()

    async def publish(self, kind: str, message: dict[str, Any]) -> None:
        name = self._channels.get(kind)
        if name is None:
            name = self._channels[kind] = channel(self.session_id, kind)
        await self.hub.broadcast.publish(name, message)

    async def _listen(self, ready: asyncio.Event) -> None:
        async with self.hub.broadcast.subscribe(channel(self.session_id, COMMANDS)) as messages:
            ready.set()
            async for message in messages:
                self._commands.put_nowait(message)
                self._wake()

    @property
    def watched(self) -> bool:
        """A practitioner's console is open on this session (in any process)."""
        return time.monotonic() - self._console_seen < 3 * WATCH_SECONDS

    def _wake(self) -> None:
        """Cut the loop's sleep short: a command is waiting."""
        if self._sleeper is not None and not self._sleeper.done():
            self._sleeper.set_result(None)

    async def _sleep(self, seconds: float) -> None:
        """Sleep until the next hop is due, or until a command arrives; how late it woke goes to the hub's
        ``lag`` (a wake cut short by a command says nothing about that)."""
        if not self._commands.empty():
            return
        loop = asyncio.get_running_loop()
        due = time.monotonic() + seconds
        self._sleeper = loop.create_future()
        handle = loop.call_later(seconds, _resolve, self._sleeper)
        try:
            await self._sleeper
        finally:
            handle.cancel()
            self._sleeper = None
        woke = time.monotonic()
        if woke >= due:
            self.hub.lag.add(woke - due, woke)

    async def reply(self, message: dict[str, Any], ok: bool, detail: str = "", **data: Any) -> None:
        await self.publish(REPLIES, {"id": message.get("id"), "ok": ok, "detail": detail, "data": data})

    # -- life

    async def run(self) -> None:
        writer = asyncio.create_task(self._writer())
        listening = asyncio.Event()
        listener = asyncio.create_task(self._listen(listening))
        try:
            await asyncio.wait_for(listening.wait(), timeout=10)
            if await self._open():
                await self._loop()
                await (self._discard_all() if self._discarding else self._finish())
        except Exception as exc:  # the session ends honestly instead of hanging "running"
            logger.exception("Neurofeedback session %s failed", self.session_id)
            await self._fail(f"The live session stopped on an error in the server ({type(exc).__name__}).")
        finally:
            listener.cancel()
            await self._writes.join()
            writer.cancel()
            for path in self._files:
                path.unlink(missing_ok=True)
            self.hub.finished(self)

    async def _open(self) -> bool:
        try:
            plan = self.plan = await self.hub.db(service.run_plan, self.session_id)
        except DomainError as exc:
            await self._fail(exc.message)
            return False
        playback = None
        if plan.playback_edf is not None:
            self.hub.recording_dir.mkdir(parents=True, exist_ok=True)
            playback = self.hub.recording_dir / f"{self.session_id}.playback.edf"
            await asyncio.to_thread(playback.write_bytes, plan.playback_edf)
            self._files.append(playback)
        sham = None
        if plan.sham_rewards:
            sham = ShamReplay(plan.sham_rewards, plan.sham_feedback, source=plan.sham_label)
        path = self.hub.recording_dir / f"{self.session_id}.edf"
        try:
            protocol = get_protocol(plan.protocol, channels=plan.channels, eyes=plan.eyes)
            inner = await asyncio.to_thread(open_source, plan, playback)
            self.tap = TappedSource(inner)
            self.training = TrainingSession(
                self.tap,
                protocol,
                recording_path=path,
                sham=sham,
                check_seconds=plan.check_seconds,
                baseline_seconds=plan.baseline_seconds,
                target_reward_rate=plan.target_reward_rate,
                line_freq=plan.line_freq,
                patient_code=plan.patient_code,
            )
            self._raw = ConsoleTraces(self.training.sfreq, self.tap.channel_names, self.training.limits)
            self.hub.recording_dir.mkdir(parents=True, exist_ok=True)
            await asyncio.to_thread(self.training.start)
            if self.training.recorder is not None:
                self.training.recorder.deferred = True  # written once a second, synced by the hub
        except (SourceError, ValueError, RuntimeError, OSError) as exc:
            await self._fail(f"The headset could not be opened: {exc}")
            return False
        self._files.append(path)
        self.write(service.record_started, at=utcnow())
        await self._publish_patient_state("checking")
        await self._publish_status(force=True)
        return True

    async def _fail(self, reason: str) -> None:
        training = self.training
        recording = None
        if training is not None and training.state is not SessionState.STOPPED:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(training.stop)
            if training.recording_path is not None and training.recording_path.exists():
                recording = await asyncio.to_thread(training.recording_path.read_bytes)
        outcome = SessionOutcome(
            completed=False,
            reason=reason,
            ended_at=utcnow(),
            recording=recording,
            recording_seconds=training.recorded_seconds if recording is not None and training else None,
        )
        self.write(service.record_outcome, outcome)
        await self._writes.join()
        await self.publish(FEEDBACK, {"type": "state", "state": "ended"})
        await self.publish(CONSOLE, {"type": "ended", "status": "aborted", "reason": reason})

    async def _loop(self) -> None:
        training = self.training
        tap = self.tap
        plan = self.plan
        traces = self._raw
        assert training is not None and tap is not None and plan is not None and traces is not None
        last_tick = time.monotonic()
        paused = False
        while True:
            await self._handle_commands()
            if self._stop is not None:
                return
            if tap.status is SourceStatus.RECONNECTING:
                step = await asyncio.to_thread(training.step)
            elif training.state is SessionState.TRAINING:
                step = training.step()
            else:
                # What a starting session's own step costs the loop, so the guard does not charge it twice.
                began = time.perf_counter()
                step = training.step()
                self.hub.starting_seconds += time.perf_counter() - began
            chunks = tap.take()
            tick = time.monotonic()
            if training.recorder is not None and self._flush.due(tick):
                training.recorder.drain(wait=False)  # if the hub is syncing it, the next turn writes
            if training.state is SessionState.TRAINING and not step.paused:
                self._training_elapsed += tick - last_tick
            last_tick = tick
            watched = self.watched
            if chunks:
                if watched:
                    for chunk in chunks:
                        traces.hold(chunk.data)
                else:
                    traces.clear()
            # A console turn needs samples read this step, enough of them to draw, and while feedback runs this
            # step's hop: a step that a command woke early may read a few samples and complete no hop, and
            # spending the turn there would leave the console's band powers or traces a turn behind.
            hop_expected = training.state is SessionState.TRAINING and not step.paused
            turn_ready = traces.drawable and (step.current is not None or not hop_expected)
            console_turn = watched and bool(chunks) and turn_ready and self._console_turns.due(tick)
            # The status shares the turns' grid and goes out with a turn, as one message; alone only once it is
            # a turn's period overdue (no samples come: the headset is gone, and the status says so).
            status_waits = watched and not console_turn and tick < self._status.next + CONSOLE_EVERY
            for hop in step.hops:
                if hop.phase is Phase.FEEDBACK:
                    self._recent_rewards.append(bool(hop.reward))
            if step.check is not None:
                await self._publish_check()
            if step.current is not None and not step.paused and training.state is SessionState.TRAINING:
                await self._send(step.current, console_turn=console_turn)
            if step.paused != paused:
                paused = step.paused
                await self.publish(
                    CONSOLE,
                    {"type": "alarm" if paused else "resumed", "lost_samples": int(self._lost_total())},
                )
            await self._publish_patient_state(self._patient_phase(step.paused))
            if console_turn and (raw := traces.take()) is not None:
                self._console_parts.append(raw)
            if step.lost_samples:
                await self.publish(
                    CONSOLE,
                    {"type": "lost", "samples": int(step.lost_samples), "total": int(self._lost_total())},
                )
            if not status_waits:
                await self._publish_status(tick, loss=step.loss_state.value, paused=step.paused)
            await self._flush_console()
            if training.state is SessionState.READY:
                self._ready_since = self._ready_since or tick
                if tick - self._ready_since > READY_TIMEOUT:
                    self.request_stop(
                        "Nobody started training within 30 minutes of the signal check.", completed=False
                    )
            if training.state is SessionState.TRAINING and self._training_elapsed >= plan.planned_seconds:
                self.request_stop("Completed as planned.", completed=True)
            await self._sleep(self._delay(chunks))

    def _delay(self, chunks: list[Chunk]) -> float:
        training = self.training
        assert training is not None and self.tap is not None
        if self.tap.status is SourceStatus.RECONNECTING:
            return RECONNECT_STEP
        engine = training.engine
        if engine is None or training.state is not SessionState.TRAINING:
            return IDLE_STEP
        if not chunks:
            return LATE_STEP
        due = float(chunks[-1].timestamps[-1]) + engine.samples_to_next_hop / training.sfreq + HOP_MARGIN
        return min(max(due - self.tap.now(), 0.001), engine.hop_seconds + HOP_MARGIN)

    def _lost_total(self) -> int:
        monitor = self.training.monitor if self.training else None
        return int(monitor.lost_total) if monitor is not None else 0

    # -- feedback

    async def _send(self, hop: HopResult, *, console_turn: bool) -> None:
        training = self.training
        assert training is not None and training.engine is not None
        engine = training.engine
        message: dict[str, Any] = {
            "type": "feedback",
            "hop": hop.index,
            "phase": hop.phase.value,
            "value": round(float(hop.feedback), 4),
            "reward": bool(hop.reward),
            "t": hop.timestamp,
        }
        if hop.phase is Phase.BASELINE:
            message["progress"] = round(engine.baseline_progress, 3)
        await self.publish(FEEDBACK, message)
        latency = training.mark_sent(hop)
        if not console_turn:
            return
        if self._hop_labels is None:  # the same every hop: made once, reused in every message
            trained = {p.lower() for p in training.protocol.channels}
            self._hop_labels = (
                list(hop.channel_names),
                [i for i, c in enumerate(hop.channel_names) if c.lower() in trained],
                list(hop.band_names),
            )
        channels, rows, bands = self._hop_labels
        message = {
            "type": "hop",
            "index": hop.index,
            "phase": hop.phase.value,
            "time_s": round(hop.time_s, 3),
            "metric": _finite(hop.metric),
            "threshold": _finite(hop.threshold),
            "reward": bool(hop.reward),
            "feedback": round(float(hop.feedback), 4),
            "bad": bool(hop.bad),
            "reasons": list(hop.bad_reasons),
            "inhibited": bool(hop.inhibited),
            "inhibits": self._inhibit_status(hop, rows),
            "blinded": False,
            "latency_ms": round(latency * 1e3, 2),
            "baseline_progress": round(engine.baseline_progress, 3),
            "recent_reward_rate": (
                round(sum(self._recent_rewards) / len(self._recent_rewards), 3)
                if self._recent_rewards
                else None
            ),
            "channels": channels,
            "protocol_rows": rows,
            "bands": bands,
            "power": hop.band_powers.round(3).tolist(),
        }
        if self.plan is not None and self.plan.blinded:
            # A sham reward ignores the metric, the threshold, the inhibits and bad windows: shown beside them, it
            # would tell. (The patient's screen, which shows none of them, gets the reward as it is.)
            message.update(metric=None, threshold=None, inhibited=False, inhibits=[], blinded=True)
            if hop.bad:
                message.update(reward=False, feedback=0.0)
        self._console_parts.append(message)

    def _inhibit_status(self, hop: HopResult, rows: list[int]) -> list[dict[str, Any]]:
        """Each inhibit band of the protocol: its power now (mean over the protocol's channels), the threshold
        the baseline set (None before), and whether it is over."""
        training = self.training
        assert training is not None and training.engine is not None
        thresholds = training.engine.inhibit_thresholds or {}
        over = set(hop.inhibits_over)
        status = []
        for inhibit in training.protocol.inhibits:
            column = hop.band_names.index(inhibit.band)
            power = float(hop.band_powers[rows, column].mean()) if rows else math.nan
            status.append(
                {
                    "band": inhibit.band,
                    "label": inhibit.label,
                    "power": _finite(power),
                    "threshold": _finite(thresholds.get(inhibit.band)),
                    "over": inhibit.band in over,
                }
            )
        return status

    def _patient_phase(self, paused: bool) -> str:
        training = self.training
        assert training is not None
        if training.state is SessionState.CHECKING:
            return "checking"
        if training.state is SessionState.READY:
            return "ready"
        if paused:
            return "paused"
        engine = training.engine
        return engine.phase.value if engine is not None else "ready"

    async def _flush_console(self) -> None:
        """Send the console's periodic messages of this step: one as it is, several as one ``batch``."""
        parts = self._console_parts
        if not parts:
            return
        self._console_parts = []
        parts.sort(key=lambda part: _PART_ORDER[part["type"]])
        await self.publish(CONSOLE, parts[0] if len(parts) == 1 else {"type": "batch", "parts": parts})

    async def _publish_patient_state(self, state: str) -> None:
        if state != self._patient_state:
            self._patient_state = state
            await self.publish(FEEDBACK, {"type": "state", "state": state})

    async def _publish_status(
        self, now: float | None = None, *, loss: str = "ok", paused: bool = False, force: bool = False
    ) -> None:
        now = time.monotonic() if now is None else now
        if not self._status.due(now) and not force:
            return
        training = self.training
        plan = self.plan
        assert training is not None and self.tap is not None and plan is not None
        engine = training.engine
        # Late-joining patient screens learn where the session is without waiting for a change.
        if self._state_reminder.due(now) or force:
            await self.publish(FEEDBACK, {"type": "state", "state": self._patient_state})
        if not self.watched:
            return
        figures = engine.running_figures(recent=RECENT_HOPS) if engine is not None else {}
        monitor = training.monitor
        self._console_parts.append(
            {
                "type": "status",
                "state": training.state.value,
                "phase": engine.phase.value if engine is not None else None,
                "loss": loss,
                "paused": paused,
                "source": self.tap.status.value,
                "source_description": self.tap.description,
                "reconnects": self.tap.reconnects,
                "lost_samples": self._lost_total(),
                "seconds_without_data": (
                    _finite(monitor.seconds_without_data(training.now())) if monitor is not None else None
                ),
                "recorded_seconds": round(training.recorded_seconds, 2),
                "training_seconds": round(self._training_elapsed, 2),
                "planned_seconds": plan.planned_seconds,
                "reward_rate": _finite(figures.get("reward_rate")),
                "inhibited_share": None if plan.blinded else _finite(figures.get("inhibited_share")),
                "target_reward_rate": training.target_reward_rate,
                "latency_p50_ms": _finite(figures.get("latency_p50_ms")),
                "latency_p99_ms": _finite(figures.get("latency_p99_ms")),
                "bad_share": _finite(figures.get("bad_share")),
            },
        )

    async def _publish_check(self) -> None:
        training = self.training
        assert training is not None and training.check_report is not None
        report = training.check_report.to_dict()
        report["protocol_channels"] = list(training.protocol.channels)
        report["protocol_passed"] = training.check_report.passed(training.protocol.channels)
        self.write(service.record_check, report)
        await self.publish(CONSOLE, {"type": "check", **report})

    # -- commands

    async def _handle_commands(self) -> None:
        while not self._commands.empty():
            message = self._commands.get_nowait()
            try:
                await self._command(message)
            except Exception as exc:
                logger.exception("Command %r failed in session %s", message.get("name"), self.session_id)
                await self.reply(message, False, f"The command failed ({type(exc).__name__}).")

    async def _command(self, message: dict[str, Any]) -> None:
        training = self.training
        assert training is not None
        name = message.get("name")
        if name == "watch":
            # A console that just opened gets the newest hop and traces at the next step (its turns were not
            # looked at while nobody watched, so one is overdue) and the status within a second. The grids are
            # never moved: moved to the moment a console opened, they bunched together the sessions whose
            # consoles opened together, and those then all published in the same milliseconds.
            self._console_seen = time.monotonic()
            return
        if name == "begin":
            try:
                training.begin_training(
                    override_reason=str(message.get("override_note") or "") or None,
                    practitioner=str(message.get("practitioner") or ""),
                )
            except SignalCheckFailed as exc:
                await self.reply(message, False, str(exc), reason="check_failed")
                return
            except RuntimeError as exc:
                await self.reply(message, False, str(exc), reason="not_ready")
                return
            self.write(service.record_training, at=utcnow(), overrides=list(training.overrides))
            await self.reply(message, True, "Training started.")
            await self._publish_patient_state(self._patient_phase(False))
            await self._publish_status(force=True)
        elif name == "note":
            waited = max(0.0, time.time() - float(message.get("sent_at") or time.time()))
            text = str(message.get("text") or "")
            try:
                onset = training.add_note(text, seconds_ago=waited)
            except ValueError as exc:
                await self.reply(message, False, str(exc))
                return
            await self.reply(message, True, "Noted.", onset=round(onset, 3))
            await self.publish(CONSOLE, {"type": "note", "text": text.strip(), "onset": round(onset, 3)})
        elif name == "discard":
            self.discard()
            await self.reply(message, True, ERASED_REASON)
        elif name == "stop":
            completed = training.state is SessionState.TRAINING
            reason = str(message.get("reason") or "Stopped by the practitioner.")
            self.request_stop(reason, completed=completed)
            await self.reply(message, True, reason)
        elif name == "recheck":
            try:
                training.recheck()
            except RuntimeError as exc:
                await self.reply(message, False, str(exc))
                return
            self._ready_since = None
            await self.reply(message, True, "Checking the signal again.")
        elif name == "target":
            try:
                training.set_target_reward_rate(float(message.get("target_reward_rate", math.nan)))
            except ValueError as exc:
                await self.reply(message, False, str(exc))
                return
            await self.reply(message, True, "Target changed.")
        else:
            await self.reply(message, False, f"Unknown command {name!r}.")

    # -- the end

    async def _finish(self) -> None:
        training = self.training
        stop = self._stop or _Stop("Stopped.", completed=False)
        assert training is not None
        result = await asyncio.to_thread(training.stop)
        engine = training.engine
        rewards = feedback = None
        if engine is not None:
            rewards = engine.reward_sequence()
            feedback = engine.feedback_sequence()
        recording = None
        if result.recording_path is not None:
            recording = await asyncio.to_thread(result.recording_path.read_bytes)
        summary = result.summary.to_dict() if result.summary is not None else None
        completed = stop.completed and summary is not None
        reason = (
            stop.reason if summary is not None or not stop.completed else "Stopped before training began."
        )
        outcome = SessionOutcome(
            completed=completed,
            reason=reason,
            ended_at=utcnow(),
            summary=summary,
            rewards=rewards if rewards else None,
            feedback=feedback if rewards else None,
            recording=recording,
            recording_seconds=round(training.recorded_seconds, 4) if recording is not None else None,
            check=result.check.to_dict() if result.check is not None else None,
            overrides=list(training.overrides),
        )
        self.write(service.record_outcome, outcome)
        await self._writes.join()
        await self.publish(FEEDBACK, {"type": "state", "state": "ended"})
        await self.publish(
            CONSOLE,
            {
                "type": "ended",
                "status": "completed" if completed else "aborted",
                "reason": reason,
                "summary": summary,
            },
        )
        if training.recorder is not None:
            shutil.rmtree(training.recorder.partial, ignore_errors=True)

    async def _discard_all(self) -> None:
        """End an erased patient's session: the headset closed, nothing stored, the recording deleted."""
        training = self.training
        assert training is not None
        with contextlib.suppress(Exception):
            await asyncio.to_thread(training.stop)
        if training.recorder is not None:
            shutil.rmtree(training.recorder.partial, ignore_errors=True)
        await self.publish(FEEDBACK, {"type": "state", "state": "ended"})
        await self.publish(CONSOLE, {"type": "ended", "status": "aborted", "reason": ERASED_REASON})


#: The order of a batch's parts: the status first (the state the hop and traces belong to).
_PART_ORDER = {"status": 0, "hop": 1, "raw": 2}


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), 4)
