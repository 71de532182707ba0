"""Load and crash figures for the README: 200 concurrent clients on loopback, four in five writing diary
entries and one in five booking appointments (racing for the same free times).

Prints one JSON line per database and scenario: requests per second, p50/p99 latency, errors (in the crash
scenario these are the requests cut off by the kill), lost acknowledged writes and bookings (must be 0),
bookings refused because the time was taken, and double bookings (must be 0).
Usage: python bench/reliability.py [--seconds 10] [--clients 200]
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import uuid
from pathlib import Path

import loadtest
from sqlalchemy import create_engine, text

from painrewire import migrate

POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def databases(tmp: Path) -> list[tuple[str, str, str | None]]:
    found: list[tuple[str, str, str | None]] = [("sqlite-wal", f"sqlite:///{tmp / 'bench.sqlite3'}", None)]
    try:
        admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        name = f"painrewire_bench_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        found.append(("postgresql", POSTGRES.rsplit("/", 1)[0] + f"/{name}", name))
    except Exception as exc:
        print(json.dumps({"postgresql": f"not reachable: {type(exc).__name__}"}))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        for label, url, pg_name in databases(tmp):
            migrate.upgrade(url)
            for scenario in ("load", "crash"):
                clients = loadtest.create_clients(url, args.clients)
                clinicians = loadtest.create_booking_clinic(url)
                process, base = loadtest.start_server(url, tmp / f"{label}.log")
                try:
                    result = loadtest.run_load(
                        base,
                        clients,
                        seconds=args.seconds,
                        label=scenario,
                        kill=process if scenario == "crash" else None,
                        slots=loadtest.free_times(base, clinicians),
                    )
                finally:
                    process.kill()
                    process.wait(timeout=15)
                figures = result.figures(
                    loadtest.lost_writes(url, result),
                    loadtest.lost_bookings(url, result),
                    loadtest.double_bookings(url),
                )
                print(
                    json.dumps(
                        {"database": label, **figures, "machine": platform.processor() or platform.machine()}
                    )
                )
            if pg_name:
                admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
