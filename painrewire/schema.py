"""Every table of every domain, loaded once, for Alembic and for the tests that compare models and migrations."""

from __future__ import annotations

import importlib
import pkgutil

from sqlalchemy import MetaData

import painrewire
from painrewire.db import Base


def import_all_models() -> MetaData:
    """Import each ``painrewire.<domain>[.<sub>].models`` module so its tables join ``Base.metadata``."""
    for module in pkgutil.walk_packages(painrewire.__path__, prefix="painrewire."):
        if module.name.endswith(".models"):
            importlib.import_module(module.name)
    return Base.metadata
