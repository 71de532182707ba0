"""The demo clinic's GMI history: Maria's left/right blocks improve and even out, the rule moved her to
imagined movements, a physiotherapist moved her on to graded movement with a note."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from painrewire.programs.gmi import service as gmi
from tests.plans.demo_clinic import demo_patient, demo_session


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    yield from demo_session(tmp_path_factory.mktemp("demo_gmi"))


def test_maria_has_improving_blocks_and_moved_through_the_stages(demo: Session) -> None:
    maria = demo_patient(demo, "maria")
    history = gmi.history_for(demo, maria)
    assert len(history) == 6
    assert history[0].left_right_flag and not history[-1].left_right_flag
    assert history[-1].accuracy is not None and history[0].accuracy is not None
    assert history[-1].accuracy > history[0].accuracy
    changes = list(reversed(gmi.stage_history(demo, maria)))
    assert [c.stage for c in changes] == [2, 3]
    assert changes[0].changed_by_id is None and changes[0].reasons  # by the rule
    assert changes[1].changed_by_id is not None and "movement ladder" in changes[1].note
    assert len(gmi.imagery_for(demo, maria)) == 6
    assert len(gmi.movements_for(demo, maria)) == 3
    assert gmi.stage_state(demo, maria).stage == 3


def test_the_other_demo_patients_have_no_gmi_history(demo: Session) -> None:
    for key in ("james", "aisha"):
        assert gmi.history_for(demo, demo_patient(demo, key)) == []
