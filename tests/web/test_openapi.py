"""The OpenAPI document a generated client is built from: valid, with the bearer login, real download types."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from schemathesis.specs.openapi.definitions import OPENAPI_31_VALIDATOR

BEARER: list[dict[str, list[str]]] = [{"bearerAuth": []}]


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def operation(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    found: dict[str, Any] = document["paths"][path][method]
    return found


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    errors = [f"{e.instance_path}: {e.message}" for e in OPENAPI_31_VALIDATOR.iter_errors(document)]
    assert errors == []


def test_the_bearer_token_from_login_is_declared(document: dict[str, Any]) -> None:
    scheme = document["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/patients"),
        ("get", "/api/v1/patients/{patient_id}/fhir"),
        ("post", "/api/v1/appointments"),
        ("get", "/api/v1/neurofeedback/sessions/{session_id}/recording.edf"),
        ("get", "/api/v1/me"),
    ],
)
def test_operations_behind_a_login_ask_for_the_token(
    document: dict[str, Any], method: str, path: str
) -> None:
    assert operation(document, method, path)["security"] == BEARER


@pytest.mark.parametrize(
    ("method", "path"),
    [("post", "/api/v1/auth/login"), ("post", "/api/v1/signup"), ("get", "/healthz")],
)
def test_open_operations_ask_for_nothing(document: dict[str, Any], method: str, path: str) -> None:
    assert "security" not in operation(document, method, path)


@pytest.mark.parametrize(
    ("path", "media_type"),
    [
        ("/api/v1/patients/{patient_id}/fhir", "application/fhir+json"),
        ("/api/v1/patients/{patient_id}/responses/{response_id}/fhir", "application/fhir+json"),
        ("/api/v1/neurofeedback/sessions/{session_id}/recording.edf", "application/octet-stream"),
        ("/api/v1/neurofeedback/sessions/{session_id}/bids.zip", "application/zip"),
        ("/api/v1/appointments/{appointment_id}/ics", "text/calendar"),
    ],
)
def test_downloads_declare_their_own_media_type_and_no_json_schema(
    document: dict[str, Any], path: str, media_type: str
) -> None:
    content = operation(document, "get", path)["responses"]["200"]["content"]
    assert content == {media_type: {}}


def test_the_served_token_opens_an_operation_the_document_protects(client: TestClient) -> None:
    # The auth dependency still answers 401 without a token, as the document says it needs one.
    assert client.get("/api/v1/me").status_code == 401
