"""On SQLite, ``painrewire serve`` runs the worker inside itself: an alert raised over HTTP reaches the mail server."""

from __future__ import annotations

from pathlib import Path

import httpx

from bench import loadtest
from painrewire.accounts.models import Discipline, Role
from painrewire.db import get_engine, session_scope
from tests.fixtures.factories import PASSWORD, create_patient, create_user
from tests.fixtures.smtp import running_smtp_server


def test_a_self_harm_answer_over_http_emails_the_care_team_from_the_server_itself(
    committed_database: str,
    tmp_path: Path,
    on_postgres: bool,
) -> None:
    with session_scope(get_engine(committed_database)) as session:
        specialist = create_user(session, role=Role.CLINICIAN, discipline=Discipline.PAIN_SPECIALIST)
        patient = create_patient(session, care_team=[specialist])
        patient_email, patient_id, specialist_email = patient.user.email, patient.id, specialist.email
    with running_smtp_server() as smtp:
        env = {
            "PAINREWIRE_SMTP_HOST": smtp.host,
            "PAINREWIRE_SMTP_PORT": str(smtp.port),
            "PAINREWIRE_SMTP_STARTTLS": "false",
            "PAINREWIRE_WORKER_POLL_SECONDS": "0.1",
            # On PostgreSQL the worker runs on its own by default; the setting brings it into the server.
            "PAINREWIRE_WORKER_IN_SERVER": "true",
        }
        process, base = loadtest.start_server(committed_database, tmp_path / "server.log", env=env)
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                token = client.post(
                    "/api/v1/auth/login", json={"email": patient_email, "password": PASSWORD}
                ).json()["access_token"]
                answer = client.post(
                    f"/api/v1/patients/{patient_id}/questionnaires/phq9/responses",
                    json={"answers": [1, 1, 1, 1, 1, 1, 1, 1, 1]},
                    headers={"Authorization": f"Bearer {token}"},
                )
                assert answer.status_code == 201, answer.text
                assert answer.json()["alerts"]
            received = smtp.mailbox.wait_for(1, timeout=30)
        finally:
            process.terminate()
            process.wait(10)
    assert [r.rcpt_tos for r in received] == [[specialist_email]]
    assert received[0].message["Subject"] == "An urgent safety alert is waiting for you"
