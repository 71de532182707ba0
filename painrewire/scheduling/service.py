"""Scheduling's use cases in one namespace, for callers that write ``scheduling.book(...)``.

Each use case lives in a module of its own: :mod:`.search` (free times, first available), :mod:`.booking`
(book, sign up and book, move, cancel, mark), :mod:`.course` (the PRT course), :mod:`.appointments` (one
appointment and a patient's list), :mod:`.calendars` (clinicians' hours, settings, time off, schedules),
:mod:`.notices` (the patient's notices and home reminders) and :mod:`.feeds` (iCalendar files and feeds); the
pure arithmetic is in :mod:`.core`. This module re-exports them, and registers the next appointment with the
dashboard.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.dashboard.service import next_appointment_source
from painrewire.patients.access import FRONT_DESK_REASON
from painrewire.scheduling.appointments import (
    NOT_FOUND,
    AppointmentView,
    appointments_for,
    can_change_online,
    get_appointment,
    history,
    notice_deadline,
    patient_appointments,
)
from painrewire.scheduling.booking import (
    Booking,
    SignUpSent,
    book,
    cancel,
    mark,
    reschedule,
    sign_up_and_book,
)
from painrewire.scheduling.calendars import (
    WEEKDAYS,
    AddedException,
    CalendarView,
    ClinicianOverview,
    HoursBlock,
    add_exception,
    calendar_for,
    calendar_overview,
    clinic_schedule,
    clinician_schedule,
    remove_exception,
    update_calendar,
)
from painrewire.scheduling.course import CourseProposal, NoCourse, book_course, find_course, propose_course
from painrewire.scheduling.feeds import (
    appointment_ics,
    create_feed,
    feed_calendar,
    feed_of,
    feed_url,
    revoke_feed,
)
from painrewire.scheduling.models import Appointment, AppointmentStatus
from painrewire.scheduling.notices import HomeReminders, home_reminders, mark_notice_read, unread_notices
from painrewire.scheduling.search import (
    BookableClinician,
    SearchResult,
    Slot,
    appointment_type,
    bookable_clinicians,
    calendar_zone,
    find_slots,
    free_slot,
    searching_patient,
    viewer_zone,
)
from painrewire.scheduling.times import (
    aware,
    check_day,
    check_zone,
    local_days,
    local_label,
    today_in,
    when_words,
    zone_info,
)

__all__ = [
    "FRONT_DESK_REASON",
    "NOT_FOUND",
    "WEEKDAYS",
    "AddedException",
    "AppointmentView",
    "BookableClinician",
    "Booking",
    "CalendarView",
    "ClinicianOverview",
    "CourseProposal",
    "HomeReminders",
    "HoursBlock",
    "NoCourse",
    "SearchResult",
    "SignUpSent",
    "Slot",
    "add_exception",
    "appointment_ics",
    "appointment_type",
    "appointments_for",
    "aware",
    "book",
    "book_course",
    "bookable_clinicians",
    "calendar_for",
    "calendar_overview",
    "calendar_zone",
    "can_change_online",
    "cancel",
    "check_day",
    "check_zone",
    "clinic_schedule",
    "clinician_schedule",
    "create_feed",
    "feed_calendar",
    "feed_of",
    "feed_url",
    "find_course",
    "find_slots",
    "free_slot",
    "get_appointment",
    "history",
    "home_reminders",
    "local_days",
    "local_label",
    "mark",
    "mark_notice_read",
    "next_appointments",
    "notice_deadline",
    "patient_appointments",
    "propose_course",
    "remove_exception",
    "reschedule",
    "revoke_feed",
    "searching_patient",
    "sign_up_and_book",
    "today_in",
    "unread_notices",
    "update_calendar",
    "viewer_zone",
    "when_words",
    "zone_info",
]


@next_appointment_source
def next_appointments(
    session: Session, patient_ids: Sequence[uuid.UUID], now: datetime
) -> dict[uuid.UUID, datetime]:
    """The dashboard's next appointment of each patient: one query for the whole caseload."""
    if not patient_ids:
        return {}
    rows = session.execute(
        select(Appointment.patient_id, func.min(Appointment.starts_at))
        .where(
            Appointment.patient_id.in_(list(patient_ids)),
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.starts_at >= now,
        )
        .group_by(Appointment.patient_id)
    )
    return {pid: when for pid, when in rows if when is not None}
