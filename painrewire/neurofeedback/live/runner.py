"""The live loop of one session (``LiveRunner``), one asyncio task in the server process that set it up.

The runner opens the headset, records from the first sample, runs the signal check, and once the practitioner
starts training computes feedback every hop and publishes it at once (``messages``); it answers the
practitioner's commands, which reach it through the broadcast channel wherever they were sent from.

Timing: the runner sleeps until the samples completing the next hop are due, steps the session, and publishes
the newest hop only (older hops of the same step are recorded, never sent), so feedback never lags behind a
backlog. The time from that hop's newest sample to its message being published is recorded for every hop and
kept with the session (median, p99, clock offset). Sessions never block the event loop on a headset or a disk:
opening a board, a reconnect attempt, forcing recordings to disk and writing the final EDF+ run in worker
threads, and a recording's samples are handed to the operating system in one write a second, on the loop.

Hundreds of sessions share one event loop, so what each does per hop is kept small and spread out: messages
are encoded once (``broadcast.Message``), the console's periodic messages run on each session's own phase
(``Cadence``), and a session keeps its hops in columns (``signal.engine.HopLog``), not as objects the garbage
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
from typing import TYPE_CHECKING, Any

from painrewire.db import utcnow
from painrewire.errors import DomainError
from painrewire.neurofeedback import service
from painrewire.neurofeedback.live import messages
from painrewire.neurofeedback.service import RunPlan, SessionOutcome
from painrewire.neurofeedback.signal.engine import HopResult, Phase
from painrewire.neurofeedback.signal.protocols import get_protocol
from painrewire.neurofeedback.signal.sham import ShamReplay
from painrewire.neurofeedback.signal.traces import ConsoleTraces
from painrewire.neurofeedback.signal.training import SessionState, SignalCheckFailed, TrainingSession
from painrewire.neurofeedback.sources.base import Chunk, Source, SourceError, SourceStatus
from painrewire.neurofeedback.sources.brainflow import BrainFlowSource
from painrewire.neurofeedback.sources.lsl import LSLSource
from painrewire.neurofeedback.sources.playback import PlaybackSource

if TYPE_CHECKING:
    from painrewire.neurofeedback.live.hub import LiveHub

logger = logging.getLogger(__name__)

#: A checked session that nobody starts is ended after this long.
READY_TIMEOUT = 30 * 60.0
#: The console's newest hop (meter, band powers) and raw traces (``signal.traces.ConsoleTraces``) go out together
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
#: loses at most this much); the hub forces it to disk (``hub.SYNC_SECONDS``).
FLUSH_SECONDS = 1.0
#: The console's recent reward rate covers this many feedback hops (a minute at 4 hops a second).
RECENT_HOPS = 240
#: Why an erased patient's running session ended (nothing of it is kept).
ERASED_REASON = "Stopped: the patient's record was erased."


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


class Cadence:
    """A periodic duty (the console's status, traces...) on a fixed grid with a session's own offset.

    On a grid, a late duty is done late once and the next one is due where it always was, so the sessions of a
    process, each on its own offset, never fall into step after a stall of the event loop (timed from when
    each was last done, they would all catch up, and then publish, together). Duties whose periods are
    multiples of each other and that share an offset fall due at the same steps, so their messages can go out
    together.
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
            name = self._channels[kind] = messages.channel(self.session_id, kind)
        await self.hub.broadcast.publish(name, message)

    async def _listen(self, ready: asyncio.Event) -> None:
        async with self.hub.broadcast.subscribe(
            messages.channel(self.session_id, messages.COMMANDS)
        ) as commands:
            ready.set()
            async for message in commands:
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
        await self.publish(
            messages.REPLIES, {"id": message.get("id"), "ok": ok, "detail": detail, "data": data}
        )

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
        await self.publish(messages.FEEDBACK, messages.state_message("ended"))
        await self.publish(messages.CONSOLE, messages.ended_message("aborted", reason))

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
                    messages.CONSOLE,
                    {"type": "alarm" if paused else "resumed", "lost_samples": int(self._lost_total())},
                )
            await self._publish_patient_state(self._patient_phase(step.paused))
            if console_turn and (raw := traces.take()) is not None:
                self._console_parts.append(raw)
            if step.lost_samples:
                await self.publish(
                    messages.CONSOLE,
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
        await self.publish(
            messages.FEEDBACK, messages.feedback_message(hop, baseline_progress=engine.baseline_progress)
        )
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
        self._console_parts.append(
            messages.hop_message(
                hop,
                channels=channels,
                rows=rows,
                bands=bands,
                inhibit_status=messages.inhibit_status(
                    hop, training.protocol.inhibits, engine.inhibit_thresholds or {}, rows
                ),
                latency_s=latency,
                baseline_progress=engine.baseline_progress,
                recent_rewards=self._recent_rewards,
                blinded=self.plan is not None and self.plan.blinded,
            )
        )

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
        await self.publish(messages.CONSOLE, messages.batch_message(parts))

    async def _publish_patient_state(self, state: str) -> None:
        if state != self._patient_state:
            self._patient_state = state
            await self.publish(messages.FEEDBACK, messages.state_message(state))

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
            await self.publish(messages.FEEDBACK, messages.state_message(self._patient_state))
        if not self.watched:
            return
        figures = engine.running_figures(recent=RECENT_HOPS) if engine is not None else {}
        monitor = training.monitor
        self._console_parts.append(
            messages.status_message(
                state=training.state.value,
                phase=engine.phase.value if engine is not None else None,
                loss=loss,
                paused=paused,
                source=self.tap.status.value,
                source_description=self.tap.description,
                reconnects=self.tap.reconnects,
                lost_samples=self._lost_total(),
                seconds_without_data=(
                    monitor.seconds_without_data(training.now()) if monitor is not None else None
                ),
                recorded_seconds=training.recorded_seconds,
                training_seconds=self._training_elapsed,
                planned_seconds=plan.planned_seconds,
                figures=figures,
                target_reward_rate=training.target_reward_rate,
                blinded=plan.blinded,
            )
        )

    async def _publish_check(self) -> None:
        training = self.training
        assert training is not None and training.check_report is not None
        report = training.check_report.to_dict()
        report["protocol_channels"] = list(training.protocol.channels)
        report["protocol_passed"] = training.check_report.passed(training.protocol.channels)
        self.write(service.record_check, report)
        await self.publish(messages.CONSOLE, {"type": "check", **report})

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
            # never moved: moved to the moment a console opened, they would bunch together the sessions whose
            # consoles opened together, which would then all publish in the same milliseconds.
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
            await self.publish(
                messages.CONSOLE, {"type": "note", "text": text.strip(), "onset": round(onset, 3)}
            )
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
        await self.publish(messages.FEEDBACK, messages.state_message("ended"))
        await self.publish(
            messages.CONSOLE,
            messages.ended_message("completed" if completed else "aborted", reason, summary=summary),
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
        await self.publish(messages.FEEDBACK, messages.state_message("ended"))
        await self.publish(messages.CONSOLE, messages.ended_message("aborted", ERASED_REASON))


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
