"""Cohort outcomes: who is counted under each filter, and proportions with hand-computed Wilson intervals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline, Role, User
from painrewire.dashboard import cohort as cohorts
from painrewire.diary.models import DiaryEntry
from painrewire.diary.service import refresh_baseline
from painrewire.errors import InvalidInput
from painrewire.patients.models import Patient
from painrewire.plans.models import PlanVersion, VersionStatus
from tests.fixtures.factories import create_patient, create_user

AS_OF = date(2026, 6, 30)


def diary(session: Session, patient: Patient, *, first_week: int, last_week: int, start: date) -> None:
    """7 baseline days from ``start`` at one level, and the 7 days up to AS_OF at another."""
    days = {start + timedelta(days=i): first_week for i in range(7)}
    days |= {AS_OF - timedelta(days=i): last_week for i in range(7)}
    for day, pain in days.items():
        session.add(
            DiaryEntry(
                patient_id=patient.id,
                day=day,
                pain_now=pain,
                average_pain=pain,
                interference=2,
                mood=5,
                sleep_quality=5,
            )
        )
    session.flush()
    refresh_baseline(session, patient.id)


def plan(session: Session, patient: Patient, modules: list[str]) -> None:
    session.add(
        PlanVersion(
            patient_id=patient.id,
            number=1,
            content={"format": 1, "modules": [{"id": m} for m in modules]},
            status=VersionStatus.SIGNED,
            change_reason="test",
            starts_on=AS_OF - timedelta(days=60),
        )
    )
    session.flush()


@pytest.fixture
def caseload(session: Session, clinician: User) -> dict[str, Patient]:
    """Four patients with complete data and one without a baseline.

    Baseline 6 for all four: current 1 (pain-free, -83%), 3 (-50%), 4 (-33%), 5 (-17%).
    So responder 30%: 3 of 4; responder 50%: 2 of 4; pain-free: 1 of 4; worsening: 0 of 4.
    """
    psychologist = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PSYCHOLOGIST)
    patients = {}
    for key, current, start in (("one", 1, 1), ("three", 3, 10), ("four", 4, 20), ("five", 5, 40)):
        team = [clinician, psychologist] if key in ("one", "three") else [clinician]
        patients[key] = create_patient(session, care_team=team, full_name=key)
        diary(
            session,
            patients[key],
            first_week=6,
            last_week=current,
            start=date(2026, 3, 1) + timedelta(days=start - 1),
        )
    plan(session, patients["one"], ["prt", "mindfulness"])
    plan(session, patients["four"], ["prt"])
    newcomer = create_patient(session, care_team=[clinician], full_name="newcomer")
    for i in range(5):
        session.add(
            DiaryEntry(
                patient_id=newcomer.id,
                day=AS_OF - timedelta(days=i),
                pain_now=5,
                average_pain=5,
                interference=2,
                mood=5,
                sleep_quality=5,
            )
        )
    session.flush()
    refresh_baseline(session, newcomer.id)
    patients["newcomer"] = newcomer
    return patients


class TestSummary:
    def test_proportions_and_wilson_intervals_match_the_hand_computed_values(
        self, session: Session, clinician: User, caseload: dict[str, Patient], other_patient: Patient
    ) -> None:
        result = cohorts.cohort(session, clinician, cohorts.CohortFilter(as_of=AS_OF))
        s = result.summary
        assert (s.n_patients, s.n_with_data, s.n_no_baseline) == (5, 4, 1)
        # Wilson 95%, z = 1.959964, z² = 3.841459, for k of n = 4:
        #   centre = (k/n + z²/2n) / (1 + z²/n), half = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n)
        #   3/4: centre = (0.75 + 0.480182)/1.960365 = 0.627527, half = 1.959964·0.326954/1.960365 = 0.326887
        #        -> 0.300640 to 0.954414
        #   2/4: centre = 0.5, half = 1.959964·sqrt(0.0625 + 0.060023)/1.960365 = 0.349961 -> 0.150039 to 0.849961
        #   1/4: the mirror of 3/4 -> 0.045586 to 0.699360
        #   0/4: centre = 0.480182/1.960365 = 0.244945 = half -> 0 to 0.489891 (= (z²/n)/(1 + z²/n))
        expected = {
            "responder_30": (3, 0.300640, 0.954414),
            "responder_50": (2, 0.150039, 0.849961),
            "pain_free_or_nearly": (1, 0.045586, 0.699360),
            "worsening": (0, 0.0, 0.489891),
        }
        for name, (count, low, high) in expected.items():
            proportion = getattr(s, name)
            assert (proportion.count, proportion.n) == (count, 4), name
            assert proportion.ci_low == pytest.approx(low, abs=1e-5), name
            assert proportion.ci_high == pytest.approx(high, abs=1e-5), name
        assert other_patient.id not in {m.patient_id for m in result.members}

    def test_filters_by_start_date_program_and_discipline(
        self, session: Session, clinician: User, caseload: dict[str, Patient]
    ) -> None:
        def names(**filters: object) -> set[str]:
            found = cohorts.members(session, clinician, cohorts.CohortFilter(as_of=AS_OF, **filters))  # type: ignore[arg-type]
            ids = {m.patient_id for m in found}
            return {k for k, p in caseload.items() if p.id in ids}

        assert names(started_from=date(2026, 3, 5), started_to=date(2026, 3, 25)) == {"three", "four"}
        assert names(program=cohorts.Module.PRT) == {"one", "four"}
        assert names(program=cohorts.Module.MINDFULNESS) == {"one"}
        assert names(discipline=Discipline.PSYCHOLOGIST) == {"one", "three"}
        assert names(discipline=Discipline.PSYCHOLOGIST, program=cohorts.Module.PRT) == {"one"}

    def test_the_admin_sees_the_whole_clinic_and_a_patient_has_no_cohort(
        self, session: Session, admin: User, caseload: dict[str, Patient], other_patient: Patient
    ) -> None:
        ids = {m.patient_id for m in cohorts.members(session, admin, cohorts.CohortFilter(as_of=AS_OF))}
        assert {p.id for p in caseload.values()} | {other_patient.id} <= ids
        with pytest.raises(cohorts.Forbidden):
            cohorts.members(session, other_patient.user, cohorts.CohortFilter(as_of=AS_OF))

    @pytest.mark.parametrize(
        ("values", "field"),
        [
            ({"started_from": "2026-13-01"}, "started_from"),
            ({"program": "yoga"}, "program"),
            ({"discipline": "surgeon"}, "discipline"),
            ({"as_of": "2099-01-01"}, "as_of"),
            ({"started_from": "2026-05-02", "started_to": "2026-05-01"}, "started_to"),
        ],
    )
    def test_bad_filters_are_refused_naming_the_field(self, values: dict[str, str], field: str) -> None:
        with pytest.raises(InvalidInput) as refused:
            cohorts.parse_filter(today=AS_OF, **values)
        assert refused.value.field == field


class TestPage:
    def test_the_clinician_sees_counts_and_intervals(
        self,
        as_user: Callable[..., TestClient],
        session: Session,
        clinician: User,
        caseload: dict[str, Patient],
    ) -> None:
        session.commit()
        page = as_user(clinician, browser=True).get(
            "/clinician/outcomes", params={"as_of": AS_OF.isoformat()}
        )
        assert page.status_code == 200
        assert "5 patients in your caseload" in page.text
        assert "3 of 4" in page.text and "75%" in page.text and "30% to 95%" in page.text
        assert "newcomer" not in page.text  # aggregates only: no names

    def test_a_bad_filter_re_renders_the_form_with_422(
        self, as_user: Callable[..., TestClient], clinician: User
    ) -> None:
        page = as_user(clinician, browser=True).get("/clinician/outcomes", params={"program": "yoga"})
        assert page.status_code == 422
        assert "is not a program" in page.text

    def test_patients_cannot_open_cohort_pages(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        assert browser.get("/clinician/outcomes").status_code == 403
        assert browser.get("/admin/outcomes").status_code == 403
