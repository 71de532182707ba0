"""A page's answer to a refused action: the form again, with the reason, after the request rolled back.

A page route names the page it shows again when a domain rule refuses what was asked
(``dependencies=[refusal_page("diary/entry.html", entry_form)]``) and lets the ``DomainError`` (or the pydantic
``ValidationError`` of a form it parsed) propagate. The
unit of work rolls back, as it does for the API, so a refused action leaves nothing behind: not half its rows, not
an audit row for something that never happened (an error that asks to keep its changes, a failed login, keeps
them). The one error handler (``web.errors``) then builds the page in a fresh unit of work from what the person
sent and answers with the error's own status and headers (``status_for`` / ``headers_for``).

A builder returns the page's template context; or ``OtherPage`` to show another template (a practice that
closed shows the closed-practice page, not the form); or ``SeeOther`` for a page that answers a refusal by
sending the person on (see-other) with the reason in the address.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from painrewire.db import unit_of_work
from painrewire.errors import DomainError, InvalidInput
from painrewire.web.deps import database_gate
from painrewire.web.templating import redirect, render

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


@dataclass(frozen=True)
class Refused:
    """What a page builder gets to show the form again."""

    request: Request
    session: Session
    """A fresh unit of work, committed once the page is built (so the reads it audits are kept)."""
    errors: list[str]
    """What was wrong, as sentences for the person (one per field for invalid input)."""
    form: Mapping[str, str]
    """The text fields the person sent, to fill the form in again (files are not kept)."""
    lists: Mapping[str, list[str]] = field(default_factory=dict)
    """Every value sent for each field (a group of checkboxes)."""
    path: Mapping[str, Any] = field(default_factory=dict)
    """The route's path parameters, as strings."""
    user_id: uuid.UUID | None = None
    """The logged-in user, if any."""

    error: DomainError | None = None
    """The refusal, when a domain rule refused (None for input that failed validation)."""
    invalid: ValidationError | None = None
    """The validation error, for a page that words a form's errors its own way."""


class FormInvalid(InvalidInput):
    """A form a page checked itself and found wanting in several places: each one a sentence on the page."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__(" ".join(messages))
        self.messages = list(messages)


@dataclass(frozen=True)
class OtherPage:
    """Show this template with this context instead of the route's own page (with the error's status)."""

    template: str
    context: Mapping[str, Any]


@dataclass(frozen=True)
class SeeOther:
    """Answer the refusal by sending the person to ``url`` (303), as the page does after a success."""

    url: str


#: Builds a page's template context from the refusal (``errors`` is added unless the context names its own), or
#: another answer.
PageBuilder = Callable[[Refused], "Mapping[str, Any] | OtherPage | SeeOther"]


@dataclass(frozen=True)
class RefusalPage:
    template: str
    build: PageBuilder
    shown_for: tuple[type[DomainError], ...] = ()
    """Refusals otherwise answered with the plain error page that this page answers with its form (a login
    form that refuses a wrong password is the form's answer, not a redirect to the login)."""


def refusal_page(template: str, build: PageBuilder, *, shown_for: tuple[type[DomainError], ...] = ()) -> Any:
    """A route dependency: on a domain error, show ``template`` again with the context ``build`` makes."""
    page = RefusalPage(template, build, shown_for)

    async def name_the_page(request: Request) -> None:
        request.state.refusal_page = page

    return Depends(name_the_page)


def page_for(request: Request) -> RefusalPage | None:
    page = getattr(request.state, "refusal_page", None)
    return page if isinstance(page, RefusalPage) else None


async def render_refusal(
    request: Request,
    page: RefusalPage,
    *,
    errors: list[str],
    status_code: int,
    headers: dict[str, str] | None = None,
    error: DomainError | None = None,
    invalid: ValidationError | None = None,
) -> Response:
    """Build and render the refused page in a unit of work of its own (the request's has rolled back)."""
    form: dict[str, str] = {}
    lists: dict[str, list[str]] = {}
    if request.headers.get("content-type", "").startswith(FORM_TYPES):
        sent = await request.form()
        form = {key: value for key, value in sent.items() if isinstance(value, str)}
        lists = {key: [v for v in sent.getlist(key) if isinstance(v, str)] for key in sent}
    viewer = getattr(request.state, "user", None)
    user_id = getattr(viewer, "id", None)

    def build() -> Mapping[str, Any] | OtherPage | SeeOther:
        with unit_of_work(request.app.state.session_factory) as session:
            refused = Refused(
                request, session, errors, form, lists, dict(request.path_params), user_id, error, invalid
            )
            return page.build(refused)

    async with database_gate(request.app):
        built = await run_in_threadpool(build)
    if isinstance(built, SeeOther):
        response: Response = redirect(built.url)
        response.headers.update(headers or {})
        return response
    template, context = (
        (built.template, built.context) if isinstance(built, OtherPage) else (page.template, built)
    )
    return render(
        request,
        template,
        {"errors": errors, **context},
        status_code=status_code,
        headers=headers,
    )
