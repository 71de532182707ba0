"""API shapes for clearances: every cause family answered, the modules opened, and a withdrawal's reason."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from painrewire.clearance.models import Cause, Finding
from painrewire.practice.models import Module


class CauseAssessment(BaseModel):
    """What the clinician concluded about one family of specific causes."""

    model_config = ConfigDict(extra="forbid")

    finding: Finding = Field(description="ruled_out or not_applicable")
    note: str = Field(
        default="", max_length=1000, description="How it was ruled out, or why it does not apply"
    )


class OtherCauseAssessment(CauseAssessment):
    text: str = Field(
        default="", max_length=200, description="The other cause considered (needed when ruled out)"
    )


class CausesConsidered(BaseModel):
    """Every family of specific causes, each answered: none may be left out, and no unknown one is taken."""

    model_config = ConfigDict(extra="forbid")

    inflammatory: CauseAssessment
    radicular_neurological: CauseAssessment
    fracture: CauseAssessment
    malignancy: CauseAssessment
    infection: CauseAssessment
    visceral_vascular: CauseAssessment
    other: OtherCauseAssessment

    @field_validator("other")
    @classmethod
    def _other_named(cls, value: OtherCauseAssessment) -> OtherCauseAssessment:
        if value.finding is Finding.RULED_OUT and not value.text.strip():
            raise ValueError("name the other cause that was ruled out")
        return value

    def as_record(self) -> dict[str, dict[str, Any]]:
        """The JSON stored with the clearance, in `Cause` order, notes trimmed."""
        record: dict[str, dict[str, Any]] = {}
        for cause in Cause:
            answer = getattr(self, cause.value)
            entry: dict[str, Any] = {"finding": answer.finding.value, "note": " ".join(answer.note.split())}
            if isinstance(answer, OtherCauseAssessment):
                entry["text"] = " ".join(answer.text.split())
            record[cause.value] = entry
        return record


class ClearanceCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    intake_id: uuid.UUID | None = Field(
        default=None, description="The intake the clearance is based on; the patient's latest when left out"
    )
    causes: CausesConsidered
    modules: list[Module] = Field(min_length=1, max_length=len(Module), description="Practice it opens")
    note: str = Field(default="", max_length=4000)

    @field_validator("modules")
    @classmethod
    def _unique(cls, value: list[Module]) -> list[Module]:
        return list(dict.fromkeys(value))


class ClearanceWithdraw(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(max_length=2000, description="Why practice must stop; shown in the history")


class CauseRead(BaseModel):
    cause: Cause
    label: str
    finding: Finding
    note: str
    text: str | None = None


class ClearanceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    version: int
    intake_id: uuid.UUID | None
    cleared_by_id: uuid.UUID | None
    cleared_by_name: str | None
    cleared_at: datetime
    causes: list[CauseRead]
    modules: list[Module]
    note: str
    withdrawn_at: datetime | None
    withdrawn_by_id: uuid.UUID | None
    withdrawn_by_name: str | None
    withdrawal_reason: str | None


class ModuleStatusRead(BaseModel):
    module: Module
    open: bool
    reason: str | None = Field(description="no_intake, safety_hold, not_cleared or module_not_allowed")
    message: str


class ClearanceStateRead(BaseModel):
    cleared: bool = Field(description="The newest clearance exists and is not withdrawn")
    current: ClearanceRead | None
    history: list[ClearanceRead] = Field(description="Every version, newest first")
    practice: list[ModuleStatusRead]
