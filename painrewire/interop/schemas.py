"""JSON shapes of the data-rights routes."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from painrewire.interop.models import ErasureStatus


class ErasureRequestCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirm: bool = Field(description="Must be true: the patient understands erasure cannot be undone")
    reason: str | None = Field(default=None, max_length=1000)


class ErasureDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    confirm: bool = Field(description="True erases the patient's data now; false declines the request")
    note: str = Field(min_length=1, max_length=1000, description="Why, in a sentence the patient may see")


class ErasureRequestOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    patient_id: uuid.UUID
    status: ErasureStatus
    created_at: datetime
    reason: str | None
    decided_at: datetime | None
    decision_note: str | None
    removed: dict[str, int] | None
