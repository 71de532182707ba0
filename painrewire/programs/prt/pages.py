"""Pages: the patient's PRT course, lessons and quizzes, checklist, somatic tracking and journal; the care
team's view of PRT progress."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician, CurrentPatientUser, refused_user
from painrewire.accounts.models import Role, User
from painrewire.clearance import gate
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.practice.models import Module
from painrewire.programs.prt import content
from painrewire.programs.prt import service as prt
from painrewire.programs.prt.charts import before_after_chart
from painrewire.programs.prt.schemas import JournalEntryWrite, SomaticTrackingWrite
from painrewire.web.deps import SessionDep
from painrewire.web.forms import FormDep
from painrewire.web.refusals import Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, register_nav, render

router = page_router()
register_nav(Role.PATIENT, "/patient/prt", "Pain reprocessing")

RATINGS = [
    ("pain", "Pain intensity right now", "no pain", "worst imaginable"),
    ("fear", "How worried or afraid of the pain you feel", "not at all", "extremely"),
]


def _own(session: Session, user: User, resource_type: str) -> Patient:
    return access.own_patient(session, user, resource_type=resource_type)


def _practice(session: Session, patient: Patient) -> gate.PracticeStatus:
    return gate.practice_status(session, patient, Module.PRT)


# --- the course home ------------------------------------------------------------------------------------


@router.get("/patient/prt", response_class=HTMLResponse)
def prt_home(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = _own(session, user, "prt_course")
    statuses = prt.lesson_statuses(session, patient)
    latest = prt.latest_checklist(session, patient)
    return render(
        request,
        "prt/home.html",
        {
            "course": prt.course_view(session, patient),
            "lessons": statuses,
            "next_lesson": prt.next_lesson(statuses),
            "passed": sum(s.state == "passed" for s in statuses),
            "checklist": latest,
            "checklist_text": prt.checklist_summary(latest) if latest else "",
            "cleared": prt.cleared(session, patient),
            "practice": _practice(session, patient),
        },
    )


# --- lessons ----------------------------------------------------------------------------------------------


@router.get("/patient/prt/lessons", response_class=HTMLResponse)
def lessons_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = _own(session, user, "prt_lesson")
    statuses = prt.lesson_statuses(session, patient)
    return render(
        request, "prt/lessons.html", {"lessons": statuses, "next_lesson": prt.next_lesson(statuses)}
    )


def _lesson_context(
    session: Session, patient: Patient, status: prt.LessonStatus, **extra: Any
) -> dict[str, Any]:
    statuses = prt.lesson_statuses(session, patient)
    later = [s for s in statuses if s.lesson.order > status.lesson.order]
    return {
        "status": status,
        "lesson": status.lesson,
        "next": later[0] if later else None,
        "chosen": {},
        "result": None,
        "errors": [],
        **extra,
    }


@router.get("/patient/prt/lessons/{lesson_id}", response_class=HTMLResponse)
def lesson_page(request: Request, lesson_id: str, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = _own(session, user, "prt_lesson")
    _, status = prt.open_lesson(session, user, patient.id, lesson_id, mark_opened=True)
    return render(request, "prt/lesson.html", _lesson_context(session, patient, status))


def _answers(lesson_id: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    """The quiz's answers from the form (a lesson that does not exist is the service's to refuse)."""
    lesson = content.lesson_by_id(lesson_id)
    return {q.id: raw.get(q.id) for q in lesson.quiz} if lesson is not None else {}


def _lesson_again(refused: Refused) -> dict[str, Any]:
    user = refused_user(refused)
    lesson_id = refused.path["lesson_id"]
    patient, status = prt.open_lesson(
        refused.session, user, access.own_patient_id(refused.session, user), lesson_id
    )
    chosen = {k: str(v) for k, v in _answers(lesson_id, refused.form).items() if v is not None}
    return _lesson_context(refused.session, patient, status, chosen=chosen, errors=refused.errors)


@router.post(
    "/patient/prt/lessons/{lesson_id}",
    response_class=HTMLResponse,
    dependencies=[refusal_page("prt/lesson.html", _lesson_again)],
)
def lesson_quiz(
    request: Request, lesson_id: str, user: CurrentPatientUser, session: SessionDep, raw: FormDep
) -> Response:
    answers = _answers(lesson_id, raw)
    chosen = {k: str(v) for k, v in answers.items() if v is not None}
    # The service loads the patient and audits the attempt: one access, one audit row.
    outcome = prt.submit_quiz(session, user, access.own_patient_id(session, user), lesson_id, answers)
    status = prt.LessonStatus(outcome.lesson, outcome.progress)
    context = _lesson_context(
        session, outcome.patient, status, chosen=chosen, result=outcome.result, outcome=outcome
    )
    return render(request, "prt/lesson.html", context)


# --- checklist ----------------------------------------------------------------------------------------------


def _checklist_context(
    session: Session, patient: Patient, form: dict[str, str], errors: list[str]
) -> dict[str, Any]:
    latest = prt.latest_checklist(session, patient)
    if not form and latest is not None:
        form = {k: "yes" if v else "no" for k, v in latest.answers.items()}
    return {
        "checklist": content.checklist(),
        "cleared": prt.cleared(session, patient),
        "waiting_why": content.WAITING_WHY,
        "latest": latest,
        "latest_text": prt.checklist_summary(latest) if latest else "",
        "form": form,
        "errors": errors,
    }


@router.get("/patient/prt/checklist", response_class=HTMLResponse)
def checklist_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = _own(session, user, "prt_checklist")
    return render(request, "prt/checklist.html", _checklist_context(session, patient, {}, []))


def _checklist_form(raw: Mapping[str, Any]) -> dict[str, str]:
    return {item.id: str(raw.get(item.id) or "") for item in content.checklist().items}


def _checklist_again(refused: Refused) -> dict[str, Any]:
    patient = _own(refused.session, refused_user(refused), "prt_checklist")
    form = {k: v for k, v in _checklist_form(refused.form).items() if v}
    return _checklist_context(refused.session, patient, form, refused.errors)


@router.post(
    "/patient/prt/checklist",
    response_class=HTMLResponse,
    dependencies=[refusal_page("prt/checklist.html", _checklist_again)],
)
def save_checklist(user: CurrentPatientUser, session: SessionDep, raw: FormDep) -> Response:
    words = {"yes": True, "no": False}
    answers: dict[str, Any] = {k: words.get(v, v or None) for k, v in _checklist_form(raw).items()}
    prt.save_checklist(session, user, access.own_patient_id(session, user), answers)
    return redirect("/patient/prt/checklist?saved=1")


# --- somatic tracking -----------------------------------------------------------------------------------------


def _somatic_context(
    session: Session, patient: Patient, form: dict[str, Any], errors: list[str]
) -> dict[str, Any]:
    history = prt.somatic_history(session, patient, limit=10)
    return {
        "script": content.somatic_script(),
        "ratings": RATINGS,
        "form": form,
        "errors": errors,
        "history": history,
        "pain": prt.rating_change(history, "pain"),
        "fear": prt.rating_change(history, "fear"),
        "practice": _practice(session, patient),
    }


@router.get("/patient/prt/somatic-tracking", response_class=HTMLResponse)
def somatic_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = _own(session, user, "prt_somatic_tracking")
    return render(request, "prt/somatic_tracking.html", _somatic_context(session, patient, {}, []))


SOMATIC_FIELDS = ("pain_before", "fear_before", "pain_after", "fear_after", "seconds")


def _somatic_again(refused: Refused) -> dict[str, Any]:
    patient = _own(refused.session, refused_user(refused), "prt_somatic_tracking")
    form = {name: refused.form.get(name) or None for name in SOMATIC_FIELDS}
    return _somatic_context(refused.session, patient, form, refused.errors)


@router.post(
    "/patient/prt/somatic-tracking",
    response_class=HTMLResponse,
    dependencies=[refusal_page("prt/somatic_tracking.html", _somatic_again)],
)
def log_somatic(user: CurrentPatientUser, session: SessionDep, raw: FormDep) -> Response:
    form = {name: raw.get(name) or None for name in SOMATIC_FIELDS}
    data = SomaticTrackingWrite.model_validate(
        {**form, "seconds": form["seconds"] or content.somatic_script().total_seconds}
    )
    prt.log_somatic_tracking(session, user, access.own_patient_id(session, user), data)
    return redirect("/patient/prt/somatic-tracking?saved=1")


# --- the reappraisal journal ---------------------------------------------------------------------------------


def _journal_context(
    session: Session, patient: Patient, form: dict[str, Any], errors: list[str]
) -> dict[str, Any]:
    return {
        "entries": prt.journal_for(session, patient),
        "form": form,
        "errors": errors,
        "practice": _practice(session, patient),
    }


@router.get("/patient/prt/journal", response_class=HTMLResponse)
def journal_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = _own(session, user, "prt_journal")
    return render(request, "prt/journal.html", _journal_context(session, patient, {}, []))


def _journal_form(raw: Mapping[str, Any]) -> dict[str, Any]:
    texts = ("pain_moment", "danger_message", "safety_message")
    form: dict[str, Any] = {name: str(raw.get(name) or "") for name in texts}
    form.update({name: raw.get(name) or None for name in ("pain_before", "pain_after")})
    return form


def _journal_again(refused: Refused) -> dict[str, Any]:
    patient = _own(refused.session, refused_user(refused), "prt_journal")
    return _journal_context(refused.session, patient, _journal_form(refused.form), refused.errors)


@router.post(
    "/patient/prt/journal",
    response_class=HTMLResponse,
    dependencies=[refusal_page("prt/journal.html", _journal_again)],
)
def add_journal_entry(user: CurrentPatientUser, session: SessionDep, raw: FormDep) -> Response:
    data = JournalEntryWrite.model_validate(_journal_form(raw))
    prt.add_journal_entry(session, user, access.own_patient_id(session, user), data)
    return redirect("/patient/prt/journal?saved=1")


# --- the care team's view ----------------------------------------------------------------------------------------


@router.get("/clinician/patients/{patient_id}/prt", response_class=HTMLResponse)
def clinician_progress(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient = access.patient_for(session, user, patient_id, resource_type="prt_progress")
    progress = prt.progress_for(session, patient)
    return render(
        request,
        "prt/clinician.html",
        {
            "patient": patient,
            "progress": progress,
            "checklist": content.checklist(),
            "chart": before_after_chart(
                prt.rated_practices(progress.somatic[:30]),
                title="Pain and fear before and after somatic tracking",
            ),
        },
    )


@panels.patient_home_panel
def _patient_panel(session: Session, user: User, patient: Patient) -> panels.Panel:
    statuses = prt.lesson_statuses(session, patient)
    return panels.Panel(
        title="Pain reprocessing therapy",
        template="prt/_patient_panel.html",
        context={
            "course": prt.course_view(session, patient),
            "next_lesson": prt.next_lesson(statuses),
            "passed": sum(s.state == "passed" for s in statuses),
            "total": len(statuses),
        },
        order=15,
    )


@panels.clinician_patient_panel
def _clinician_panel(session: Session, user: User, patient: Patient) -> panels.Panel:
    return panels.Panel(
        title="Pain reprocessing therapy",
        template="prt/_clinician_panel.html",
        context={"patient": patient, "progress": prt.progress_for(session, patient)},
        order=30,
    )
