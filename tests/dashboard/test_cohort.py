"""Cohort outcomes: who is counted under each filter, and proportions with hand-computed Wilson intervals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import Discipline, Role, User
from painrewire.assessments.models import QuestionnaireResponse
from painrewire.dashboard import cohort as cohorts
from painrewire.diary.models import DiaryEntry
from painrewire.diary.outcomes import OutcomeStatus, TimePoint
from painrewire.diary.service import refresh_baseline
from painrewire.errors import InvalidInput
from painrewire.patients.models import Patient
from painrewire.plans.models import PlanVersion, VersionStatus
from painrewire.plans.rules import PlannedModule, PlanProposal
from painrewire.practice.models import Module, PracticeLog
from tests.fixtures.factories import create_intake, create_patient, create_user

AS_OF = date(2026, 6, 30)


def diary(session: Session, patient: Patient, *, first_week: int, last_week: int, start: date) -> None:
    """7 baseline days before ``start`` (the treatment's start) at one level, and the 7 days up to AS_OF at
    another."""
    days = {start - timedelta(days=7 - i): first_week for i in range(7)}
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


def plan(session: Session, patient: Patient, modules: list[str], *, signed_on: date) -> None:
    """A signed 4-week plan with these modules, signed (and starting) on ``signed_on``: treatment starts then."""
    proposal = PlanProposal(
        modules=tuple(PlannedModule(m, 2, 4) for m in modules),
        disciplines=(),
        questionnaires=(),
        intensity="standard",
        end_week=4,
        held=False,
        hold_reasons=(),
        review_reasons=(),
        fired=(),
        rules_version="test",
    )
    session.add(
        PlanVersion(
            patient_id=patient.id,
            number=1,
            content=proposal.to_dict(),
            status=VersionStatus.SIGNED,
            change_reason="test",
            starts_on=signed_on,
            signed_at=datetime.combine(signed_on, time(12), tzinfo=UTC),
        )
    )
    session.flush()


def practice(session: Session, patient: Patient, day: date) -> None:
    """A first practice session on ``day``: treatment starts then, without a plan."""
    session.add(
        PracticeLog(
            patient_id=patient.id,
            day=day,
            completed_at=datetime.combine(day, time(18), tzinfo=UTC),
            module=Module.PRT,
            activity="somatic_tracking",
            title="Somatic tracking",
            minutes=10,
        )
    )
    session.flush()


def peg(session: Session, patient: Patient, day: date, average_pain: int) -> None:
    session.add(
        QuestionnaireResponse(
            patient_id=patient.id,
            instrument_id="peg",
            scoring_version="1",
            completed_at=datetime.combine(day, time(12), tzinfo=UTC),
            answers=[average_pain, 3, 3],
            total=round((average_pain + 6) / 3, 1),
            valid=True,
        )
    )
    session.flush()


@pytest.fixture
def caseload(session: Session, clinician: User) -> dict[str, Patient]:
    """Four patients in treatment with complete data (pain for 52 weeks), and one not started yet.

    Treatment started on 8, 17, 27 March and 16 April 2026 ("one" and "four" by signing a 4-week plan, "three"
    and "five" by a first practice session); the diary's week before each start is at 6, the last 7 days at
    1 (-5 points, -83%, pain-free), 3 (-3, -50%), 4 (-2, -33%), 5 (-1, -17%). So responder (30% and 2 points):
    3 of 4; 50% and 2 points: 2 of 4; pain-free (all four trial-comparable): 1 of 4; worsening: 0 of 4.
    The plans end on 5 April ("one", a PEG of 1 the next day: measured, pain-free) and 24 April ("four",
    nothing from 17 April to 22 May: missing): end of treatment 1 of 2 measured. 3 months after is not due.
    """
    psychologist = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PSYCHOLOGIST)
    patients = {}
    for key, current, start in (("one", 1, 8), ("three", 3, 17), ("four", 4, 27), ("five", 5, 47)):
        team = [clinician, psychologist] if key in ("one", "three") else [clinician]
        patients[key] = create_patient(session, care_team=team, full_name=key)
        create_intake(session, patients[key], days_ago=150)
        started = date(2026, 3, 1) + timedelta(days=start - 1)
        diary(session, patients[key], first_week=6, last_week=current, start=started)
        if key in ("one", "four"):
            plan(
                session, patients[key], ["prt", "mindfulness"] if key == "one" else ["prt"], signed_on=started
            )
        else:
            practice(session, patients[key], started)
    peg(session, patients["one"], date(2026, 4, 6), 1)
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
        # The newcomer counted before as "no baseline" (5 diary days) has not started treatment.
        assert (s.n_patients, s.n_not_started, s.n_with_data, s.n_no_baseline) == (5, 1, 4, 0)
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
            "pain_free_trial_group": (1, 0.045586, 0.699360),
            "pain_free_everyone": (1, 0.045586, 0.699360),
            "worsening": (0, 0.0, 0.489891),
        }
        for name, (count, low, high) in expected.items():
            proportion = getattr(s, name)
            assert (proportion.count, proportion.n) == (count, 4), name
            assert proportion.ci_low == pytest.approx(low, abs=1e-5), name
            assert proportion.ci_high == pytest.approx(high, abs=1e-5), name
        assert other_patient.id not in {m.patient_id for m in result.members}

    def test_each_time_point_shows_due_measured_and_missing(
        self, session: Session, clinician: User, caseload: dict[str, Patient]
    ) -> None:
        result = cohorts.cohort(session, clinician, cohorts.CohortFilter(as_of=AS_OF))
        rows = {t.time_point: t for t in result.time_points}
        assert list(rows) == [None, *TimePoint]
        baseline = rows[None]
        assert (baseline.n_due, baseline.n_measured, baseline.n_missing) == (4, 4, 0)
        end = rows[TimePoint.END]
        assert (end.n_due, end.n_measured, end.n_missing, end.completion.count, end.completion.n) == (
            2,
            1,
            1,
            1,
            2,
        )
        assert (end.responder_30.count, end.responder_30.n) == (1, 1)  # 6 -> 1
        assert (end.pain_free_trial_group.count, end.pain_free_trial_group.n) == (1, 1)
        assert (rows[TimePoint.MONTH_3].n_due, rows[TimePoint.MONTH_3].n_measured) == (0, 0)
        newcomer = next(m for m in result.members if m.patient_id == caseload["newcomer"].id)
        assert newcomer.outcome is not None and newcomer.outcome.status is OutcomeStatus.NOT_STARTED

    def test_filters_by_start_date_program_and_discipline(
        self, session: Session, clinician: User, caseload: dict[str, Patient]
    ) -> None:
        def names(**filters: object) -> set[str]:
            found = cohorts.members(session, clinician, cohorts.CohortFilter(as_of=AS_OF, **filters))  # type: ignore[arg-type]
            ids = {m.patient_id for m in found}
            return {k for k, p in caseload.items() if p.id in ids}

        # The start date is now the treatment's start (8, 17, 27 March, 16 April), no longer the diary's.
        assert names(started_from=date(2026, 3, 12), started_to=date(2026, 4, 1)) == {"three", "four"}
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
        text = " ".join(page.text.split())
        assert "End of treatment</th> <td>1 of 2 · 50%" in text  # measured of due so far
        assert "Pain-free or nearly: everyone, whatever their starting pain" in text
        assert "Dworkin RH et al., J Pain 2008" in text and "Ashar YK et al., JAMA Psychiatry 2022" in text
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
