"""Who is asking: the logged-in user from a bearer token or the session cookie, by role, as route dependencies."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from painrewire.accounts import service as accounts
from painrewire.accounts.models import Role, User
from painrewire.errors import Forbidden, Unauthenticated
from painrewire.web.deps import SESSION_COOKIE, SessionDep, Viewer, bearer_token
from painrewire.web.refusals import Refused


def viewer_of(user: User) -> Viewer:
    """What the page layout shows of ``user``: a plain copy, still readable after a rollback."""
    return Viewer(user.id, user.full_name, user.role, user.discipline, user.discipline_label)


def optional_user(request: Request, session: SessionDep) -> User | None:
    """The logged-in user from a bearer token or the session cookie, or None."""
    token = bearer_token(request) or request.cookies.get(SESSION_COOKIE)
    user = accounts.resolve_session(session, token) if token else None
    request.state.user = viewer_of(user) if user else None
    return user


OptionalUser = Annotated[User | None, Depends(optional_user)]


def current_user(user: OptionalUser) -> User:
    if user is None:
        raise Unauthenticated("Please log in to continue.")
    return user


CurrentUser = Annotated[User, Depends(current_user)]


def _require(role: Role, message: str):  # type: ignore[no-untyped-def]
    def dependency(user: CurrentUser) -> User:
        if user.role != role:
            raise Forbidden(message)
        return user

    return dependency


CurrentPatientUser = Annotated[User, Depends(_require(Role.PATIENT, "This is for patients."))]
CurrentClinician = Annotated[User, Depends(_require(Role.CLINICIAN, "This is for clinicians."))]
CurrentAdmin = Annotated[User, Depends(_require(Role.ADMIN, "This is for administrators."))]


def staff_user(user: CurrentUser) -> User:
    if user.role not in (Role.CLINICIAN, Role.ADMIN):
        raise Forbidden("This is for clinic staff.")
    return user


CurrentStaff = Annotated[User, Depends(staff_user)]


def refused_user(refused: Refused) -> User:
    """Who posted a refused form, loaded again in the unit of work that shows the page."""
    user = refused.session.get(User, refused.user_id) if refused.user_id is not None else None
    if user is None:  # the account went while the form was posted
        raise Unauthenticated("Please log in again.")
    return user
