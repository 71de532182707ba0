"""Norms for the drawn pictures: clinicians and pain-free volunteers take norm blocks; the norms page shows the
published figures (from photographs) beside the clinic's own, with n; a patient's blocks are compared with
the clinic's own norms at their level once 20 people have taken part there, with the published ones before.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.db import utcnow
from painrewire.errors import Forbidden, InvalidInput
from painrewire.patients.models import Patient
from painrewire.programs.gmi import content, scoring
from painrewire.programs.gmi import service as gmi
from painrewire.programs.gmi.models import LateralityBlock, NormParticipant
from painrewire.programs.gmi.schemas import BlockResults
from tests.fixtures.factories import CSRF
from tests.programs.gmi.helpers import answers

TIMING = {"method": "decode+raf", "frame_ms": 16.67, "clock": "performance.now"}


def _wrong_first(count: int) -> Callable[[int, str], bool]:
    """Answer the first ``count`` scored pictures wrongly (practice pictures come first: 4 of them)."""
    practice = content.trainer().practice_trials
    return lambda index, side: practice <= index < practice + count


def _norm_block(
    session: Session, clinician: User, participant_id: uuid.UUID, *, wrong: int, rt_ms: float, level: int = 1
) -> LateralityBlock:
    """A finished 20-picture norm block with ``wrong`` scored mistakes, every answer at ``rt_ms``."""
    now = utcnow() - timedelta(minutes=30)
    block = gmi.start_norm_block(session, clinician, participant_id, level=level, trials=20, now=now)
    data = BlockResults.model_validate(
        {"trials": answers(block.plan, rt_ms=rt_ms, wrong=_wrong_first(wrong))}
    )
    return gmi.submit_norm_results(session, clinician, block.id, data, now=now + timedelta(minutes=4))


def _volunteers(session: Session, clinician: User, people: list[tuple[int, float]]) -> None:
    for wrong, rt_ms in people:
        volunteer = gmi.record_norm_participant(
            session, clinician, kind="volunteer", age_band="30-39", pain_free=True
        )
        _norm_block(session, clinician, volunteer.id, wrong=wrong, rt_ms=rt_ms)


# --- the numbers, by hand --------------------------------------------------------------------------------


def test_a_local_norm_is_the_mean_and_sample_sd_over_people() -> None:
    found = scoring.local_norm(2, [(0.8, 1000.0), (0.9, 1400.0), (1.0, 1800.0)])
    assert found.n == 3 and found.level == 2
    assert found.accuracy_mean == pytest.approx(0.9) and found.accuracy_sd == pytest.approx(0.1)
    assert found.rt_mean_ms == pytest.approx(1400.0) and found.rt_sd_ms == pytest.approx(400.0)
    one = scoring.local_norm(1, [(0.9, 1500.0)])
    assert one.accuracy_mean == pytest.approx(0.9) and one.accuracy_sd is None


def test_the_clinics_norm_is_used_from_20_people_and_the_published_one_before() -> None:
    """20 people: ten at 100% and 1.2 s, ten at 90% and 1.6 s. Mean 95%, SD 0.05 x sqrt(20/19) = 5.13
    points, so accuracy from 89.87%; mean 1.4 s, SD 200 x sqrt(20/19) = 205.2 ms, so time up to 1605.2 ms."""
    norms = content.norms()
    assert norms.local_min_participants == 20
    twenty = scoring.local_norm(1, [(1.0, 1200.0)] * 10 + [(0.9, 1600.0)] * 10)
    ref = scoring.choose_reference(norms, twenty)
    assert ref.kind == "local" and ref.n == 20 and ref.level == 1
    assert ref.accuracy_at_least == pytest.approx(0.95 - 0.05 * math.sqrt(20 / 19))
    assert ref.rt_at_most_ms == pytest.approx(1400 + 200 * math.sqrt(20 / 19))
    nineteen = scoring.local_norm(1, [(1.0, 1200.0)] * 10 + [(0.9, 1600.0)] * 9)
    before = scoring.choose_reference(norms, nineteen)
    assert before.kind == "published" and before.n == 19
    assert before.accuracy_at_least == pytest.approx(0.80) and before.rt_at_most_ms == pytest.approx(2100.0)
    assert "photographs" in before.note


# --- collecting norms ------------------------------------------------------------------------------------


class TestRecordNormParticipant:
    def test_a_patient_or_an_administrator_cannot_collect_norms(
        self, session: Session, patient: Patient, admin: User
    ) -> None:
        for who in (patient.user, admin):
            with pytest.raises(Forbidden):
                gmi.record_norm_participant(session, who, kind="volunteer", age_band="30-39", pain_free=True)

    def test_only_pain_free_people_with_an_age_band_take_part_and_nothing_is_kept_otherwise(
        self, session: Session, clinician: User
    ) -> None:
        with pytest.raises(InvalidInput, match="pain_free") as error:
            gmi.record_norm_participant(
                session, clinician, kind="volunteer", age_band="30-39", pain_free=False
            )
        assert error.value.field == "pain_free"
        with pytest.raises(InvalidInput, match="age_band"):
            gmi.record_norm_participant(session, clinician, kind="volunteer", age_band="35", pain_free=True)
        assert session.scalar(select(func.count()).select_from(NormParticipant)) == 0

    def test_a_clinician_is_one_participant_however_often_they_take_part(
        self, session: Session, clinician: User
    ) -> None:
        first = gmi.record_norm_participant(
            session, clinician, kind="clinician", age_band="30-39", pain_free=True
        )
        again = gmi.record_norm_participant(
            session, clinician, kind="clinician", age_band="40-49", pain_free=True
        )
        assert first.id == again.id and again.age_band == "40-49" and again.user_id == clinician.id

    def test_a_clinician_runs_volunteers_blocks_but_not_another_clinicians_own(
        self, session: Session, clinician: User, other_clinician: User
    ) -> None:
        mine = gmi.record_norm_participant(
            session, clinician, kind="clinician", age_band="30-39", pain_free=True
        )
        volunteer = gmi.record_norm_participant(
            session, clinician, kind="volunteer", age_band="60-69", pain_free=True
        )
        with pytest.raises(Forbidden, match="their own"):
            gmi.start_norm_block(session, other_clinician, mine.id, level=1)
        block = gmi.start_norm_block(session, other_clinician, volunteer.id, level=1)
        assert block.is_norm and block.patient_id is None
        with pytest.raises(InvalidInput, match="level"):
            gmi.start_norm_block(session, clinician, volunteer.id, level=9)


def test_each_person_counts_once_per_level_by_their_first_norm_block(
    session: Session, clinician: User
) -> None:
    """Speed improves with repetition, so a second block by the same person does not count."""
    me = gmi.record_norm_participant(session, clinician, kind="clinician", age_band="30-39", pain_free=True)
    _norm_block(session, clinician, me.id, wrong=2, rt_ms=1500)
    _norm_block(session, clinician, me.id, wrong=0, rt_ms=900)
    _volunteers(session, clinician, [(4, 1300)])
    _norm_block(session, clinician, me.id, wrong=1, rt_ms=1000, level=2)
    level_one = gmi.local_norm_for(session, 1)
    assert level_one.n == 2
    assert level_one.accuracy_mean == pytest.approx((0.9 + 0.8) / 2)
    assert level_one.rt_mean_ms == pytest.approx((1500 + 1300) / 2)
    assert gmi.local_norm_for(session, 2).n == 1 and gmi.local_norm_for(session, 3).n == 0


def test_norm_blocks_are_no_patients_practice(session: Session, clinician: User, patient: Patient) -> None:
    _volunteers(session, clinician, [(0, 1000)])
    assert gmi.finished_blocks_for(session, patient) == []
    assert gmi.overview_for(session, patient).history == []


# --- a patient's blocks against the norms ----------------------------------------------------------------


def _patient_block(
    as_user: Callable[..., TestClient], patient: Patient, *, wrong: int, rt_ms: float
) -> dict[str, object]:
    me = as_user(patient.user)
    block = me.post(f"/api/v1/patients/{patient.id}/gmi/blocks", json={"trials": 20}).json()
    assert block["level"] == 1
    results = answers(block["plan"], rt_ms=rt_ms, wrong=_wrong_first(wrong))
    posted = me.post(block["results_url"], json={"trials": results, "timing": TIMING})
    assert posted.status_code == 200, posted.text
    return dict(posted.json())


def test_a_patients_block_is_compared_with_the_clinics_norm_once_20_people_took_part(
    as_user: Callable[..., TestClient], session: Session, clinician: User, patient: Patient
) -> None:
    """The patient scores 85% (3 of 20 wrong) at 1.7 s: on target and in range by the published figures
    (80%, up to 2.1 s), below and slower by the clinic's (from 89.87%, up to 1.61 s; see above)."""
    _volunteers(session, clinician, [(0, 1200)] * 10 + [(2, 1600)] * 9)
    before = _patient_block(as_user, patient, wrong=3, rt_ms=1700)
    assert before["compared_with"]["kind"] == "published" and before["compared_with"]["n"] == 19
    assert {c["status"] for c in before["norms"] if c["what"].startswith("Overall")} == {"meets"}

    _volunteers(session, clinician, [(2, 1600)])
    after = _patient_block(as_user, patient, wrong=3, rt_ms=1700)
    compared = after["compared_with"]
    assert compared["kind"] == "local" and compared["n"] == 20 and compared["level"] == 1
    overall = {c["what"]: c["status"] for c in after["norms"] if c["what"].startswith("Overall")}
    assert overall == {"Overall: accuracy": "below", "Overall: median time": "slower"}
    stored = session.get(LateralityBlock, uuid.UUID(after["block"]["id"]))
    assert stored is not None and stored.scores is not None
    assert stored.scores["compared_with"]["reference"]["kind"] == "local"

    page = as_user(patient.user, browser=True).get(f"/patient/gmi/blocks/{stored.id}").text
    assert 'data-reference="local"' in page and "the clinic's own norms" in page and "20 people" in page
    assert "below 90%" in page  # the badge uses the clinic's figure


def test_before_enough_people_the_patient_reads_that_the_figures_come_from_photographs(
    as_user: Callable[..., TestClient], patient: Patient
) -> None:
    done = _patient_block(as_user, patient, wrong=0, rt_ms=900)
    page = as_user(patient.user, browser=True).get(f"/patient/gmi/blocks/{done['block']['id']}").text
    assert 'data-reference="published"' in page and "photographs" in page
    assert "/gmi/norms" not in page  # the norms page is for staff


# --- the pages, end to end -------------------------------------------------------------------------------


def test_a_clinician_records_a_volunteer_runs_a_norm_block_and_the_norms_page_counts_it(
    as_user: Callable[..., TestClient], session: Session, clinician: User
) -> None:
    browser = as_user(clinician, browser=True)
    page = browser.get("/gmi/norms")
    assert page.status_code == 200
    assert "Published figures" in page.text and "from photographs" in page.text
    assert 'data-level="1" data-n="0" data-compared="published"' in page.text

    form = {"csrf_token": CSRF, "kind": "volunteer", "age_band": "50-59", "level": "1", "pain_free": "yes"}
    started = browser.post("/gmi/norms/participants", data=form, follow_redirects=False)
    assert started.status_code == 303
    trainer_url = started.headers["location"]
    match = re.fullmatch(r"/gmi/norms/participants/([0-9a-f-]+)/block\?level=1", trainer_url)
    assert match is not None
    trainer = browser.get(trainer_url).text
    start_url = re.search(r'data-start-url="([^"]+)"', trainer)
    assert start_url is not None and "<script>" not in trainer and "A volunteer, age 50-59" in trainer
    assert start_url.group(1) == f"/api/v1/gmi/norm-participants/{match.group(1)}/blocks?level=1"

    api = as_user(clinician)
    block = api.post(start_url.group(1), json={"trials": 20}).json()
    assert block["results_url"] == f"/api/v1/gmi/norm-blocks/{block['id']}/results"
    posted = api.post(
        block["results_url"], json={"trials": answers(block["plan"], rt_ms=1250), "timing": TIMING}
    )
    assert posted.status_code == 200, posted.text
    again = api.post(block["results_url"], json={"trials": answers(block["plan"], rt_ms=1250)})
    assert again.status_code == 409

    done = browser.get(f"/gmi/norms/blocks/{block['id']}").text
    assert "Norm block saved" in done and 'data-local-n="1"' in done and "100%" in done
    stored = session.get(LateralityBlock, uuid.UUID(block["id"]))
    assert stored is not None and stored.is_norm and stored.patient_id is None and stored.accuracy == 1.0

    norms_page = browser.get("/gmi/norms").text
    assert 'data-level="1" data-n="1" data-compared="published"' in norms_page
    assert "19 more people needed" in norms_page and "100%" in norms_page
    api_view = api.get("/api/v1/gmi/local-norms").json()
    assert api_view["min_participants"] == 20 and api_view["levels"][0]["n"] == 1
    assert api_view["levels"][0]["compared_with"]["kind"] == "published"


def test_a_norm_block_without_a_pain_free_confirmation_is_refused_with_the_field_named(
    as_user: Callable[..., TestClient], session: Session, clinician: User
) -> None:
    browser = as_user(clinician, browser=True)
    form = {"csrf_token": CSRF, "kind": "volunteer", "age_band": "50-59", "level": "1"}
    refused = browser.post("/gmi/norms/participants", data=form)
    assert refused.status_code == 422 and "pain_free" in refused.text and "three months" in refused.text
    bad_level = browser.post("/gmi/norms/participants", data={**form, "pain_free": "yes", "level": "x"})
    assert bad_level.status_code == 422 and "level" in bad_level.text
    assert session.scalar(select(func.count()).select_from(NormParticipant)) == 0
    api = as_user(clinician).post(
        "/api/v1/gmi/norm-participants", json={"kind": "volunteer", "age_band": "50-59", "pain_free": False}
    )
    assert api.status_code == 422 and api.json()["detail"].startswith("pain_free")


def test_the_norms_page_is_for_staff_and_only_clinicians_collect(
    as_user: Callable[..., TestClient], patient: Patient, admin: User
) -> None:
    assert as_user(patient.user, browser=True).get("/gmi/norms").status_code == 403
    assert as_user(patient.user).get("/api/v1/gmi/local-norms").status_code == 403
    page = as_user(admin, browser=True).get("/gmi/norms")
    assert page.status_code == 200 and "Take a norm block" not in page.text
    refused = as_user(admin, browser=True).post(
        "/gmi/norms/participants",
        data={"csrf_token": CSRF, "kind": "volunteer", "age_band": "50-59", "level": "1", "pain_free": "yes"},
    )
    assert refused.status_code == 403
