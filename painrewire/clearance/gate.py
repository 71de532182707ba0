"""The one gate before practice: every program asks here whether a patient may practise a module now.

Practice is closed, for the first reason that holds, in this order:

1. ``no_intake`` -- the patient has not completed the intake (pain history and red-flag screen);
2. ``safety_hold`` -- an open safety alert holds practice (`assessments.service.safety_hold`);
3. ``not_cleared`` -- no current clearance by a medically qualified clinician (`painrewire.clearance`): none
   yet, or the newest one was withdrawn;
4. ``module_not_allowed`` -- the current clearance does not open this module.

What is gated, because it asks the patient to move, face fear or train the brain:

* PRT: somatic tracking, and the reappraisal journal (working through a pain moment's danger message);
* GMI: left/right judgement blocks, imagined movements, the graded movement ladder;
* CBT: thought records, graded exposure tries, and activity pacing (starting a paced activity, logging weeks);
* mindfulness: the guided practices, the breathing pacer and the meditation timer;
* neurofeedback: setting up a session.

What stays open: PRT lessons and their quizzes (pain education), the neuroplastic-pain checklist (which waits
for a clinician before it counts items that also point to specific causes), the course and booking pages,
the exposure ladder's list of feared movements (planning, not practice), the diary, and questionnaires.

Who is held: the patient. A clinician entering on a patient's behalf (a paper thought record, a pacing week)
is not, as before; neurofeedback is practice a clinician runs with the patient, so the gate holds them too.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from sqlalchemy.orm import Session

from painrewire.accounts.models import Role, User
from painrewire.assessments import service as assessments
from painrewire.clearance import service as clearance
from painrewire.clearance.models import Clearance
from painrewire.errors import Conflict
from painrewire.patients.models import Patient
from painrewire.practice.models import Module

#: Practice a clinician runs with the patient: the gate holds the clinician too.
RUN_BY_STAFF = frozenset({Module.NEUROFEEDBACK})

INTAKE_HREF = "/patient/intake"
SAFETY_HREF = "/patient/safety"
LESSONS_HREF = "/patient/prt/lessons"
HOME_HREF = "/patient"


class Reason(enum.StrEnum):
    NO_INTAKE = "no_intake"
    SAFETY_HOLD = "safety_hold"
    NOT_CLEARED = "not_cleared"
    MODULE_NOT_ALLOWED = "module_not_allowed"


class PracticeClosed(Conflict):
    """Practice of this module is closed for the patient now; the message says why and what to do."""

    def __init__(self, status: PracticeStatus, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class PracticeStatus:
    """Whether a module's practice is open for a patient, and if not, why and what to do, in plain words.

    ``title``/``message``/``href``/``link_text`` speak to the patient; ``staff_message`` to the care team.
    """

    module: Module
    reason: Reason | None = None
    title: str = ""
    message: str = ""
    href: str | None = None
    link_text: str | None = None
    staff_message: str = ""

    @property
    def open(self) -> bool:
        return self.reason is None


@dataclass(frozen=True)
class _Facts:
    name: str
    intake_missing: bool
    safety_hold: bool
    latest: Clearance | None


def _facts(session: Session, patient: Patient) -> _Facts:
    return _Facts(
        name=patient.user.full_name,
        intake_missing=clearance.intake_missing(session, patient) is not None,
        safety_hold=bool(assessments.safety_hold(session, patient.id)),
        latest=clearance.latest_for(session, patient),
    )


def _status(facts: _Facts, module: Module) -> PracticeStatus:
    name = facts.name
    if facts.intake_missing:
        return PracticeStatus(
            module,
            Reason.NO_INTAKE,
            title="Please finish your intake first",
            message=(
                "Please finish your intake first. Your pain specialist reads it before practice starts. "
                "Lessons are open now."
            ),
            href=INTAKE_HREF,
            link_text="Fill in your intake",
            staff_message=(
                f"{name} has not completed the intake yet. Practice opens once it is in and a pain "
                "specialist has cleared them."
            ),
        )
    if facts.safety_hold:
        return PracticeStatus(
            module,
            Reason.SAFETY_HOLD,
            title="Your program is paused for now",
            message=(
                "Your program is paused until a clinician has spoken with you. Please see your safety page "
                "for what to do now. This is to keep you safe, not a step backwards, and nothing is lost."
            ),
            href=SAFETY_HREF,
            link_text="See what to do now",
            staff_message=(
                f"{name} has an open safety alert: their program is on hold until a clinician has "
                "acknowledged it."
            ),
        )
    latest = facts.latest
    if latest is None or latest.withdrawn:
        again = latest is not None
        return PracticeStatus(
            module,
            Reason.NOT_CLEARED,
            title="Practice starts after your check",
            message=(
                "Your pain specialist will check your answers again before practice goes on. "
                "Lessons are open now."
                if again
                else "Your pain specialist will check your answers before practice starts. Lessons are open now."
            ),
            href=LESSONS_HREF,
            link_text="Read the lessons",
            staff_message=(
                f"{name}'s clearance for practice was withdrawn; a medically qualified clinician must clear "
                "them again before practice goes on."
                if again
                else f"{name} has not been cleared for practice by a medically qualified clinician yet."
            ),
        )
    if not latest.allows(module.value):
        return PracticeStatus(
            module,
            Reason.MODULE_NOT_ALLOWED,
            title="Not part of your practice yet",
            message=(
                f"{module.label} is not part of the practice your pain specialist has opened for you. "
                "Please ask your care team if you would like to try it."
            ),
            href=HOME_HREF,
            link_text="Back to your home page",
            staff_message=f"{name}'s clearance does not open {module.label.lower()}.",
        )
    return PracticeStatus(module)


def practice_status(session: Session, patient: Patient, module: Module) -> PracticeStatus:
    """Why practice of ``module`` is closed for the patient, or an open status (access already checked)."""
    return _status(_facts(session, patient), module)


def practice_overview(session: Session, patient: Patient) -> list[PracticeStatus]:
    """Every module's status, in `Module` order (access already checked)."""
    facts = _facts(session, patient)
    return [_status(facts, module) for module in Module]


def is_open(session: Session, patient: Patient, module: Module) -> bool:
    return practice_status(session, patient, module).open


def ensure_practice_open(session: Session, actor: User, patient: Patient, module: Module) -> None:
    """Refuse practice that is closed (`PracticeClosed`, a 409 saying why and what to do).

    A patient is always held; a clinician only for practice they run with the patient (`RUN_BY_STAFF`).
    """
    if actor.role != Role.PATIENT and module not in RUN_BY_STAFF:
        return
    status = practice_status(session, patient, module)
    if status.open:
        return
    if actor.role == Role.PATIENT:
        raise PracticeClosed(status, f"{status.message} {status.link_text}: {status.href}")
    raise PracticeClosed(status, status.staff_message)
