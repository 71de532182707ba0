"""Command-line commands of this domain, attached to the main `painrewire` app.

``painrewire nfb devices``            the headsets BrainFlow supports
``painrewire nfb simulate``           a whole session in the terminal (BrainFlow's synthetic headset by default)
``painrewire nfb analyze FILE``       band powers of a recording (``--json``: the fixed analysis contract)
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

nfb_app = typer.Typer(
    help="EEG neurofeedback: headsets, simulated sessions, offline analysis of recordings.",
    no_args_is_help=True,
)


def _fail(message: str, code: int = 2) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


@nfb_app.command("devices")
def devices(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table")] = False,
) -> None:
    """List the EEG headsets BrainFlow supports (board id, name, sampling rate, channels)."""
    from painrewire.neurofeedback.sources.brainflow import list_boards

    boards = list_boards()
    if as_json:
        typer.echo(json.dumps([b.to_dict() for b in boards]))
        return
    typer.echo(f"{'id':>4}  {'board':<28} {'Hz':>6}  channels")
    for board in boards:
        names = ", ".join(board.eeg_channels)
        typer.echo(f"{board.board_id:>4}  {board.name:<28} {board.sfreq:>6g}  {names}")
    typer.echo(
        "\nBoard -1 (Synthetic) needs no hardware. Pass board parameters with --serial-port, "
        "--mac-address or --ip-address."
    )


@nfb_app.command("analyze")
def analyze(
    file: Annotated[Path, typer.Argument(help="EDF, BDF or FIF recording")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the analysis contract's JSON object")
    ] = False,
) -> None:
    """Band power of each EEG channel of a recording (Welch, 2 s Hann, 50 % overlap), and its bad share."""
    from painrewire.neurofeedback.signal.analysis import RecordingError, analyze_file

    try:
        report = analyze_file(file)
    except RecordingError as exc:
        raise _fail(str(exc)) from exc
    if as_json:
        typer.echo(json.dumps(report.to_dict()))
        return
    bands = list(report.bands)
    typer.echo(
        f"{file.name}: {len(report.channels)} EEG channels, {report.sfreq:g} Hz, "
        f"{report.n_samples / report.sfreq:.1f} s"
    )
    typer.echo("Absolute band power (uV^2) / relative to 1-45 Hz (%)")
    typer.echo(f"{'channel':<16}" + "".join(f"{b:>18}" for b in bands) + f"{'bad':>7}")
    for ch in report.channels:
        cells = "".join(
            f"{report.absolute_uv2[ch][b]:>11.3g} {100 * report.relative[ch][b]:>5.1f}%" for b in bands
        )
        typer.echo(f"{ch[:16]:<16}{cells}{100 * report.bad_fraction[ch]:>6.1f}%")


def _progress_line(session: object, step: object, elapsed: float) -> str:
    from painrewire.neurofeedback.signal.training import SessionStep, TrainingSession

    assert isinstance(session, TrainingSession) and isinstance(step, SessionStep)
    engine = session.engine
    summary = session.summary()
    parts = [f"[{elapsed:6.1f} s]"]
    if engine is not None:
        parts.append(f"{engine.phase.value:<8}")
        if engine.phase.value == "baseline":
            parts.append(f"{100 * engine.baseline_progress:3.0f}%")
    if summary is not None and summary.reward_rate is not None:
        parts.append(
            f"reward {100 * summary.reward_rate:3.0f}% (target {100 * summary.target_reward_rate:.0f}%)"
        )
    hop = engine.last_hop if engine is not None else None
    if hop is not None:
        rows = [
            i
            for i, c in enumerate(hop.channel_names)
            if c.lower() in {p.lower() for p in session.protocol.channels}
        ]
        for band in session.protocol.bands:
            j = hop.band_names.index(band)
            value = sum(float(hop.band_powers[r, j]) for r in rows) / len(rows)
            parts.append(f"{band} {value:7.2f} uV2")
        if hop.bad:
            parts.append("BAD " + ",".join(hop.bad_reasons))
    parts.append(f"signal {step.loss_state.value}")
    if step.paused:
        parts.append("FEEDBACK PAUSED")
    if summary is not None and summary.latency_p99_ms is not None:
        parts.append(f"latency p99 {summary.latency_p99_ms:.1f} ms")
    return "  ".join(parts)


@nfb_app.command("simulate")
def simulate(
    protocol: Annotated[str, typer.Option(help="alpha, smr_theta, theta_beta or asymmetry")] = "alpha",
    seconds: Annotated[
        float, typer.Option(min=1.0, help="Training time (baseline + feedback), seconds")
    ] = 60.0,
    board_id: Annotated[int, typer.Option(help="BrainFlow board id (-1: synthetic headset)")] = -1,
    serial_port: Annotated[str, typer.Option(help="Board serial port, e.g. /dev/ttyUSB0")] = "",
    mac_address: Annotated[str, typer.Option(help="Board Bluetooth MAC address")] = "",
    ip_address: Annotated[str, typer.Option(help="Board IP address")] = "",
    ip_port: Annotated[int, typer.Option(help="Board IP port")] = 0,
    channels: Annotated[
        str | None, typer.Option(help="Train at other positions, comma-separated (e.g. C3)")
    ] = None,
    baseline_seconds: Annotated[
        float | None,
        typer.Option(min=0.0, help="Baseline (eyes as --eyes); default a third of --seconds, at most 60"),
    ] = None,
    eyes: Annotated[
        str | None,
        typer.Option(help="open or closed, for the baseline and the training (default: the protocol's)"),
    ] = None,
    target: Annotated[float, typer.Option(min=0.05, max=0.95, help="Reward rate to aim at")] = 0.7,
    line_freq: Annotated[float, typer.Option(help="Mains frequency, 50 or 60 Hz")] = 50.0,
    check_seconds: Annotated[
        float, typer.Option(min=0.0, help="Signal check before training (0: none)")
    ] = 3.0,
    override: Annotated[
        str | None, typer.Option(help="Proceed over a failed signal check, giving this reason")
    ] = None,
    record: Annotated[Path | None, typer.Option(help="Record the session to this EDF+ file")] = None,
    sham_from: Annotated[
        Path | None, typer.Option(help="Sham: replay the rewards of this earlier recording (EDF+)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON at the end")] = False,
) -> None:
    """Run a whole neurofeedback session on a headset in the terminal, with live progress."""
    from painrewire.neurofeedback.signal.protocols import get_protocol
    from painrewire.neurofeedback.signal.sham import ShamReplay
    from painrewire.neurofeedback.signal.training import SessionState, SignalCheckFailed, TrainingSession
    from painrewire.neurofeedback.sources.base import SourceError
    from painrewire.neurofeedback.sources.brainflow import BrainFlowSource

    try:
        chosen = get_protocol(protocol, channels=channels.split(",") if channels else None, eyes=eyes)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    baseline = min(60.0, seconds / 3.0) if baseline_seconds is None else baseline_seconds
    if baseline >= seconds:
        raise _fail(f"--baseline-seconds ({baseline:g}) must be shorter than --seconds ({seconds:g})")
    sham = None
    if sham_from is not None:
        try:
            sham = ShamReplay.from_recording(sham_from, hop_seconds=0.25)
        except (OSError, ValueError) as exc:
            raise _fail(f"Cannot replay {sham_from}: {exc}") from exc
    try:
        source = BrainFlowSource(
            board_id, serial_port=serial_port, mac_address=mac_address, ip_address=ip_address, ip_port=ip_port
        )
        session = TrainingSession(
            source,
            chosen,
            recording_path=record,
            sham=sham,
            check_seconds=check_seconds,
            baseline_seconds=baseline,
            target_reward_rate=target,
            line_freq=line_freq,
        )
        session.start()
    except (SourceError, ValueError, RuntimeError) as exc:
        raise _fail(str(exc)) from exc
    typer.echo(
        f"{source.description}: {len(source.channel_names)} channels at {source.sfreq:g} Hz; "
        f"protocol {chosen.title} at {', '.join(chosen.channels)}, eyes {chosen.eyes.value} for baseline and "
        f"training" + (" (SHAM)" if sham else "")
    )
    started = time.monotonic()
    training_started: float | None = None
    last_draw = 0.0
    interactive = sys.stdout.isatty()
    code = 0
    try:
        while True:
            step = session.step()
            now = time.monotonic()
            if step.check is not None:
                typer.echo("Signal check:")
                for check in step.check.channels:
                    mark = "pass" if check.passed else "FAIL " + ", ".join(check.reasons)
                    ratio = "-" if check.line_noise_ratio is None else f"{check.line_noise_ratio:.2f}"
                    typer.echo(
                        f"  {check.channel:<6} {mark:<28} ptp {check.ptp_uv:7.1f} uV  line noise {ratio}"
                    )
            if session.state is SessionState.READY:
                try:
                    session.begin_training(override_reason=override, practitioner="command line")
                except SignalCheckFailed as exc:
                    session.stop()
                    raise _fail(f"{exc} (use --override REASON)", code=1) from exc
                training_started = now
            if step.current is not None:
                session.mark_sent(step.current)
            if training_started is not None and now - last_draw >= (0.5 if interactive else 5.0):
                line = _progress_line(session, step, now - started)
                typer.echo(("\r" + line + "\033[K") if interactive else line, nl=not interactive)
                last_draw = now
            if training_started is not None and now - training_started >= seconds:
                break
            time.sleep(0.02)
    except KeyboardInterrupt:
        code = 130
    if interactive:
        typer.echo("")
    result = session.stop()
    summary = result.summary
    if summary is not None:
        if as_json:
            typer.echo(json.dumps(summary.to_dict()))
        else:
            rate = "-" if summary.reward_rate is None else f"{100 * summary.reward_rate:.0f}%"
            bad = "-" if summary.bad_share is None else f"{100 * summary.bad_share:.0f}%"
            p99 = "-" if summary.latency_p99_ms is None else f"{summary.latency_p99_ms:.1f} ms"
            typer.echo(
                f"Session {'SHAM' if summary.sham else 'live'}: {summary.minutes_trained:.2f} min of feedback after "
                f"{summary.baseline_seconds:.0f} s baseline; reward rate {rate} (target "
                f"{100 * summary.target_reward_rate:.0f}%); bad signal {bad}; lost samples {summary.lost_samples}; "
                f"latency p99 {p99}"
            )
    if result.recording_path is not None:
        typer.echo(f"Recorded to {result.recording_path}")
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Attach this domain's commands to the main app."""
    app.add_typer(nfb_app, name="nfb")
