"""Sources: playback at real speed by an injected clock, a flaky wrapper, BrainFlow reconnects, a real LSL stream."""

from __future__ import annotations

import time
import uuid
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

from painrewire.neurofeedback.sources.base import SourceError, SourceStatus, channel_positions
from painrewire.neurofeedback.sources.brainflow import BrainFlowSource, list_boards
from painrewire.neurofeedback.sources.lsl import LSLSource
from painrewire.neurofeedback.sources.playback import PlaybackSource
from tests.neurofeedback.flaky import FlakySource

from .generated import GENERATOR_EDF, FakeClock


def _playback(seconds: float = 10.0, sfreq: float = 100.0, **kwargs: Any) -> tuple[PlaybackSource, FakeClock]:
    clock = FakeClock()
    data = np.arange(int(seconds * sfreq), dtype=float)[None, :].repeat(2, axis=0)
    return PlaybackSource(data, sfreq, ["Cz", "C4"], clock=clock, **kwargs), clock


def test_playback_releases_samples_at_real_speed() -> None:
    source, clock = _playback()
    source.start()
    assert source.read() is None
    clock.advance(1.0)
    first = source.read()
    clock.advance(1.5)
    second = source.read()
    assert first is not None and second is not None
    assert (first.n_samples, second.n_samples) == (100, 150)
    assert_allclose(second.data[0], np.arange(100, 250), rtol=0, atol=0)
    assert_allclose(second.timestamps[-1], clock(), rtol=0, atol=1e-9)


def test_playback_seeks_restarts_and_ends() -> None:
    source, clock = _playback(seconds=3.0)
    source.start()
    source.seek(2.0)
    clock.advance(0.5)
    chunk = source.read()
    assert chunk is not None and chunk.data[0, 0] == 200
    clock.advance(5.0)
    source.read()
    assert source.status is SourceStatus.ENDED and source.read() is None
    source.restart()
    clock.advance(0.1)
    again = source.read()
    assert again is not None and again.data[0, 0] == 0


def test_playback_in_a_loop_starts_again_at_the_end() -> None:
    source, clock = _playback(seconds=1.0, loop=True)
    source.start()
    clock.advance(1.5)
    chunk = source.read()
    assert chunk is not None and chunk.n_samples == 150
    assert_allclose(chunk.data[0, 95:105], [95, 96, 97, 98, 99, 0, 1, 2, 3, 4], rtol=0, atol=0)
    assert np.all(np.diff(chunk.timestamps) > 0)


def test_playback_reads_a_recording_written_by_another_tool() -> None:
    source = PlaybackSource.from_file(GENERATOR_EDF, clock=FakeClock())
    assert source.sfreq == 200.0 and source.duration_s == pytest.approx(600.0)
    assert "sine 8 Hz" in source.channel_names


def test_playback_of_a_missing_file_says_so() -> None:
    with pytest.raises(SourceError, match="No such file"):
        PlaybackSource.from_file("/nonexistent/session.edf")


def test_flaky_source_goes_silent_and_loses_what_came_meanwhile() -> None:
    source, clock = _playback()
    flaky = FlakySource(source, clock=clock, silences=[(2.0, 3.0)])
    flaky.start()
    clock.advance(1.0)
    assert flaky.read() is not None
    clock.advance(1.5)
    assert flaky.read() is None and flaky.silent()
    clock.advance(3.0)
    back = flaky.read()
    assert back is not None and back.data[0, 0] == 250
    assert flaky.dropped == 150


def test_flaky_source_drops_runs_of_samples_inside_chunks() -> None:
    source, clock = _playback()
    flaky = FlakySource(source, clock=clock, drop_probability=1.0, drop_samples=4, seed=0)
    flaky.start()
    clock.advance(0.5)
    chunk = flaky.read()
    assert chunk is not None and chunk.n_samples == 46 and flaky.dropped == 4


class _FakeBoard:
    """A BrainFlow board that streams a ramp and can fail on demand."""

    def __init__(self, script: dict[str, Any]) -> None:
        self.script = script

    def prepare_session(self) -> None:
        if self.script["open_failures"] > 0:
            self.script["open_failures"] -= 1
            from brainflow.board_shim import BrainFlowError

            raise BrainFlowError("board not found", 2)

    def start_stream(self, buffer: int) -> None:
        self.script["opened"] += 1

    def get_board_data(self) -> np.ndarray:
        if self.script["broken"]:
            from brainflow.board_shim import BrainFlowError

            raise BrainFlowError("stream broken", 1)
        data = np.zeros((32, 5))
        data[0] = np.arange(5)
        data[1:17] = 10.0
        data[30] = time.time()
        return data

    def stop_stream(self) -> None:
        pass

    def release_session(self) -> None:
        pass


def test_brainflow_source_reconnects_with_back_off_after_the_headset_is_lost() -> None:
    script = {"open_failures": 0, "opened": 0, "broken": False}
    clock = FakeClock()
    source = BrainFlowSource(
        -1, clock=clock, backoff_seconds=[0.5, 1.0], board_factory=lambda board_id, params: _FakeBoard(script)
    )
    source.start()
    chunk = source.read()
    assert chunk is not None and chunk.data.shape == (16, 5) and source.channel_names[2] == "Cz"
    script["broken"] = True
    assert source.read() is None and source.status is SourceStatus.RECONNECTING
    script.update(broken=False, open_failures=1)
    clock.advance(0.4)
    assert source.read() is None and script["opened"] == 1
    clock.advance(0.2)
    assert source.read() is None and source.status is SourceStatus.RECONNECTING
    clock.advance(0.9)
    assert source.read() is None
    clock.advance(0.2)
    assert source.read() is not None
    assert source.status is SourceStatus.STREAMING and source.reconnects == 1 and script["opened"] == 2


def test_brainflow_source_treats_two_seconds_without_data_as_a_loss() -> None:
    clock = FakeClock()

    class _Silent(_FakeBoard):
        def get_board_data(self) -> np.ndarray:
            return np.zeros((32, 0))

    source = BrainFlowSource(
        -1, clock=clock, board_factory=lambda b, p: _Silent({"open_failures": 0, "opened": 0})
    )
    source.start()
    clock.advance(1.9)
    source.read()
    assert source.status is SourceStatus.STREAMING
    clock.advance(0.2)
    source.read()
    assert source.status is SourceStatus.RECONNECTING and "no data" in source.last_error


def test_brainflow_source_refuses_an_unknown_board() -> None:
    with pytest.raises(SourceError, match="BrainFlow has no board with id 9999"):
        BrainFlowSource(9999)


def test_the_board_list_has_the_synthetic_headset() -> None:
    synthetic = next(b for b in list_boards() if b.board_id == -1)
    assert synthetic.sfreq == 250.0 and "Cz" in synthetic.eeg_channels


def test_channel_positions_come_from_the_10_20_montage() -> None:
    import mne

    positions = channel_positions(["Cz", "cz", "EXG1"])
    cz = mne.channels.make_standard_montage("colin27_1020").get_positions()["ch_pos"]["Cz"]
    assert positions["Cz"] is not None
    assert_allclose(positions["Cz"], cz, rtol=0, atol=1e-12)
    assert positions["cz"] == positions["Cz"] and positions["EXG1"] is None


def test_lsl_source_reads_a_real_stream_in_microvolts_and_keeps_only_the_newest_seconds() -> None:
    import pylsl

    source_id = f"painrewire-test-{uuid.uuid4().hex}"
    info = pylsl.StreamInfo("PainRewireTest", "EEG", 2, 100.0, "float32", source_id)
    info.set_channel_labels(["Cz", "C4"])
    info.set_channel_units(["volts", "microvolts"])
    outlet = pylsl.StreamOutlet(info)
    source = LSLSource(source_id=source_id, resolve_seconds=5.0, buffer_seconds=1)
    source.start()
    try:
        assert source.channel_names == ("Cz", "C4") and source.sfreq == 100.0
        values = np.array([[1e-6 * k, float(k)] for k in range(10)], dtype=np.float32)
        outlet.push_chunk(values)
        chunk = None
        deadline = time.monotonic() + 5.0
        while chunk is None and time.monotonic() < deadline:
            time.sleep(0.05)
            chunk = source.read()
        assert chunk is not None
        assert_allclose(chunk.data[0], np.arange(10), rtol=1e-5)
        assert_allclose(chunk.data[1], np.arange(10), rtol=0, atol=0)
        assert abs(chunk.timestamps[-1] - source.now()) < 5.0
        for _ in range(5):
            outlet.push_chunk(np.zeros((100, 2), dtype=np.float32))
        time.sleep(0.5)
        backlog = source.read()
        assert backlog is not None and backlog.n_samples <= 200
    finally:
        source.stop()


def test_lsl_source_says_when_no_stream_is_found() -> None:
    source = LSLSource(source_id=f"absent-{uuid.uuid4().hex}", resolve_seconds=0.2)
    with pytest.raises(SourceError, match="No LSL stream with source_id 'absent-"):
        source.start()
