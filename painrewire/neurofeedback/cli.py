"""Command-line commands of this domain, attached to the main `painrewire` app."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Attach this domain's commands to the main app."""
