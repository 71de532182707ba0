"""The OpenAPI document as generated clients and the docs page need it: who must send a token, and what a
download really is.

FastAPI's generated document knows neither. The routes authenticate through ``current_user`` (a bearer token
or the session cookie), a plain dependency FastAPI cannot describe, so the document declared no security
scheme and clients sent no token. And a route returning a file still got FastAPI's default JSON body beside
the file's own media type. This module adds the HTTP bearer scheme to every operation that needs a login
(optional where a login is optional), and leaves download responses with their real media types only, with no
JSON schema.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from fastapi import FastAPI, routing
from fastapi.dependencies.models import Dependant
from fastapi.openapi.utils import get_openapi

BEARER = "bearerAuth"
JSON = "application/json"


def _calls(dependant: Dependant) -> Iterator[Callable[..., Any]]:
    for sub in dependant.dependencies:
        if sub.call is not None:
            yield sub.call
        yield from _calls(sub)


def _security(
    dependant: Dependant, login: Callable[..., Any], optional_login: Callable[..., Any]
) -> list[dict[str, list[str]]] | None:
    calls = set(_calls(dependant))
    if login in calls:
        return [{BEARER: []}]
    if optional_login in calls:
        return [{BEARER: []}, {}]
    return None


def _downloads_without_json(operation: dict[str, Any]) -> None:
    """A response declaring a file's media type is that file only: no JSON body and no JSON schema."""
    for response in operation.get("responses", {}).values():
        content = response.get("content")
        if not content or set(content) == {JSON}:
            continue
        content.pop(JSON, None)
        for media in content.values():
            media.pop("schema", None)


def build_openapi(
    app: FastAPI, *, login: Callable[..., Any], optional_login: Callable[..., Any]
) -> dict[str, Any]:
    """The document, with the bearer scheme on each operation depending on ``login`` (required) or
    ``optional_login`` (optional): the dependencies that say who is logged in."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
    )
    schema.setdefault("components", {}).setdefault("securitySchemes", {})[BEARER] = {
        "type": "http",
        "scheme": "bearer",
        "description": "The token from POST /api/v1/auth/login, sent as 'Authorization: Bearer <token>'.",
    }
    # The routes as the generator walks them (included routers are resolved with their own dependencies).
    for route in routing.iter_route_contexts(app.routes):
        if not isinstance(route.original_route, routing.APIRoute) or not route.include_in_schema:
            continue
        operations = schema.get("paths", {}).get(route.path_format, {})
        security = _security(route.dependant, login, optional_login)
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is None:
                continue
            if security is not None:
                operation["security"] = security
            _downloads_without_json(operation)
    app.openapi_schema = schema
    return schema


def install(app: FastAPI, *, login: Callable[..., Any], optional_login: Callable[..., Any]) -> None:
    """Serve the completed document at ``app.openapi_url``."""
    app.openapi = lambda: build_openapi(  # type: ignore[method-assign]
        app, login=login, optional_login=optional_login
    )
