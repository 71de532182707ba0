"""API shapes for booking, appointments, clinicians' calendars, notices and calendar feeds."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from painrewire.scheduling.models import AppointmentStatus, AvailabilityMode, ExceptionKind

Mode = Literal["in_person", "video"]


class AppointmentTypeRead(BaseModel):
    key: str
    label: str
    minutes: int
    disciplines: list[str]
    modes: list[str]
    new_patients: bool
    description: str


class BookableClinicianRead(BaseModel):
    id: uuid.UUID
    full_name: str
    discipline: str


class SlotRead(BaseModel):
    starts_at: datetime = Field(description="UTC instant")
    ends_at: datetime
    local_start: datetime = Field(description="The start in the time zone asked for, with its offset")
    label: str = Field(description="The start as a person reads it, with the zone's abbreviation")
    clinician_id: uuid.UUID
    clinician_name: str
    mode: str = Field(description="in_person, video, or either (choose when booking)")


class SlotsRead(BaseModel):
    appointment_type: str
    timezone: str
    start: datetime
    end: datetime
    slots: list[SlotRead]


class AppointmentCreate(BaseModel):
    appointment_type: str = Field(max_length=64)
    clinician_id: uuid.UUID
    starts_at: AwareDatetime
    mode: Mode | None = None
    patient_id: uuid.UUID | None = Field(
        default=None, description="Staff only; a patient books for themselves"
    )


class AppointmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    clinician_id: uuid.UUID
    clinician_name: str
    appointment_type: str
    type_label: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    status: AppointmentStatus
    mode: str
    sequence: int
    course_id: uuid.UUID | None
    cancelled_at: datetime | None
    cancel_reason: str
    can_change_online: bool = Field(description="Whether the patient may still move or cancel it online")


class BookingRead(BaseModel):
    appointment: AppointmentRead
    joined_care_team: bool = Field(description="The clinician was added to the patient's care team")


class CourseSessionRead(BaseModel):
    number: int
    starts_at: datetime
    ends_at: datetime
    label: str


class CourseProposalRead(BaseModel):
    appointment_type: str
    clinician_id: uuid.UUID
    clinician_name: str
    first_day: date
    mode: str | None
    sessions: list[CourseSessionRead]


class CourseCreate(BaseModel):
    clinician_id: uuid.UUID
    first_day: date
    starts: list[AwareDatetime] = Field(min_length=1, max_length=40)
    mode: Mode | None = None
    patient_id: uuid.UUID | None = None


class CourseRead(BaseModel):
    course_id: uuid.UUID
    appointments: list[AppointmentRead]
    joined_care_team: bool


class RescheduleRequest(BaseModel):
    starts_at: AwareDatetime
    mode: Mode | None = None


class CancelRequest(BaseModel):
    reason: str = Field(default="", max_length=500)


class MarkRequest(BaseModel):
    status: Literal["completed", "no_show"]


class HoursBlockWrite(BaseModel):
    weekday: int = Field(ge=0, le=6, description="0 = Monday ... 6 = Sunday")
    starts: time
    ends: time
    mode: AvailabilityMode = AvailabilityMode.EITHER

    @field_validator("starts", "ends")
    @classmethod
    def _naive(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("give wall-clock times without a zone; the calendar's zone applies")
        return value.replace(second=0, microsecond=0)


class CalendarUpdate(BaseModel):
    timezone: str | None = Field(default=None, max_length=64)
    accepts_online_booking: bool | None = None
    location: str | None = Field(default=None, max_length=200)
    hours: list[HoursBlockWrite] | None = Field(default=None, max_length=70)


class HoursBlockRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    weekday: int
    starts: time
    ends: time
    mode: AvailabilityMode


class ExceptionCreate(BaseModel):
    kind: ExceptionKind
    first_day: date
    last_day: date | None = None
    starts: time | None = Field(default=None, description="Part of a day: from this time on the first day")
    ends: time | None = Field(default=None, description="Part of a day: until this time on the last day")
    note: str = Field(default="", max_length=200)


class ExceptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: ExceptionKind
    starts_at: datetime
    ends_at: datetime
    note: str


class CalendarRead(BaseModel):
    clinician_id: uuid.UUID
    clinician_name: str
    discipline: str
    timezone: str
    accepts_online_booking: bool
    location: str
    hours: list[HoursBlockRead]
    exceptions: list[ExceptionRead]


class ExceptionAdded(BaseModel):
    exception: ExceptionRead
    clashing_appointments: list[AppointmentRead]


class NoticeRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    kind: str
    message: str
    appointment_id: uuid.UUID | None
    created_at: datetime
    read_at: datetime | None


class FeedRequest(BaseModel):
    action: Literal["create", "revoke"] = Field(
        description="create: a new secret address (any older one stops working); revoke: stop the feed"
    )


class FeedRead(BaseModel):
    active: bool
    url: str | None = Field(default=None, description="Shown once, when the address is made")
    created_at: datetime | None = None
    last_fetched_at: datetime | None = None
