"""Pages: the public referral form for physicians, and the front desk's triage of the referrals that come in."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from painrewire.accounts import service as accounts
from painrewire.accounts.deps import CurrentAdmin, OptionalUser, refused_user
from painrewire.accounts.models import Role, User
from painrewire.clearance.models import Cause
from painrewire.config import Settings
from painrewire.errors import InvalidInput
from painrewire.patients import panels
from painrewire.referrals import service as referrals
from painrewire.referrals.models import ReferralStatus, Urgency
from painrewire.referrals.schemas import NextStep, ReferralAccept, ReferralCreate, ReferralDecline
from painrewire.web.deps import SessionDep, SettingsDep, client_address
from painrewire.web.downloads import pdf_download
from painrewire.web.forms import FormDep
from painrewire.web.refusals import Refused, refusal_page
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


def _form_context(settings: Settings, form: dict[str, Any]) -> dict[str, Any]:
    return {
        "form": form,
        "errors": [],
        "causes": list(Cause),
        "urgencies": list(Urgency),
        "max_letter": referrals.size_words(settings.referral_letter_max_bytes),
    }


def _typed(raw: Mapping[str, Any], excluded: list[str]) -> dict[str, Any]:
    form: dict[str, Any] = {
        name: str(raw.get(name) or "")[: FIELD_LIMITS.get(name, 300)] for name in TEXT_FIELDS
    }
    form["excluded"] = excluded[: len(Cause)]
    return form


def _refer_again(refused: Refused) -> dict[str, Any]:
    form = _typed(refused.form, refused.lists.get("excluded", []))
    return {**_form_context(refused.request.app.state.settings, form), "errors": refused.errors}


@router.get("/refer", response_class=HTMLResponse)
def refer_form(request: Request, user: OptionalUser, settings: SettingsDep) -> Response:
    context = _form_context(settings, {"urgency": Urgency.ROUTINE.value, "excluded": []})
    return render(request, "referrals/refer.html", context)


@router.post(
    "/refer", response_class=HTMLResponse, dependencies=[refusal_page("referrals/refer.html", _refer_again)]
)
def refer(request: Request, session: SessionDep, settings: SettingsDep, raw: FormDep) -> Response:
    form = _typed(raw, [str(v) for v in raw.getlist("excluded")])
    upload = raw.get("letter")
    letter = None
    if isinstance(upload, UploadFile) and upload.filename:
        content = upload.file.read(settings.referral_letter_max_bytes + 1)
        letter = referrals.Letter(content=content, filename=upload.filename, size=upload.size)
    data = ReferralCreate.model_validate(
        {**form, "patient_date_of_birth": form["patient_date_of_birth"] or None}
    )
    referral = referrals.submit_referral(
        session, settings, data, letter=letter, client=client_address(request)
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


def _detail_context(
    session: Session,
    admin: User,
    referral_id: uuid.UUID,
    *,
    errors: list[str] | None = None,
    accept_form: dict[str, Any] | None = None,
    decline_form: dict[str, str] | None = None,
    message: str | None = None,
) -> dict[str, Any]:
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
    return {
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
    }


def _detail_again(refused: Refused) -> dict[str, Any]:
    """The referral again: the accept form as typed, or the decline reason (a conflict starts afresh)."""
    sent = refused.form
    accept_form = decline_form = None
    if refused.request.url.path.endswith("/accept"):
        accept_form = {
            **{key: sent.get(key, "") for key in ("patient_id", "email", "full_name", "phone")},
            "care_team": refused.lists.get("care_team", []),
            "next_step": sent.get("next_step", NextStep.ASK.value),
        }
    elif refused.error is None:
        decline_form = {"reason": sent.get("reason", "")}
    return _detail_context(
        refused.session,
        refused_user(refused),
        uuid.UUID(refused.path["referral_id"]),
        errors=refused.errors,
        accept_form=accept_form,
        decline_form=decline_form,
    )


DETAIL_AGAIN = refusal_page("referrals/detail.html", _detail_again)


@router.get("/admin/referrals/{referral_id}", response_class=HTMLResponse)
def referral_page(
    request: Request, referral_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep
) -> Response:
    message = {
        "accepted": "Referral accepted. The referrer has been told by email.",
        "asked": "Referral accepted. The referrer has been told, and the patient asked to book by email.",
        "declined": "Referral declined. The referrer has been told by email.",
    }.get(request.query_params.get("done", ""))
    return render(
        request, "referrals/detail.html", _detail_context(session, admin, referral_id, message=message)
    )


@router.get("/admin/referrals/{referral_id}/letter.pdf")
def referral_letter(referral_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep) -> Response:
    referral, content = referrals.referral_letter(session, admin, referral_id)
    return pdf_download(content, f"referral-{referral.reference}.pdf")


@router.post(
    "/admin/referrals/{referral_id}/accept", response_class=HTMLResponse, dependencies=[DETAIL_AGAIN]
)
def accept(
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
    if data.next_step == NextStep.BOOK:
        return redirect(f"/admin/referrals/{referral_id}/book")
    return redirect(f"/admin/referrals/{referral_id}?done=asked")


@router.post(
    "/admin/referrals/{referral_id}/decline", response_class=HTMLResponse, dependencies=[DETAIL_AGAIN]
)
def decline(
    referral_id: uuid.UUID,
    admin: CurrentAdmin,
    session: SessionDep,
    settings: SettingsDep,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    referrals.decline_referral(
        session, admin, settings, referral_id, ReferralDecline.model_validate({"reason": reason})
    )
    return redirect(f"/admin/referrals/{referral_id}?done=declined")


def _book_context(
    session: Session,
    admin: User,
    settings: Settings,
    referral_id: uuid.UUID,
    *,
    errors: list[str] | None = None,
) -> dict[str, Any]:
    found = referrals.first_slots(session, admin, settings, referral_id)
    zone = settings.clinic_timezone
    by_day: dict[str, list[Any]] = {}
    for slot in found.result.slots:
        by_day.setdefault(slot.starts_at.astimezone(settings.zone).strftime("%A %d %B"), []).append(slot)
    return {
        "r": found.referral,
        "patient": found.patient,
        "kind": found.result.kind,
        "days": list(by_day.items())[:5],
        "zone": zone,
        "errors": errors or [],
    }


def _book_again(refused: Refused) -> dict[str, Any]:
    settings: Settings = refused.request.app.state.settings
    referral_id = uuid.UUID(refused.path["referral_id"])
    return _book_context(refused.session, refused_user(refused), settings, referral_id, errors=refused.errors)


@router.get("/admin/referrals/{referral_id}/book", response_class=HTMLResponse)
def book_page(
    request: Request, referral_id: uuid.UUID, admin: CurrentAdmin, session: SessionDep, settings: SettingsDep
) -> Response:
    return render(request, "referrals/book.html", _book_context(session, admin, settings, referral_id))


@router.post(
    "/admin/referrals/{referral_id}/book",
    response_class=HTMLResponse,
    dependencies=[refusal_page("referrals/book.html", _book_again)],
)
def book(
    referral_id: uuid.UUID,
    admin: CurrentAdmin,
    session: SessionDep,
    settings: SettingsDep,
    clinician_id: Annotated[uuid.UUID, Form()],
    start: Annotated[str, Form(max_length=40)],
) -> Response:
    try:
        starts_at = datetime.fromisoformat(start)
    except ValueError as exc:
        raise InvalidInput("start: please pick a time from the list.", field="start") from exc
    booking = referrals.book_first(
        session, admin, settings, referral_id, clinician_id=clinician_id, starts_at=starts_at
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
