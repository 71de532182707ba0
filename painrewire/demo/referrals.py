"""A demo referral waiting at the front desk: a GP refers a new patient, with her letter attached."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from painrewire.clearance.models import Cause
from painrewire.config import get_settings
from painrewire.demo.clinic import DemoClinic
from painrewire.referrals import service as referrals
from painrewire.referrals.models import Urgency
from painrewire.referrals.schemas import ReferralCreate

REFERRAL = ReferralCreate(
    referrer_name="Dr Helen Marsh",
    referrer_organisation="Riverside Surgery, Oxford",
    referrer_email="riverside.surgery@nhs.example.org",
    referrer_phone="01865 000 111",
    patient_name="Tom Baxter",
    patient_date_of_birth=date(1972, 8, 30),
    patient_email="tom.baxter@example.org",
    patient_phone="07700 900456",
    reason=(
        "Mechanical low back pain for 18 months after lifting at work; two courses of physiotherapy helped "
        "little. Fear of movement and poor sleep. He is keen on a brain-based approach."
    ),
    excluded=[Cause.INFLAMMATORY, Cause.FRACTURE, Cause.MALIGNANCY, Cause.INFECTION],
    urgency=Urgency.ROUTINE,
)

LETTER_HTML = """
<p>Riverside Surgery, 12 Mill Lane, Oxford OX1 2AB</p>
<p>Dear colleague,</p>
<p>Thank you for seeing Mr Tom Baxter (born 30 August 1972), who has had low back pain for 18 months since
lifting at work. Examination is unremarkable: no neurological deficit, normal inflammatory markers, no weight
loss or night pain. Two courses of physiotherapy helped little, and he now avoids bending and sleeps poorly.</p>
<p>I would be grateful for your assessment and treatment.</p>
<p>Yours sincerely,<br>Dr Helen Marsh</p>
"""


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    from weasyprint import HTML

    pdf: bytes = HTML(string=LETTER_HTML).write_pdf()
    referrals.submit_referral(
        session,
        get_settings(),
        REFERRAL,
        letter=referrals.Letter(pdf, "referral-tom-baxter.pdf"),
        client=None,
    )
