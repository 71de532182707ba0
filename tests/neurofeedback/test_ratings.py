"""Pain before and after each session and the side-effect checklist: who may answer and when, bad input in words,
where the care team sees the answers, and the note a run of side effects raises on their home page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.db import utcnow
from painrewire.errors import Conflict, InvalidInput, NotFound
from painrewire.neurofeedback import ratings, service
from painrewire.neurofeedback.models import NeurofeedbackRating, NeurofeedbackSession, SessionStatus
from painrewire.neurofeedback.schemas import SessionCreate
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF, create_patient

Browser = Callable[..., TestClient]


def _planned(session: Session, clinician: User, patient: Patient) -> NeurofeedbackSession:
    row = service.create_session(
        session, clinician, patient.id, SessionCreate(duration_seconds=60, baseline_seconds=10)
    )
    session.commit()
    return row


def _ended(
    session: Session,
    clinician: User,
    patient: Patient,
    *,
    days_ago: float = 1.0,
    status: SessionStatus = SessionStatus.COMPLETED,
) -> NeurofeedbackSession:
    """A session that ran and ended ``days_ago`` (as the live loop leaves one, without its recording)."""
    at = utcnow() - timedelta(days=days_ago)
    row = NeurofeedbackSession(
        patient_id=patient.id,
        practitioner_id=clinician.id,
        protocol="alpha",
        source="brainflow",
        source_params={},
        planned_seconds=600,
        baseline_seconds=60,
        target_reward_rate=0.7,
        status=status,
        created_at=at,
        started_at=at,
        training_started_at=at,
        ended_at=at + timedelta(minutes=11),
    )
    session.add(row)
    session.flush()
    return row


class TestBefore:
    def test_the_patient_gives_their_pain_before_the_session_starts(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        row = _planned(session, clinician, patient)
        rating = ratings.record_before(session, patient.user, row.id, {"pain_before": 6})
        assert (rating.pain_before, rating.before_by_id) == (6, patient.user_id)
        assert rating.before_at is not None and rating.pain_after is None

    def test_once_training_has_begun_the_before_question_is_closed(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        row = _planned(session, clinician, patient)
        service.record_training(session, row.id, at=utcnow(), overrides=[])
        with pytest.raises(Conflict, match="asked before it starts"):
            ratings.record_before(session, patient.user, row.id, {"pain_before": 6})

    def test_pain_11_is_refused_naming_the_field(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        row = _planned(session, clinician, patient)
        with pytest.raises(
            InvalidInput, match="pain_before: Input should be less than or equal to 10"
        ) as caught:
            ratings.record_before(session, patient.user, row.id, {"pain_before": 11})
        assert caught.value.field == "pain_before"
        assert ratings.rating_of(session, row) is None  # nothing half-written

    def test_another_patient_and_a_clinician_off_the_team_cannot_answer(
        self, session: Session, clinician: User, other_clinician: User, patient: Patient
    ) -> None:
        row = _planned(session, clinician, patient)
        other = create_patient(session, care_team=[other_clinician])
        with pytest.raises(NotFound):
            ratings.record_before(session, other.user, row.id, {"pain_before": 3})
        with pytest.raises(NotFound):
            ratings.record_before(session, other_clinician, row.id, {"pain_before": 3})

    def test_a_clinician_on_the_team_enters_what_the_patient_told_them(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        row = _planned(session, clinician, patient)
        rating = ratings.record_before(session, clinician, row.id, {"pain_before": 4})
        assert rating.pain_before == 4 and rating.before_by_id == clinician.id


class TestAfter:
    def test_pain_and_side_effects_are_kept_once_the_session_has_ended(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        row = _ended(session, clinician, patient)
        answer = {
            "pain_after": 3,
            "side_effects": {"headache": "mild", "sleep": "moderate"},
            "other_text": "tingling scalp",
            "other_severity": "mild",
        }
        rating = ratings.record_after(session, patient.user, row.id, answer)
        assert rating.pain_after == 3 and rating.side_effects == {"headache": "mild", "sleep": "moderate"}
        assert ratings.describe(rating) == [
            "headache (mild)",
            "trouble sleeping since the last session (moderate)",
            "tingling scalp (mild)",
        ]

    def test_while_the_session_runs_the_after_questions_are_closed(
        self, session: Session, clinician: User, patient: Patient
    ) -> None:
        row = _planned(session, clinician, patient)
        with pytest.raises(Conflict, match="once it has ended"):
            ratings.record_after(session, patient.user, row.id, {"pain_after": 2})

    @pytest.mark.parametrize(
        ("answer", "field", "words"),
        [
            ({"pain_after": 11}, "pain_after", "less than or equal to 10"),
            ({"pain_after": -1}, "pain_after", "greater than or equal to 0"),
            (
                {"pain_after": 2, "side_effects": {"nausea": "mild"}},
                "side_effects",
                "'headache', 'tiredness'",
            ),
            ({"pain_after": 2, "side_effects": {"headache": "awful"}}, "side_effects", "'mild', 'moderate'"),
            ({"pain_after": 2, "other_text": "dizzy"}, "other_severity", "say how bad"),
        ],
    )
    def test_bad_answers_are_refused_naming_the_field(
        self,
        session: Session,
        clinician: User,
        patient: Patient,
        answer: dict[str, object],
        field: str,
        words: str,
    ) -> None:
        row = _ended(session, clinician, patient)
        with pytest.raises(InvalidInput, match=words) as caught:
            ratings.record_after(session, patient.user, row.id, answer)
        assert caught.value.field == field and caught.value.message.startswith(field)


class TestApiAndPages:
    def test_the_api_answers_422_naming_the_field(
        self, as_user: Browser, session: Session, clinician: User, patient: Patient
    ) -> None:
        row = _ended(session, clinician, patient)
        session.commit()
        api = as_user(patient.user)
        url = f"/api/v1/neurofeedback/sessions/{row.id}/ratings/after"
        response = api.put(url, json={"pain_after": 11})
        assert response.status_code == 422 and response.json()["detail"][0].startswith("pain_after:")
        response = api.put(url, json={"pain_after": 2, "side_effects": {"nausea": "mild"}})
        assert response.status_code == 422 and response.json()["detail"][0].startswith("side_effects.nausea")
        response = api.put(url, json={"pain_after": 2, "side_effects": {"headache": "severe"}})
        assert response.status_code == 200 and response.json()["side_effects"] == {"headache": "severe"}
        staff = as_user(clinician).get(f"/api/v1/neurofeedback/sessions/{row.id}/ratings")
        assert staff.status_code == 200 and staff.json()["pain_after"] == 2

    def test_the_patient_answers_on_their_screen_and_a_bad_answer_is_422_in_words(
        self, as_user: Browser, session: Session, clinician: User, patient: Patient
    ) -> None:
        row = _ended(session, clinician, patient)
        session.commit()
        browser = as_user(patient.user, browser=True)
        home = browser.get("/patient/neurofeedback")
        assert f"/patient/neurofeedback/sessions/{row.id}/rating" in home.text
        page = browser.get(f"/patient/neurofeedback/sessions/{row.id}/rating")
        assert page.status_code == 200 and "How much pain do you have right now?" in page.text
        assert "Trouble sleeping since your last session" in page.text
        url = f"/patient/neurofeedback/sessions/{row.id}/rating"
        bad = browser.post(url, data={"csrf_token": CSRF, "when": "after", "pain_after": "11"})
        assert bad.status_code == 422 and "pain_after: Input should be less than or equal to 10" in bad.text
        bad = browser.post(
            url, data={"csrf_token": CSRF, "when": "after", "pain_after": "2", "effect_nausea": "mild"}
        )
        assert bad.status_code == 422 and "side_effects.nausea" in bad.text
        good = browser.post(
            url, data={"csrf_token": CSRF, "when": "after", "pain_after": "2", "effect_headache": "moderate"}
        )
        assert good.status_code in (200, 303)
        session.expire_all()
        rating = ratings.rating_of(session, row)
        assert rating is not None and rating.side_effects == {"headache": "moderate"}

    def test_the_feedback_screen_asks_pain_before_and_in_the_sessions_eyes_condition(
        self, as_user: Browser, session: Session, clinician: User, patient: Patient
    ) -> None:
        row = service.create_session(
            session,
            clinician,
            patient.id,
            SessionCreate(duration_seconds=600, baseline_seconds=60, protocol="alpha", eyes="closed"),
        )
        session.commit()
        browser = as_user(patient.user, browser=True)
        screen = browser.get(f"/patient/neurofeedback/sessions/{row.id}")
        assert "How much pain do you have right now?" in screen.text
        assert "close your eyes now and keep them closed" in screen.text  # the baseline's instruction
        assert (
            "First a quiet minute" in screen.text
            and "Keep your eyes closed and follow the tone" in screen.text
        )
        saved = browser.post(
            f"/patient/neurofeedback/sessions/{row.id}/rating",
            data={"csrf_token": CSRF, "when": "before", "pain_before": "7"},
        )
        assert saved.status_code in (200, 303)
        bad = browser.post(
            f"/patient/neurofeedback/sessions/{row.id}/rating",
            data={"csrf_token": CSRF, "when": "before", "pain_before": "11"},
        )
        assert bad.status_code == 422 and "pain_before" in bad.text
        screen = browser.get(f"/patient/neurofeedback/sessions/{row.id}")
        assert "How much pain do you have right now?" not in screen.text
        console = as_user(clinician, browser=True).get(f"/clinician/neurofeedback/sessions/{row.id}")
        assert "the patient's pain before: 7/10" in console.text and "Eyes closed" in console.text

    def test_the_care_team_sees_the_answers_on_the_review_and_the_patients_overview(
        self, as_user: Browser, session: Session, clinician: User, patient: Patient
    ) -> None:
        row = _ended(session, clinician, patient)
        session.add(
            NeurofeedbackRating(
                session_id=row.id,
                patient_id=patient.id,
                pain_before=6,
                before_at=utcnow(),
                pain_after=4,
                after_at=utcnow(),
                side_effects={"tiredness": "mild"},
            )
        )
        session.commit()
        browser = as_user(clinician, browser=True)
        review = browser.get(f"/clinician/neurofeedback/sessions/{row.id}/review")
        assert "before 6, after 4" in review.text and "tiredness (mild)" in review.text
        overview = browser.get(f"/clinician/patients/{patient.id}/neurofeedback")
        assert "6 → 4" in overview.text and "tiredness (mild)" in overview.text


class TestSideEffectRuns:
    @pytest.mark.parametrize(
        ("history", "expected"),
        [
            # newest last; the rule looks at the newest three answered sessions
            (
                [{"headache": "mild"}, {}, {"headache": "moderate"}],
                ["Headache after 2 of the last 3 sessions."],
            ),
            ([{"headache": "mild"}, {}, {}, {"headache": "mild"}], []),  # 1 of the last 3
            ([{}, {"wired": "severe"}, {}], ["Rated severe after the session of"]),
            ([{"sleep": "mild"}, {"tiredness": "mild"}, {}], []),
            (
                [{"sleep": "mild"}, {"sleep": "mild"}],
                ["Trouble sleeping since the last session after 2 of the last 2"],
            ),
        ],
    )
    def test_the_run_rule_by_hand(
        self,
        session: Session,
        clinician: User,
        patient: Patient,
        history: list[dict[str, str]],
        expected: list[str],
    ) -> None:
        rows = []
        for n, effects in enumerate(history):
            row = _ended(session, clinician, patient, days_ago=len(history) - n)
            ratings.record_after(session, patient.user, row.id, {"pain_after": 3, "side_effects": effects})
            rows.append(row)
        notes = ratings.side_effect_notes(session, clinician)
        if not expected:
            assert notes == []
            return
        assert len(notes) == 1 and notes[0].patient.id == patient.id
        assert len(notes[0].reasons) == len(expected)
        for reason, start in zip(notes[0].reasons, expected, strict=True):
            assert reason.startswith(start)

    def test_the_note_is_on_the_care_teams_home_page_only(
        self, as_user: Browser, session: Session, clinician: User, other_clinician: User, patient: Patient
    ) -> None:
        for days in (3, 2):
            row = _ended(session, clinician, patient, days_ago=days)
            ratings.record_after(
                session, patient.user, row.id, {"pain_after": 3, "side_effects": {"headache": "mild"}}
            )
        session.commit()
        home = as_user(clinician, browser=True).get("/clinician")
        assert home.status_code == 200
        assert "Neurofeedback side effects to look at" in home.text
        assert patient.user.full_name in home.text and "Headache after 2 of the last 2 sessions." in home.text
        other = as_user(other_clinician, browser=True).get("/clinician")
        assert "Neurofeedback side effects to look at" not in other.text
