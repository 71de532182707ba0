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
from painrewire.web.downloads import pdf_headers
from painrewire.web.responses import MadeAfterCommit
from painrewire.web.routing import page_router

router = page_router()


def report_download(html: str, filename: str) -> Response:
    """A report's PDF attachment, laid out from ``html`` once the request's unit of work has committed: the
    slow layout holds no database turn, so other requests do not wait behind it."""
    return MadeAfterCommit(
        lambda: reports.html_to_pdf(html), media_type="application/pdf", headers=pdf_headers(filename)
    )


@router.get("/clinician/patients/{patient_id}/report.pdf")
def clinician_report(
    patient_id: uuid.UUID, user: CurrentClinician, session: SessionDep, settings: SettingsDep
) -> Response:
    html = reports.clinician_report_html(session, user, patient_id, clinic_name=settings.clinic_name)
    return report_download(html, f"progress-report-{patient_id}.pdf")


@router.get("/patient/report.pdf")
def own_report(user: CurrentPatientUser, session: SessionDep, settings: SettingsDep) -> Response:
    return report_download(
        reports.own_report_html(session, user, clinic_name=settings.clinic_name), "my-progress-report.pdf"
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
