"""The demo clinic's PRT history: Maria in week 3 with lessons, checklist, easing ratings and a journal."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from painrewire.programs.prt import service as prt
from tests.plans.demo_clinic import demo_patient, demo_session


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    yield from demo_session(tmp_path_factory.mktemp("demo_prt"))


def test_maria_is_in_week_3_with_five_lessons_done_and_her_ratings_easing(demo: Session) -> None:
    progress = prt.progress_for(demo, demo_patient(demo, "maria"))
    assert progress.course.week == 3
    assert progress.lessons_passed == 5
    assert progress.checklist is not None and progress.checklist.level == "many"
    assert progress.pain is not None and progress.pain.change < 0
    assert progress.fear is not None and progress.fear.change < 0
    assert len(progress.journal) == 4


def test_aisha_practised_before_her_flare_and_james_has_just_begun(demo: Session) -> None:
    aisha = prt.progress_for(demo, demo_patient(demo, "aisha"))
    assert aisha.lessons_passed == 3 and len(aisha.somatic) >= 4
    james = prt.progress_for(demo, demo_patient(demo, "james"))
    assert james.checklist is not None and james.checklist.level == "some"
    assert [s.state for s in james.lessons[:2]] == ["opened", "new"]
