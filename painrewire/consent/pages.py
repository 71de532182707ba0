"""Pages: a patient's consents (give, withdraw, history), the same page for a clinician recording them, and
the consent panel on the clinician's patient overview."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician, CurrentPatientUser, refused_user
from painrewire.accounts.models import Role, User
from painrewire.consent import service as consent
from painrewire.consent.models import ConsentKind, ConsentMethod
from painrewire.errors import Forbidden, InvalidInput, NotFound
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.web.deps import SessionDep
from painrewire.web.refusals import Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, render

router = page_router()
PATIENT_BASE = "/patient/consent"


def _clinician_base(patient_id: uuid.UUID) -> str:
    return f"/clinician/patients/{patient_id}/consent"


def own_patient_id(session: Session, user: User) -> uuid.UUID:
    """The logged-in patient's record id (the service that uses it checks and audits the access)."""
    found = session.scalar(select(Patient.id).where(Patient.user_id == user.id))
    if found is None:
        raise NotFound("Your patient record was not found.")
    return found


def _context(session: Session, user: User, patient: Patient, *, base: str) -> dict[str, Any]:
    records = consent.records_of(session, patient)
    current = consent.current_by_kind(records)
    texts = consent.consent_texts()
    return {
        "patient": patient,
        "for_patient": user.role == Role.PATIENT,
        "base": base,
        "cards": [(texts[kind], current[kind]) for kind in ConsentKind],
        "blocked": {
            kind: texts[needed] for kind, needed in consent.REQUIRES.items() if current[needed] is None
        },
        "records": records,
        "texts": texts,
        "staff_methods": consent.STAFF_METHODS,
        "errors": [],
    }


def _consent_again(refused: Refused) -> dict[str, Any]:
    """The page again with the reason (a patient the actor may not see is still a 404, from `patient_for`)."""
    user = refused_user(refused)
    if "patient_id" in refused.path:
        patient_id, base = uuid.UUID(refused.path["patient_id"]), _clinician_base(refused.path["patient_id"])
    else:
        patient_id, base = own_patient_id(refused.session, user), PATIENT_BASE
    patient = access.patient_for(refused.session, user, patient_id, resource_type=consent.RESOURCE)
    return {**_context(refused.session, user, patient, base=base), "errors": refused.errors}


#: A consent the actor may not give (a patient recording a method) is this form's refusal, shown on it.
CONSENT_AGAIN = refusal_page("consent/consent.html", _consent_again, shown_for=(Forbidden,))


def _method(raw: str) -> ConsentMethod | None:
    try:
        return ConsentMethod(raw) if raw else None
    except ValueError as exc:
        raise InvalidInput("method: choose in clinic or on paper.", field="method") from exc


def _kind(raw: str) -> ConsentKind:
    try:
        return ConsentKind(raw)
    except ValueError as exc:
        raise InvalidInput("kind: there is no such kind of consent.", field="kind") from exc


# --- the patient --------------------------------------------------------------------------------------------


@router.get(PATIENT_BASE, response_class=HTMLResponse)
def patient_page(request: Request, user: CurrentPatientUser, session: SessionDep) -> Response:
    patient = access.own_patient(session, user, resource_type=consent.RESOURCE)
    return render(request, "consent/consent.html", _context(session, user, patient, base=PATIENT_BASE))


@router.post(PATIENT_BASE + "/give", response_class=HTMLResponse, dependencies=[CONSENT_AGAIN])
def patient_gives(
    request: Request,
    user: CurrentPatientUser,
    session: SessionDep,
    kind: Annotated[str, Form(max_length=40)] = "",
    text_version: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    return _give(request, session, user, own_patient_id(session, user), PATIENT_BASE, kind, text_version, "")


@router.post(PATIENT_BASE + "/withdraw", response_class=HTMLResponse, dependencies=[CONSENT_AGAIN])
def patient_withdraws(
    request: Request,
    user: CurrentPatientUser,
    session: SessionDep,
    kind: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=consent.MAX_NOTE * 2)] = "",
) -> Response:
    return _withdraw(request, session, user, own_patient_id(session, user), PATIENT_BASE, kind, "", note)


# --- the clinician ----------------------------------------------------------------------------------------


@router.get("/clinician/patients/{patient_id}/consent", response_class=HTMLResponse)
def clinician_page(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient, _ = consent.list_consents(session, user, patient_id)
    return render(
        request, "consent/consent.html", _context(session, user, patient, base=_clinician_base(patient_id))
    )


@router.post(
    "/clinician/patients/{patient_id}/consent/give", response_class=HTMLResponse, dependencies=[CONSENT_AGAIN]
)
def clinician_records(
    request: Request,
    patient_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    kind: Annotated[str, Form(max_length=40)] = "",
    text_version: Annotated[str, Form(max_length=40)] = "",
    method: Annotated[str, Form(max_length=40)] = "",
) -> Response:
    return _give(request, session, user, patient_id, _clinician_base(patient_id), kind, text_version, method)


@router.post(
    "/clinician/patients/{patient_id}/consent/withdraw",
    response_class=HTMLResponse,
    dependencies=[CONSENT_AGAIN],
)
def clinician_withdraws(
    request: Request,
    patient_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    kind: Annotated[str, Form(max_length=40)] = "",
    method: Annotated[str, Form(max_length=40)] = "",
    note: Annotated[str, Form(max_length=consent.MAX_NOTE * 2)] = "",
) -> Response:
    return _withdraw(request, session, user, patient_id, _clinician_base(patient_id), kind, method, note)


def _give(
    request: Request,
    session: Session,
    user: User,
    patient_id: uuid.UUID,
    base: str,
    kind: str,
    text_version: str,
    method: str,
) -> Response:
    chosen = _kind(kind)
    consent.give_consent(
        session, user, patient_id, kind=chosen, text_version=text_version, method=_method(method)
    )
    return redirect(f"{base}?given={chosen.value}#{chosen.value}")


def _withdraw(
    request: Request,
    session: Session,
    user: User,
    patient_id: uuid.UUID,
    base: str,
    kind: str,
    method: str,
    note: str,
) -> Response:
    chosen = _kind(kind)
    consent.withdraw_consent(session, user, patient_id, kind=chosen, method=_method(method), note=note)
    return redirect(f"{base}?withdrawn={chosen.value}#{chosen.value}")


# --- the clinician's overview -------------------------------------------------------------------------


@panels.clinician_patient_panel
def _consent_panel(session: Session, user: User, patient: Patient) -> panels.Panel | None:
    if user.role != Role.CLINICIAN:
        return None
    current = consent.current_by_kind(consent.records_of(session, patient))
    return panels.Panel(
        title="Consent",
        template="consent/_overview_panel.html",
        context={"patient": patient, "current": current, "texts": consent.consent_texts()},
        order=34,
    )
