"""The demo clinic's plans tell their stories: Maria follows a signed plan in week 3, James's proposal waits
for a signature, and Aisha's signed plan is held by her open safety alert."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from painrewire.plans import service as plans
from painrewire.plans.models import VersionStatus
from tests.plans.demo_clinic import demo_patient, demo_session


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    yield from demo_session(tmp_path_factory.mktemp("demo_plans"))


def test_maria_follows_her_signed_plan_in_its_third_week(demo: Session) -> None:
    maria = demo_patient(demo, "maria")
    history = plans.versions_for(demo, maria)
    assert [(v.version.number, v.version.status) for v in history] == [
        (2, VersionStatus.SIGNED),
        (1, VersionStatus.SUPERSEDED),
    ]
    assert history[0].version.change_reason.startswith("Maria asked for a breathing practice")
    assert (
        history[0].version.created_by is not None
        and history[0].version.created_by.full_name == "Dr Priya Raman"
    )
    week = plans.this_week_for(demo, maria)
    assert week.week == 3 and not week.paused
    assert {"prt_somatic_tracking", "cbt_thought_record", "mindfulness_practice"} <= {
        t.id for t in week.tasks
    }
    somatic = next(t for t in week.tasks if t.id == "prt_somatic_tracking")
    assert somatic.done >= 2


def test_james_has_a_proposal_waiting_for_a_signature(demo: Session) -> None:
    james = demo_patient(demo, "james")
    state = plans.plan_state_for(demo, james)
    assert state.current is None and state.can_sign
    assert state.latest is not None and state.latest.version.status == VersionStatus.PROPOSED
    fired = {f.id: f for f in state.latest.proposal.fired}
    assert "depression_psychologist" in fired
    # His own plan: leg pain, his goals, and his physical therapist's judgement in place of a TSK-11.
    assert "leg_pain_physical_therapist" in fired and "goal_fewer_flare_ups" in fired
    assert fired["clinician_fear_of_movement"].reason_clinician.startswith(
        "Sam Lindqvist observed fear of movement"
    )
    assert "graded_exposure" in next(m for m in state.latest.proposal.modules if m.id == "cbt").focus


def test_aishas_plan_is_held_by_her_open_safety_alert(demo: Session) -> None:
    aisha = demo_patient(demo, "aisha")
    state = plans.plan_state_for(demo, aisha)
    assert state.current is not None and state.holds
    assert state.holds[0].reason.startswith("Open safety alert: PHQ-9 item 9")
    week = plans.this_week_for(demo, aisha)
    assert week.paused and week.next_task is None
    # She is unsure about neurofeedback and has not agreed to it: her plan says where she can.
    assert "consent_needed_neurofeedback" in [f.id for f in state.current.proposal.fired]
