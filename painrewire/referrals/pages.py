"""Pages: the public referral form for physicians, and the front desk's triage of the referrals that come in."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from painrewire.accounts import service as accounts
from painrewire.accounts.deps import CurrentAdmin, OptionalUser
from painrewire.accounts.models import Role, User
from painrewire.clearance.models import Cause
from painrewire.config import Settings
from painrewire.errors import Conflict, InvalidInput, TooManyRequests
from painrewire.patients import panels
from painrewire.referrals import service as referrals
from painrewire.referrals.models import ReferralStatus, Urgency
from painrewire.referrals.schemas import NextStep, ReferralAccept, ReferralCreate, ReferralDecline
from painrewire.web.deps import SessionDep, SettingsDep, client_address
from painrewire.web.downloads import pdf_download
from painrewire.web.errors import headers_for, readable_pydantic_errors, status_for
from painrewire.web.routing import page_router
from painrewire.web.templating import redirect, register_nav, render

router = page_router()
register_nav(None, "/refer", "Refer a patient")
register_nav(Role.ADMIN, "/admin/referrals", "Referrals")

TEXT_FIELDS = (
    "referrer_name",
    "referrer_organisation",
    "referrer_email",
    "referrer_phone",
    "patient_name",
    "patient_date_of_birth",
    "patient_email",
    "patient_phone",
    "reason",
    "excluded_other",
    "urgency",
)
FIELD_LIMITS = {"reason": 4000, "excluded_other": 300}


def _form_page(
    request: Request,
    settings: Settings,
    form: dict[str, Any],
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    return render(
        request,
        "referrals/refer.html",
        {
            "form": form,
            "errors": errors or [],
            "causes": list(Cause),
            "urgencies": list(Urgency),
            "max_letter": referrals.size_words(settings.referral_letter_max_bytes),
        },
        status_code=status_code,
        headers=headers,
    )


@router.get("/refer", response_class=HTMLResponse)
def refer_form(request: Request, user: OptionalUser, settings: SettingsDep) -> Response:
    return _form_page(request, settings, {"urgency": Urgency.ROUTINE.value, "excluded": []})


@router.post("/refer", response_class=HTMLResponse)
async def refer(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    raw = await request.form()
    form: dict[str, Any] = {
        name: str(raw.get(name) or "")[: FIELD_LIMITS.get(name, 300)] for name in TEXT_FIELDS
    }
    form["excluded"] = [str(v) for v in raw.getlist("excluded")][: len(Cause)]
    upload = raw.get("letter")
    letter = None
    if isinstance(upload, UploadFile) and upload.filename:
        content = await upload.read(settings.referral_letter_max_bytes + 1)
        letter = referrals.Letter(content=content, filename=upload.filename, size=upload.size)
    try:
        data = ReferralCreate.model_validate(
            {**form, "patient_date_of_birth": form["patient_date_of_birth"] or None}
        )
        referral = await run_in_threadpool(
            referrals.submit_referral,
            session,
            settings,
            data,
            letter=letter,
            client=client_address(request),
        )
    except ValidationError as exc:
        return _form_page(request, settings, form, errors=readable_pydantic_errors(exc), status_code=422)
    except (InvalidInput, TooManyRequests) as exc:
        return _form_page(
            request,
            settings,
            form,
            errors=[exc.message],
            status_code=status_for(exc),
            headers=headers_for(exc),
        )
    return redirect("/refer/sent?" + urlencode({"reference": referral.reference}))


@router.get("/refer/sent", response_class=HTMLResponse)
def referral_sent(request: Request, user: OptionalUser, reference: str = "") -> Response:
    shown = reference if reference.startswith("R-") and len(reference) == 10 and reference.isascii() else ""
    return render(request, "referrals/sent.html", {"reference": shown})


# --- the front desk ---------------------------------------------------------------------------------------


@router.get("/admin/referrals", response_class=HTMLResponse)
def referrals_page(request: Request, admin: CurrentAdmin, session: SessionDep) -> Response:
    found = referrals.list_referrals(session, admin)
    return render(
        request,
        "referrals/list.html",
        {
            "new": [r for r in found if r.status == ReferralStatus.NEW],
            "decided": [r for r in found if r.status != ReferralStatus.NEW],
        },
    )


def _detail_page(
    request: Request,
    session: Session,
    admin: User,
    referral_id: uuid.UUID,
    *,
    errors: list[str] | None = None,
    accept_form: dict[str, Any] | None = None,
    decline_form: dict[str, str] | None = None,
    message: str | None = None,
    status_code: int = 200,
) -> Response:
    referral = referrals.get_referral(session, admin, referral_id)
    clinicians = accounts.list_clinicians(session)
    if accept_form is None:
        lead = next((c for c in clinicians if str(c.discipline) == "pain_specialist"), None)
        accept_form = {
            "email": referral.patient_email,
            "full_name": referral.patient_name,
            "phone": referral.patient_phone,
            "care_team": [str(lead.id)] if lead else [],
            "next_step": NextStep.BOOK.value,
            "patient_id": "",
        }
    return render(
        request,
        "referrals/detail.html",
        {
            "r": referral,
            "causes": [Cause(c) for c in referral.excluded if c in {x.value for x in Cause}],
            "matches": referrals.matching_patients(session, admin, referral)
            if referral.status == ReferralStatus.NEW
            else [],
            "clinicians": clinicians,
            "accept": accept_form,
            "decline": decline_form or {},
            "errors": errors or [],
            "message": message,
            "size_words": referrals.size_words,
        },
        status_code=status_code,
    )


@router.get("/admin/referrals/{referral_id}", response_class=HTMLResponse)
def referral_page(
    request: Request, referral_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep
) -> Response:
    message = {
        "accepted": "Referral accepted. The referrer has been told by email.",
        "asked": "Referral accepted. The referrer has been told, and the patient asked to book by email.",
        "declined": "Referral declined. The referrer has been told by email.",
    }.get(request.query_params.get("done", ""))
    return _detail_page(request, session, admin, referral_id, message=message)


@router.get("/admin/referrals/{referral_id}/letter.pdf")
def referral_letter(referral_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep) -> Response:
    referral, content = referrals.referral_letter(session, admin, referral_id)
    return pdf_download(content, f"referral-{referral.reference}.pdf")


@router.post("/admin/referrals/{referral_id}/accept", response_class=HTMLResponse)
def accept(
    request: Request,
    referral_id: uuid.UUID,
    admin: CurrentAdmin,
    session: SessionDep,
    settings: SettingsDep,
    patient_id: Annotated[str, Form(max_length=40)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    full_name: Annotated[str, Form(max_length=200)] = "",
    phone: Annotated[str, Form(max_length=40)] = "",
    care_team: Annotated[list[str] | None, Form()] = None,
    next_step: Annotated[str, Form(max_length=8)] = NextStep.ASK.value,
) -> Response:
    form = {
        "patient_id": patient_id,
        "email": email,
        "full_name": full_name,
        "phone": phone,
        "care_team": care_team or [],
        "next_step": next_step,
    }
    try:
        data = ReferralAccept.model_validate(
            {
                "patient_id": patient_id or None,
                "email": None if patient_id else (email or None),
                "full_name": full_name or None,
                "phone": phone or None,
                "care_team": care_team or [],
                "next_step": next_step,
            }
        )
        referrals.accept_referral(session, admin, settings, referral_id, data)
    except ValidationError as exc:
        errors = readable_pydantic_errors(exc)
        return _detail_page(
            request, session, admin, referral_id, errors=errors, accept_form=form, status_code=422
        )
    except (InvalidInput, Conflict) as exc:
        return _detail_page(
            request,
            session,
            admin,
            referral_id,
            errors=[exc.message],
            accept_form=form,
            status_code=status_for(exc),
        )
    if data.next_step == NextStep.BOOK:
        return redirect(f"/admin/referrals/{referral_id}/book")
    return redirect(f"/admin/referrals/{referral_id}?done=asked")


@router.post("/admin/referrals/{referral_id}/decline", response_class=HTMLResponse)
def decline(
    request: Request,
    referral_id: uuid.UUID,
    admin: CurrentAdmin,
    session: SessionDep,
    settings: SettingsDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    try:
        referrals.decline_referral(
            session, admin, settings, referral_id, ReferralDecline.model_validate({"reason": reason})
        )
    except ValidationError as exc:
        errors = readable_pydantic_errors(exc)
        return _detail_page(
            request,
            session,
            admin,
            referral_id,
            errors=errors,
            decline_form={"reason": reason},
            status_code=422,
        )
    except Conflict as exc:
        return _detail_page(request, session, admin, referral_id, errors=[exc.message], status_code=409)
    return redirect(f"/admin/referrals/{referral_id}?done=declined")


def _book_page(
    request: Request,
    session: Session,
    admin: User,
    settings: Settings,
    referral_id: uuid.UUID,
    *,
    errors: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    found = referrals.first_slots(session, admin, settings, referral_id)
    zone = settings.clinic_timezone
    by_day: dict[str, list[Any]] = {}
    for slot in found.result.slots:
        by_day.setdefault(slot.starts_at.astimezone(settings.zone).strftime("%A %d %B"), []).append(slot)
    return render(
        request,
        "referrals/book.html",
        {
            "r": found.referral,
            "patient": found.patient,
            "kind": found.result.kind,
            "days": list(by_day.items())[:5],
            "zone": zone,
            "errors": errors or [],
        },
        status_code=status_code,
    )


@router.get("/admin/referrals/{referral_id}/book", response_class=HTMLResponse)
def book_page(
    request: Request, referral_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep, settings: SettingsDep
) -> Response:
    return _book_page(request, session, admin, settings, referral_id)


@router.post("/admin/referrals/{referral_id}/book", response_class=HTMLResponse)
def book(
    request: Request,
    referral_id: uuid.UUID,
    admin: CurrentAdmin,
    session: SessionDep,
    settings: SettingsDep,
    clinician_id: Annotated[uuid.UUID, Form()],
    start: Annotated[str, Form(max_length=40)],
) -> Response:
    try:
        try:
            starts_at = datetime.fromisoformat(start)
        except ValueError as exc:
            raise InvalidInput("start: please pick a time from the list.", field="start") from exc
        booking = referrals.book_first(
            session, admin, settings, referral_id, clinician_id=clinician_id, starts_at=starts_at
        )
    except (InvalidInput, Conflict) as exc:
        return _book_page(
            request, session, admin, settings, referral_id, errors=[exc.message], status_code=status_for(exc)
        )
    return redirect(f"/clinic/appointments/{booking.appointment.id}")


@panels.admin_home_panel
def _new_referrals(session: Session, user: User) -> panels.Panel | None:
    waiting, soon = referrals.count_new(session, user)
    if not waiting:
        return None
    return panels.Panel(
        title="Referrals to triage",
        template="referrals/_admin_panel.html",
        context={"waiting": waiting, "soon": soon},
        order=20,
    )
