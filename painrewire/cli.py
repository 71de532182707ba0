"""The `painrewire` command: serve the clinic, manage its database and accounts, and each domain's tools."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from painrewire.config import Settings, get_settings

app = typer.Typer(
    name="painrewire",
    help="PainRewire: run the clinic, manage its database, score questionnaires, run neurofeedback.",
    no_args_is_help=True,
    add_completion=False,
)
db_app = typer.Typer(help="The database: create or upgrade its tables.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print a person-readable message on stderr and return the exit to raise."""
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


def _database_url(url: str | None) -> str:
    return url or get_settings().database_url


@db_app.command("upgrade")
def db_upgrade(
    database_url: Annotated[
        str | None, typer.Option(help="Defaults to PAINREWIRE_DATABASE_URL or ./painrewire.sqlite3")
    ] = None,
    revision: Annotated[str, typer.Option(help="Target revision")] = "head",
) -> None:
    """Create or upgrade the database to the newest schema."""
    from sqlalchemy.exc import OperationalError

    from painrewire import migrate

    url = _database_url(database_url)
    try:
        migrate.upgrade(url, revision)
    except OperationalError as exc:
        raise fail(
            f"could not reach the database ({exc.orig.__class__.__name__}); check PAINREWIRE_DATABASE_URL"
        ) from exc
    typer.echo(f"Database is at revision {', '.join(sorted(migrate.current_heads(url)))}.")


def proxy_options(settings: Settings) -> tuple[bool, list[str] | None]:
    """uvicorn's ``proxy_headers`` and ``forwarded_allow_ips``: believe ``X-Forwarded-For`` only from the
    clinic's ``trusted_proxies``.

    uvicorn on its own believes it from 127.0.0.1 (or ``FORWARDED_ALLOW_IPS``), so anyone reaching the server
    from the same machine could choose the address the login limits count; with no proxy set, the headers
    are ignored and the client is the address that connected.
    """
    if not settings.trusted_proxies:
        return False, None
    return True, list(settings.trusted_proxies)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes")] = 1,
    migrate_first: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="Upgrade the database first")
    ] = True,
) -> None:
    """Serve the clinic over HTTP."""
    import uvicorn

    from painrewire import migrate

    settings = get_settings()
    if migrate_first:
        migrate.upgrade(settings.database_url)
    if workers > 1 and settings.database_url.startswith("sqlite") and not settings.redis_url:
        typer.echo(
            "Note: several workers share live neurofeedback traffic only through Redis (PAINREWIRE_REDIS_URL)."
        )
    from painrewire.worker import start_in_server

    proxy_headers, forwarded_allow_ips = proxy_options(settings)
    background = start_in_server(settings)
    if background is not None:
        where = (
            "an SMTP server"
            if settings.mail_configured
            else f"the folder {settings.mail_dir} (no SMTP server set)"
        )
        typer.echo(f"Notifications: the worker runs inside this server and sends mail to {where}.")
    uvicorn.run(
        "painrewire.app:create_default_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=proxy_headers,
        forwarded_allow_ips=forwarded_allow_ips,
        log_level="info",
        # Live feedback messages are small and frequent: compressing each costs more than it saves.
        ws_per_message_deflate=False,
    )


@app.command("worker")
def worker_command(
    once: Annotated[bool, typer.Option("--once", help="Run until nothing is due, then exit")] = False,
) -> None:
    """Send queued notifications and run scheduled jobs (run one or more beside the web servers)."""
    import logging
    import signal
    import threading

    from painrewire import migrate
    from painrewire.notifications.worker import wait_until_idle
    from painrewire.worker import build_worker

    settings = get_settings()
    migrate.upgrade(settings.database_url)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    worker = build_worker(settings)
    if once:
        result = wait_until_idle(worker, timeout=600)
        typer.echo(
            f"sent {result.sent}, to retry {result.retried}, failed {result.failed}, "
            f"jobs done {result.jobs_done}, jobs failed {result.jobs_failed}, swept {result.swept}"
        )
        return
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    where = "an SMTP server" if settings.mail_configured else f"the folder {settings.mail_dir}"
    typer.echo(f"Worker {worker.worker_id} sending mail to {where}; stop with Ctrl-C.")
    worker.run_forever(stop)


@app.command("create-user")
def create_user(
    email: Annotated[str, typer.Option(help="Login email")],
    full_name: Annotated[str, typer.Option("--name", help="Full name")],
    role: Annotated[str, typer.Option(help="patient, clinician or admin")],
    discipline: Annotated[
        str | None,
        typer.Option(
            help="For clinicians: pain_specialist, physical_therapist, psychologist, neurofeedback_practitioner"
        ),
    ] = None,
    password: Annotated[str | None, typer.Option(help="Asked for when not given", hide_input=True)] = None,
    database_url: Annotated[str | None, typer.Option(help="Defaults to PAINREWIRE_DATABASE_URL")] = None,
) -> None:
    """Create an account (the first admin of a new clinic, for example)."""
    from painrewire import migrate
    from painrewire.accounts import service as accounts
    from painrewire.accounts.models import Role
    from painrewire.accounts.schemas import UserCreate
    from painrewire.db import get_engine, session_scope
    from painrewire.errors import DomainError
    from painrewire.patients import service as patients
    from painrewire.patients.schemas import SignUp

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    url = _database_url(database_url)
    migrate.upgrade(url)
    try:
        with session_scope(get_engine(url)) as session:
            if role == Role.PATIENT.value:
                patient = patients.sign_up(
                    session,
                    SignUp(email=email, full_name=full_name, password=password),
                    clinic_timezone=get_settings().clinic_timezone,
                )
                user_id = patient.user_id
            else:
                data = UserCreate.model_validate(
                    {
                        "email": email,
                        "full_name": full_name,
                        "password": password,
                        "role": role,
                        "discipline": discipline,
                    }
                )
                # Whoever runs the command line owns the database.
                user = accounts.create_user(session, None, data, trusted=True)
                user_id = user.id
    except ValidationError as exc:
        from painrewire.web.errors import readable_pydantic_errors

        raise fail("; ".join(readable_pydantic_errors(exc))) from exc
    except DomainError as exc:
        raise fail(exc.message) from exc
    typer.echo(f"Created {role} {email} ({user_id}).")


@app.command("demo")
def demo(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on")] = 8000,
    database: Annotated[Path, typer.Option(help="SQLite file for the demo clinic (recreated)")] = Path(
        "painrewire-demo.sqlite3"
    ),
    serve_after: Annotated[bool, typer.Option("--serve/--no-serve", help="Serve after creating")] = True,
) -> None:
    """Create a fresh demo clinic on SQLite, print its logins, and serve it."""
    from painrewire import demo as demo_clinic
    from painrewire import migrate

    if "://" in str(database) or database.is_dir() or not database.resolve().parent.is_dir():
        raise fail(
            f"--database takes the path of a SQLite file in an existing folder (got {database}); "
            "the demo always runs on SQLite."
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    url = f"sqlite:///{database.resolve()}"
    os.environ["PAINREWIRE_DATABASE_URL"] = url
    get_settings.cache_clear()
    migrate.upgrade(url)
    logins = demo_clinic.create_demo_clinic(url)
    typer.echo(f"\nPainRewire demo clinic is ready at http://{host}:{port}/\n")
    typer.echo("Log in with any of these (password for all: " + demo_clinic.DEMO_PASSWORD + "):")
    for login in logins:
        typer.echo(f"  {login.role:<10} {login.email:<38} {login.description}")
    typer.echo("")
    sys.stdout.flush()
    if serve_after:
        serve(host=host, port=port, workers=1, migrate_first=False)


@app.command("backup")
def backup_command(
    target: Annotated[Path, typer.Argument(help="File to write the backup to")],
    database_url: Annotated[str | None, typer.Option(help="Defaults to PAINREWIRE_DATABASE_URL")] = None,
) -> None:
    """Back up the database (safe while the clinic is running)."""
    from painrewire.backup import BackupError, backup

    try:
        written = backup(_database_url(database_url), target)
    except BackupError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"Backup written to {written} ({written.stat().st_size} bytes).")


@app.command("restore")
def restore_command(
    source: Annotated[Path, typer.Argument(help="A file written by `painrewire backup`")],
    database_url: Annotated[str | None, typer.Option(help="Defaults to PAINREWIRE_DATABASE_URL")] = None,
    yes: Annotated[
        bool, typer.Option("--yes", help="Confirm that the current data will be replaced")
    ] = False,
) -> None:
    """Replace the database's contents with a backup. Stop the server first."""
    from painrewire.backup import BackupError, restore

    if not yes:
        raise fail("restoring replaces everything in the database; run again with --yes to confirm")
    try:
        restore(_database_url(database_url), source)
    except BackupError as exc:
        raise fail(str(exc)) from exc
    typer.echo(f"Restored {source}.")


def _register_domains() -> None:
    """Attach each domain's commands: a domain owns its CLI in ``<domain>/cli.py`` with ``register(app)``."""
    import importlib
    import pkgutil

    import painrewire

    for module in pkgutil.walk_packages(painrewire.__path__, prefix="painrewire."):
        if module.name.endswith(".cli") and module.name != __name__:
            register = getattr(importlib.import_module(module.name), "register", None)
            if callable(register):
                register(app)


_register_domains()
