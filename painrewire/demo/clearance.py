"""Demo history for clearance: Dr Amara Okafor, the demo pain specialist, cleared Maria, James and Aisha for
practice soon after their intakes; Noah has done his intake and filled in the checklist, and waits for her.

Runs after the assessments step has entered the intakes and before the programs log practice, which
the practice gate would refuse without a clearance. Clearances go through the same service a clinician uses,
dated a day after each intake. Noah's intake is stored as the table keeps one (no red flag): his history has
features of inflammatory back pain (young, insidious onset, morning stiffness easing with movement) that the
pain specialist will want to consider before clearing him.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline
from painrewire.assessments import red_flags
from painrewire.assessments.models import Intake
from painrewire.clearance import service as clearance
from painrewire.clearance.models import Cause, Finding
from painrewire.clearance.schemas import ClearanceCreate
from painrewire.config import get_settings
from painrewire.db import utcnow
from painrewire.demo.clinic import DemoClinic
from painrewire.patients.models import Patient
from painrewire.practice.models import Module
from painrewire.programs.prt import content
from painrewire.programs.prt import service as prt

WAITING = "noah"
#: Days after which each demo patient was cleared, counted back from today (a day after their intake).
CLEARED_DAYS_AGO = {"maria": 56, "aisha": 35, "james": 4}
NOTES = {
    Cause.INFLAMMATORY: "No inflammatory features: no long morning stiffness or night waking; no uveitis or IBD.",
    Cause.RADICULAR_NEUROLOGICAL: "Normal power, reflexes and sensation; no saddle or sphincter symptoms.",
    Cause.FRACTURE: "No trauma; no osteoporosis or long-term steroids.",
    Cause.MALIGNANCY: "No history of cancer, weight loss or night pain.",
    Cause.INFECTION: "No fever, immunosuppression or injecting drug use.",
    Cause.VISCERAL_VASCULAR: "Pain changes with movement; abdominal examination normal.",
}


def _causes(leg_pain_note: str | None = None) -> dict[str, dict[str, str]]:
    causes: dict[str, dict[str, str]] = {
        cause.value: {"finding": Finding.RULED_OUT.value, "note": note} for cause, note in NOTES.items()
    }
    if leg_pain_note:
        causes[Cause.RADICULAR_NEUROLOGICAL.value]["note"] = leg_pain_note
    causes[Cause.OTHER.value] = {"finding": Finding.NOT_APPLICABLE.value, "note": "", "text": ""}
    return causes


def _noah(session: Session, noah: Patient) -> None:
    session.add(
        Intake(
            patient_id=noah.id,
            submitted_by_id=noah.user_id,
            pain_duration_weeks=60,
            chronic=True,
            onset="gradual",
            pain_location="lower_back",
            leg_pain=False,
            average_pain_last_week=6,
            history=(
                "Came on slowly when I was 34, no injury. Stiff for an hour most mornings and it wakes me in "
                "the early hours; better once I get moving."
            ),
            previous_treatments="Ibuprofen helps a lot; physiotherapy stretches.",
            goals="Run again and sleep through the night.",
            red_flag_answers={},
            red_flags=[],
            red_flag_version=red_flags.screen().version,
            created_at=utcnow() - timedelta(days=2, hours=3),
        )
    )
    session.flush()
    yes = {"onset_without_injury", "symmetrical", "triggers_unrelated_to_body", "worse_with_stress"}
    answers = {item.id: item.id in yes for item in content.checklist().items}
    prt.save_checklist(session, noah.user, noah.id, answers, now=utcnow() - timedelta(days=1, hours=20))


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    lead = clinic.clinicians[Discipline.PAIN_SPECIALIST]
    settings = get_settings()
    for key, days_ago in CLEARED_DAYS_AGO.items():
        patient = clinic.patients[key]
        leg = (
            "Leg pain above the knee, not dermatomal; neurological examination normal."
            if key == "james"
            else None
        )
        data = ClearanceCreate.model_validate(
            {
                "causes": _causes(leg),
                "modules": [m.value for m in Module],
                "note": "Intake read with the patient; no sign of a specific cause. Practice can start.",
            }
        )
        clearance.record_clearance(
            session, lead, patient.id, data, settings=settings, now=utcnow() - timedelta(days=days_ago)
        )
    _noah(session, clinic.patients[WAITING])
