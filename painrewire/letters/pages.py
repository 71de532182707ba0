"""Pages: a patient's letters (write, preview, make, send) for the care team, and the recipient's download link."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date
from typing import Annotated

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician, OptionalUser, refused_user
from painrewire.accounts.models import Role, User
from painrewire.config import Settings
from painrewire.errors import InvalidInput
from painrewire.letters import service as letters
from painrewire.letters.models import LetterKind
from painrewire.letters.schemas import LetterCreate
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.downloads import pdf_download
from painrewire.web.forms import FormDep
from painrewire.web.refusals import Refused, refusal_page
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, render

router = page_router()

FORM_FIELDS = ("kind", "to", "reason", "note")


def _parse(form: dict[str, str]) -> LetterCreate:
    """The form's one "to" field names a doctor's role (``gp``) or an outside service (``service:<id>``)."""
    to = form.get("to", "")
    service = to.removeprefix("service:") if to.startswith("service:") else None
    return LetterCreate.model_validate(
        {
            "kind": form.get("kind"),
            "physician_role": to if to and service is None else None,
            "external_service_id": service or None,
            "reason": form.get("reason", ""),
            "note": form.get("note", ""),
        }
    )


def _write_context(
    session: Session,
    user: User,
    patient: Patient,
    form: dict[str, str],
    *,
    preview: letters.Draft | None = None,
    errors: list[str] | None = None,
) -> dict[str, object]:
    return {
        "patient": patient,
        "form": form,
        "kinds": list(LetterKind),
        "choices": letters.recipient_choices(session, user, patient),
        "preview": preview,
        "errors": errors or [],
    }


def _sent(raw: Mapping[str, object]) -> dict[str, str]:
    return {name: str(raw.get(name) or "")[:6000] for name in FORM_FIELDS}


def _write_again(refused: Refused) -> dict[str, object]:
    user = refused_user(refused)
    patient_id = uuid.UUID(refused.path["patient_id"])
    patient = access.patient_for(refused.session, user, patient_id, resource_type="letter_preview")
    return _write_context(refused.session, user, patient, _sent(refused.form), errors=refused.errors)


WRITE_AGAIN = refusal_page("letters/write.html", _write_again)


@router.get("/clinician/patients/{patient_id}/letters", response_class=HTMLResponse)
def letters_page(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient, found = letters.list_letters(session, user, patient_id)
    return render(
        request, "letters/list.html", {"patient": patient, "letters": found, "kinds": list(LetterKind)}
    )


@router.get("/clinician/patients/{patient_id}/letters/new", response_class=HTMLResponse)
def new_letter(
    request: Request, patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    patient = access.patient_for(session, user, patient_id, resource_type="letter_preview")
    try:
        kind = LetterKind(request.query_params.get("kind", LetterKind.INITIAL_ASSESSMENT.value))
    except ValueError:
        kind = LetterKind.INITIAL_ASSESSMENT
    form = {name: "" for name in FORM_FIELDS}
    form["kind"] = kind.value
    choices = letters.recipient_choices(session, user, patient)
    wanted = request.query_params.get("to", "")
    services = [c.value for c in choices if c.value.startswith("service:")]
    doctors = [c.value for c in choices if not c.value.startswith("service:") and c.refused is None]
    if wanted in {c.value for c in choices}:
        form["to"] = wanted
    elif kind == LetterKind.ONWARD_REFERRAL:
        form["to"] = services[0] if services else ""
    else:
        form["to"] = doctors[0] if doctors else ""
    return render(request, "letters/write.html", _write_context(session, user, patient, form))


@router.post(
    "/clinician/patients/{patient_id}/letters/preview",
    response_class=HTMLResponse,
    dependencies=[WRITE_AGAIN],
)
def preview(
    request: Request,
    patient_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
    raw: FormDep,
) -> Response:
    form = _sent(raw)
    patient, draft = letters.preview_letter(session, user, settings, patient_id, _parse(form))
    return render(request, "letters/write.html", _write_context(session, user, patient, form, preview=draft))


@router.post(
    "/clinician/patients/{patient_id}/letters", response_class=HTMLResponse, dependencies=[WRITE_AGAIN]
)
def create(
    patient_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
    raw: FormDep,
) -> Response:
    letter = letters.create_letter(session, user, settings, patient_id, _parse(_sent(raw)))
    return redirect(f"/clinician/patients/{patient_id}/letters/{letter.id}?made=1")


def _letter_context(
    session: Session,
    user: User,
    settings: Settings,
    patient_id: uuid.UUID,
    letter_id: uuid.UUID,
    *,
    message: str | None = None,
    errors: list[str] | None = None,
) -> dict[str, object]:
    patient, letter = letters.get_letter(session, user, patient_id, letter_id)
    return {
        "patient": patient,
        "letter": letter,
        "message": message,
        "errors": errors or [],
        "link_days": settings.letter_link_days,
    }


def _letter_again(refused: Refused) -> dict[str, object]:
    return _letter_context(
        refused.session,
        refused_user(refused),
        refused.request.app.state.settings,
        uuid.UUID(refused.path["patient_id"]),
        uuid.UUID(refused.path["letter_id"]),
        errors=refused.errors,
    )


@router.get("/clinician/patients/{patient_id}/letters/{letter_id}", response_class=HTMLResponse)
def letter_page(
    request: Request,
    patient_id: uuid.UUID,
    letter_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    message = {
        "made": "Letter made. Send it by email, or download it to print for the post.",
        "emailed": "Letter sent: the recipient has been emailed a link to download it.",
        "posted": "Recorded as sent by post.",
    }
    shown = next((text for key, text in message.items() if request.query_params.get(key) == "1"), None)
    context = _letter_context(session, user, settings, patient_id, letter_id, message=shown)
    return render(request, "letters/letter.html", context)


@router.get("/clinician/patients/{patient_id}/letters/{letter_id}/letter.pdf")
def letter_pdf(
    patient_id: uuid.UUID, letter_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    letter = letters.letter_pdf(session, user, patient_id, letter_id)
    return pdf_download(
        letter.pdf, f"letter-{letter.kind.value.replace('_', '-')}-{letter.created_at:%Y-%m-%d}.pdf"
    )


@router.post(
    "/clinician/patients/{patient_id}/letters/{letter_id}/send",
    response_class=HTMLResponse,
    dependencies=[refusal_page("letters/letter.html", _letter_again)],
)
def send(
    patient_id: uuid.UUID,
    letter_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
    method: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    if method == "email":
        letters.send_by_email(session, user, settings, patient_id, letter_id)
    elif method == "post":
        letters.record_posted(session, user, patient_id, letter_id)
    else:
        raise InvalidInput("method: choose email or post.", field="method")
    done = "emailed" if method == "email" else "posted"
    return redirect(f"/clinician/patients/{patient_id}/letters/{letter_id}?{done}=1")


# --- the recipient's link ---------------------------------------------------------------------------------


@router.get("/letters/{token}", response_class=HTMLResponse)
def link_page(request: Request, token: str, user: OptionalUser, session: SessionDep) -> Response:
    linked = letters.open_link(session, token)
    return render(
        request, "letters/link.html", {"token": token, "asks": linked.asks_date_of_birth, "errors": []}
    )


def _link_again(refused: Refused) -> dict[str, object]:
    token = refused.path["token"]
    return {"token": token, "asks": letters.open_link(refused.session, token).asks_date_of_birth}


@router.post("/letters/{token}", dependencies=[refusal_page("letters/link.html", _link_again)])
def link_download(
    token: str,
    session: SessionDep,
    date_of_birth: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    # A wrong date of birth counts against the link although the download is refused (the error says so).
    try:
        born = date.fromisoformat(date_of_birth) if date_of_birth else None
    except ValueError as exc:
        raise InvalidInput("date of birth: give a date such as 1979-03-14.", field="date_of_birth") from exc
    letter = letters.download_by_link(session, token, date_of_birth=born)
    return pdf_download(letter.pdf, f"letter-{letter.created_at:%Y-%m-%d}.pdf")


@panels.clinician_patient_panel
def _letters_panel(session: Session, user: User, patient: Patient) -> panels.Panel | None:
    if user.role != Role.CLINICIAN:
        return None
    found = letters.letters_of(session, patient)
    return panels.Panel(
        title="Letters and referrals on",
        template="letters/_clinician_panel.html",
        context={"patient": patient, "letters": found[:5], "total": len(found), "kinds": list(LetterKind)},
        order=85,
    )
