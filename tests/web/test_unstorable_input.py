"""A value the database refuses is the sender's input: a 422 in words, nothing stored, never a 500."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from painrewire.accounts.models import User


def test_a_data_error_answers_422_in_words(app: FastAPI) -> None:
    @app.get("/api/v1/_test/unstorable")
    def unstorable() -> None:
        raise DataError(
            "INSERT ...", {}, ValueError("PostgreSQL text fields cannot contain NUL (0x00) bytes")
        )

    answer = TestClient(app, raise_server_exceptions=False).get("/api/v1/_test/unstorable")
    assert answer.status_code == 422
    assert answer.json()["error"] == "InvalidInput"
    assert "cannot be stored" in answer.json()["detail"]


def test_a_nul_character_in_a_new_patients_name_never_answers_500(
    as_user: Callable[..., TestClient], clinician: User, session: Session, on_postgres: bool
) -> None:
    body = {
        "full_name": "Ada\u0000 Byron",
        "email": "ada.nul@example.org",
        "password": "a long unusual passphrase 7",
    }
    answer = as_user(clinician).post("/api/v1/patients", json=body)
    assert answer.status_code < 500, answer.text
    stored = session.scalar(select(User).where(User.email == "ada.nul@example.org"))
    if on_postgres:  # PostgreSQL text cannot hold NUL: refused, and nothing half-written is kept
        assert answer.status_code == 422 and stored is None
