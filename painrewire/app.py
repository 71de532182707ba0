"""The FastAPI application factory: settings, database, middleware, error mapping and every domain's routes."""

from __future__ import annotations

import gc
import importlib
import pkgutil
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from sqlalchemy import text
from sqlalchemy.orm import Session, sessionmaker

from painrewire import __version__
from painrewire.config import Settings, get_settings
from painrewire.db import READ_ONLY, get_engine, session_factory
from painrewire.web import errors, openapi
from painrewire.web.logs import access_log_off_the_request_path
from painrewire.web.middleware import SecurityMiddleware
from painrewire.web.onehop import OneHopRoute

PACKAGE_DIR = Path(__file__).parent


def _routers() -> list[APIRouter]:
    """Every domain's ``api.py`` and ``pages.py`` router, found by name so a new domain needs no edit here."""
    routers: list[APIRouter] = []
    for module in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="painrewire."):
        if module.name.rsplit(".", 1)[-1] in ("api", "pages"):
            router = getattr(importlib.import_module(module.name), "router", None)
            if isinstance(router, APIRouter):
                routers.append(router)
    return routers


def _static_dirs() -> dict[str, Path]:
    """Each domain may ship browser assets in a ``static/`` folder, served at ``/static/<domain>``."""
    dirs = {"/static/app": PACKAGE_DIR / "web" / "static"}
    for folder in sorted(PACKAGE_DIR.glob("**/static")):
        if folder.parent.name != "web" and folder.is_dir():
            dirs[f"/static/{folder.parent.name}"] = folder
    return dirs


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
    for url, folder in _static_dirs().items():
        app.mount(url, StaticFiles(directory=folder), name=url.strip("/").replace("/", "-"))
    for router in _routers():
        app.include_router(router)
    openapi.install(app)

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
