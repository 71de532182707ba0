"""The `painrewire` command: one Typer app with a sub-app or command group per domain."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="painrewire",
    help="PainRewire: run the clinic, manage its database, score questionnaires, run neurofeedback.",
    no_args_is_help=True,
    add_completion=False,
)


def _register_domains() -> None:
    """Attach each domain's commands; a domain owns its CLI in `<domain>/cli.py`."""
    from painrewire.assessments import cli as assessments_cli
    from painrewire.neurofeedback import cli as neurofeedback_cli

    assessments_cli.register(app)
    neurofeedback_cli.register(app)


_register_domains()
