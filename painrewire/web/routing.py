"""Router factories: every router gets CSRF protection, so no route can forget it."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from painrewire.web.deps import CSRF
from painrewire.web.onehop import OneHopRoute

API_PREFIX = "/api/v1"


def api_router(*, tags: list[str], **kwargs: Any) -> APIRouter:
    """A JSON router mounted under ``/api/v1``."""
    return APIRouter(
        prefix=API_PREFIX, tags=list(tags), dependencies=[CSRF], route_class=OneHopRoute, **kwargs
    )


def page_router(**kwargs: Any) -> APIRouter:
    """An HTML router; its routes stay out of the OpenAPI schema."""
    return APIRouter(dependencies=[CSRF], include_in_schema=False, route_class=OneHopRoute, **kwargs)


ERROR_DESCRIPTIONS = {
    401: "Not logged in",
    403: "Not allowed",
    404: "Not found, or not yours to see",
    409: "Clashes with what is stored",
    422: "Input not valid; each message names the field",
    429: "Too many attempts",
    503: "The server is at capacity now; try again after Retry-After seconds",
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` for the domain errors a route can answer with."""
    return {code: {"description": ERROR_DESCRIPTIONS[code]} for code in codes}
