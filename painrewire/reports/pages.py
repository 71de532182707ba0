"""Downloads: the PDF progress report for the care team and for the patient."""

from __future__ import annotations

import uuid

from fastapi.responses import Response
from sqlalchemy.orm import Session

from painrewire.accounts.deps import CurrentClinician, CurrentPatientUser
from painrewire.accounts.models import Role, User
from painrewire.patients import panels
from painrewire.patients.models import Patient
from painrewire.reports import service as reports
from painrewire.web.deps import SessionDep, SettingsDep
from painrewire.web.downloads import pdf_download
from painrewire.web.routing import page_router

router = page_router()


@router.get("/clinician/patients/{patient_id}/report.pdf")
def clinician_report(
    patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep, settings: SettingsDep
) -> Response:
    pdf = reports.clinician_report(session, user, patient_id, clinic_name=settings.clinic_name)
    return pdf_download(pdf, f"progress-report-{patient_id}.pdf")


@router.get("/patient/report.pdf")
def own_report(user: CurrentPatientUser, session: SessionDep, settings: SettingsDep) -> Response:
    return pdf_download(
        reports.own_report(session, user, clinic_name=settings.clinic_name), "my-progress-report.pdf"
    )


@panels.clinician_patient_panel
def _downloads(session: Session, user: User, patient: Patient) -> panels.Panel | None:
    if user.role != Role.CLINICIAN:
        return None
    return panels.Panel(
        title="Reports and exports",
        template="reports/_overview_panel.html",
        context={"patient": patient},
        order=90,
    )
