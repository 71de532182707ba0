"""Home-page panels: each module contributes what a patient or a clinician sees first."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.patients.models import Patient


@dataclass(frozen=True)
class Panel:
    """One box on a home page, rendered from ``template`` with ``context``."""

    title: str
    template: str
    context: dict[str, Any] = field(default_factory=dict)
    order: int = 100


PatientPanel = Callable[[Session, User, Patient], Panel | None]
ClinicianPatientPanel = Callable[[Session, User, Patient], Panel | None]

ClinicianHomePanel = Callable[[Session, User], Panel | None]

AdminHomePanel = Callable[[Session, User], Panel | None]

_patient_home: list[PatientPanel] = []
_admin_home: list[AdminHomePanel] = []
_clinician_home: list[ClinicianHomePanel] = []
_clinician_patient: list[ClinicianPatientPanel] = []


def patient_home_panel(provider: PatientPanel) -> PatientPanel:
    """Register a panel for the patient's home page (called with the patient's own record)."""
    if provider not in _patient_home:
        _patient_home.append(provider)
    return provider


def clinician_patient_panel(provider: ClinicianPatientPanel) -> ClinicianPatientPanel:
    """Register a panel for a clinician's overview of one patient (access already checked and audited)."""
    if provider not in _clinician_patient:
        _clinician_patient.append(provider)
    return provider


def clinician_home_panel(provider: ClinicianHomePanel) -> ClinicianHomePanel:
    """Register a panel for the clinician's home page (their whole caseload)."""
    if provider not in _clinician_home:
        _clinician_home.append(provider)
    return provider


def admin_home_panel(provider: AdminHomePanel) -> AdminHomePanel:
    """Register a panel for the admin's home page (accounts and care teams; health data only if audited)."""
    if provider not in _admin_home:
        _admin_home.append(provider)
    return provider


def admin_home_panels(session: Session, user: User) -> list[Panel]:
    found = [p for p in (provider(session, user) for provider in _admin_home) if p is not None]
    return sorted(found, key=lambda p: p.order)


def clinician_home_panels(session: Session, user: User) -> list[Panel]:
    found = [p for p in (provider(session, user) for provider in _clinician_home) if p is not None]
    return sorted(found, key=lambda p: p.order)


def _collect(providers: list[PatientPanel], session: Session, user: User, patient: Patient) -> list[Panel]:
    panels = [p for p in (provider(session, user, patient) for provider in providers) if p is not None]
    return sorted(panels, key=lambda p: p.order)


def patient_home_panels(session: Session, user: User, patient: Patient) -> list[Panel]:
    return _collect(_patient_home, session, user, patient)


def clinician_patient_panels(session: Session, user: User, patient: Patient) -> list[Panel]:
    return _collect(_clinician_patient, session, user, patient)
