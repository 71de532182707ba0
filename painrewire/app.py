"""The FastAPI application factory: settings, database, middleware, error mapping and every domain's routes."""

from __future__ import annotations

import gc
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from painrewire import __version__, courses, reminders
from painrewire.accounts import api as accounts_api
from painrewire.accounts import pages as accounts_pages
from painrewire.accounts.deps import current_user, optional_user
from painrewire.assessments import api as assessments_api
from painrewire.assessments import pages as assessments_pages
from painrewire.clearance import api as clearance_api
from painrewire.clearance import pages as clearance_pages
from painrewire.clinical_flags import api as clinical_flags_api
from painrewire.clinical_flags import pages as clinical_flags_pages
from painrewire.config import Settings, get_settings
from painrewire.consent import api as consent_api
from painrewire.consent import pages as consent_pages
from painrewire.dashboard import pages as dashboard_pages
from painrewire.db import READ_ONLY, get_engine, session_factory
from painrewire.diary import api as diary_api
from painrewire.diary import pages as diary_pages
from painrewire.directory import api as directory_api
from painrewire.directory import pages as directory_pages
from painrewire.interop import api as interop_api
from painrewire.interop import pages as interop_pages
from painrewire.letters import api as letters_api
from painrewire.letters import pages as letters_pages
from painrewire.messages import api as messages_api
from painrewire.messages import pages as messages_pages
from painrewire.neurofeedback import api as neurofeedback_api
from painrewire.neurofeedback import pages as neurofeedback_pages
from painrewire.notes import api as notes_api
from painrewire.notes import pages as notes_pages
from painrewire.notifications import api as notifications_api
from painrewire.notifications import pages as notifications_pages
from painrewire.patients import api as patients_api
from painrewire.patients import pages as patients_pages
from painrewire.physicians import api as physicians_api
from painrewire.physicians import pages as physicians_pages
from painrewire.plans import api as plans_api
from painrewire.plans import pages as plans_pages
from painrewire.programs.cbt import api as cbt_api
from painrewire.programs.cbt import pages as cbt_pages
from painrewire.programs.gmi import api as gmi_api
from painrewire.programs.gmi import pages as gmi_pages
from painrewire.programs.mindfulness import api as mindfulness_api
from painrewire.programs.mindfulness import pages as mindfulness_pages
from painrewire.programs.prt import api as prt_api
from painrewire.programs.prt import pages as prt_pages
from painrewire.referrals import api as referrals_api
from painrewire.referrals import pages as referrals_pages
from painrewire.reports import pages as reports_pages
from painrewire.risk import api as risk_api
from painrewire.risk import pages as risk_pages
from painrewire.scheduling import api as scheduling_api
from painrewire.scheduling import pages as scheduling_pages
from painrewire.therapy_preferences import api as therapy_preferences_api
from painrewire.therapy_preferences import pages as therapy_preferences_pages
from painrewire.treatment_history import api as treatment_history_api
from painrewire.treatment_history import pages as treatment_history_pages
from painrewire.web import errors, openapi
from painrewire.web.logs import access_log_off_the_request_path
from painrewire.web.middleware import SecurityMiddleware
from painrewire.web.onehop import OneHopRoute

PACKAGE_DIR = Path(__file__).parent


#: Every domain's routers, in the order they are matched: a new ``api.py`` or ``pages.py`` is added here
#: (``tests/web/test_app_routers.py`` fails until it is).
ROUTERS: list[APIRouter] = [
    accounts_api.router,
    accounts_pages.router,
    assessments_api.router,
    assessments_pages.router,
    clearance_api.router,
    clearance_pages.router,
    clinical_flags_api.router,
    clinical_flags_pages.router,
    consent_api.router,
    consent_pages.router,
    dashboard_pages.router,
    diary_api.router,
    diary_pages.router,
    directory_api.router,
    directory_pages.router,
    interop_api.router,
    interop_pages.router,
    letters_api.router,
    letters_pages.router,
    messages_api.router,
    messages_pages.router,
    neurofeedback_api.router,
    neurofeedback_pages.router,
    notes_api.router,
    notes_pages.router,
    notifications_api.router,
    notifications_pages.router,
    patients_api.router,
    patients_pages.router,
    physicians_api.router,
    physicians_pages.router,
    plans_api.router,
    plans_pages.router,
    cbt_api.router,
    cbt_pages.router,
    gmi_api.router,
    gmi_pages.router,
    mindfulness_api.router,
    mindfulness_pages.router,
    prt_api.router,
    prt_pages.router,
    referrals_api.router,
    referrals_pages.router,
    reports_pages.router,
    risk_api.router,
    risk_pages.router,
    scheduling_api.router,
    scheduling_pages.router,
    therapy_preferences_api.router,
    therapy_preferences_pages.router,
    treatment_history_api.router,
    treatment_history_pages.router,
]

#: Each domain's browser assets, served at ``/static/<domain>``.
STATIC_DIRS: dict[str, Path] = {
    "/static/app": PACKAGE_DIR / "web" / "static",
    "/static/assessments": PACKAGE_DIR / "assessments" / "static",
    "/static/diary": PACKAGE_DIR / "diary" / "static",
    "/static/directory": PACKAGE_DIR / "directory" / "static",
    "/static/letters": PACKAGE_DIR / "letters" / "static",
    "/static/messages": PACKAGE_DIR / "messages" / "static",
    "/static/neurofeedback": PACKAGE_DIR / "neurofeedback" / "static",
    "/static/notes": PACKAGE_DIR / "notes" / "static",
    "/static/plans": PACKAGE_DIR / "plans" / "static",
    "/static/cbt": PACKAGE_DIR / "programs" / "cbt" / "static",
    "/static/gmi": PACKAGE_DIR / "programs" / "gmi" / "static",
    "/static/mindfulness": PACKAGE_DIR / "programs" / "mindfulness" / "static",
    "/static/prt": PACKAGE_DIR / "programs" / "prt" / "static",
    "/static/referrals": PACKAGE_DIR / "referrals" / "static",
    "/static/reports": PACKAGE_DIR / "reports" / "static",
    "/static/scheduling": PACKAGE_DIR / "scheduling" / "static",
}

#: Composition that domains below cannot import: the reminders panel (``painrewire.patients.panels``) and the
#: PRT course's plan and calendar sources. Importing them wires them in.
WIRING = (reminders, courses)


def create_app(settings: Settings | None = None, *, sessions: sessionmaker[Session] | None = None) -> FastAPI:
    """Build the app; tests pass their own session factory so each test runs in a rolled-back transaction."""
    settings = settings or get_settings()
    app = FastAPI(
        title="PainRewire",
        version=__version__,
        summary="A pain clinic's platform for treating chronic back pain by retraining the brain.",
        openapi_url="/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.session_factory = sessions or session_factory(get_engine(settings.database_url))
    app.state.db_gates = {}
    # Fewer units of work than the thread pool's 40 threads (``web.deps.database_gate``); on PostgreSQL fewer
    # than the connection pool too.
    app.state.db_concurrency = 24 if settings.database_url.startswith("sqlite") else 16
    app.router.route_class = OneHopRoute

    errors.install(app)
    app.add_middleware(
        SecurityMiddleware, secure_cookies=settings.secure_cookies, body_limits=settings.request_body_limits
    )
    for url, folder in STATIC_DIRS.items():
        app.mount(url, StaticFiles(directory=folder), name=url.strip("/").replace("/", "-"))
    for router in ROUTERS:
        app.include_router(router)
    openapi.install(app, login=current_user, optional_login=optional_user)

    @app.get("/healthz", tags=["health"], summary="Is the service up and its database reachable?")
    def healthz() -> JSONResponse:
        try:
            with app.state.session_factory() as session:
                session.connection(execution_options={READ_ONLY: True}).execute(text("SELECT 1"))
        except Exception:
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
        return JSONResponse({"status": "ok", "database": "ok", "version": __version__})

    return app


#: Net new objects between young collections, and collections between older ones (the defaults: 700, 10, 10).
GC_THRESHOLDS = (10_000, 10, 10)


def create_default_app() -> FastAPI:
    """Entry point for ``uvicorn --factory`` with several workers.

    Once the app is built, everything imported so far (the app, its routes, templates, NumPy, SQLAlchemy...)
    lives as long as the process; ``gc.freeze()`` moves it out of the collector's reach, so a full collection
    no longer walks it during a request. ``bench/booking.py`` measured such a walk at 30-45 ms, most of a
    free-slot search's p95.

    What stays alive while serving -- live neurofeedback sessions, their sockets and tasks, about 750 objects a
    session -- cannot be frozen. With the collector's default thresholds, objects merely in flight when a young
    collection ran (a message being built, a request's frames) were promoted in their thousands, and a full
    collection came every 10-25 s: with 300 live sessions it walked 230,000 objects for 100-190 ms, every
    session's feedback waiting (``bench/neurofeedback.py``). Young collections after every ``GC_THRESHOLDS[0]``
    net new objects promote far fewer: full collections become rare. Garbage cycles are still collected.
    """
    app = create_app()
    access_log_off_the_request_path()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    return app
