"""A clinic's own recordings: staff attach them (checked by content and size), everyone in the clinic plays them."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from painrewire.accounts.models import User
from painrewire.app import create_app
from painrewire.config import Settings
from painrewire.patients.models import Patient
from painrewire.programs.mindfulness.models import PracticeAudio
from painrewire.web.middleware import SecurityMiddleware
from tests.fixtures.factories import CSRF, login_client
from tests.programs.mindfulness.samples import ACCEPTED, REFUSED, wav

UPLOAD = "/clinic/mindfulness/practices/body_scan/audio"


def _upload(client: TestClient, data: bytes, *, name: str = "scan.wav", claimed: str = "audio/wav") -> object:
    return client.post(
        UPLOAD, data={"csrf_token": CSRF}, files={"file": (name, data, claimed)}, follow_redirects=False
    )


def _stored(session: Session) -> int:
    session.expire_all()
    return int(session.scalar(select(func.count()).select_from(PracticeAudio)) or 0)


def _latest_url(client: TestClient) -> str:
    practices = client.get("/api/v1/mindfulness/practices").json()
    url = next(p["audio_url"] for p in practices if p["id"] == "body_scan")
    assert url
    return str(url)


class TestUpload:
    @pytest.mark.parametrize("name", list(ACCEPTED))
    def test_staff_attach_each_accepted_format_and_patients_hear_it_with_its_type(
        self, name: str, as_user: Callable[..., TestClient], clinician: User, patient: Patient
    ) -> None:
        data, content_type = ACCEPTED[name]
        staff = as_user(clinician, browser=True)
        response = _upload(staff, data, name="recording.bin", claimed="application/octet-stream")
        assert response.status_code == 303  # type: ignore[attr-defined]
        listener = as_user(patient.user, browser=True)
        url = _latest_url(listener)
        assert url in listener.get("/patient/mindfulness/practices/body_scan").text
        played = listener.get(url)
        assert played.status_code == 200
        assert played.headers["content-type"] == content_type
        assert played.content == data

    @pytest.mark.parametrize("name", list(REFUSED))
    def test_files_that_are_not_audio_are_refused_whatever_they_claim(
        self, name: str, as_user: Callable[..., TestClient], admin: User, session: Session
    ) -> None:
        response = _upload(as_user(admin, browser=True), REFUSED[name], name="calm.mp3", claimed="audio/mpeg")
        assert response.status_code == 422  # type: ignore[attr-defined]
        assert "does not look like an audio recording; upload WAV, OGG, MP3, M4A or WebM" in response.text  # type: ignore[attr-defined]
        assert _stored(session) == 0

    def test_an_empty_file_is_refused(self, as_user: Callable[..., TestClient], admin: User) -> None:
        response = _upload(as_user(admin, browser=True), b"")
        assert response.status_code == 422  # type: ignore[attr-defined]

    def test_patients_cannot_attach_recordings(
        self, as_user: Callable[..., TestClient], patient: Patient, session: Session
    ) -> None:
        assert _upload(as_user(patient.user, browser=True), wav()).status_code == 403  # type: ignore[attr-defined]
        api = as_user(patient.user)
        response = api.post(
            "/api/v1/mindfulness/practices/body_scan/audio", files={"file": ("a.wav", wav(), "audio/wav")}
        )
        assert response.status_code == 403
        assert _stored(session) == 0

    def test_an_unknown_practice_is_not_found(self, as_user: Callable[..., TestClient], admin: User) -> None:
        response = as_user(admin, browser=True).post(
            "/clinic/mindfulness/practices/yoga/audio",
            data={"csrf_token": CSRF},
            files={"file": ("a.wav", wav(), "audio/wav")},
        )
        assert response.status_code == 404

    def test_the_api_upload_answers_with_the_playback_url(
        self, as_user: Callable[..., TestClient], clinician: User
    ) -> None:
        response = as_user(clinician).post(
            "/api/v1/mindfulness/practices/noting/audio",
            files={"file": ("noting.ogg", ACCEPTED["ogg"][0], "audio/ogg")},
        )
        assert response.status_code == 201
        body = response.json()
        assert (body["practice_id"], body["content_type"], body["filename"]) == (
            "noting",
            "audio/ogg",
            "noting.ogg",
        )
        assert body["url"] == f"/mindfulness/audio/{body['id']}"


class TestSizeLimits:
    def test_a_recording_larger_than_the_general_2_mib_limit_is_accepted_on_the_upload_route(
        self, as_user: Callable[..., TestClient], clinician: User, session: Session
    ) -> None:
        big = wav(seconds=200)  # 3.2 MB of 8 kHz 16-bit audio
        assert len(big) > 3 * 1024 * 1024
        assert _upload(as_user(clinician, browser=True), big).status_code == 303  # type: ignore[attr-defined]
        assert _stored(session) == 1

    def test_the_same_body_elsewhere_is_still_refused(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        browser = as_user(patient.user, browser=True)
        response = browser.post(
            "/patient/cbt/thought-records", data={"csrf_token": CSRF, "situation": "x" * (3 * 1024 * 1024)}
        )
        assert response.status_code == 413

    @pytest.fixture
    def small_limit_client(
        self, settings: Settings, sessions: sessionmaker[Session], session: Session, clinician: User
    ) -> Iterator[TestClient]:
        limited = settings.model_copy(update={"practice_audio_max_bytes": 100_000})
        app: FastAPI = create_app(limited, sessions=sessions)
        with login_client(app, session, limited, clinician, browser=True) as client:
            yield client

    def test_a_recording_over_the_clinics_limit_is_refused_with_the_limit_named(
        self, small_limit_client: TestClient, session: Session
    ) -> None:
        response = _upload(
            small_limit_client, wav(seconds=7)
        )  # 112 kB: over 100 000 bytes, under the body allowance
        assert response.status_code == 422  # type: ignore[attr-defined]
        assert "the recording is 109.4 KiB; at most 97.7 KiB can be attached" in response.text  # type: ignore[attr-defined]
        assert _stored(session) == 0

    def test_a_body_over_the_upload_allowance_is_refused_before_it_is_read(
        self, small_limit_client: TestClient, session: Session
    ) -> None:
        response = _upload(small_limit_client, wav(seconds=20))  # 320 kB, over 100 000 + 64 KiB
        assert response.status_code == 413  # type: ignore[attr-defined]
        assert _stored(session) == 0

    def test_the_longest_matching_prefix_sets_the_limit(self) -> None:
        middleware = SecurityMiddleware(
            lambda *a: None,  # type: ignore[arg-type]
            secure_cookies=False,
            max_body_bytes=10,
            body_limits={"/clinic/": 100, "/clinic/mindfulness/": 1000},
        )
        assert middleware.body_limit("/clinic/mindfulness/practices/x/audio") == 1000
        assert middleware.body_limit("/clinic/other") == 100
        assert middleware.body_limit("/patient/diary") == 10

    def test_settings_give_the_audio_routes_their_allowance(self) -> None:
        limits = Settings(practice_audio_max_bytes=20 * 1024 * 1024).request_body_limits
        assert limits["/clinic/mindfulness/practices/"] == 20 * 1024 * 1024 + 64 * 1024
        assert limits["/api/v1/mindfulness/practices/"] == 20 * 1024 * 1024 + 64 * 1024


class TestPlayback:
    @pytest.fixture
    def url(self, as_user: Callable[..., TestClient], clinician: User) -> str:
        staff = as_user(clinician, browser=True)
        assert _upload(staff, wav(seconds=0.1)).status_code == 303  # type: ignore[attr-defined]
        return _latest_url(staff)

    def test_a_byte_range_is_answered_with_partial_content(
        self, url: str, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        listener = as_user(patient.user, browser=True)
        whole = listener.get(url).content
        part = listener.get(url, headers={"Range": "bytes=4-11"})
        assert part.status_code == 206
        assert part.headers["content-range"] == f"bytes 4-11/{len(whole)}"
        assert part.headers["content-type"] == "audio/wav" and part.headers["accept-ranges"] == "bytes"
        assert part.content == whole[4:12]
        tail = listener.get(url, headers={"Range": "bytes=-10"})
        assert tail.status_code == 206 and tail.content == whole[-10:]
        open_ended = listener.get(url, headers={"Range": "bytes=100-"})
        assert open_ended.content == whole[100:]

    def test_a_range_beyond_the_end_is_unsatisfiable(
        self, url: str, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        listener = as_user(patient.user, browser=True)
        size = len(listener.get(url).content)
        response = listener.get(url, headers={"Range": f"bytes={size}-"})
        assert response.status_code == 416
        assert response.headers["content-range"] == f"bytes */{size}"

    def test_nobody_outside_the_clinic_can_play_a_recording(self, url: str, client: TestClient) -> None:
        response = client.get(url, follow_redirects=False)
        assert response.status_code == 303 and response.headers["location"].startswith("/login")

    def test_an_unknown_recording_is_not_found(
        self, as_user: Callable[..., TestClient], patient: Patient
    ) -> None:
        response = as_user(patient.user, browser=True).get(
            "/mindfulness/audio/00000000-0000-0000-0000-000000000000"
        )
        assert response.status_code == 404
