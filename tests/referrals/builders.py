"""Real PDFs and filled-in referral forms for the referral tests."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from painrewire.config import Settings
from painrewire.referrals import service as referrals
from painrewire.referrals.models import Referral
from painrewire.referrals.schemas import ReferralCreate
from tests.fixtures.factories import CSRF


def pdf_of(text: str) -> bytes:
    """A one-page PDF that says ``text``, made by WeasyPrint as the clinic's own reports are."""
    from weasyprint import HTML

    pdf: bytes = HTML(string=f"<p>{text}</p>").write_pdf()
    return pdf


def referral_form(**overrides: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "csrf_token": CSRF,
        "referrer_name": "Dr Grace Hopper",
        "referrer_organisation": "Harbour Street Surgery",
        "referrer_email": "grace.hopper@surgery.example.org",
        "referrer_phone": "020 7946 0123",
        "patient_name": "Olu Adeyemi",
        "patient_date_of_birth": "1981-05-17",
        "patient_email": "olu.adeyemi@example.org",
        "patient_phone": "",
        "reason": "Low back pain for two years despite physiotherapy; keen on a brain-based approach.",
        "excluded": ["inflammatory", "fracture", "malignancy"],
        "urgency": "routine",
    }
    form.update(overrides)
    return form


def stored_referral(session: Session, settings: Settings, **overrides: Any) -> Referral:
    """A referral as the public form stores it, without a request."""
    data = {
        "referrer_name": "Dr Grace Hopper",
        "referrer_organisation": "Harbour Street Surgery",
        "referrer_email": "grace.hopper@surgery.example.org",
        "referrer_phone": "020 7946 0123",
        "patient_name": "Olu Adeyemi",
        "patient_date_of_birth": date(1981, 5, 17),
        "patient_email": "olu.adeyemi@example.org",
        "reason": "Low back pain for two years despite physiotherapy.",
        "excluded": ["fracture"],
    }
    data.update(overrides)
    referral = referrals.submit_referral(
        session,
        settings,
        ReferralCreate.model_validate(data),
        letter=referrals.Letter(pdf_of("Dear colleague"), "letter.pdf"),
        client=None,
    )
    session.commit()
    return referral
