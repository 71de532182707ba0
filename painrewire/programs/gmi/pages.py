"""Pages: the patient's GMI home, the left/right trainer and its results, imagined movements, the graded
movement ladder; the clinician's view with the manual stage move; and the route that serves the pictures."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from painrewire.accounts.deps import (
    CurrentClinician,
    CurrentPatientUser,
    CurrentStaff,
    CurrentUser,
    refused_user,
)
from painrewire.accounts.models import Role, User
from painrewire.clearance import gate
from painrewire.errors import InvalidInput, NotFound
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.practice.models import Module
from painrewire.programs.gmi import charts, content, scoring, stimuli
from painrewire.programs.gmi import service as gmi
from painrewire.programs.gmi.schemas import ImageryCreate, MovementBefore, MovementCreate
from painrewire.programs.gmi.scoring import HistoryPoint
from painrewire.web.deps import SessionDep
from painrewire.web.forms import FormDep
from painrewire.web.refusals import OtherPage, Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, register_nav, render

router = page_router()
register_nav(Role.PATIENT, "/patient/gmi", "Motor imagery")

SVG_CACHE = "private, max-age=31536000, immutable"
EFFORT_SCALE = ("effort", "How hard was it to imagine?", "very easy", "very hard")
IMAGERY_PAIN_SCALE = ("pain", "Pain while imagining", "no pain", "worst imaginable")
MOVEMENT_SCALES = (
    ("pain_before", "Pain right now, before you start", "no pain", "worst imaginable"),
    ("fear_before", "How worried are you about doing it?", "not at all", "extremely"),
    ("pain_after", "Pain now, after the movement", "no pain", "worst imaginable"),
    ("fear_after", "How worried do you feel now?", "not at all", "extremely"),
)


@router.get("/gmi/stimuli/{stimulus_id}.svg")
def stimulus_svg(stimulus_id: str, request: Request, user: CurrentUser) -> Response:
    """One generated picture; the same id always gives the same bytes, so browsers keep it for a year."""
    if stimulus_id not in stimuli.catalogue():
        raise NotFound("There is no such picture.")
    tag = stimuli.etag(stimulus_id)
    headers = {"Cache-Control": SVG_CACHE, "ETag": tag}
    if request.headers.get("if-none-match") == tag:
        return Response(status_code=304, headers=headers)
    return Response(stimuli.svg(stimulus_id), media_type="image/svg+xml", headers=headers)


def _practice(session: Session, patient: Patient) -> gate.PracticeStatus:
    return gate.practice_status(session, patient, Module.GMI)


def _closed(
    request: Request, what: str, practice: gate.PracticeStatus, *, status_code: int = 200
) -> Response:
    """The page of a practice that is closed: why, and what to do, instead of its start button."""
    return render(
        request,
        "programs/practice_closed.html",
        {"what": what, "practice": practice},
        status_code=status_code,
    )


def _charts(history: list[HistoryPoint], ident: str, ref: scoring.NormReference) -> dict[str, str]:
    low, high = ref.rt_range_ms
    return {
        "accuracy": charts.trend_chart(
            history,
            metric="accuracy",
            band=(ref.accuracy_at_least, 1.0),
            band_label=f"target {ref.accuracy_at_least * 100:.0f}% or more",
            title="Accuracy per block",
            chart_id=f"gmi-acc-{ident}",
        ),
        "rt": charts.trend_chart(
            history,
            metric="rt",
            band=(low, high),
            band_label=f"usual range {low / 1000:.1f}-{high / 1000:.1f} s",
            title="Median time of correct answers per block",
            chart_id=f"gmi-rt-{ident}",
        ),
    }


def _overview_context(session: Session, patient: Patient) -> dict[str, Any]:
    found = gmi.overview_for(session, patient)
    ref = found.reference or scoring.published_reference(content.norms())
    return {
        "o": found,
        "stages": content.stages(),
        "level": content.trainer().level(found.level.level),
        "trainer": content.trainer(),
        "norms": content.norms(),
        "ref": ref,
        "charts": _charts(found.history, patient.id.hex[:8], ref),
        "practice": _practice(session, patient),
        "recent_blocks": gmi.finished_blocks_for(session, patient, limit=10),
        "imagery": gmi.imagery_for(session, patient, limit=5),
        "movements": gmi.movements_for(session, patient, limit=5),
        "exercises": content.imagery(),
        "ladder_steps": {s.id: s for s in content.ladder().steps},
    }


def _own(session: Session, user: User, resource: str = gmi.BLOCK_RESOURCE) -> Patient:
    return access.own_patient(session, user, resource_type=resource)


@router.get("/patient/gmi", response_class=HTMLResponse)
def gmi_home(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = _own(session, user)
    return render(request, "gmi/home.html", _overview_context(session, patient))


@router.get("/patient/gmi/laterality", response_class=HTMLResponse)
def laterality_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = _own(session, user)
    practice = _practice(session, patient)
    if not practice.open:
        return _closed(request, "Left/right judgement", practice)
    decision = gmi.level_for(session, patient)
    trainer = content.trainer()
    return render(
        request,
        "gmi/laterality.html",
        {
            "patient": patient,
            "decision": decision,
            "level": trainer.level(decision.level),
            "trainer": trainer,
            "start_url": f"/api/v1/patients/{patient.id}/gmi/blocks",
            "result_url": "/patient/gmi/blocks/",
        },
    )


def _block_context(session: Session, patient: Patient, block_id: uuid.UUID) -> dict[str, Any]:
    block = gmi._block(session, patient, block_id)
    scores = gmi.block_scores(block)
    if scores is None or block.finished_at is None:
        raise NotFound("This block has not been finished, so it has no results.")
    history = gmi.history_for(session, patient)
    earlier = [p for p in history if p.when < block.finished_at]
    current = HistoryPoint.of(block.finished_at, block.level, scores)
    ref = gmi.reference_for(session, block.level)
    return {
        "patient": patient,
        "block": block,
        "scores": scores,
        "level": content.trainer().level(block.level),
        "checks": scoring.compare_with_norms(scores, content.norms(), ref),
        "ref": ref,
        "comparison": scoring.compare_with_history(current, earlier),
        "norms": content.norms(),
        "trials": gmi.trials_of(session, block),
        "stage": gmi.stage_state(session, patient),
        "stages": content.stages(),
        "next_level": gmi.level_for(session, patient),
        "changes": gmi.stage_history(session, patient),
        "view_labels": {view: label[0].upper() + label[1:] for view, label in stimuli.VIEW_LABELS.items()},
    }


@router.get("/patient/gmi/blocks/{block_id}", response_class=HTMLResponse)
def block_page(
    block_id: uuid.UUID, request: Request, user: CurrentPatientUser, session: SessionDep
) -> Response:
    patient = _own(session, user)
    return render(
        request, "gmi/block.html", {**_block_context(session, patient, block_id), "clinician": False}
    )


# --- stage 2: imagined movements -----------------------------------------------------------------------


def _imagery_page(
    request: Request, session: Session, patient: Patient, *, status_code: int = 200
) -> Response:
    state = gmi.stage_state(session, patient)
    return render(
        request,
        "gmi/imagery.html",
        {
            "exercises": list(content.imagery().values()),
            "stage": state,
            "open": state.stage >= 2,
            "logs": gmi.imagery_for(session, patient, limit=20),
            "titles": {e.id: e.title for e in content.imagery().values()},
            "readiness": gmi.readiness_for(session, patient, state),
            "practice": _practice(session, patient),
        },
        status_code=status_code,
    )


@router.get("/patient/gmi/imagery", response_class=HTMLResponse)
def imagery_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    return _imagery_page(request, session, _own(session, user, "gmi_imagery"))


def _exercise_context(
    session: Session,
    patient: Patient,
    exercise: content.ImageryExercise,
    *,
    form: Mapping[str, Any] | None = None,
    errors: list[str] | None = None,
) -> dict[str, Any]:
    state = gmi.stage_state(session, patient)
    return {
        "exercise": exercise,
        "open": state.stage >= 2,
        "stage": state,
        "form": form or {},
        "errors": errors or [],
        "scales": (EFFORT_SCALE, IMAGERY_PAIN_SCALE),
        "image_url": gmi.image_url,
    }


def _exercise(exercise_id: str) -> content.ImageryExercise:
    exercise = content.imagery().get(exercise_id)
    if exercise is None:
        raise NotFound("There is no such imagined movement.")
    return exercise


@router.get("/patient/gmi/imagery/{exercise_id}", response_class=HTMLResponse)
def exercise_page(
    exercise_id: str, request: Request, user: CurrentPatientUser, session: SessionDep
) -> Response:
    patient = _own(session, user, "gmi_imagery")
    exercise = _exercise(exercise_id)
    practice = _practice(session, patient)
    if not practice.open:
        return _closed(request, exercise.title, practice)
    return render(request, "gmi/imagery_exercise.html", _exercise_context(session, patient, exercise))


def _exercise_again(refused: Refused) -> dict[str, Any] | OtherPage:
    """The exercise again with the ratings given, or why practice is closed now."""
    patient = _own(refused.session, refused_user(refused), "gmi_imagery")
    exercise = _exercise(refused.path["exercise_id"])
    practice = _practice(refused.session, patient)
    if not practice.open:
        return OtherPage("programs/practice_closed.html", {"what": exercise.title, "practice": practice})
    form = {k: refused.form.get(k) for k in ("seconds", "effort", "pain")}
    return _exercise_context(refused.session, patient, exercise, form=form, errors=refused.errors)


@router.post(
    "/patient/gmi/imagery/{exercise_id}",
    response_class=HTMLResponse,
    dependencies=[refusal_page("gmi/imagery_exercise.html", _exercise_again)],
)
def save_exercise(exercise_id: str, user: CurrentPatientUser, session: SessionDep, raw: FormDep) -> Response:
    form = {k: raw.get(k) for k in ("seconds", "effort", "pain")}
    exercise = _exercise(exercise_id)
    data = ImageryCreate.model_validate(
        {
            "exercise_id": exercise_id,
            "seconds": form["seconds"] or exercise.seconds,
            "effort": form["effort"],
            "pain": form["pain"],
        }
    )
    # The service loads the patient and audits the log: one access, one audit row.
    logged = gmi.log_imagery(session, user, access.own_patient_id(session, user), data)
    moved = "&moved=1" if logged.stage_change is not None else ""
    return redirect(f"/patient/gmi/imagery?saved={exercise_id}{moved}")


# --- stage 3: graded movement --------------------------------------------------------------------------


@router.get("/patient/gmi/movement", response_class=HTMLResponse)
def movement_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = _own(session, user, "gmi_movement")
    state = gmi.stage_state(session, patient)
    ladder = content.ladder()
    return render(
        request,
        "gmi/movement.html",
        {
            "ladder": ladder,
            "status": {r.movement_id: r for r in gmi.ladder_for(session, patient)},
            "open": state.stage >= 3,
            "stage": state,
            "logs": gmi.movements_for(session, patient, limit=20),
            "titles": {s.id: s.title for s in ladder.steps},
            "practice": _practice(session, patient),
        },
    )


def _step_context(
    session: Session,
    patient: Patient,
    movement_id: str,
    *,
    phase: str,
    form: Mapping[str, Any],
    errors: list[str],
) -> dict[str, Any]:
    """One rung done in two steps: rate pain and worry, do the movement, then rate them again."""
    try:
        step = content.ladder().step(movement_id)
    except KeyError:
        raise NotFound("There is no such movement on the ladder.") from None
    before, after = MOVEMENT_SCALES[:2], MOVEMENT_SCALES[2:]
    return {
        "step": step,
        "phase": phase,
        "scales": before if phase == "before" else after,
        "before": {name: form.get(name) for name, *_ in before},
        "form": form,
        "errors": errors,
        "status": {r.movement_id: r for r in gmi.ladder_for(session, patient)}.get(movement_id),
        "stage": gmi.stage_state(session, patient),
        "practice": _practice(session, patient),
    }


@router.get("/patient/gmi/movement/{movement_id}", response_class=HTMLResponse)
def movement_step(
    movement_id: str, request: Request, user: CurrentPatientUser, session: SessionDep
) -> Response:
    patient = _own(session, user, "gmi_movement")
    context = _step_context(session, patient, movement_id, phase="before", form={}, errors=[])
    return render(request, "gmi/movement_step.html", context)


def _step_again(refused: Refused) -> dict[str, Any]:
    """The step again: the ratings before (if those were refused), or the whole movement."""
    patient = _own(refused.session, refused_user(refused), "gmi_movement")
    before = refused.request.url.path.endswith("/before")
    scales = MOVEMENT_SCALES[:2] if before else MOVEMENT_SCALES
    form = {name: refused.form.get(name, "") for name, *_ in scales}
    phase = "before" if before else "after"
    return _step_context(
        refused.session, patient, refused.path["movement_id"], phase=phase, form=form, errors=refused.errors
    )


STEP_AGAIN = refusal_page("gmi/movement_step.html", _step_again)


@router.post(
    "/patient/gmi/movement/{movement_id}/before", response_class=HTMLResponse, dependencies=[STEP_AGAIN]
)
def movement_before(
    movement_id: str, request: Request, user: CurrentPatientUser, session: SessionDep, raw: FormDep
) -> Response:
    """The ratings before the movement are checked, then carried to the after step (nothing is stored yet)."""
    patient = _own(session, user, "gmi_movement")
    form = {name: str(raw.get(name) or "") for name, *_ in MOVEMENT_SCALES[:2]}
    MovementBefore.model_validate(form)
    context = _step_context(session, patient, movement_id, phase="after", form=form, errors=[])
    return render(request, "gmi/movement_step.html", context)


@router.post("/patient/gmi/movement/{movement_id}", response_class=HTMLResponse, dependencies=[STEP_AGAIN])
def save_movement(movement_id: str, user: CurrentPatientUser, session: SessionDep, raw: FormDep) -> Response:
    try:
        content.ladder().step(movement_id)
    except KeyError:
        raise NotFound("There is no such movement on the ladder.") from None
    form = {name: str(raw.get(name) or "") for name, *_ in MOVEMENT_SCALES}
    data = MovementCreate.model_validate({"movement_id": movement_id, **form})
    # The service loads the patient and audits the log: one access, one audit row.
    gmi.log_movement(session, user, access.own_patient_id(session, user), data)
    return redirect(f"/patient/gmi/movement?saved={movement_id}#step-{movement_id}")


# --- the clinician's view ------------------------------------------------------------------------------


def clinician_context(session: Session, patient: Patient) -> dict[str, Any]:
    context = _overview_context(session, patient)
    context["patient"] = patient
    return context


@router.get("/clinician/patients/{patient_id}/gmi", response_class=HTMLResponse)
def clinician_gmi(
    patient_id: uuid.UUID, request: Request, user: CurrentClinician, session: SessionDep
) -> Response:
    patient = access.patient_for(session, user, patient_id, resource_type=gmi.BLOCK_RESOURCE)
    return render(
        request, "gmi/clinician.html", {**clinician_context(session, patient), "errors": [], "form": {}}
    )


@router.get("/clinician/patients/{patient_id}/gmi/blocks/{block_id}", response_class=HTMLResponse)
def clinician_block(
    patient_id: uuid.UUID, block_id: uuid.UUID, request: Request, user: CurrentClinician, session: SessionDep
) -> Response:
    patient = access.patient_for(
        session, user, patient_id, resource_type=gmi.BLOCK_RESOURCE, resource_id=block_id
    )
    return render(
        request, "gmi/block.html", {**_block_context(session, patient, block_id), "clinician": True}
    )


def _stage_again(refused: Refused) -> dict[str, Any]:
    patient_id = uuid.UUID(refused.path["patient_id"])
    patient = access.patient_for(
        refused.session, refused_user(refused), patient_id, resource_type=gmi.BLOCK_RESOURCE
    )
    form = {"stage": refused.form.get("stage", ""), "note": refused.form.get("note", "")}
    return {**clinician_context(refused.session, patient), "form": form}


@router.post(
    "/clinician/patients/{patient_id}/gmi/stage",
    response_class=HTMLResponse,
    dependencies=[refusal_page("gmi/clinician.html", _stage_again)],
)
def clinician_move_stage(
    patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep, raw: FormDep
) -> Response:
    try:
        stage = int(str(raw.get("stage") or ""))
    except ValueError:
        stage = 0
    gmi.move_stage(session, user, patient_id, stage=stage, note=str(raw.get("note") or ""))
    return redirect(f"/clinician/patients/{patient_id}/gmi?moved={stage}#stage")


@panels.clinician_patient_panel
def _clinician_panel(session: Session, user: User, patient: Patient) -> panels.Panel:
    return panels.Panel(
        title="Graded motor imagery",
        template="gmi/_clinician_panel.html",
        context={**clinician_context(session, patient), "errors": [], "form": {}},
        order=42,
    )


@panels.patient_home_panel
def _patient_panel(session: Session, user: User, patient: Patient) -> panels.Panel:
    found = gmi.overview_for(session, patient)
    return panels.Panel(
        title="Graded motor imagery",
        template="gmi/_patient_panel.html",
        context={"o": found, "stage": content.stages().stage(found.stage.stage)},
        order=40,
    )


# --- norms for the drawn pictures: the published figures, the clinic's own, and norm blocks -------------


def _norms_context(
    session: Session, user: User, *, form: Mapping[str, Any] | None = None, errors: list[str] | None = None
) -> dict[str, Any]:
    norms = content.norms()
    locals_ = gmi.local_norms(session)
    clinician = user.role == Role.CLINICIAN
    return {
        "norms": norms,
        "published": scoring.published_reference(norms),
        "rows": [(local, scoring.choose_reference(norms, local)) for local in locals_],
        "levels": {level.level: level for level in content.trainer().levels},
        "photographs": [s for s in norms.sources if s.from_photographs],
        "clinician": clinician,
        "me": gmi.my_norm_participant(session, user) if clinician else None,
        "recent": gmi.norm_blocks_run_by(session, user) if clinician else [],
        "age_bands": gmi.AGE_BANDS,
        "form": form or {},
        "errors": errors or [],
    }


@router.get("/gmi/norms", response_class=HTMLResponse)
def norms_page(request: Request, user: CurrentStaff, session: SessionDep) -> Response:
    """The published norms (from photographs) beside the clinic's own for its drawn pictures, by level."""
    return render(request, "gmi/norms.html", _norms_context(session, user))


def _level(raw: object) -> int:
    try:
        return int(str(raw))
    except ValueError:
        raise InvalidInput("level: choose a level.", field="level") from None


def _participant_form(raw: Mapping[str, Any]) -> dict[str, str]:
    form = {k: str(raw.get(k) or "") for k in ("kind", "age_band", "level")}
    form["pain_free"] = "yes" if raw.get("pain_free") else ""
    return form


def _norms_again(refused: Refused) -> dict[str, Any]:
    form = _participant_form(refused.form)
    return _norms_context(refused.session, refused_user(refused), form=form, errors=refused.errors)


@router.post(
    "/gmi/norms/participants",
    response_class=HTMLResponse,
    dependencies=[refusal_page("gmi/norms.html", _norms_again)],
)
def record_norm_participant(user: CurrentClinician, session: SessionDep, raw: FormDep) -> Response:
    """Record who takes a norm block (the clinician, or an anonymous volunteer), then open the block."""
    form = _participant_form(raw)
    level = _level(form["level"])
    if level not in {lv.level for lv in content.trainer().levels}:
        raise InvalidInput(f"level: choose a level from 1 to {content.trainer().top}.", field="level")
    participant = gmi.record_norm_participant(
        session, user, kind=form["kind"], age_band=form["age_band"], pain_free=bool(form["pain_free"])
    )
    return redirect(f"/gmi/norms/participants/{participant.id}/block?level={level}")


@router.get("/gmi/norms/participants/{participant_id}/block", response_class=HTMLResponse)
def norm_block_page(
    participant_id: uuid.UUID, request: Request, user: CurrentClinician, session: SessionDep, level: int = 1
) -> Response:
    """The trainer in norm mode: the participant takes the block a patient gets at ``level``."""
    participant = gmi.norm_participant(session, user, participant_id)
    trainer = content.trainer()
    try:
        chosen = trainer.level(level)
    except KeyError:
        raise InvalidInput(f"level: choose a level from 1 to {trainer.top}.", field="level") from None
    return render(
        request,
        "gmi/norm_block.html",
        {
            "participant": participant,
            "level": chosen,
            "trainer": trainer,
            "start_url": f"/api/v1/gmi/norm-participants/{participant.id}/blocks?level={chosen.level}",
            "result_url": "/gmi/norms/blocks/",
        },
    )


@router.get("/gmi/norms/blocks/{block_id}", response_class=HTMLResponse)
def norm_block_done(
    block_id: uuid.UUID, request: Request, user: CurrentClinician, session: SessionDep
) -> Response:
    """A finished norm block: its scores, and the clinic's norm at its level now."""
    block, participant = gmi.norm_block(session, user, block_id)
    scores = gmi.block_scores(block)
    if scores is None:
        raise NotFound("This norm block has not been finished, so it has no results.")
    local = gmi.local_norm_for(session, block.level)
    return render(
        request,
        "gmi/norm_block_done.html",
        {
            "block": block,
            "participant": participant,
            "scores": scores,
            "local": local,
            "ref": scoring.choose_reference(content.norms(), local),
            "norms": content.norms(),
            "levels": content.trainer().levels,
        },
    )
