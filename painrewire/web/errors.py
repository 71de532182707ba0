"""One table from domain errors to HTTP status, rendered as JSON for the API and as a page for people."""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import DataError
from starlette.exceptions import HTTPException as StarletteHTTPException

from painrewire.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    RetryLater,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
)
from painrewire.web.refusals import FormInvalid, page_for, render_refusal
from painrewire.web.templating import render

logger = logging.getLogger(__name__)

STATUS: dict[type[DomainError], int] = {
    NotFound: 404,
    Forbidden: 403,
    Unauthenticated: 401,
    Conflict: 409,
    InvalidInput: 422,
    TooManyRequests: 429,
    Unavailable: 503,
}

#: Refusals that say "not yours" or "not there" rather than "not like this": answered with the plain error page,
#: never with the form (which would show what the caller may not see).
NOT_A_FORM_ANSWER = (Unauthenticated, Forbidden, NotFound)

HTTP_MESSAGES = {
    404: "There is no page here.",
    405: "That action is not available here.",
    413: "What you sent is too large.",
}


def status_for(exc: DomainError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def headers_for(exc: DomainError) -> dict[str, str]:
    """The headers an answer refusing with ``exc`` carries, on a page as in the API: when to try again, for a
    refusal that may not hold for long."""
    return {"Retry-After": str(exc.retry_after_seconds)} if isinstance(exc, RetryLater) else {}


def wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path in ("/healthz", "/openapi.json")


def error_response(request: Request, status: int, error: str, detail: str | list[str]) -> Response:
    if wants_json(request):
        return JSONResponse({"error": error, "detail": detail}, status_code=status)
    if status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)
    messages = detail if isinstance(detail, list) else [detail]
    return render(request, "error.html", {"status": status, "messages": messages}, status_code=status)


def _field_name(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "form", "header", "cookie")]
    return ".".join(parts) or "input"


def readable_validation_errors(exc: RequestValidationError | ValidationError) -> list[str]:
    """Pydantic's errors as sentences a person can act on: the field, then what is wrong."""
    messages = []
    for err in exc.errors():
        msg = str(err.get("msg", "is not valid"))
        msg = msg.removeprefix("Value error, ")
        messages.append(f"{_field_name(tuple(err.get('loc', ())))}: {msg}")
    return messages


readable_pydantic_errors = readable_validation_errors


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> Response:
        page = page_for(request)
        shows_form = page is not None and (
            not isinstance(exc, NOT_A_FORM_ANSWER) or isinstance(exc, page.shown_for)
        )
        if page is not None and shows_form and not wants_json(request):
            try:
                return await render_refusal(
                    request,
                    page,
                    errors=exc.messages if isinstance(exc, FormInvalid) else [exc.message],
                    status_code=status_for(exc),
                    headers=headers_for(exc),
                    error=exc,
                )
            except DomainError:
                pass  # the form is no longer there to show (access ended meanwhile): the plain answer
        response = error_response(request, status_for(exc), type(exc).__name__, exc.message)
        response.headers.update(headers_for(exc))
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 422, "InvalidInput", readable_validation_errors(exc))

    @app.exception_handler(ValidationError)
    async def _form_invalid(request: Request, exc: ValidationError) -> Response:
        # A form a page parsed itself: shown again with the fields to fix. Anywhere else a ValidationError is a
        # value we built wrongly, not the person's input.
        page = page_for(request)
        if page is None or wants_json(request):
            return await _unexpected(request, exc)
        try:
            return await render_refusal(
                request, page, errors=readable_validation_errors(exc), status_code=422, invalid=exc
            )
        except DomainError as refused:
            return error_response(request, status_for(refused), type(refused).__name__, refused.message)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = (
            exc.detail if isinstance(exc.detail, str) else HTTP_MESSAGES.get(exc.status_code, "Not possible.")
        )
        if exc.status_code in HTTP_MESSAGES and detail in ("Not Found", "Method Not Allowed"):
            detail = HTTP_MESSAGES[exc.status_code]
        response = error_response(request, exc.status_code, "HTTPError", detail)
        for key, value in (exc.headers or {}).items():
            response.headers[key] = value
        return response

    @app.exception_handler(DataError)
    async def _unstorable(request: Request, exc: DataError) -> Response:
        # A value the database refuses (a NUL character in text on PostgreSQL, a number out of range): the
        # person's input, not our fault. The unit of work has rolled back, so nothing half-written is kept.
        logger.info("refused unstorable input on %s %s", request.method, request.url.path)
        return error_response(
            request,
            422,
            "InvalidInput",
            "Something you sent cannot be stored: text with a NUL character, or a number or text too large. "
            "Please check what you typed.",
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # Only the exception type and route: messages may carry health data.
        logger.error("unexpected %s on %s %s", type(exc).__name__, request.method, request.url.path)
        return error_response(
            request, 500, "ServerError", "Something went wrong on our side. Please try again."
        )
