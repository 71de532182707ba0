"""Demo history for neurofeedback: two completed alpha up-training sessions for Maria with Tomás Herrera, each
with a genuine EEG+ recording made from generated EEG (so the review page, the download and the BIDS export
have something real to show), a note, and the practice logged on her calendar."""

from __future__ import annotations

import tempfile
from datetime import datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline
from painrewire.demo.clinic import DemoClinic
from painrewire.neurofeedback import service
from painrewire.neurofeedback.models import NeurofeedbackNote, NeurofeedbackSession, SessionStatus
from painrewire.neurofeedback.signal.protocols import get_protocol
from painrewire.neurofeedback.sources.synthetic import DEMO_CHANNELS, eeg_like, offline_session

SFREQ = 256.0
#: Short sessions keep `painrewire demo` fast; real ones run 20-30 minutes.
TRAINING_SECONDS = 150.0
BASELINE_SECONDS = 30.0
#: (days ago, seed, alpha amplitude in uV: a little more alpha the second time, note)
SESSIONS = [
    (12, 11, 10.0, (60.0, "Eyes closed from here; shoulders relaxed.")),
    (5, 12, 13.0, (45.0, "Reports the tone is easy to follow.")),
]


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    maria = clinic.patients["maria"]
    practitioner = clinic.clinicians[Discipline.NEUROFEEDBACK_PRACTITIONER]
    zone = ZoneInfo(maria.timezone)
    protocol = get_protocol("alpha")
    today = maria.local_today()
    with tempfile.TemporaryDirectory(prefix="painrewire-demo-nfb-") as folder:
        for ago, seed, alpha, (note_at, note) in SESSIONS:
            start = datetime.combine(today - timedelta(days=ago), time(10, 0), tzinfo=zone)
            data = eeg_like(DEMO_CHANNELS, SFREQ, 60.0, seed=seed, alpha_uv=alpha)
            path = Path(folder) / f"session-{ago}.edf"
            run = offline_session(
                data,
                SFREQ,
                DEMO_CHANNELS,
                protocol,
                recording_path=path,
                training_seconds=TRAINING_SECONDS,
                baseline_seconds=BASELINE_SECONDS,
                notes=[(note_at, note)],
                start_time=start,
                patient_code=service.patient_code(maria.id),
            )
            check = run.result.check
            row = NeurofeedbackSession(
                patient_id=maria.id,
                practitioner_id=practitioner.id,
                protocol=protocol.name,
                source="playback",
                board_id=None,
                source_params={"generated": "demo EEG (painrewire.neurofeedback.sources.synthetic)"},
                planned_seconds=round(TRAINING_SECONDS),
                baseline_seconds=round(BASELINE_SECONDS),
                check_seconds=3.0,
                target_reward_rate=0.7,
                line_freq=50.0,
                sham=False,
                status=SessionStatus.RUNNING,
                signal_check=None if check is None else check.to_dict(),
                created_at=start - timedelta(minutes=2),
                started_at=start,
                training_started_at=start + timedelta(seconds=3),
                heartbeat_at=start,
            )
            session.add(row)
            session.flush()
            session.add(
                NeurofeedbackNote(
                    session_id=row.id,
                    at=start + timedelta(seconds=3 + note_at),
                    offset_seconds=3.0 + note_at,
                    text=note,
                    author_id=practitioner.id,
                )
            )
            summary = run.result.summary
            service.record_outcome(
                session,
                row.id,
                service.SessionOutcome(
                    completed=True,
                    reason="Completed as planned (demo session recorded from generated EEG).",
                    ended_at=start + timedelta(seconds=3 + TRAINING_SECONDS),
                    summary=None if summary is None else summary.to_dict(),
                    rewards=run.rewards,
                    feedback=run.feedback,
                    recording=path.read_bytes(),
                    recording_seconds=TRAINING_SECONDS + 3.0,
                    overrides=run.overrides,
                ),
            )
    session.flush()
