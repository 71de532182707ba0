"""JSON routes for login, the current user, accounts and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import Query, Request, Response
from pydantic import BaseModel, ConfigDict

from painrewire.accounts import audit, password_reset
from painrewire.accounts import service as accounts
from painrewire.accounts.deps import CurrentAdmin, CurrentUser
from painrewire.accounts.models import AuditAction
from painrewire.accounts.schemas import (
    LoginRequest,
    PasswordResetRequest,
    PasswordResetSet,
    TokenRead,
    UserCreate,
    UserRead,
)
from painrewire.web.deps import (
    CSRF_COOKIE,
    SESSION_COOKIE,
    SessionDep,
    SettingsDep,
    bearer_token,
    client_address,
)
from painrewire.web.routing import api_router, error_responses

router = api_router(tags=["accounts"])

ERRORS = error_responses(401, 403, 409, 422)


@router.post("/auth/login", response_model=TokenRead, summary="Log in and get a bearer token")
def login(request: Request, data: LoginRequest, session: SessionDep, settings: SettingsDep) -> TokenRead:
    user = accounts.authenticate(session, settings, data.email, data.password, client=client_address(request))
    started = accounts.start_session(session, settings, user, kind="api")
    return TokenRead(
        access_token=started.token,
        expires_at=started.auth_session.expires_at,
        user=UserRead.model_validate(user),
    )


@router.post(
    "/auth/logout", status_code=204, summary="End this token's (or this browser's) session", responses=ERRORS
)
def logout(request: Request, user: CurrentUser, session: SessionDep) -> Response:
    """Ends the login the request came with: the bearer token, or else the browser's session cookie (whose
    cookies go too), as the page's log-out does."""
    response = Response(status_code=204)
    token = bearer_token(request)
    if token is None:
        token = request.cookies.get(SESSION_COOKIE)
        response.delete_cookie(SESSION_COOKIE)
        response.delete_cookie(CSRF_COOKIE)
    if token:
        accounts.end_session(session, token)
    return response


@router.post(
    "/auth/logout-everywhere", status_code=204, summary="End every session of this user", responses=ERRORS
)
def logout_everywhere(user: CurrentUser, session: SessionDep) -> Response:
    accounts.end_all_sessions(session, user)
    return Response(status_code=204)


class ResetRequested(BaseModel):
    detail: str


@router.post(
    "/auth/password-reset",
    response_model=ResetRequested,
    status_code=202,
    summary="Email a password-reset link; the same answer whether or not the address has an account",
    responses=error_responses(422, 429),
)
def request_password_reset(
    request: Request, data: PasswordResetRequest, session: SessionDep, settings: SettingsDep
) -> ResetRequested:
    password_reset.request_reset(session, settings, str(data.email), client=client_address(request))
    minutes = int(settings.password_reset_minutes)
    return ResetRequested(
        detail=f"If {data.email} belongs to an account, we have sent it a link that works once, for {minutes} "
        "minutes."
    )


@router.post(
    "/auth/password-reset/{token}",
    status_code=204,
    summary="Set a new password with a reset link's token; ends every session of the account",
    responses=error_responses(404, 422),
)
def reset_password(
    token: str, data: PasswordResetSet, session: SessionDep, settings: SettingsDep
) -> Response:
    password_reset.reset_password(session, settings, token, data.password)
    return Response(status_code=204)


@router.get("/me", response_model=UserRead, summary="Who am I?", responses=ERRORS)
def me(user: CurrentUser) -> UserRead:
    return UserRead.model_validate(user)


@router.post(
    "/users",
    response_model=UserRead,
    status_code=201,
    summary="Create a clinician or admin",
    responses=ERRORS,
)
def create_user(data: UserCreate, admin: CurrentAdmin, session: SessionDep) -> UserRead:
    return UserRead.model_validate(accounts.create_user(session, admin, data))


@router.get("/users", response_model=list[UserRead], summary="List accounts", responses=ERRORS)
def list_users(admin: CurrentAdmin, session: SessionDep) -> list[UserRead]:
    return [UserRead.model_validate(u) for u in accounts.list_users(session)]


class AuditEventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    at: datetime
    actor_id: uuid.UUID | None
    actor_role: str | None
    action: AuditAction
    resource_type: str
    resource_id: str | None
    patient_id: uuid.UUID | None
    reason: str | None


@router.get("/audit", response_model=list[AuditEventRead], summary="Search the audit log", responses=ERRORS)
def search_audit(
    admin: CurrentAdmin,
    session: SessionDep,
    patient_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
    action: AuditAction | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> list[AuditEventRead]:
    events = audit.search(
        session,
        patient_id=patient_id,
        actor_id=actor_id,
        action=action,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    return [AuditEventRead.model_validate(e) for e in events]
