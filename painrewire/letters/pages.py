"""Pages: a patient's letters (write, preview, make, send) for the care team, and the recipient's download link."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician, OptionalUser
from painrewire.accounts.models import Role, User
from painrewire.config import Settings
from painrewire.errors import Conflict, InvalidInput, TooManyRequests
from painrewire.letters import service as letters
from painrewire.letters.models import LetterKind
from painrewire.letters.schemas import LetterCreate
from painrewire.patients import access, panels
from painrewire.patients.models import Patient
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.downloads import pdf_download
from painrewire.web.errors import headers_for, readable_pydantic_errors, status_for
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


def _write_page(
    request: Request,
    session: Session,
    user: User,
    patient: Patient,
    form: dict[str, str],
    *,
    preview: letters.Draft | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "letters/write.html",
        {
            "patient": patient,
            "form": form,
            "kinds": list(LetterKind),
            "choices": letters.recipient_choices(session, user, patient),
            "preview": preview,
            "errors": errors or [],
        },
        status_code=status_code,
    )


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
    return _write_page(request, session, user, patient, form)


async def _form(request: Request) -> dict[str, str]:
    raw = await request.form()
    return {name: str(raw.get(name) or "")[:6000] for name in FORM_FIELDS}


@router.post("/clinician/patients/{patient_id}/letters/preview", response_class=HTMLResponse)
async def preview(
    request: Request,
    patient_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    form = await _form(request)
    return await run_in_threadpool(_preview, request, session, user, settings, patient_id, form)


def _preview(
    request: Request,
    session: Session,
    user: User,
    settings: Settings,
    patient_id: uuid.UUID,
    form: dict[str, str],
) -> Response:
    try:
        patient, draft = letters.preview_letter(session, user, settings, patient_id, _parse(form))
    except ValidationError as exc:
        patient = access.patient_for(session, user, patient_id, resource_type="letter_preview")
        return _write_page(
            request, session, user, patient, form, errors=readable_pydantic_errors(exc), status_code=422
        )
    except (InvalidInput, Conflict) as exc:
        patient = access.patient_for(session, user, patient_id, resource_type="letter_preview")
        return _write_page(
            request, session, user, patient, form, errors=[exc.message], status_code=status_for(exc)
        )
    return _write_page(request, session, user, patient, form, preview=draft)


@router.post("/clinician/patients/{patient_id}/letters", response_class=HTMLResponse)
async def create(
    request: Request,
    patient_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
) -> Response:
    form = await _form(request)
    return await run_in_threadpool(_create, request, session, user, settings, patient_id, form)


def _create(
    request: Request,
    session: Session,
    user: User,
    settings: Settings,
    patient_id: uuid.UUID,
    form: dict[str, str],
) -> Response:
    try:
        letter = letters.create_letter(session, user, settings, patient_id, _parse(form))
    except ValidationError as exc:
        patient = access.patient_for(session, user, patient_id, resource_type="letter_preview")
        return _write_page(
            request, session, user, patient, form, errors=readable_pydantic_errors(exc), status_code=422
        )
    except (InvalidInput, Conflict) as exc:
        patient = access.patient_for(session, user, patient_id, resource_type="letter_preview")
        return _write_page(
            request, session, user, patient, form, errors=[exc.message], status_code=status_for(exc)
        )
    return redirect(f"/clinician/patients/{patient_id}/letters/{letter.id}?made=1")


def _letter_page(
    request: Request,
    session: Session,
    user: User,
    settings: Settings,
    patient_id: uuid.UUID,
    letter_id: uuid.UUID,
    *,
    message: str | None = None,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    patient, letter = letters.get_letter(session, user, patient_id, letter_id)
    return render(
        request,
        "letters/letter.html",
        {
            "patient": patient,
            "letter": letter,
            "message": message,
            "errors": errors or [],
            "link_days": settings.letter_link_days,
        },
        status_code=status_code,
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
    return _letter_page(request, session, user, settings, patient_id, letter_id, message=shown)


@router.get("/clinician/patients/{patient_id}/letters/{letter_id}/letter.pdf")
def letter_pdf(
    patient_id: uuid.UUID, letter_id: uuid.UUID, user: CurrentClinician, session: SessionDep
) -> Response:
    letter = letters.letter_pdf(session, user, patient_id, letter_id)
    return pdf_download(
        letter.pdf, f"letter-{letter.kind.value.replace('_', '-')}-{letter.created_at:%Y-%m-%d}.pdf"
    )


@router.post("/clinician/patients/{patient_id}/letters/{letter_id}/send", response_class=HTMLResponse)
def send(
    request: Request,
    patient_id: uuid.UUID,
    letter_id: uuid.UUID,
    user: CurrentClinician,
    session: SessionDep,
    settings: SettingsDep,
    method: Annotated[str, Form(max_length=8)] = "",
) -> Response:
    try:
        if method == "email":
            letters.send_by_email(session, user, settings, patient_id, letter_id)
        elif method == "post":
            letters.record_posted(session, user, patient_id, letter_id)
        else:
            raise InvalidInput("method: choose email or post.", field="method")
    except (InvalidInput, Conflict) as exc:
        return _letter_page(
            request,
            session,
            user,
            settings,
            patient_id,
            letter_id,
            errors=[exc.message],
            status_code=status_for(exc),
        )
    done = "emailed" if method == "email" else "posted"
    return redirect(f"/clinician/patients/{patient_id}/letters/{letter_id}?{done}=1")


# --- the recipient's link ---------------------------------------------------------------------------------


@router.get("/letters/{token}", response_class=HTMLResponse)
def link_page(request: Request, token: str, user: OptionalUser, session: SessionDep) -> Response:
    linked = letters.open_link(session, token)
    return render(
        request, "letters/link.html", {"token": token, "asks": linked.asks_date_of_birth, "errors": []}
    )


@router.post("/letters/{token}")
def link_download(
    request: Request,
    token: str,
    session: SessionDep,
    date_of_birth: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    try:
        try:
            born = date.fromisoformat(date_of_birth) if date_of_birth else None
        except ValueError as exc:
            raise InvalidInput(
                "date of birth: give a date such as 1979-03-14.", field="date_of_birth"
            ) from exc
        letter = letters.download_by_link(session, token, date_of_birth=born)
    except (InvalidInput, TooManyRequests) as exc:
        linked = letters.open_link(session, token)
        return render(
            request,
            "letters/link.html",
            {"token": token, "asks": linked.asks_date_of_birth, "errors": [exc.message]},
            status_code=status_for(exc),
            headers=headers_for(exc),
        )
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
