"""Every route, walked from the router, as every kind of outsider against another patient's objects.

A new route is covered automatically. For each route that touches a patient's data, the victim's name and
email never appear in an outsider's answer, the answer is never a success, and nothing of the victim's
changes. Public routes (the front page, login, sign-up, booking search, health) are listed by hand below;
anything not listed is treated as protected.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from painrewire.accounts.models import User
from painrewire.db import Base
from painrewire.diary import service as diary
from painrewire.diary.schemas import DiaryEntryWrite
from painrewire.patients.models import Patient
from tests.fixtures.factories import CSRF, create_patient

PUBLIC_PATHS = {
    "/",
    "/login",
    "/logout",
    "/logout-everywhere",
    "/signup",
    "/healthz",
    "/openapi.json",
    "/api/docs",
    "/docs/oauth2-redirect",
    "/api/v1/auth/login",
    "/api/v1/signup",
    "/home",
}
PUBLIC_PREFIXES = ("/book", "/api/v1/booking", "/calendar/", "/static/", "/signup/confirm/")
# Routes that end the caller's own login: walking them would log the outsider out halfway through.
SESSION_ENDING = {"/logout", "/logout-everywhere", "/api/v1/auth/logout", "/api/v1/auth/logout-everywhere"}


def all_routes(app: FastAPI) -> Iterator[APIRoute]:
    """Every APIRoute, including those inside included routers."""
    stack: list[Any] = list(app.routes)
    while stack:
        route = stack.pop(0)
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            stack.extend(route.original_router.routes)
        elif hasattr(route, "routes") and not hasattr(route, "app"):
            stack.extend(route.routes)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


@dataclass
class Victim:
    patient: Patient
    marker_name: str
    marker_email: str
    marker_health: str


@pytest.fixture
def victim(session: Session, clinician: User) -> Victim:
    """A patient with health data whose free text carries a marker that must never reach an outsider."""
    name = f"Victoria Victim {uuid.uuid4().hex[:6]}"
    health = f"HEALTH-{uuid.uuid4().hex[:10]}"
    patient = create_patient(session, care_team=[clinician], full_name=name)
    diary.save_entry(
        session,
        patient.user,
        patient.id,
        patient.local_today(),
        DiaryEntryWrite(pain_now=3, average_pain=4, interference=2, mood=6, sleep_quality=5, note=health),
    )
    session.commit()
    return Victim(patient=patient, marker_name=name, marker_email=patient.user.email, marker_health=health)


def fill_path(path: str, victim: Victim, ids: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        if name == "patient_id":
            return str(victim.patient.id)
        if name in ids:
            return ids[name]
        if name == "day":
            return "2026-01-05"
        if name.endswith("_id"):
            return str(uuid.uuid4())
        return "peg" if "instrument" in name else "x"

    return re.sub(r"\{([^}]+)\}", value, path)


def snapshot(session: Session) -> dict[str, int]:
    """Row counts of every table but the audit log and logins, which outsiders' attempts may add to."""
    session.expire_all()
    counts = {}
    for table in Base.metadata.sorted_tables:
        if table.name in ("audit_events", "auth_sessions", "users", "patients"):
            continue
        counts[table.name] = int(session.scalar(select(func.count()).select_from(table)) or 0)
    return counts


@pytest.mark.parametrize("who", ["anonymous", "other_patient", "outside_clinician", "admin_without_reason"])
def test_no_route_leaks_or_changes_another_patients_data(
    who: str,
    app: FastAPI,
    client: TestClient,
    as_user: Callable[..., TestClient],
    session: Session,
    victim: Victim,
    other_patient: Patient,
    other_clinician: User,
    admin: User,
) -> None:
    actors: dict[str, Callable[[], TestClient]] = {
        "anonymous": lambda: client,
        "other_patient": lambda: as_user(other_patient.user, browser=True),
        "outside_clinician": lambda: as_user(other_clinician, browser=True),
        "admin_without_reason": lambda: as_user(admin, browser=True),
    }
    outsider = actors[who]()
    outsider.cookies.set("pr_csrf", CSRF)
    before = snapshot(session)
    checked = 0
    for route in all_routes(app):
        if is_public(route.path) or route.path in SESSION_ENDING:
            continue
        targets_victim = "{" in route.path
        url = fill_path(route.path, victim, {})
        for method in sorted(route.methods - {"HEAD"}):
            kwargs: dict[str, Any] = {"follow_redirects": False, "headers": {"X-CSRF-Token": CSRF}}
            if method in ("POST", "PUT", "PATCH"):
                kwargs["json"] = {}
            response = outsider.request(method, url, **kwargs)
            checked += 1
            body = response.text
            assert victim.marker_health not in body, f"{who} saw health data at {method} {route.path}"
            if (
                who != "admin_without_reason"
            ):  # the admin manages accounts, so may see names, never health data
                assert victim.marker_name not in body, f"{who} saw the victim's name at {method} {route.path}"
                assert victim.marker_email not in body, (
                    f"{who} saw the victim's email at {method} {route.path}"
                )
            if targets_victim:
                assert response.status_code >= 300, (
                    f"{who} got {response.status_code} at {method} {route.path}"
                )
            assert response.status_code < 500, f"{method} {route.path} answered {response.status_code}"
    assert checked > 10
    assert snapshot(session) == before


def test_every_unsafe_route_refuses_a_cookie_request_without_the_csrf_token(
    app: FastAPI, as_user: Callable[..., TestClient], session: Session, clinician: User, victim: Victim
) -> None:
    browser = as_user(clinician, browser=True)
    before = snapshot(session)
    refused = 0
    for route in all_routes(app):
        for method in sorted(route.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            url = fill_path(route.path, victim, {})
            response = browser.request(method, url, data={"x": "1"}, follow_redirects=False)
            assert response.status_code == 403, f"{method} {route.path} accepted a form without a CSRF token"
            refused += 1
    assert refused > 5
    assert snapshot(session) == before
