"""Settings from the environment (prefix ``PAINREWIRE_``), one object for the whole process."""

from __future__ import annotations

from datetime import time
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from painrewire.validation import is_zone

DEVELOPMENT_SECRET = "development-only-secret-change-me"
MIB = 1024 * 1024
#: Where a clinic uploads its audio recordings for guided practices (page form and API).
AUDIO_UPLOAD_PREFIXES = ("/clinic/mindfulness/practices/", "/api/v1/mindfulness/practices/")
#: Room in an upload's request body for the multipart framing and the other form fields.
FORM_OVERHEAD_BYTES = 64 * 1024
#: The public referral form, where a physician attaches their letter.
REFERRAL_UPLOAD_PREFIXES = ("/refer",)


class Settings(BaseSettings):
    """What a clinic configures: database, secret, its name, time zone and emergency contacts."""

    model_config = SettingsConfigDict(env_prefix="PAINREWIRE_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    database_url: str = Field(default_factory=lambda: f"sqlite:///{Path.cwd() / 'painrewire.sqlite3'}")
    secret_key: str = DEVELOPMENT_SECRET
    session_hours: float = Field(default=12.0, gt=0, le=24 * 30)
    cookie_secure: bool | None = None
    base_url: str = "http://127.0.0.1:8000"
    redis_url: str | None = None
    #: Where live neurofeedback sessions write their recordings while they run (each a ``<session>.edf.partial``
    #: folder, stored in the database when the session ends). A server that dies mid-session recovers them from
    #: here when it starts again, so it must survive a restart: not a temporary folder a reboot empties, and one
    #: per clinic (servers of the same clinic may share it).
    recording_dir: Path = Field(default_factory=lambda: Path.cwd() / "painrewire-recordings")
    #: A server process refuses a new live neurofeedback session when its live loop would be busier than
    #: ``live_load_limit`` of the time once the sessions already set up, and the new one, all train; or while
    #: one in ten of its sessions' recent steps ran more than ``live_lag_limit_ms`` late. Past either, the
    #: core no longer keeps up and every patient's feedback lags. 0 turns a check off; ``max_live_sessions``
    #: is a fixed limit per process on top (0: none).
    live_load_limit: float = Field(default=0.75, ge=0, le=1)
    live_lag_limit_ms: float = Field(default=25.0, ge=0)
    max_live_sessions: int = Field(default=0, ge=0)

    clinic_name: str = "PainRewire Back Pain Clinic"
    clinic_phone: str = "+44 20 7946 0000"
    clinic_timezone: str = "Europe/London"
    emergency_number: str = "999"
    #: Patient pages read it after "call": "If you are struggling to cope, call Samaritans on 116 123 (free, day
    #: or night)." Give who to call and the number, without a leading verb or a closing full stop.
    crisis_line: str = "Samaritans on 116 123 (free, day or night)"
    #: A folder of licensed questionnaire wording, one ``<instrument id>.yaml`` each (see
    #: ``painrewire check-instrument-text``); instruments whose wording is not shipped read it from here.
    instrument_text_dir: Path | None = None

    #: Failed logins for one email from one client address before that address must wait (until the window
    #: ends) to try that email again. Nothing locks the account: its owner, from elsewhere, logs in as usual.
    login_max_failures: int = Field(default=5, ge=1)
    #: Failed logins from one client address (any emails) before its logins wait: stops password spraying.
    #: Someone who logged in from that address before (within ``login_known_client_days``) still gets in.
    login_failures_per_client: int = Field(default=20, ge=1)
    login_failure_window_minutes: float = Field(default=15.0, gt=0)
    login_known_client_days: float = Field(default=90.0, gt=0, le=366)
    #: Addresses or networks (``10.0.0.5``, ``10.0.0.0/8``) of the reverse proxies in front of the server,
    #: whose ``X-Forwarded-For`` and ``X-Forwarded-Proto`` headers are believed; empty (the default): none
    #: are, and a request's client is the address that connected. JSON list.
    trusted_proxies: list[str] = Field(default_factory=list)
    #: New patient accounts from one client address per window.
    signups_per_client: int = Field(default=10, ge=1)
    signup_window_minutes: float = Field(default=60.0, gt=0)
    #: A sign-up's confirmation link works this long; the account is inactive until it is opened.
    signup_confirm_hours: float = Field(default=48.0, gt=0, le=24 * 14)
    #: A password-reset link works this long, once. Reset requests are limited per email address (so nobody
    #: can flood one person's inbox) and per client address (so nobody can probe many addresses) per window.
    password_reset_minutes: float = Field(default=60.0, gt=0, le=24 * 60)
    password_resets_per_address: int = Field(default=5, ge=1)
    password_resets_per_client: int = Field(default=20, ge=1)
    password_reset_window_minutes: float = Field(default=60.0, gt=0)

    #: Words and phrases that make a patient's secure message read like a crisis: it raises a safety alert for
    #: the care team and shows the patient what to do now. Matched without regard to case, on whole words; a
    #: space or a hyphen inside a phrase matches either, and an apostrophe may be left out ("dont"). JSON list.
    crisis_words: list[str] = Field(
        default_factory=lambda: [
            "suicide",
            "suicidal",
            "kill myself",
            "killing myself",
            "end my life",
            "take my own life",
            "self-harm",
            "harm myself",
            "hurt myself",
            "overdose",
            "overdosed",
            "don't want to be alive",
            "don't want to live",
            "better off dead",
            "want to die",
        ]
    )

    #: Disciplines medically qualified to clear a patient for practice and to close red-flag and emergency
    #: alerts (the pain specialist by default; a clinic with its own physicians adds theirs).
    medically_qualified_disciplines: list[str] = Field(default_factory=lambda: ["pain_specialist"])
    #: Disciplines that may close a self-harm alert and record a risk assessment and safety plan.
    self_harm_reviewer_disciplines: list[str] = Field(
        default_factory=lambda: ["psychologist", "pain_specialist"]
    )
    #: A safety plan is current for this many days after it was last saved (each review saves a version).
    #: While one is current, a repeat positive self-harm answer opens an alert without pausing practice.
    safety_plan_review_days: int = Field(default=30, ge=1, le=365)
    #: Minutes an open alert of each urgency may wait for a clinician before it escalates to the whole care
    #: team and the front desk by email (JSON, e.g. ``{"emergency": 15, "urgent": 60, "soon": 1440}``).
    alert_escalation_minutes: dict[str, float] = Field(
        default_factory=lambda: {"emergency": 15.0, "urgent": 60.0, "soon": 24 * 60.0}
    )

    #: Outgoing mail. Without ``smtp_host`` mail is written to ``mail_dir`` as .eml files (the demo), and the
    #: admin page says so.
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = Field(default=20.0, gt=0)
    mail_from: str = "PainRewire <no-reply@painrewire.invalid>"
    mail_dir: Path = Field(default_factory=lambda: Path.cwd() / "painrewire-mail")
    #: A notification that could not be sent is tried again after 30 s, 60 s, 120 s... up to this many tries,
    #: then shown as failed on the admin page.
    notify_max_attempts: int = Field(default=8, ge=1, le=100)
    notify_retry_base_seconds: float = Field(default=30.0, gt=0)
    notify_retry_max_seconds: float = Field(default=6 * 3600.0, gt=0)
    #: How long a worker holds the notifications and jobs it claimed before another may take them over.
    worker_lease_seconds: float = Field(default=120.0, gt=0)
    worker_poll_seconds: float = Field(default=2.0, gt=0)
    worker_batch_size: int = Field(default=50, ge=1, le=1000)
    #: Run the notification worker inside the web server process. Default: on for SQLite (the demo), off for
    #: PostgreSQL, where ``painrewire worker`` runs on its own.
    worker_in_server: bool | None = None

    #: Patients may move or cancel an appointment online up to this many hours before it; later, they call.
    booking_notice_hours: float = Field(default=24.0, ge=0, le=24 * 14)

    #: Reminders by email (each person chooses in /account/notifications: by email, in the app only, or off).
    #: Appointment reminders go this many elapsed hours before the visit's start (not "the same clock time the
    #: day before": on the day the clocks change, a 24-hour reminder's clock time differs by an hour).
    appointment_reminder_hours: list[float] = Field(default_factory=lambda: [24.0, 2.0])
    #: The diary reminder's time on the patient's own clock, unless they chose another (they opt in first).
    diary_reminder_time: time = time(19, 0)
    #: A questionnaire that falls due is announced at this time of its due day, on the patient's clock.
    questionnaire_reminder_time: time = time(9, 0)

    #: Largest audio recording a clinic may attach to a guided practice (20 MiB).
    practice_audio_max_bytes: int = Field(default=20 * MIB, ge=1)
    #: Path prefixes whose request bodies may exceed the general 2 MiB limit, each with its own limit in bytes
    #: (the longest matching prefix wins), as JSON. The practice-audio upload routes are always included.
    body_limits: dict[str, int] = Field(default_factory=dict)

    #: Largest letter a referring physician may attach to the public referral form (a PDF; 5 MiB). Uploads up
    #: to four times this still reach the form, so a larger letter is refused in words naming both sizes.
    referral_letter_max_bytes: int = Field(default=5 * MIB, ge=1024, le=100 * MIB)
    #: Referrals sent from one client address per window (the public form, limited like sign-ups).
    referrals_per_client: int = Field(default=10, ge=1)
    referral_window_minutes: float = Field(default=60.0, gt=0)
    #: A letter emailed to a physician or a service is a link to download it; the link works this many days.
    letter_link_days: int = Field(default=14, ge=1, le=90)
    #: A folder of the clinic's own letter templates, named as in ``painrewire/web/templates/letters/kinds/``;
    #: a template found there is used instead of the one shipped.
    letter_template_dir: Path | None = None

    @field_validator("appointment_reminder_hours")
    @classmethod
    def _reminder_hours(cls, value: list[float]) -> list[float]:
        if any(not 0 < hours <= 24 * 14 for hours in value):
            raise ValueError(
                f"appointment_reminder_hours must be between 0 and 336 hours each, got {value!r}"
            )
        return sorted(set(value), reverse=True)

    @field_validator("clinic_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if not is_zone(value):
            raise ValueError(
                f"clinic_timezone must be an IANA zone name such as Europe/London, got {value!r}"
            )
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _proxy_addresses(cls, value: list[str]) -> list[str]:
        import ipaddress

        for entry in value:
            try:
                ipaddress.ip_network(entry.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(
                    f"trusted_proxies must list IP addresses or networks such as 10.0.0.0/8, got {entry!r}"
                ) from exc
        return [entry.strip() for entry in value]

    @field_validator("crisis_words")
    @classmethod
    def _crisis_words(cls, value: list[str]) -> list[str]:
        words = [" ".join(w.split()) for w in value]
        if any(not any(c.isalnum() for c in w) for w in words):
            raise ValueError(f"crisis_words must each hold a word or phrase, got {value!r}")
        return words

    @field_validator("mail_from")
    @classmethod
    def _mail_from_is_an_address(cls, value: str) -> str:
        from email.utils import parseaddr

        address = parseaddr(value)[1]
        if (
            "@" not in address
            or address.startswith("@")
            or address.endswith("@")
            or any(c.isspace() for c in address)
        ):
            raise ValueError(
                f"mail_from must be an email address such as 'Clinic <no-reply@clinic.example>', got {value!r}"
            )
        return value

    @model_validator(mode="after")
    def _refuse_default_secret_in_production(self) -> Settings:
        if self.environment == "production" and self.secret_key == DEVELOPMENT_SECRET:
            raise ValueError("PAINREWIRE_SECRET_KEY must be set to a long random value in production")
        if self.environment == "production" and "base_url" not in self.model_fields_set:
            raise ValueError(
                "PAINREWIRE_BASE_URL must be set in production to the address patients and clinicians use "
                "(such as https://painrewire.clinic.example): links in mail, calendar feeds and exported "
                "identifiers are built from it"
            )
        return self

    @property
    def secure_cookies(self) -> bool:
        """Cookies carry the Secure flag in production unless told otherwise."""
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.environment == "production"

    @property
    def request_body_limits(self) -> dict[str, int]:
        """Every larger-body allowance: the audio upload routes (the recording and the form around it) first."""
        audio = self.practice_audio_max_bytes + FORM_OVERHEAD_BYTES
        referral = 4 * self.referral_letter_max_bytes + FORM_OVERHEAD_BYTES
        return (
            {prefix: audio for prefix in AUDIO_UPLOAD_PREFIXES}
            | {prefix: referral for prefix in REFERRAL_UPLOAD_PREFIXES}
            | self.body_limits
        )

    @property
    def runs_worker_in_server(self) -> bool:
        if self.worker_in_server is not None:
            return self.worker_in_server
        return self.database_url.startswith("sqlite")

    @property
    def mail_configured(self) -> bool:
        """Whether mail leaves the machine (an SMTP server is set) or is only written to ``mail_dir``."""
        return bool(self.smtp_host)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.clinic_timezone)


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()
