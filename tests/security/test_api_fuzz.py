"""API fuzzing: schemathesis drives every operation in /openapi.json on a running demo clinic.

Each operation gets a bounded number of generated requests, anonymous and as a logged-in clinician and
patient. No answer may be a server error, and every answer must match the schema the API documents.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from painrewire import migrate
from painrewire.demo import DEMO_PASSWORD, create_demo_clinic
from tests.conftest import drop_database, new_empty_database
from tests.e2e.conftest import start_server

EXAMPLES_PER_OPERATION = 12
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
# Routes that end the caller's own login would log the fuzzer out halfway through.
SESSION_ENDING = r"/auth/logout"
PEOPLE = {"clinician": "amara.okafor@demo.painrewire.org", "patient": "maria@demo.painrewire.org"}


@pytest.fixture(scope="module")
def live_clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("fuzz")
    url, token = new_empty_database(folder, "fuzz")
    migrate.upgrade(url)
    create_demo_clinic(url)
    process, base = start_server(url, folder / "server.log")
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        drop_database(url, token)
        _report_server_errors(folder / "server.log")


def _report_server_errors(log: Path) -> None:
    text = log.read_text(errors="replace") if log.exists() else ""
    for sign in ("Traceback", "unexpected "):
        assert sign not in text, f"the server logged an exception while fuzzed:\n{text[-4000:]}"


@pytest.fixture(scope="module")
def tokens(live_clinic: str) -> dict[str, str]:
    found = {}
    for role, email in PEOPLE.items():
        answer = httpx.post(
            f"{live_clinic}/api/v1/auth/login", json={"email": email, "password": DEMO_PASSWORD}, timeout=10
        )
        answer.raise_for_status()
        found[role] = answer.json()["access_token"]
    return found


def test_no_operation_answers_with_a_server_error_or_off_schema(
    live_clinic: str, tokens: dict[str, str]
) -> None:
    schema = schemathesis.openapi.from_url(f"{live_clinic}/openapi.json").exclude(path_regex=SESSION_ENDING)
    callers = {"anonymous": {}, **{who: {"Authorization": f"Bearer {t}"} for who, t in tokens.items()}}
    failures: list[str] = []
    tested = 0
    for found in schema.get_all_operations():
        operation = found.ok()
        tested += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def fuzz(case: schemathesis.Case) -> None:
            for headers in callers.values():
                case.call_and_validate(base_url=live_clinic, headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:  # one failing operation must not hide the others
            failures.append(f"{operation.label}: {exc}")
    assert tested >= 10, f"only {tested} operations were found in the schema"
    assert not failures, "\n\n".join(failures)
