"""A production server refuses to start with development defaults that would leak into what it sends out."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from painrewire.config import Settings

SECRET = "a-long-random-production-secret-0123456789abcdef"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAINREWIRE_BASE_URL", raising=False)
    monkeypatch.setenv("PAINREWIRE_ENVIRONMENT", "production")
    monkeypatch.setenv("PAINREWIRE_SECRET_KEY", SECRET)


def test_production_without_a_base_url_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValidationError, match="PAINREWIRE_BASE_URL must be set in production"):
        Settings(_env_file=None)


def test_production_with_the_clinics_address_starts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAINREWIRE_BASE_URL", "https://painrewire.clinic.example")

    settings = Settings(_env_file=None)

    assert settings.base_url == "https://painrewire.clinic.example"


def test_development_keeps_the_local_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PAINREWIRE_ENVIRONMENT", "development")

    assert Settings(_env_file=None).base_url == "http://127.0.0.1:8000"
