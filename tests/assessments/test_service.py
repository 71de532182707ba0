"""Intake, questionnaires and safety alerts through the service: completion, scoring stored, alerts, access."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.assessments import red_flags
from painrewire.assessments import service as assessments
from painrewire.assessments.models import AlertKind, AssignmentStatus, QuestionnaireResponse
from painrewire.assessments.schemas import IntakeCreate, Onset, PainLocation
from painrewire.errors import Conflict, Forbidden, InvalidInput, NotFound
from painrewire.patients.models import Patient
from tests.fixtures.factories import create_patient


def intake(weeks: int = 30, *, age: int | None = 40, **answers: str) -> IntakeCreate:
    """An intake with every safety question answered "no" except ``answers`` (question id -> code)."""
    return IntakeCreate.model_validate(
        {
            "pain_duration_weeks": weeks,
            "onset": Onset.GRADUAL,
            "pain_location": PainLocation.LOWER_BACK,
            "average_pain_last_week": 6,
            "age_years": age,
            "red_flags": {q.id: "no" for q in red_flags.questions()} | answers,
        }
    )


PHQ_SAFE = [1, 1, 1, 1, 1, 1, 1, 1, 0]
PHQ_ITEM9 = [1, 1, 1, 1, 1, 1, 1, 1, 2]


class TestSubmitIntake:
    def test_no_red_flag_stores_the_intake_without_an_alert(self, session: Session, patient: Patient) -> None:
        done = assessments.submit_intake(session, patient.user, patient.id, intake())
        assert done.alerts == [] and done.intake is not None
        assert done.intake.red_flags == [] and done.intake.red_flag_version == red_flags.VERSION
        assert assessments.safety_hold(session, patient.id) == []

    @pytest.mark.parametrize(("weeks", "chronic"), [(11, False), (12, True), (13, True), (0, False)])
    def test_chronic_means_twelve_weeks_or_more_and_shorter_is_recorded(
        self, session: Session, patient: Patient, weeks: int, chronic: bool
    ) -> None:
        done = assessments.submit_intake(session, patient.user, patient.id, intake(weeks))
        assert done.intake is not None
        assert (done.intake.pain_duration_weeks, done.intake.chronic) == (weeks, chronic)

    def test_cauda_equina_sign_raises_an_emergency_alert_for_the_care_team(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        done = assessments.submit_intake(session, patient.user, patient.id, intake(ce_bladder="new"))
        [alert] = done.alerts
        assert alert.kind == AlertKind.RED_FLAG and alert.urgency == "emergency"
        assert alert.summary == "Red flag at intake: cauda equina syndrome"
        assert alert.intake_id == done.intake.id  # type: ignore[union-attr]
        [flag] = alert.details["red_flags"]
        assert flag["question_id"] == "ce_bladder" and flag["answer"] == "new" and "GIRFT" in flag["source"]
        assert assessments.safety_hold(session, patient.id) == [alert]
        assert [(a.id, p.id) for a, p in assessments.open_alerts_for_caseload(session, clinician)] == [
            (alert.id, patient.id)
        ]

    def test_several_red_flags_make_one_alert_at_the_most_urgent_level(
        self, session: Session, patient: Patient
    ) -> None:
        done = assessments.submit_intake(
            session, patient.user, patient.id, intake(cancer_weight_loss="new", infection_fever="new")
        )
        [alert] = done.alerts
        assert alert.urgency == "urgent"
        assert alert.summary == "Red flag at intake: spinal infection, malignancy (spinal metastases)"
        assert [f["urgency"] for f in alert.details["red_flags"]] == ["urgent", "soon"]

    def test_long_standing_checked_bladder_symptoms_are_reviewed_before_practice_not_an_emergency(
        self, session: Session, patient: Patient
    ) -> None:
        done = assessments.submit_intake(session, patient.user, patient.id, intake(ce_bladder="longstanding"))
        [alert] = done.alerts
        assert alert.urgency == "soon" and alert.holds_practice
        assert alert.summary == "Red flag at intake: cauda equina syndrome"

    def test_the_answers_are_stored_as_given_with_the_age_the_screen_used(
        self, session: Session, patient: Patient
    ) -> None:
        done = assessments.submit_intake(
            session, patient.user, patient.id, intake(age=44, aaa_smoking="longstanding")
        )
        assert done.intake is not None and done.alerts == []
        stored = done.intake.red_flag_answers
        assert stored["aaa_smoking"] == "longstanding" and stored["ce_saddle"] == "no"
        assert (stored["age_years"], stored["age_source"]) == (44, "intake")
        assert done.intake.red_flag_version == "rf-2026.2"

    def test_the_age_comes_from_the_date_of_birth_when_the_record_has_one(
        self, session: Session, clinician: User
    ) -> None:
        born_1950 = create_patient(session, care_team=[clinician], date_of_birth=date(1950, 1, 1))
        # The intake says 30, but the record says over 70: new pain (8 weeks) after 50 is flagged for review.
        done = assessments.submit_intake(session, born_1950.user, born_1950.id, intake(8, age=30))
        assert done.intake is not None
        assert done.intake.red_flag_answers["age_source"] == "date_of_birth"
        assert done.intake.red_flag_answers["age_years"] >= 76
        [alert] = done.alerts
        assert alert.urgency == "soon"
        assert [f["question_id"] for f in alert.details["red_flags"]] == ["malignancy_age_new_pain"]

    def test_without_a_date_of_birth_the_age_must_be_given_and_nothing_is_stored_without_it(
        self, session: Session, patient: Patient
    ) -> None:
        before = len(assessments.list_intakes(session, patient.user, patient.id))
        with pytest.raises(InvalidInput, match="your age in years") as refused:
            assessments.submit_intake(session, patient.user, patient.id, intake(age=None))
        assert refused.value.field == "age_years"
        assert len(assessments.list_intakes(session, patient.user, patient.id)) == before

    def test_pain_longer_than_the_patient_has_lived_is_refused(
        self, session: Session, patient: Patient
    ) -> None:
        with pytest.raises(InvalidInput, match="longer than your age") as refused:
            assessments.submit_intake(session, patient.user, patient.id, intake(52 * 31, age=30))
        assert refused.value.field == "pain_duration_weeks"

    def test_an_unanswered_red_flag_question_is_refused(self, session: Session, patient: Patient) -> None:
        data = intake()
        del data.red_flags["ce_saddle"]
        with pytest.raises(InvalidInput, match="not answered: ce_saddle") as refused:
            assessments.submit_intake(session, patient.user, patient.id, data)
        assert refused.value.field == "red_flags.ce_saddle"

    def test_another_patient_cannot_submit_an_intake_for_someone_else(
        self, session: Session, patient: Patient, other_patient: Patient
    ) -> None:
        with pytest.raises(NotFound):
            assessments.submit_intake(session, other_patient.user, patient.id, intake())


class TestSubmitResponse:
    def test_score_and_scoring_version_are_stored_with_the_answers(
        self, session: Session, patient: Patient
    ) -> None:
        done = assessments.submit_response(session, patient.user, patient.id, "phq9", PHQ_SAFE)
        response = done.response
        assert response is not None and done.alerts == []
        assert (response.total, response.band, response.valid) == (8, "mild", True)
        assert response.scoring_version == "phq9/1" and response.answers == PHQ_SAFE

    def test_phq9_item_9_above_zero_raises_a_self_harm_alert(
        self, session: Session, patient: Patient
    ) -> None:
        done = assessments.submit_response(session, patient.user, patient.id, "phq9", PHQ_ITEM9)
        [alert] = done.alerts
        assert alert.kind == AlertKind.SELF_HARM_RISK and alert.urgency == "urgent"
        assert alert.response_id == done.response.id  # type: ignore[union-attr]
        assert alert.details["answer"] == 2
        assert '"more than half the days"' in alert.summary
        assert assessments.safety_hold(session, patient.id) == [alert]

    def test_a_patient_must_answer_or_decline_every_item(self, session: Session, patient: Patient) -> None:
        with pytest.raises(InvalidInput, match="Please answer item 4, or choose 'prefer not to answer'"):
            assessments.submit_response(session, patient.user, patient.id, "gad7", [0, 0, 0, None, 0, 0, 0])

    def test_declined_items_are_recorded_apart_from_unanswered_ones(
        self, session: Session, patient: Patient
    ) -> None:
        done = assessments.submit_response(
            session, patient.user, patient.id, "gad7", [0, 0, 0, None, 0, 0, 0], declined_items=[4]
        )
        response = done.response
        assert response is not None
        assert response.declined_items == [4] and response.valid is False and response.total is None
        assert response.messages[-1] == "Preferred not to answer: item 4."

    def test_the_self_harm_item_cannot_be_declined(self, session: Session, patient: Patient) -> None:
        with pytest.raises(InvalidInput, match="Please answer item 9: it helps us keep you safe"):
            assessments.submit_response(
                session, patient.user, patient.id, "phq9", [0] * 8 + [None], declined_items=[9]
            )
        with pytest.raises(InvalidInput, match="Please answer item 9"):
            assessments.submit_response(session, patient.user, patient.id, "phq9", [0] * 8 + [None])

    def test_out_of_range_answers_are_refused_naming_the_item(
        self, session: Session, patient: Patient
    ) -> None:
        with pytest.raises(InvalidInput, match="PHQ-9 item 3: 7 is not an answer") as caught:
            assessments.submit_response(
                session, patient.user, patient.id, "phq9", [0, 0, 7, 0, 0, 0, 0, 0, 0]
            )
        assert caught.value.field == "item_3"
        assert session.scalar(select(func.count()).select_from(QuestionnaireResponse)) == 0

    def test_a_patient_cannot_fill_an_instrument_whose_wording_is_not_shipped(
        self, session: Session, patient: Patient
    ) -> None:
        with pytest.raises(InvalidInput, match="filled in with your care team"):
            assessments.submit_response(session, patient.user, patient.id, "odi", [1] * 10)

    def test_a_clinician_enters_a_paper_form_with_blank_sections_prorated(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        answers = [3, 2, 2, 2, 2, 2, 2, None, 1, 1]
        done = assessments.submit_response(session, clinician, patient.id, "odi", answers)
        response = done.response
        assert response is not None
        assert response.total == 37.8 and response.band == "moderate disability"  # 17/45 x 100
        assert response.submitted_by_id == clinician.id
        assert response.messages[-1] == "Left unanswered on the paper form: item 8."

    def test_the_clinics_licensed_wording_lets_a_patient_fill_the_instrument(
        self, session: Session, patient: Patient, tmp_path: Path
    ) -> None:
        (tmp_path / "tsk11.yaml").write_text(
            yaml.safe_dump(
                {
                    "instrument": "tsk11",
                    "licence": "Licensed wording",
                    "items": [{"number": n, "text": f"Statement {n}"} for n in range(1, 12)],
                }
            ),
            encoding="utf-8",
        )
        done = assessments.submit_response(
            session, patient.user, patient.id, "tsk11", [2] * 11, text_dir=tmp_path
        )
        assert done.response is not None and done.response.total == 22

    def test_a_broken_wording_file_never_lets_a_patient_answer_mismatched_items(
        self, session: Session, patient: Patient, tmp_path: Path
    ) -> None:
        (tmp_path / "tsk11.yaml").write_text(
            yaml.safe_dump(
                {"instrument": "tsk11", "licence": "x", "items": [{"number": 1, "text": "only one"}]}
            ),
            encoding="utf-8",
        )
        shown = assessments.displayed_instrument("tsk11", tmp_path)
        assert shown.problem and "has 11 items; this file gives 1" in shown.problem
        assert not shown.fillable_by_patient
        with pytest.raises(InvalidInput, match="filled in with your care team"):
            assessments.submit_response(
                session, patient.user, patient.id, "tsk11", [2] * 11, text_dir=tmp_path
            )

    def test_unknown_instrument_is_not_found(self, session: Session, patient: Patient) -> None:
        with pytest.raises(NotFound, match="No questionnaire called 'phq10'"):
            assessments.submit_response(session, patient.user, patient.id, "phq10", [0])

    def test_completing_an_instrument_closes_its_open_request(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        request = assessments.assign(session, clinician, patient.id, "gad7", due_on=date(2030, 1, 1))
        assert assessments.open_assignments(session, patient) == [request]
        done = assessments.submit_response(session, patient.user, patient.id, "gad7", [1] * 7)
        assert request.status == AssignmentStatus.COMPLETED and request.response_id == done.response.id  # type: ignore[union-attr]
        assert assessments.open_assignments(session, patient) == []

    def test_latest_scores_and_history_give_the_newest_per_instrument_and_all_in_order(
        self, session: Session, patient: Patient
    ) -> None:
        first = assessments.submit_response(session, patient.user, patient.id, "peg", [6, 6, 6]).response
        second = assessments.submit_response(session, patient.user, patient.id, "peg", [3, 3, 4]).response
        assert first is not None and second is not None
        second.completed_at = first.completed_at.replace(year=first.completed_at.year + 1)
        session.flush()
        assert assessments.latest_scores(session, patient)["peg"].total == 3.3  # 10/3
        assert [r.id for r in assessments.history(session, patient)] == [first.id, second.id]


class TestAssignments:
    def test_only_a_clinician_on_the_care_team_assigns(
        self, session: Session, patient: Patient, other_clinician: User
    ) -> None:
        with pytest.raises(Forbidden):
            assessments.assign(session, patient.user, patient.id, "peg")
        with pytest.raises(NotFound):
            assessments.assign(session, other_clinician, patient.id, "peg")

    def test_one_open_request_per_instrument(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        assessments.assign(session, clinician, patient.id, "pcs")
        with pytest.raises(Conflict, match="The PCS is already waiting"):
            assessments.assign(session, clinician, patient.id, "pcs")

    def test_the_database_refuses_a_second_open_request_even_past_the_check(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        from painrewire.assessments.models import QuestionnaireAssignment

        assessments.assign(session, clinician, patient.id, "pcs")
        session.add(
            QuestionnaireAssignment(patient_id=patient.id, instrument_id="pcs", status=AssignmentStatus.OPEN)
        )
        from sqlalchemy.exc import IntegrityError

        with pytest.raises(IntegrityError), session.begin_nested():
            session.flush()

    def test_a_withdrawn_request_can_be_made_again(
        self, session: Session, patient: Patient, clinician: User
    ) -> None:
        request = assessments.assign(session, clinician, patient.id, "pcs")
        assessments.cancel_assignment(session, clinician, patient.id, request.id)
        assert request.status == AssignmentStatus.CANCELLED
        with pytest.raises(Conflict):
            assessments.cancel_assignment(session, clinician, patient.id, request.id)
        assert assessments.assign(session, clinician, patient.id, "pcs").status == AssignmentStatus.OPEN


def test_caseload_alerts_are_most_urgent_first_and_only_the_clinicians_patients(
    session: Session, clinician: User, other_clinician: User
) -> None:
    urgent_patient = create_patient(session, care_team=[clinician])
    emergency_patient = create_patient(session, care_team=[clinician])
    elsewhere = create_patient(session, care_team=[other_clinician])
    assessments.submit_response(session, urgent_patient.user, urgent_patient.id, "phq9", PHQ_ITEM9)
    assessments.submit_intake(session, emergency_patient.user, emergency_patient.id, intake(ce_saddle="new"))
    assessments.submit_intake(session, elsewhere.user, elsewhere.id, intake(ce_bowel="new"))
    seen = [(alert.urgency, p.id) for alert, p in assessments.open_alerts_for_caseload(session, clinician)]
    assert seen == [("emergency", emergency_patient.id), ("urgent", urgent_patient.id)]
