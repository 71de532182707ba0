"""The plan's queries that other domains and the plan's own modules share: which version is signed."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload

from painrewire.patients.models import Patient
from painrewire.plans.models import PlanVersion, VersionStatus


def signed_plan(session: Session, patient: Patient) -> PlanVersion | None:
    """The signed version the patient follows now, None before one is signed (access already checked).

    Signing a version supersedes the one signed before, so at most one is signed; should two ever be, the
    newer counts.
    """
    return session.scalar(
        select(PlanVersion)
        .where(PlanVersion.patient_id == patient.id, PlanVersion.status == VersionStatus.SIGNED)
        .options(joinedload(PlanVersion.created_by), joinedload(PlanVersion.signed_by))
        .order_by(PlanVersion.number.desc())
        .limit(1)
    )


def signed_plans(
    session: Session, patient_ids: Collection[uuid.UUID] | Select[Any]
) -> dict[uuid.UUID, PlanVersion]:
    """The signed version of each of several patients that has one (a caseload, a cohort); ``patient_ids``
    may be a statement selecting them."""
    ids = patient_ids if isinstance(patient_ids, Select) else list(patient_ids)
    found: dict[uuid.UUID, PlanVersion] = {}
    for version in session.scalars(
        select(PlanVersion)
        .where(PlanVersion.patient_id.in_(ids), PlanVersion.status == VersionStatus.SIGNED)
        .order_by(PlanVersion.number)
    ):
        found[version.patient_id] = version
    return found
