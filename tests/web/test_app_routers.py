"""The app lists its routers, static folders and tables by hand: a new domain cannot be left out unnoticed."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

from fastapi import APIRouter

import painrewire
from painrewire.app import ROUTERS, STATIC_DIRS
from painrewire.db import Base
from painrewire.schema import MODEL_MODULES, import_all_models

PACKAGE_DIR = Path(painrewire.__file__).parent


def _modules_named(*names: str) -> list[str]:
    return [
        m.name
        for m in pkgutil.walk_packages([str(PACKAGE_DIR)], prefix="painrewire.")
        if m.name.rsplit(".", 1)[-1] in names
    ]


def test_every_api_and_pages_router_is_listed() -> None:
    """Each ``api.py``/``pages.py`` router in the package is in ``app.ROUTERS``, once."""
    found = {
        name: router
        for name in _modules_named("api", "pages")
        if isinstance(router := getattr(importlib.import_module(name), "router", None), APIRouter)
    }
    listed = [id(r) for r in ROUTERS]
    missing = sorted(name for name, router in found.items() if id(router) not in listed)
    assert not missing, f"add these routers to painrewire.app.ROUTERS: {missing}"
    assert len(listed) == len(set(listed)) == len(found)


def test_every_static_folder_is_served() -> None:
    folders = {p for p in PACKAGE_DIR.glob("**/static") if p.is_dir()}
    assert folders == set(STATIC_DIRS.values())
    assert all(
        url == f"/static/{'app' if f.parent.name == 'web' else f.parent.name}"
        for url, f in STATIC_DIRS.items()
    )


def test_every_models_module_is_listed() -> None:
    """Each ``models.py`` in the package is in ``schema.MODEL_MODULES``, so Alembic and the tests see its tables."""
    assert set(_modules_named("models")) == set(MODEL_MODULES)
    assert import_all_models() is Base.metadata
