"""One neurofeedback training session, start to finish: source, signal check, loss monitor, engine, recording.

``TrainingSession`` is what the web live loop (and ``painrewire nfb simulate``) drives::

    session = TrainingSession(source, get_protocol("alpha"), recording_path=path)
    session.start()                         # opens the headset, starts recording, runs the signal check
    while ...:
        step = session.step()               # non-blocking: reads what arrived, returns feedback hops
        if step.check is not None: ...      # show pass/fail per channel
        if step.current is not None:
            send(step.current.to_dict())    # feedback to the patient's screen
            session.mark_sent(step.current) # latency: newest sample -> message sent
    session.begin_training(override_reason=...)  # after the check; an override of a failure is recorded
    result = session.stop()                 # writes the EDF+ file, returns the summary

Everything the headset sends is recorded from ``start()`` on, the signal check included; lost samples are
counted, filled and annotated; no data for 2 s raises the alarm and pauses feedback until the source (which
reconnects by itself) delivers again.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

import numpy as np

from painrewire.neurofeedback.recording.recorder import SessionRecorder
from painrewire.neurofeedback.signal.artifacts import ArtifactLimits, SignalCheckReport, check_signal
from painrewire.neurofeedback.signal.bands import LIVE_BANDS
from painrewire.neurofeedback.signal.engine import FeedbackEngine, HopResult, Phase
from painrewire.neurofeedback.signal.loss import LossMonitor, LossState
from painrewire.neurofeedback.signal.protocols import Protocol
from painrewire.neurofeedback.signal.sham import ShamReplay
from painrewire.neurofeedback.signal.summary import SessionSummary
from painrewire.neurofeedback.signal.validation import check_number
from painrewire.neurofeedback.sources.base import Chunk, Source, SourceStatus

logger = logging.getLogger(__name__)

#: Reads per step at most, so one step never spins on a source that keeps delivering.
_MAX_READS_PER_STEP = 64


class SessionState(StrEnum):
    """Where the session is."""

    CREATED = "created"
    CHECKING = "checking"  # collecting data for the signal check
    READY = "ready"  # check done; waiting for the practitioner to start
    TRAINING = "training"  # baseline, then feedback
    STOPPED = "stopped"


class SignalCheckFailed(ValueError):
    """Training cannot start: the signal check failed on a protocol channel and nobody overrode it."""


@dataclass(slots=True)
class SessionStep:
    """What one ``step()`` found.

    Attributes
    ----------
    state : SessionState
    loss_state : LossState
        ok / notice (some samples lost lately) / alarm (no data for 2 s or more).
    paused : bool
        Feedback is paused (alarm).
    hops : list of HopResult
        Every hop computed in this step (all are recorded).
    current : HopResult | None
        The newest hop: the one to send (older ones in the same step are already stale).
    samples : int
        Samples received in this step.
    lost_samples : int
        Samples found missing in this step.
    check : SignalCheckReport | None
        The signal check, in the step that completed it.
    source_status : SourceStatus
    """

    state: SessionState
    loss_state: LossState
    paused: bool
    hops: list[HopResult] = field(default_factory=list)
    current: HopResult | None = None
    samples: int = 0
    lost_samples: int = 0
    check: SignalCheckReport | None = None
    source_status: SourceStatus = SourceStatus.IDLE


@dataclass(frozen=True, slots=True)
class SessionResult:
    """The end of a session: its summary (None if training never started), its recording, its check."""

    summary: SessionSummary | None
    recording_path: Path | None
    check: SignalCheckReport | None


class _Run:
    """Consecutive hops sharing a label, written as one annotation when the run ends."""

    __slots__ = ("end", "label", "start")

    def __init__(self, label: str, start: float, end: float) -> None:
        self.label = label
        self.start = start
        self.end = end


class TrainingSession:
    """Drive one neurofeedback session.

    Parameters
    ----------
    source : Source
        The headset (``BrainFlowSource``, ``LSLSource``, ``PlaybackSource``, ...).
    protocol : Protocol
        What is trained, with its inhibits and the eyes condition of baseline and training.
    recording_path : str | Path | None
        EDF+ file to record to (None: no recording, for previews).
    sham : ShamReplay | None
        Replay an earlier session's rewards instead of the live EEG's.
    check_seconds : float
        Data the signal check looks at (0 skips the check).
    baseline_seconds, target_reward_rate, hop_seconds, window_seconds : float
        As ``FeedbackEngine`` takes them.
    line_freq : float | None
        Mains frequency (50 or 60 Hz) for the notch and the line-noise check.
    limits : ArtifactLimits | None
        Artifact thresholds, for the check and the engine.
    patient_code : str
        Pseudonymous code for the recording header.
    clock : callable | None
        Session clock; None uses ``source.now`` (the clock the source stamps samples with).
    start_time : datetime | None
        Wall-clock start of the recording (UTC) for its header; None is now.
    """

    def __init__(
        self,
        source: Source,
        protocol: Protocol,
        *,
        recording_path: str | Path | None = None,
        sham: ShamReplay | None = None,
        check_seconds: float = 5.0,
        baseline_seconds: float = 60.0,
        target_reward_rate: float = 0.7,
        hop_seconds: float = 0.25,
        window_seconds: float = 2.0,
        line_freq: float | None = 50.0,
        limits: ArtifactLimits | None = None,
        patient_code: str = "X",
        clock: Callable[[], float] | None = None,
        start_time: datetime | None = None,
    ) -> None:
        self.source = source
        self.protocol = protocol
        self.recording_path = None if recording_path is None else Path(recording_path)
        self.sham = sham
        self.check_seconds = check_number(check_seconds, "check_seconds", low=0.0, unit="s")
        if 0 < self.check_seconds < 2.0:
            raise ValueError(f"check_seconds must be 0 (no check) or at least 2 s, got {check_seconds!r}")
        self.baseline_seconds = check_number(baseline_seconds, "baseline_seconds", low=0.0, unit="s")
        self.target_reward_rate = check_number(target_reward_rate, "target_reward_rate", low=0.05, high=0.95)
        self.hop_seconds = hop_seconds
        self.window_seconds = window_seconds
        self.line_freq = line_freq
        self.limits = limits or ArtifactLimits()
        self.patient_code = patient_code
        self._clock = clock
        self.start_time = start_time
        self.state = SessionState.CREATED
        self.engine: FeedbackEngine | None = None
        self.recorder: SessionRecorder | None = None
        self.monitor: LossMonitor | None = None
        self.check_report: SignalCheckReport | None = None
        self.overrides: list[str] = []
        self._check_parts: list[np.ndarray] = []
        self._check_samples = 0
        self._check_start = 0.0
        self._train_offset = 0
        self._samples = 0
        self._runs: dict[str, _Run | None] = {"phase": None, "reward": None, "bad": None, "inhibit": None}
        self._last_hop_end: float | None = None
        self._paused_since: float | None = None
        self._reconnects = 0

    # -- clock and annotations -----------------------------------------------------------------------------

    def now(self) -> float:
        """The session clock (the source's, unless another was injected)."""
        return self._clock() if self._clock is not None else self.source.now()

    @property
    def sfreq(self) -> float:
        return float(self.source.sfreq)

    @property
    def recorded_seconds(self) -> float:
        """Seconds on the recording's time axis so far (lost samples included)."""
        return self._samples / self.sfreq

    def _annotate(self, onset: float, duration: float, text: str) -> None:
        if self.recorder is not None:
            self.recorder.annotate(onset, duration, text)

    # -- life cycle ----------------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the source, check that it has the protocol's channels, start recording and the signal check."""
        if self.state is not SessionState.CREATED:
            raise RuntimeError(f"start() is for a new session; this one is {self.state.value}")
        self.source.start()
        try:
            self.protocol.bind(self.source.channel_names, list(LIVE_BANDS))
        except ValueError:
            self.source.stop()
            raise
        self.monitor = LossMonitor(
            self.sfreq,
            counter_modulus=self.source.counter_modulus,
            jitter_seconds=float(getattr(self.source, "timestamp_jitter", 0.0)),
        )
        self.monitor.start(self.now())
        if self.recording_path is not None:
            self.recorder = SessionRecorder(
                self.recording_path,
                self.source.channel_names,
                self.sfreq,
                sham=self.sham is not None,
                protocol=self.protocol.name,
                line_freq=self.line_freq,
                equipment=self.source.description,
                patient_code=self.patient_code,
                start_time=self.start_time,
            )
        if self.check_seconds > 0:
            self.state = SessionState.CHECKING
        else:
            self.state = SessionState.READY
            self._annotate(0.0, 0.0, "signal_check:skipped")

    def recheck(self) -> None:
        """Run the signal check again (after the practitioner fixed an electrode)."""
        if self.state not in (SessionState.READY, SessionState.CHECKING) or self.check_seconds == 0:
            raise RuntimeError(
                f"A signal check can run before training only; the session is {self.state.value}"
            )
        self._check_parts.clear()
        self._check_samples = 0
        self.check_report = None
        self.state = SessionState.CHECKING

    def begin_training(self, *, override_reason: str | None = None, practitioner: str = "") -> None:
        """Start the baseline, then feedback.

        If the signal check failed on a channel the protocol uses, training starts only with an
        ``override_reason``; the override (channels, reasons, who, why) goes into the recording and the
        summary.
        """
        if self.state is not SessionState.READY:
            raise RuntimeError(
                f"Training can start once the signal check is done; the session is {self.state.value}"
            )
        report = self.check_report
        if report is not None and not report.passed(self.protocol.channels):
            failing = [
                f"{c.channel} ({', '.join(c.reasons)})"
                for c in report.channels
                if not c.passed and c.channel.lower() in {p.lower() for p in self.protocol.channels}
            ]
            if not override_reason or not override_reason.strip():
                raise SignalCheckFailed(
                    f"The signal check failed on {'; '.join(failing)}. Fix the electrode and run the check again, "
                    f"or proceed with a reason (override_reason)."
                )
            who = f" by {practitioner}" if practitioner else ""
            entry = f"{'; '.join(failing)}{who}: {override_reason.strip()}"
            self.overrides.append(entry)
            self._annotate(self.recorded_seconds, 0.0, f"override:{entry}")
        self.engine = FeedbackEngine(
            self.sfreq,
            self.source.channel_names,
            self.protocol,
            hop_seconds=self.hop_seconds,
            window_seconds=self.window_seconds,
            line_freq=self.line_freq,
            baseline_seconds=self.baseline_seconds,
            target_reward_rate=self.target_reward_rate,
            limits=self.limits,
            sham=self.sham,
        )
        self.engine.clock_offset = float(self.source.clock_offset)
        self._train_offset = self._samples
        self._annotate(self.recorded_seconds, 0.0, f"eyes_{self.protocol.eyes.value}")
        self.state = SessionState.TRAINING

    def step(self) -> SessionStep:
        """Read what arrived, record it, and compute feedback; never blocks on the source."""
        if self.monitor is None or self.state in (SessionState.CREATED, SessionState.STOPPED):
            raise RuntimeError(f"step() needs a started session; this one is {self.state.value}")
        now = self.now()
        result = SessionStep(state=self.state, loss_state=LossState.OK, paused=False)
        reconnects = int(getattr(self.source, "reconnects", 0))
        if reconnects != self._reconnects:
            # A reopened board may restart its packet counter; only the clock can time the gap.
            self._reconnects = reconnects
            self.monitor.restart()
        for _ in range(_MAX_READS_PER_STEP):
            chunk = self.source.read()
            if chunk is None:
                break
            self._take(chunk, now, result)
        if self.state is SessionState.CHECKING and self._check_samples >= round(
            self.check_seconds * self.sfreq
        ):
            result.check = self._finish_check()
        loss_state = self.monitor.state(now)
        result.loss_state = loss_state
        result.paused = loss_state is LossState.ALARM
        if result.paused and self._paused_since is None:
            self._paused_since = self.recorded_seconds
            for kind in self._runs:
                self._close_run(kind)
        elif not result.paused:
            self._paused_since = None
        if result.hops:
            result.current = result.hops[-1]
        result.state = self.state
        result.source_status = self.source.status
        if self.engine is not None:
            self.engine.clock_offset = float(self.source.clock_offset)
        return result

    def _take(self, chunk: Chunk, now: float, result: SessionStep) -> None:
        assert self.monitor is not None
        lost = self.monitor.observe(chunk.timestamps, now=now, counters=chunk.counters)
        n = chunk.n_samples
        starts = np.flatnonzero(lost)
        bounds = [0, *[int(s) for s in starts if s > 0], n]
        result.samples += n
        for a, b in itertools.pairwise(bounds):
            lost_before = int(lost[a])
            data = chunk.data[:, a:b]
            if lost_before:
                result.lost_samples += lost_before
                if lost_before / self.sfreq >= self.monitor.alarm_seconds:
                    self._annotate(self.recorded_seconds, lost_before / self.sfreq, "alarm:no_data")
            if self.recorder is not None:
                self.recorder.append(data, lost_before=lost_before)
            self._samples += lost_before + (b - a)
            if self.state is SessionState.TRAINING and self.engine is not None:
                hops = self.engine.push(data, chunk.timestamps[a:b], lost_before=lost_before)
                for hop in hops:
                    self._annotate_hop(hop)
                result.hops.extend(hops)
            elif self.state is SessionState.CHECKING:
                if lost_before:
                    self._check_parts.clear()
                    self._check_samples = 0
                if not self._check_parts:
                    self._check_start = self.recorded_seconds - (b - a) / self.sfreq
                self._check_parts.append(data)
                self._check_samples += b - a

    def _finish_check(self) -> SignalCheckReport:
        data = np.concatenate(self._check_parts, axis=1)
        n = round(self.check_seconds * self.sfreq)
        report = check_signal(
            data[:, -n:], self.sfreq, self.source.channel_names, line_freq=self.line_freq, limits=self.limits
        )
        self.check_report = report
        self._check_parts.clear()
        self._check_samples = 0
        summary = "pass" if report.passed() else "fail:" + ",".join(report.failed_channels)
        self._annotate(self._check_start, data.shape[1] / self.sfreq, f"signal_check:{summary}")
        self.state = SessionState.READY
        return report

    # -- hop annotations -----------------------------------------------------------------------------------

    def _annotate_hop(self, hop: HopResult) -> None:
        assert self.engine is not None
        hop_s = self.engine.hop_seconds
        end = (self._train_offset + hop.sample_index + 1) / self.sfreq
        contiguous = (
            self._last_hop_end is not None and abs(end - self._last_hop_end - hop_s) < 0.5 / self.sfreq
        )
        if not contiguous:
            for kind in self._runs:
                self._close_run(kind)
        self._extend("phase", hop.phase.value, end - hop_s, end)
        if hop.reward:
            self._extend("reward", "reward", end - hop_s, end)
        else:
            self._close_run("reward")
        if hop.bad:
            self._extend("bad", "bad:" + ",".join(hop.bad_reasons), end - self.engine.window_seconds, end)
        else:
            self._close_run("bad")
        if hop.inhibited:
            self._extend("inhibit", "inhibit:" + ",".join(hop.inhibits_over), end - hop_s, end)
        else:
            self._close_run("inhibit")
        self._last_hop_end = end

    def _extend(self, kind: str, label: str, start: float, end: float) -> None:
        run = self._runs[kind]
        if run is not None and run.label == label:
            run.end = end
            return
        if run is not None:
            self._close_run(kind)
            if kind == "bad":
                start = max(start, run.end)
        self._runs[kind] = _Run(label, start, end)

    def _close_run(self, kind: str) -> None:
        run = self._runs[kind]
        if run is None:
            return
        self._annotate(max(0.0, run.start), run.end - max(0.0, run.start), run.label)
        self._runs[kind] = None
        if kind == "phase":
            self._last_hop_end = None

    # -- controls ------------------------------------------------------------------------------------------

    def mark_sent(self, hop: HopResult, sent_at: float | None = None) -> float:
        """Record that ``hop``'s feedback was sent now (or at ``sent_at``, session clock); return the latency."""
        if self.engine is None:
            raise RuntimeError("No training yet: nothing was sent")
        sent_at = self.now() if sent_at is None else float(sent_at)
        hop.latency_s = self.engine.record_sent(hop.index, sent_at)
        hop.sent_at = sent_at
        return hop.latency_s

    def add_note(self, text: str, *, seconds_ago: float = 0.0) -> float:
        """A practitioner's note, as an annotation at the current time (or ``seconds_ago`` before it, for a
        note that took a moment to arrive); returns its onset in the recording."""
        if not text.strip():
            raise ValueError("A note needs some text, got an empty one")
        onset = max(0.0, self.recorded_seconds - max(0.0, float(seconds_ago)))
        self._annotate(onset, 0.0, f"note:{text.strip()}")
        return onset

    def set_target_reward_rate(self, rate: float) -> None:
        """Change the reward rate the threshold aims at (0.05 to 0.95)."""
        self.target_reward_rate = check_number(rate, "target_reward_rate", low=0.05, high=0.95)
        if self.engine is not None:
            self.engine.set_target_reward_rate(rate)

    def summary(self) -> SessionSummary | None:
        """The summary so far (None before training)."""
        return None if self.engine is None else self.engine.summary(signal_check_overrides=self.overrides)

    def stop(self) -> SessionResult:
        """End the session: stop the source, write the recording, return the summary."""
        if self.state is SessionState.STOPPED:
            raise RuntimeError("The session is already stopped")
        for kind in self._runs:
            self._close_run(kind)
        if self.monitor is not None and self.monitor.state(self.now()) is LossState.ALARM:
            self._annotate(self.recorded_seconds, 0.0, "alarm:no_data_at_end")
        self.source.stop()
        path = self.recorder.close() if self.recorder is not None else None
        self.state = SessionState.STOPPED
        return SessionResult(summary=self.summary(), recording_path=path, check=self.check_report)


__all__ = [
    "Phase",
    "SessionResult",
    "SessionState",
    "SessionStep",
    "SignalCheckFailed",
    "TrainingSession",
]
