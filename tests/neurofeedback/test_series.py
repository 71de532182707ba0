"""n-of-1 series of real and sham sessions: consent first, a stored randomisation, a blind that holds on every
screen while the series runs, an unblinding that is recorded and audited, and the report's exact test."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from scipy import stats
from sqlalchemy import select
from sqlalchemy.orm import Session

from painrewire.accounts.models import AuditEvent, User
from painrewire.consent import service as consent
from painrewire.consent.models import ConsentKind
from painrewire.db import utcnow
from painrewire.errors import Conflict
from painrewire.neurofeedback import ratings, series, service
from painrewire.neurofeedback.live.hub import hub_of
from painrewire.neurofeedback.models import (
    NeurofeedbackSeries,
    NeurofeedbackSession,
    SeriesStatus,
)
from painrewire.neurofeedback.schemas import SeriesCreate, SessionCreate, SessionRead
from painrewire.neurofeedback.signal import nof1
from painrewire.neurofeedback.signal.protocols import get_protocol
from painrewire.neurofeedback.signal.sham import ShamReplay
from painrewire.neurofeedback.sources.synthetic import DEMO_CHANNELS, eeg_like, offline_session
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF, create_patient

from .conftest import finished_session, receive_until, withdraw_blinded_consent

Browser = Callable[..., TestClient]
SEED = 20240611
#: Pain before and after each session, in the order the sessions run (slot 0, 1, ...).
PAIN = [(6, 3), (6, 6), (5, 5), (7, 4), (6, 2), (6, 5)]


def _plan(session: Session, clinician: User, patient: Patient, *, blocks: int = 3) -> NeurofeedbackSeries:
    row = series.plan_series(
        session,
        clinician,
        patient.id,
        SeriesCreate(protocol="alpha", blocks=blocks, duration_seconds=60, baseline_seconds=10),
        seed=SEED,
    )
    session.commit()
    return row


def _run_offline(session: Session, row: NeurofeedbackSession, tmp_path: Path, *, seed: int) -> None:
    """Run a set-up session to its end offline, as the live loop would (a sham one replaying what its plan says),
    and store the outcome as the live loop stores it."""
    plan = service.run_plan(session, row.id)
    sham = ShamReplay(plan.sham_rewards, plan.sham_feedback) if plan.sham_rewards else None
    path = tmp_path / f"{row.id}.edf"
    run = offline_session(
        eeg_like(DEMO_CHANNELS, 256.0, 30.0, seed=seed),
        256.0,
        DEMO_CHANNELS,
        get_protocol(plan.protocol, eyes=plan.eyes),
        recording_path=path,
        training_seconds=20.0,
        baseline_seconds=plan.baseline_seconds,
        sham=sham,
    )
    assert run.result.summary is not None
    service.record_training(session, row.id, at=utcnow(), overrides=[])
    service.record_outcome(
        session,
        row.id,
        service.SessionOutcome(
            completed=True,
            reason="Completed as planned.",
            ended_at=utcnow(),
            summary=run.result.summary.to_dict(),
            rewards=run.rewards,
            feedback=run.feedback,
            recording=path.read_bytes(),
            recording_seconds=23.0,
        ),
    )
    session.commit()


def _headset() -> SessionCreate:
    return SessionCreate(duration_seconds=60, baseline_seconds=10)


class TestPlanning:
    def test_no_series_without_consent_to_blinded_sessions(
        self, session: Session, clinician: User, patient: Patient, tmp_path: Path
    ) -> None:
        finished_session(session, patient, clinician, tmp_path)
        with pytest.raises(Conflict, match="has not consented to blinded sessions"):
            _plan(session, clinician, patient)

    def test_no_sham_session_without_consent_to_blinded_sessions(
        self, session: Session, clinician: User, patient: Patient, tmp_path: Path
    ) -> None:
        finished_session(session, patient, clinician, tmp_path)
        with pytest.raises(Conflict, match="no sham session can start"):
            service.create_session(
                session, clinician, patient.id, _headset().model_copy(update={"sham": True})
            )

    def test_a_series_needs_a_real_session_to_replay_first(
        self, session: Session, clinician: User, blinded_consent: Patient
    ) -> None:
        with pytest.raises(Conflict, match="needs one completed live session first"):
            _plan(session, clinician, blinded_consent)

    def test_the_randomisation_is_seeded_stored_and_kept_from_the_api_until_unblinded(
        self, as_user: Browser, session: Session, clinician: User, blinded_consent: Patient, tmp_path: Path
    ) -> None:
        finished_session(session, blinded_consent, clinician, tmp_path)
        row = _plan(session, clinician, blinded_consent)
        assert row.arms == nof1.randomise_blocks(3, SEED) and row.seed == SEED
        body = as_user(clinician).get(f"/api/v1/neurofeedback/series/{row.id}").json()
        assert body["arms"] is None and body["seed"] is None and body["sessions_planned"] == 6
        with pytest.raises(Conflict, match="already has an n-of-1 series running"):
            _plan(session, clinician, blinded_consent)

    def test_the_practitioner_plans_and_stops_a_series_on_the_pages(
        self, as_user: Browser, session: Session, clinician: User, blinded_consent: Patient, tmp_path: Path
    ) -> None:
        patient = blinded_consent
        finished_session(session, patient, clinician, tmp_path)
        browser = as_user(clinician, browser=True)
        url = f"/clinician/patients/{patient.id}/neurofeedback"
        assert "Plan the series" in browser.get(url).text
        bad = browser.post(f"{url}/series", data={"csrf_token": CSRF, "blocks": "1"})
        assert bad.status_code == 422 and "blocks: Input should be greater than or equal to 2" in bad.text
        made = browser.post(
            f"{url}/series",
            data={"csrf_token": CSRF, "blocks": "3", "protocol": "alpha"},
            follow_redirects=False,
        )
        assert made.status_code == 303
        page = browser.get(made.headers["location"])
        assert "blind: neither you nor the patient" in page.text and "<th>Arm</th>" not in page.text
        assert 'name="in_series"' in browser.get(url).text  # the set-up form runs the next series session
        stopped = browser.post(
            made.headers["location"] + "/stop", data={"csrf_token": CSRF, "reason": "moving away"}
        )
        assert stopped.status_code == 200 and "stopped: moving away" in stopped.text
        assert stopped.text.count("<td>cancelled</td>") == 6

    def test_bad_series_input_is_422_naming_the_field(
        self, as_user: Browser, session: Session, clinician: User, blinded_consent: Patient
    ) -> None:
        response = as_user(clinician).post(
            f"/api/v1/patients/{blinded_consent.id}/neurofeedback/series", json={"blocks": 11}
        )
        assert response.status_code == 422 and response.json()["detail"][0].startswith("blocks:")


class TestAWholeSeries:
    def test_planned_run_blind_unblinded_and_compared(
        self, as_user: Browser, session: Session, clinician: User, blinded_consent: Patient, tmp_path: Path
    ) -> None:
        """Three blocks; the sequence the seed gives is stored. Pain changes (after - before) by session:
        -3, 0, 0, -3, -4, -1. The report pairs them by block as real and sham and tests the mean difference over
        the 8 orders the randomisation could have produced; scipy's exact paired permutation test must agree,
        and with 3 blocks no result can be below 1/8."""
        patient = blinded_consent
        patient_user = patient.user
        first = finished_session(session, patient, clinician, tmp_path)
        plan = _plan(session, clinician, patient)
        arms = list(plan.arms)
        staff = as_user(clinician, browser=True)
        api = as_user(clinician)
        for slot, (before, after) in enumerate(PAIN):
            row = series.start_session(session, clinician, plan.id, _headset())
            session.commit()
            assert (row.series_id, row.series_slot, row.blinded) == (plan.id, slot, True)
            assert row.sham is (arms[slot] == "sham")
            if row.sham:
                assert row.sham_source_id is not None and row.sham_source_id != row.id
            # The care team's screens and the API keep the blind while the series runs.
            read = SessionRead.of(row)
            assert read.sham is None and read.sham_source_id is None
            console = staff.get(f"/clinician/neurofeedback/sessions/{row.id}")
            assert console.status_code == 200 and ">sham<" not in console.text and "blinded" in console.text
            ratings.record_before(session, patient.user, row.id, {"pain_before": before})
            session.commit()
            _run_offline(session, row, tmp_path, seed=slot + 1)
            ratings.record_after(session, patient.user, row.id, {"pain_after": after})
            session.commit()
            review = staff.get(f"/clinician/neurofeedback/sessions/{row.id}/review")
            assert (
                review.status_code == 200
                and ">sham<" not in review.text
                and "Sham session" not in review.text
            )
            assert "still blind" in review.text
            got = api.get(f"/api/v1/neurofeedback/sessions/{row.id}").json()
            assert got["sham"] is None and "sham" not in got["summary"] and got["blinded"] is True
            assert api.get(f"/api/v1/neurofeedback/sessions/{row.id}/recording.edf").status_code == 409
            overview = api.get(f"/api/v1/neurofeedback/sessions/{row.id}/review").json()
            assert not {"sham", "reward"} & {a["text"] for a in overview["annotations"]}
            if slot < len(PAIN) - 1:
                with pytest.raises(Conflict, match="still running"):
                    series.unblind_series(session, clinician, plan.id)
        # The patient's screens never said sham; the patient's own page does not either.
        patient_page = as_user(patient.user, browser=True).get("/patient/neurofeedback")
        assert "sham" not in patient_page.text.lower()

        state = series.progress(session, plan)
        assert plan.status is SeriesStatus.COMPLETE and state.done == 6 and not state.missing_ratings
        with pytest.raises(Conflict, match="no session left"):
            series.start_session(session, clinician, plan.id, _headset())
        session.rollback()

        unblinded = api.post(f"/api/v1/neurofeedback/series/{plan.id}/unblind", json={})
        assert unblinded.status_code == 200 and unblinded.json()["arms"] == arms
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.resource_type == "nfb_series_unblinding")
        ).all()
        assert len(audit) == 1 and audit[0].actor_id == clinician.id and audit[0].resource_id == str(plan.id)
        session.expire_all()
        assert session.get(NeurofeedbackSeries, plan.id).unblinded_by_id == clinician.id  # type: ignore[union-attr]
        rows = series.series_sessions(session, plan)
        assert not any(r.blinded for r in rows)
        assert api.get(f"/api/v1/neurofeedback/sessions/{rows[0].id}").json()["sham"] is not None
        again = api.post(f"/api/v1/neurofeedback/series/{plan.id}/unblind", json={})
        assert again.status_code == 409

        report = api.get(f"/api/v1/neurofeedback/series/{plan.id}/report").json()
        changes = [after - before for before, after in PAIN]
        real = [changes[2 * b + arms[2 * b : 2 * b + 2].index("real")] for b in range(3)]
        sham = [changes[2 * b + arms[2 * b : 2 * b + 2].index("sham")] for b in range(3)]
        expected = stats.permutation_test(
            (np.array(real, float), np.array(sham, float)),
            lambda x, y, axis: np.mean(x - y, axis=axis),
            permutation_type="samples",
            alternative="less",
            n_resamples=np.inf,
        )
        assert report["n_real"] == report["n_sham"] == 3 and report["blocks_used"] == 3
        assert report["mean_change_real"] == pytest.approx(np.mean(real))
        assert report["mean_change_sham"] == pytest.approx(np.mean(sham))
        assert report["mean_difference"] == pytest.approx(np.mean(real) - np.mean(sham))
        assert report["p_value"] == pytest.approx(expected.pvalue, abs=1e-12)
        assert report["smallest_possible_p"] == 0.125 and report["assignments"] == 8
        assert any(
            "smallest possible p-value is 1/8 = 0.125" in n and "could not reach p < 0.05" in n
            for n in report["notes"]
        )
        page = staff.get(f"/clinician/neurofeedback/series/{plan.id}")
        assert "Pain change in real against sham sessions" in page.text and "1/8" in page.text
        # The series' ratings are its result now: they can no longer be changed.
        with pytest.raises(Conflict, match="unblinded"):
            ratings.record_after(session, patient_user, rows[0].id, {"pain_after": 0})
        assert first.series_id is None

    def test_unblinding_with_a_rating_missing_needs_saying_so_and_leaves_the_block_out(
        self, session: Session, clinician: User, blinded_consent: Patient, tmp_path: Path
    ) -> None:
        patient = blinded_consent
        finished_session(session, patient, clinician, tmp_path)
        plan = _plan(session, clinician, patient, blocks=2)
        for slot in range(4):
            row = series.start_session(session, clinician, plan.id, _headset())
            session.commit()
            if slot != 1:
                ratings.record_before(session, patient.user, row.id, {"pain_before": 5})
            _run_offline(session, row, tmp_path, seed=10 + slot)
            ratings.record_after(session, patient.user, row.id, {"pain_after": 4})
            session.commit()
        with pytest.raises(Conflict, match="lack the patient's pain before or after"):
            series.unblind_series(session, clinician, plan.id)
        series.unblind_series(session, clinician, plan.id, accept_missing_ratings=True)
        report = series.series_report(session, clinician, plan.id)
        assert report.blocks_used == 1 and report.p_value == 1.0
        assert any("Block 1 of 2 lacked" in n for n in report.notes)
        assert any("smallest possible p-value is 1/2" in n for n in report.notes)
        assert any(
            "In 1 block the real and the sham session changed pain by the same amount" in n
            for n in report.notes
        )


class TestConsentWithdrawn:
    def test_a_withdrawal_mid_series_stops_it_and_cancels_what_is_left(
        self, as_user: Browser, session: Session, clinician: User, blinded_consent: Patient, tmp_path: Path
    ) -> None:
        patient = blinded_consent
        finished_session(session, patient, clinician, tmp_path)
        plan = _plan(session, clinician, patient)
        row = series.start_session(session, clinician, plan.id, _headset())
        session.commit()
        _run_offline(session, row, tmp_path, seed=3)
        withdraw_blinded_consent(session, patient)
        # The next session is refused in words, and the stop is kept although the request failed.
        page = as_user(clinician, browser=True).post(
            f"/clinician/patients/{patient.id}/neurofeedback",
            data={"csrf_token": CSRF, "in_series": "on", "series_id": str(plan.id)},
        )
        assert page.status_code == 409 and "withdrew consent to blinded sessions" in page.text
        session.expire_all()
        stopped = session.get(NeurofeedbackSeries, plan.id)
        assert stopped is not None and stopped.status is SeriesStatus.STOPPED
        state = series.progress(session, stopped)
        assert [s.state for s in state.slots] == ["done"] + ["cancelled"] * 5
        with pytest.raises(Conflict, match="no sham session can start"):
            service.create_session(
                session, clinician, patient.id, _headset().model_copy(update={"sham": True})
            )

    def test_a_sham_session_running_live_is_stopped_at_the_next_check(
        self,
        app: FastAPI,
        live_client: TestClient,
        bearer: Callable[[User], dict[str, str]],
        clinician: User,
        blinded_consent: Patient,
        session: Session,
        tmp_path: Path,
    ) -> None:
        """The series' first session is sham (a seed chosen so); its console is blind, and once the patient
        withdraws consent the hub's next check stops it and the series."""
        patient = blinded_consent
        finished_session(session, patient, clinician, tmp_path)
        seed = next(s for s in range(100) if nof1.randomise_blocks(3, s)[0] == "sham")
        plan = series.plan_series(
            session,
            clinician,
            patient.id,
            SeriesCreate(blocks=3, duration_seconds=60, baseline_seconds=10),
            seed=seed,
        )
        session.commit()
        plan_id = plan.id
        staff = bearer(clinician)
        hub = hub_of(app)
        hub.consent_every = 0.3
        response = live_client.post(
            f"/api/v1/patients/{patient.id}/neurofeedback/sessions",
            json={"check_seconds": 2, "series_id": str(plan_id)},
            headers=staff,
        )
        assert response.status_code == 201, response.text
        assert response.json()["sham"] is None and response.json()["blinded"] is True
        session_id = response.json()["id"]
        api = f"/api/v1/neurofeedback/sessions/{session_id}"
        with live_client.websocket_connect(f"{api}/console/ws", headers=staff) as console:
            check = receive_until(console, lambda m: m["type"] == "check")[-1]
            body = {} if check["protocol_passed"] else {"override_note": "demo"}
            assert live_client.post(f"{api}/begin", json=body, headers=staff).status_code == 200
            hop = receive_until(console, lambda m: m["type"] == "hop" and m["phase"] == "feedback")[-1]
            # A sham reward ignores the metric, threshold and inhibits: the blinded console shows none of them.
            assert hop["blinded"] is True and hop["metric"] is None and hop["threshold"] is None
            assert hop["inhibits"] == [] and hop["inhibited"] is False
            user_id, patient_id = patient.user_id, patient.id

            def withdraw(db: Session) -> None:
                actor = db.get(User, user_id)
                assert actor is not None
                consent.withdraw_consent(db, actor, patient_id, kind=ConsentKind.BLINDED_NEUROFEEDBACK)

            # Through the hub's own unit of work: the test shares one database connection with the live loop.
            assert live_client.portal is not None
            live_client.portal.call(hub.db, withdraw)
            ended = receive_until(console, lambda m: m["type"] == "ended", seconds=20)[-1]
        assert ended["status"] == "aborted" and "withdrew consent to blinded sessions" in ended["reason"]
        record = live_client.get(api, headers=staff).json()
        assert record["status"] == "aborted" and "withdrew consent" in record["end_reason"]
        stopped = live_client.get(f"/api/v1/neurofeedback/series/{plan_id}", headers=staff).json()
        assert stopped["status"] == "stopped" and "withdrew consent" in stopped["stop_reason"]

    def test_the_check_stops_only_sham_sessions_whose_consent_is_gone(
        self, session: Session, clinician: User, blinded_consent: Patient, tmp_path: Path
    ) -> None:
        patient = blinded_consent
        other = create_patient(session, care_team=[clinician], cleared=True)  # never asked: no consent
        finished_session(session, patient, clinician, tmp_path)
        sham = service.create_session(
            session, clinician, patient.id, _headset().model_copy(update={"sham": True})
        )
        real = service.create_session(session, clinician, other.id, _headset())
        session.commit()
        assert series.sham_sessions_without_consent(session, []) == []
        assert series.sham_sessions_without_consent(session, [sham.id, real.id]) == []
        withdraw_blinded_consent(session, patient)
        assert series.sham_sessions_without_consent(session, [sham.id, real.id]) == [sham.id]
