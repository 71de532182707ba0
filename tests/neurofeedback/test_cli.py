"""`painrewire nfb ...`: the analysis JSON contract, clear errors with exit code 2, devices, a simulated session."""

from __future__ import annotations

import json
from pathlib import Path

import mne
from typer.testing import CliRunner

from painrewire.cli import app

from .generated import GENERATOR_EDF

runner = CliRunner()


def test_analyze_json_prints_exactly_the_contract() -> None:
    result = runner.invoke(app, ["nfb", "analyze", str(GENERATOR_EDF), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert list(report) == [
        "sfreq",
        "n_samples",
        "channels",
        "bands",
        "absolute_uv2",
        "relative",
        "bad_fraction",
    ]
    assert report["sfreq"] == 200.0 and report["n_samples"] == 120000
    assert report["bands"] == {
        "delta": [1.0, 4.0],
        "theta": [4.0, 8.0],
        "alpha": [8.0, 13.0],
        "smr": [12.0, 15.0],
        "beta": [13.0, 30.0],
        "gamma": [30.0, 45.0],
    }
    assert set(report["absolute_uv2"]) == set(report["channels"]) == set(report["bad_fraction"])
    assert all(isinstance(v, float) for ch in report["relative"].values() for v in ch.values())


def test_analyze_without_json_prints_a_table() -> None:
    result = runner.invoke(app, ["nfb", "analyze", str(GENERATOR_EDF)])
    assert result.exit_code == 0, result.output
    assert "sine 8 Hz" in result.stdout and "11 EEG channels, 200 Hz, 600.0 s" in result.stdout


def test_analyze_a_missing_file_exits_2_with_a_clear_message() -> None:
    result = runner.invoke(app, ["nfb", "analyze", "/nonexistent/x.edf", "--json"])
    assert result.exit_code == 2
    assert "Error: No such file: /nonexistent/x.edf" in result.stderr


def test_analyze_a_file_without_eeg_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "ecg_raw.fif"
    mne.io.RawArray([[0.0] * 1024], mne.create_info(["ECG"], 256.0, ["ecg"]), verbose="error").save(
        path, verbose="error"
    )
    result = runner.invoke(app, ["nfb", "analyze", str(path), "--json"])
    assert result.exit_code == 2 and "has no EEG channels" in result.stderr


def test_analyze_an_unreadable_file_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "broken.bdf"
    path.write_bytes(b"\xffBIOSEMI garbage")
    result = runner.invoke(app, ["nfb", "analyze", str(path), "--json"])
    assert result.exit_code == 2 and "Could not read broken.bdf" in result.stderr


def test_devices_lists_the_synthetic_headset() -> None:
    result = runner.invoke(app, ["nfb", "devices", "--json"])
    assert result.exit_code == 0, result.output
    boards = {b["board_id"]: b for b in json.loads(result.stdout)}
    assert boards[-1]["name"] == "Synthetic" and boards[-1]["sfreq"] == 250.0


def test_simulate_runs_a_short_session_on_the_synthetic_headset_and_records_it(tmp_path: Path) -> None:
    """The one test on BrainFlow's real synthetic board: about 2.5 seconds."""
    path = tmp_path / "sim.edf"
    result = runner.invoke(
        app,
        [
            "nfb", "simulate", "--seconds", "2.5", "--baseline-seconds", "0.5", "--check-seconds", "0",
            "--record", str(path), "--json",
        ],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(next(line for line in result.stdout.splitlines() if line.startswith("{")))
    assert summary["protocol"] == "alpha" and summary["sham"] is False and summary["hops"] >= 1
    raw = mne.io.read_raw_edf(path, verbose="error")
    assert raw.info["sfreq"] == 250.0 and "Cz" in raw.ch_names and raw.n_times >= 2 * 250


def test_simulate_refuses_a_baseline_as_long_as_the_session() -> None:
    result = runner.invoke(app, ["nfb", "simulate", "--seconds", "5", "--baseline-seconds", "5"])
    assert (
        result.exit_code == 2 and "--baseline-seconds (5) must be shorter than --seconds (5)" in result.stderr
    )
