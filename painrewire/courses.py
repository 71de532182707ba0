"""Courses of treatment: what lower domains need from the plan and the calendar above them.

* The PRT course: its eight sessions are appointments of the course's type on the clinic's calendar, and its
  weeks count from the signed plan that includes PRT. Plans and scheduling sit above the programs, so this
  module hands both to ``painrewire.programs.prt.service`` through the plans and scheduling services.
* The diary's progress: outcomes and follow-ups count from the treatment course's start and end, which the
  plan keeps (``painrewire.plans.course``).

Composition: the app and the demo import it, and importing it wires the sources in.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from painrewire.diary import progress
from painrewire.patients.models import Patient
from painrewire.plans import course as plan_course
from painrewire.plans import service as plans
from painrewire.programs.prt import service as prt
from painrewire.scheduling import service as scheduling
from painrewire.scheduling.models import AppointmentStatus

#: Appointments that deliver no session: the next one booked takes their place in the course.
NOT_DELIVERED = (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)


def prt_plan_start(session: Session, patient: Patient) -> date | None:
    """The start of the signed plan, when that plan includes PRT."""
    plan = plans.signed_plan(session, patient)
    if plan is None or not any(m.get("id") == "prt" for m in plan.content.get("modules", [])):
        return None
    return plan.starts_on


def prt_bookings(session: Session, patient: Patient, appointment_type: str) -> list[prt.BookedSession]:
    """The patient's appointments of the course's type that deliver a session, oldest first."""
    return [
        prt.BookedSession(
            view.appointment.id,
            view.appointment.starts_at,
            view.appointment.ends_at,
            view.appointment.status.value,
            view.clinician_name,
        )
        for view in scheduling.appointments_for(session, patient)
        if view.appointment.appointment_type == appointment_type
        and view.appointment.status not in NOT_DELIVERED
    ]


prt.provide_course_sources(plan_start=prt_plan_start, bookings=prt_bookings)
progress.provide_course_source(plan_course.course_for)
