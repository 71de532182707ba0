"""Whole sessions on generated headsets and an injected clock: recorded sample for sample, losses, overrides, sham."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyedflib
import pytest

from painrewire.neurofeedback.recording.edf import read_recording, recording_flags
from painrewire.neurofeedback.signal.engine import Phase
from painrewire.neurofeedback.signal.loss import LossState
from painrewire.neurofeedback.signal.protocols import get_protocol
from painrewire.neurofeedback.signal.sham import ShamReplay
from painrewire.neurofeedback.signal.training import (
    SessionState,
    SessionStep,
    SignalCheckFailed,
    TrainingSession,
)
from painrewire.neurofeedback.sources.playback import PlaybackSource
from tests.neurofeedback.flaky import FlakySource

from .generated import FakeClock, red_noise

SFREQ = 256.0
NAMES = ["Fz", "C3", "Cz", "C4", "Pz", "O1", "O2", "F4"]
STEP = 0.05


def _headset(seconds: float = 60.0, seed: int = 0) -> tuple[np.ndarray, FakeClock]:
    return red_noise(len(NAMES), SFREQ, seconds, seed=seed), FakeClock()


def _drive(session: TrainingSession, clock: FakeClock, seconds: float) -> list[SessionStep]:
    steps = []
    for _ in range(round(seconds / STEP)):
        clock.advance(STEP)
        step = session.step()
        if step.current is not None:
            session.mark_sent(step.current)
        steps.append(step)
    return steps


def _steps_of(path: Path) -> np.ndarray:
    reader = pyedflib.EdfReader(str(path))
    try:
        return np.array(
            [
                (reader.getPhysicalMaximum(i) - reader.getPhysicalMinimum(i))
                / (reader.getDigitalMaximum(i) - reader.getDigitalMinimum(i))
                for i in range(reader.signals_in_file)
            ]
        )
    finally:
        reader.close()


def _session(source: object, clock: FakeClock, path: Path | None, **kwargs: object) -> TrainingSession:
    options: dict[str, object] = {"check_seconds": 2.0, "baseline_seconds": 5.0}
    options.update(kwargs)
    return TrainingSession(source, get_protocol("alpha"), recording_path=path, **options)  # type: ignore[arg-type]


def test_a_session_is_recorded_sample_for_sample_with_its_events(tmp_path: Path) -> None:
    data, clock = _headset()
    source = PlaybackSource(data, SFREQ, NAMES, clock=clock)
    session = _session(source, clock, tmp_path / "s.edf")
    session.start()
    steps = _drive(session, clock, 2.5)
    assert session.state is SessionState.READY
    assert any(s.check is not None and s.check.passed() for s in steps)
    session.begin_training()
    steps = _drive(session, clock, 30.0)
    result = session.stop()
    released = round(source.position_s * SFREQ)
    raw = read_recording(tmp_path / "s.edf")
    back = raw.get_data(units="uV")[:, :released]
    assert np.all(np.abs(back - data[:, :released]) <= _steps_of(tmp_path / "s.edf")[:, None])
    labels = set(raw.annotations.description)
    assert {"signal_check:pass", "baseline", "feedback", "reward", "equipment:playback"} <= labels
    summary = result.summary
    assert summary is not None and summary.minutes_trained > 0.35 and summary.lost_samples == 0
    assert summary.latency_count == sum(1 for s in steps if s.current is not None)
    assert summary.latency_p99_ms is not None and 0.0 <= summary.latency_p99_ms <= STEP * 1e3 + 1e-6


def test_a_failed_check_needs_an_override_which_is_recorded(tmp_path: Path) -> None:
    data, clock = _headset(seconds=30.0)
    data[NAMES.index("Cz")] = 0.0
    session = _session(PlaybackSource(data, SFREQ, NAMES, clock=clock), clock, tmp_path / "o.edf")
    session.start()
    _drive(session, clock, 2.5)
    assert session.check_report is not None and session.check_report.failed_channels == ("Cz",)
    with pytest.raises(SignalCheckFailed, match=r"The signal check failed on Cz \(flat\)"):
        session.begin_training()
    session.begin_training(
        override_reason="electrode re-gelled, practitioner watching", practitioner="Dr Lee"
    )
    _drive(session, clock, 1.0)
    result = session.stop()
    assert result.summary is not None
    assert result.summary.signal_check_overrides == [
        "Cz (flat) by Dr Lee: electrode re-gelled, practitioner watching"
    ]
    notes = [a["description"] for a in read_recording(tmp_path / "o.edf").annotations]
    assert any(n.startswith("override:Cz (flat)") for n in notes)


def test_a_headset_lost_for_3_seconds_pauses_feedback_then_resumes_with_an_honest_recording(
    tmp_path: Path,
) -> None:
    data, clock = _headset()
    source = PlaybackSource(data, SFREQ, NAMES, clock=clock)
    flaky = FlakySource(source, clock=clock, silences=[(15.0, 3.0)])
    session = _session(flaky, clock, tmp_path / "loss.edf", check_seconds=0.0)
    session.start()
    session.begin_training()
    before = _drive(session, clock, 17.5)
    assert before[-1].loss_state is LossState.ALARM and before[-1].paused
    assert not any(s.hops for s in before[-15:])
    after = _drive(session, clock, 8.0)
    assert after[-1].loss_state is LossState.NOTICE and not after[-1].paused
    assert any(h.time_s > 20.0 and h.phase is Phase.FEEDBACK for s in after for h in s.hops)
    result = session.stop()
    assert result.summary is not None and result.summary.lost_samples == flaky.dropped > 700
    released = round(source.position_s * SFREQ)
    raw = read_recording(tmp_path / "loss.edf")
    back = raw.get_data(units="uV")[:, :released]
    assert np.all(
        np.abs(back[:, -500:] - data[:, released - 500 : released])
        <= _steps_of(tmp_path / "loss.edf")[:, None]
    )
    gaps = [a for a in raw.annotations if a["description"] == f"lost_samples:{flaky.dropped}"]
    assert len(gaps) == 1 and gaps[0]["duration"] == pytest.approx(flaky.dropped / SFREQ, abs=1e-4)
    assert "alarm:no_data" in set(raw.annotations.description)


def test_dropped_packets_are_counted_exactly_and_shown_as_a_notice() -> None:
    data, clock = _headset(seconds=30.0)
    flaky = FlakySource(
        PlaybackSource(data, SFREQ, NAMES, clock=clock),
        clock=clock,
        drop_probability=0.2,
        drop_samples=3,
        seed=0,
    )
    session = _session(flaky, clock, None, check_seconds=0.0)
    session.start()
    session.begin_training()
    steps = _drive(session, clock, 20.0)
    assert flaky.dropped > 0
    assert sum(s.lost_samples for s in steps) == flaky.dropped
    assert any(s.loss_state is LossState.NOTICE for s in steps)
    summary = session.stop().summary
    assert summary is not None and summary.lost_samples == flaky.dropped


def test_a_sham_session_replays_an_earlier_recording_and_says_it_was_sham(tmp_path: Path) -> None:
    data, clock = _headset(seed=1)
    live = _session(
        PlaybackSource(data, SFREQ, NAMES, clock=clock), clock, tmp_path / "live.edf", check_seconds=0.0
    )
    live.start()
    live.begin_training()
    _drive(live, clock, 20.0)
    live.stop()
    assert live.engine is not None
    live_rewards = live.engine.reward_sequence()
    replay = ShamReplay.from_recording(tmp_path / "live.edf", hop_seconds=0.25)
    assert replay.rewards == live_rewards

    other, clock = _headset(seed=2)
    sham = _session(
        PlaybackSource(other, SFREQ, NAMES, clock=clock),
        clock,
        tmp_path / "sham.edf",
        check_seconds=0.0,
        sham=replay,
    )
    sham.start()
    sham.begin_training()
    _drive(sham, clock, 20.0)
    result = sham.stop()
    assert sham.engine is not None
    sham_rewards = sham.engine.reward_sequence()
    assert sham_rewards == [live_rewards[i % len(live_rewards)] for i in range(len(sham_rewards))]
    assert result.summary is not None and result.summary.sham
    assert recording_flags(tmp_path / "sham.edf")["sham"] is True
    assert "sham" in set(read_recording(tmp_path / "sham.edf").annotations.description)


def test_training_cannot_start_before_the_check_is_done() -> None:
    data, clock = _headset(seconds=10.0)
    session = _session(PlaybackSource(data, SFREQ, NAMES, clock=clock), clock, None)
    session.start()
    with pytest.raises(RuntimeError, match="once the signal check is done; the session is checking"):
        session.begin_training()


def test_a_session_refuses_a_headset_without_the_protocol_site() -> None:
    clock = FakeClock()
    source = PlaybackSource(np.zeros((2, 1000)), SFREQ, ["Fp1", "Fp2"], clock=clock)
    session = TrainingSession(source, get_protocol("alpha"))
    with pytest.raises(ValueError, match="the headset has no Cz"):
        session.start()
