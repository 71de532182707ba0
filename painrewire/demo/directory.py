"""Demo profiles for the four clinicians, and two outside services the clinic refers patients on to."""

from __future__ import annotations

from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline
from painrewire.demo.clinic import DemoClinic
from painrewire.directory import service as directory
from painrewire.directory.models import Modality, ServiceKind
from painrewire.directory.schemas import ExternalServiceCreate, ProfileUpdate

PROFILES: dict[Discipline, ProfileUpdate] = {
    Discipline.PAIN_SPECIALIST: ProfileUpdate(
        qualifications="MBBS, FRCA, FFPMRCA (pain medicine)",
        languages=["English", "Yoruba"],
        modalities=[Modality.MEDICAL_ASSESSMENT, Modality.PAIN_EDUCATION, Modality.PAIN_REPROCESSING],
        bio=(
            "Amara leads the clinic's first assessments: she checks for anything that needs other care, explains "
            "how long-lasting pain works, and agrees a plan with you."
        ),
    ),
    Discipline.PHYSICAL_THERAPIST: ProfileUpdate(
        qualifications="BSc Physiotherapy, MSc Pain Science",
        languages=["English", "Swedish"],
        modalities=[Modality.GRADED_MOVEMENT, Modality.GRADED_MOTOR_IMAGERY, Modality.PAIN_EDUCATION],
        bio="Sam helps you move again at a pace that feels safe, with graded movement and motor imagery.",
    ),
    Discipline.PSYCHOLOGIST: ProfileUpdate(
        qualifications="DClinPsy, HCPC registered",
        languages=["English", "Tamil", "Hindi"],
        modalities=[Modality.PAIN_REPROCESSING, Modality.CBT, Modality.MINDFULNESS],
        bio=(
            "Priya works with how pain, stress, fear and mood feed each other, and teaches pain reprocessing "
            "and mindfulness skills you can use at home."
        ),
    ),
    Discipline.NEUROFEEDBACK_PRACTITIONER: ProfileUpdate(
        qualifications="BSc Neuroscience, BCIA-certified neurofeedback practitioner",
        languages=["English", "Spanish"],
        modalities=[Modality.NEUROFEEDBACK],
        bio="Tomás runs the EEG neurofeedback sessions in the clinic's lab, for patients whose plan includes it.",
    ),
}

SERVICES = [
    ExternalServiceCreate(
        name="Riverside Sleep Clinic",
        kind=ServiceKind.SLEEP,
        contact="Dr Helen Marsh\nRiverside Hospital, Sleep Disorders Unit\n1 River Road, London SE1 7AA\n020 7946 0100",
        email="referrals@riverside-sleep.example.org",
        notes="Takes adults with insomnia or suspected sleep apnoea; CBT-I groups monthly. Wait about 8 weeks.",
    ),
    ExternalServiceCreate(
        name="North London Pain Management Programme",
        kind=ServiceKind.PAIN_MANAGEMENT_PROGRAMME,
        contact="Programme coordinator\nNorth London Community Health Centre\n22 Holloway Road, London N7 6AB",
        notes="Group programme over 8 weeks; letters by post. Needs a physician's referral as well as ours.",
    ),
]


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    for discipline, profile in PROFILES.items():
        directory.update_profile(session, clinic.admin, clinic.clinicians[discipline].id, profile)
    for service in SERVICES:
        directory.create_service(session, clinic.admin, service)
