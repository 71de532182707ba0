"""Demo history for plans: Maria follows a signed plan in its third week, James's proposal waits for a
signature, and Aisha's signed plan is held by the safety alert the assessments demo opens for her.

Plans are made by the same rules and service a clinician uses, from the assessment history the assessments
step entered. Aisha's plan was signed five weeks ago, before her alert: since the service rightly
refuses to sign a held plan, her version is rebuilt as it was then (the rules run on her assessment without
the alert) and stored as signed on that day.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline
from painrewire.db import utcnow
from painrewire.demo.clinic import DemoClinic
from painrewire.plans import service as plans
from painrewire.plans.models import PlanVersion, VersionStatus
from painrewire.plans.rules import evaluate_rules
from painrewire.plans.schemas import PlanEdit

#: Maria's plan started this many days ago: day 16 is in its third week.
MARIA_STARTED_DAYS_AGO = 16
AISHA_STARTED_DAYS_AGO = 34


def add_demo_history(session: Session, clinic: DemoClinic) -> None:
    lead = clinic.clinicians[Discipline.PAIN_SPECIALIST]
    psychologist = clinic.clinicians[Discipline.PSYCHOLOGIST]
    maria, james, aisha = (clinic.patients[k] for k in ("maria", "james", "aisha"))
    now = utcnow()

    # Maria: the rules' proposal, the psychologist's change after the first session, the lead's signature.
    started = now - timedelta(days=MARIA_STARTED_DAYS_AGO)
    first = plans.propose(session, lead, maria.id, now=started - timedelta(days=2))
    first.created_at = started - timedelta(days=2)
    proposed = plans.versions_for(session, maria)[0].proposal
    modules: list[dict[str, Any]] = [
        {"id": m.id, "sessions_per_week": m.sessions_per_week, "weeks": m.weeks, "focus": list(m.focus)}
        for m in proposed.modules
        if m.id != "mindfulness"
    ]
    modules.append({"id": "mindfulness", "sessions_per_week": 5, "weeks": 8, "focus": ["breathing_practice"]})
    cbt = next((m for m in modules if m["id"] == "cbt"), None)
    if cbt is None:
        modules.append({"id": "cbt", "sessions_per_week": 2, "weeks": 8, "focus": ["thought_records"]})
    else:
        cbt["focus"] = ["thought_records", *[f for f in cbt["focus"] if f != "thought_records"]]
    edit = PlanEdit.model_validate(
        {
            "reason": (
                "Maria asked for a breathing practice for stressful workdays, and thought records help her "
                "catch the 'it will never get better' thoughts."
            ),
            "modules": modules,
            "disciplines": sorted(set(proposed.disciplines) | {"psychologist"}),
            "questionnaires": [
                {"instrument": q.instrument, "schedule": ["baseline", "every_2_weeks", "end"]}
                if q.instrument in ("peg", "phq9", "gad7")
                else {"instrument": q.instrument, "schedule": ["baseline", "end"]}
                for q in proposed.questionnaires
            ],
            "starts_on": maria.local_today(started).isoformat(),
        }
    )
    second = plans.edit(session, psychologist, maria.id, edit)
    second.created_at = started - timedelta(days=1)
    signed = plans.sign(
        session,
        lead,
        maria.id,
        second.id,
        note="Went through it with Maria; she is keen to start.",
        now=started,
    )
    del signed

    # James: intake and baseline five days ago; the rules' proposal waits for a clinician.
    waiting = plans.propose(session, lead, james.id, now=now - timedelta(hours=20))
    waiting.created_at = now - timedelta(hours=20)

    # Aisha: signed five weeks ago, before the alert that now holds it.
    profile = dataclasses.replace(plans.build_profile(session, aisha), open_safety_alerts=0, red_flags=[])
    then = now - timedelta(days=AISHA_STARTED_DAYS_AGO)
    session.add(
        PlanVersion(
            patient_id=aisha.id,
            number=1,
            content=evaluate_rules(profile, plans.clinic_rules()).to_dict(),
            status=VersionStatus.SIGNED,
            created_at=then - timedelta(days=1),
            created_by_id=lead.id,
            change_reason="Proposed by the clinic's rules from the assessment.",
            starts_on=aisha.local_today(then),
            signed_at=then,
            signed_by_id=lead.id,
            sign_note="Agreed at the first visit.",
        )
    )
    session.flush()
