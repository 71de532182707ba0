"""What scheduling's pages read from an address or a form, as typed models with errors a person can act on.

A route validates what was sent (``Model.model_validate(...)``) and lets the error propagate: the page named by
``refusal_page`` is shown again with one sentence per field ("week: '2027-13-45' is not a date (YYYY-MM-DD).");
a rule about the form as a whole refuses with ``InvalidInput`` in words of its own. Empty fields, and "any" in
the lists of clinicians and modes, mean "not chosen".
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from painrewire.errors import InvalidInput
from painrewire.scheduling.calendars import WEEKDAYS
from painrewire.scheduling.models import AvailabilityMode, ExceptionKind
from painrewire.scheduling.times import FIRST_DAY, LAST_DAY


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip() in ("", "any"))


def _in_range(day: date) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(f"{day.isoformat()} is out of range.")
    return day


def _day(value: Any) -> date | None:
    if _blank(value) or isinstance(value, date):
        return None if _blank(value) else _in_range(value)
    try:
        return _in_range(date.fromisoformat(str(value).strip()))
    except ValueError as exc:
        if "out of range" in str(exc):
            raise
        raise ValueError(f"{str(value)!r} is not a date (YYYY-MM-DD).") from exc


def _choice(value: Any) -> uuid.UUID | None:
    if _blank(value) or isinstance(value, uuid.UUID):
        return None if _blank(value) else value
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise ValueError("not a valid choice.") from exc


def _mode(value: Any) -> str | None:
    if _blank(value):
        return None
    if value not in ("in_person", "video"):
        raise ValueError("Choose in person or video.")
    return str(value)


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:
        try:
            moment = datetime.fromisoformat(str(value or "").strip())
        except ValueError as exc:
            raise ValueError("That time could not be read; please pick one from the list.") from exc
    if moment.tzinfo is None:
        raise ValueError("Give the time with its time zone, e.g. 2026-03-02T09:00:00+00:00 or ...Z.")
    _in_range(moment.date())
    return moment


def _clock(value: Any) -> time | None:
    if _blank(value) or isinstance(value, time):
        return None if _blank(value) else value
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise ValueError(f"{str(value)!r} is not a time such as 09:00.") from exc


def _text(value: Any) -> str | None:
    return None if _blank(value) else str(value).strip()


Day = Annotated[date | None, BeforeValidator(_day)]
Choice = Annotated[uuid.UUID | None, BeforeValidator(_choice)]
Mode = Annotated[str | None, BeforeValidator(_mode)]
Instant = Annotated[datetime, BeforeValidator(_instant)]
Clock = Annotated[time | None, BeforeValidator(_clock)]
Zone = Annotated[str | None, BeforeValidator(_text), Field(default=None, max_length=64)]


class _Form(BaseModel):
    model_config = ConfigDict(extra="ignore", str_max_length=500)


class SlotSearch(_Form):
    """The "Book now" page's address: what to book, with whom, how, which week, in which zone."""

    type: Annotated[str | None, BeforeValidator(_text), Field(max_length=64)] = None
    clinician: Choice = None
    mode: Mode = None
    week: Day = None
    tz: Zone = None


class SlotChoice(_Form):
    """A free time picked from the list (the confirmation step's address and form)."""

    type: Annotated[str, Field(max_length=64)] = ""
    clinician: Choice = None
    start: Instant
    mode: Mode = None
    tz: Zone = None

    @model_validator(mode="after")
    def _clinician_chosen(self) -> SlotChoice:
        if self.clinician is None:
            raise InvalidInput("Please pick a time from the list.", field="clinician")
        return self


class WeekQuery(_Form):
    """A week or a day to show (a calendar page's address)."""

    week: Day = None
    day: Day = None


class Reschedule(_Form):
    start: Instant


class CourseSearch(_Form):
    """The course page's address: the first week, the clinician and the mode."""

    first_day: Day = None
    clinician: Choice = None
    mode: Mode = None


class CourseBooking(CourseSearch):
    """The course as proposed, sent back to book it."""

    clinician: Choice = None
    starts: list[Instant] = Field(default_factory=list, max_length=64)

    @model_validator(mode="after")
    def _clinician_chosen(self) -> CourseBooking:
        if self.clinician is None:
            raise InvalidInput("Choose the course's clinician.", field="clinician")
        return self


class HoursBlockForm(_Form):
    weekday: int = Field(ge=0, le=6)
    starts: time
    ends: time
    mode: AvailabilityMode = AvailabilityMode.EITHER


BLOCKS_PER_DAY = 3


class WeeklyHours(_Form):
    """The weekly hours form: up to three blocks a day, fields ``h<weekday>_<block>_starts|ends|mode``."""

    blocks: list[HoursBlockForm]

    @model_validator(mode="before")
    @classmethod
    def _from_fields(cls, raw: Any) -> Any:
        if not isinstance(raw, dict) or "blocks" in raw:
            return raw
        if raw.get("hours_form") != "1":
            raise InvalidInput(
                "This form is missing its fields; reload the page and try again.", field="hours"
            )
        blocks = []
        modes = {m.value for m in AvailabilityMode}
        for weekday, name in enumerate(WEEKDAYS):
            for i in range(BLOCKS_PER_DAY):
                starts = str(raw.get(f"h{weekday}_{i}_starts") or "").strip()
                ends = str(raw.get(f"h{weekday}_{i}_ends") or "").strip()
                if not starts and not ends:
                    continue
                if not starts or not ends:
                    raise InvalidInput(f"{name}: give both a start and an end time.", field="hours")
                mode = str(raw.get(f"h{weekday}_{i}_mode") or "either")
                if mode not in modes:
                    raise InvalidInput(f"{name}: choose how patients are seen.", field="hours")
                try:
                    start_time, end_time = _clock(starts), _clock(ends)
                except ValueError as exc:
                    raise InvalidInput(f"{name}: {exc}", field="hours") from exc
                blocks.append({"weekday": weekday, "starts": start_time, "ends": end_time, "mode": mode})
        return {"blocks": blocks}


class CalendarSettings(_Form):
    timezone: Annotated[str, Field(min_length=1, max_length=64)]
    location: Annotated[str, Field(max_length=200)] = ""
    accepts_online_booking: Literal["", "yes"] = ""


class TimeOff(_Form):
    kind: ExceptionKind
    first_day: Day = None
    last_day: Day = None
    starts: Clock = None
    ends: Clock = None
    note: Annotated[str, Field(max_length=200)] = ""

    @model_validator(mode="before")
    @classmethod
    def _kind_named(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and raw.get("kind") not in {k.value for k in ExceptionKind}:
            raise InvalidInput("Choose what kind of time off this is.", field="kind")
        return raw


class Cancellation(_Form):
    confirm: Literal["yes"]
    reason: Annotated[str, Field(max_length=500)] = ""
