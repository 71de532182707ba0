"""The everyday request path under load, beside a floor: a no-op FastAPI app on the same server settings.

Run ``python bench/web.py`` (about six minutes on a busy 2-core machine; ``--quick`` about four, most of it
making the data); it prints ONE JSON line on stdout and a table with the goals on stderr. The load comes from
``wrk`` (Debian package ``wrk``: ``apt-get install wrk``), 1 thread and 16 connections for ``--duration``
seconds (8 by default, 2 with ``--quick``), after a short warm-up. Each case is reported as requests per
second, p50 and p99 latency, and its share of the floor's requests per second measured in the same run (the
mean of a floor run at the start and one at the end of each database's block). The cases:

* ``floor``: ``GET /`` of a FastAPI app that returns a small JSON object, served by uvicorn with the arguments
  ``painrewire serve`` gives it (one worker, ``log_level="info"`` with its access log, no proxy headers, no
  WebSocket compression): what the framework and server cost on this machine right now;
* ``healthz``: ``GET /healthz`` (a ``SELECT 1``) -- goal: at least 60 % of the floor;
* ``diary_put``: ``PUT /api/v1/patients/{id}/diary/{day}`` with the patient's bearer token, rotating over the
  demo clinic's patients and 32 more (each with 30 days of diary) and over the last seven days -- goal: at least
  25 % of the floor and p99 under 50 ms;
* ``diary_get``: ``GET /api/v1/patients/{id}/diary?start=...&end=...`` (30 days), same rotation -- same goal;
* ``head_of_line``: ``diary_put`` again, while one client loops on the clinician's home page (``GET /clinician``)
  and another on a patient's PDF progress report (``GET /clinician/patients/{id}/report.pdf``), one connection
  each -- goal: the patients' PUT p99 under 100 ms;
* ``two_workers`` (PostgreSQL only): ``diary_put`` against ``painrewire serve --workers 2`` (with
  ``PAINREWIRE_REDIS_URL``, which the servers share live neurofeedback traffic through, when ``--redis`` answers),
  taking turns with the one-worker server (two, one, two) -- goal: the two runs' mean at least 1.8 times one
  worker's requests per second. wrk's own thread needs a core too: on a 2-core machine the second worker
  competes with it, so this goal needs more cores than the server uses.

Everything runs on a fresh SQLite file and on a PostgreSQL database ``bench_web_<random>`` made on ``--database``'s
server and dropped at the end (``--database sqlite`` or ``--database postgresql://...`` runs one; give it twice
for both, the default). The server is started as production starts it: ``python -m painrewire db upgrade``, then
``python -m painrewire serve`` with ``PAINREWIRE_ENVIRONMENT=production``, on ports 8150-8169 by default
(``--ports``). The data is the demo clinic (``painrewire.demo.create_demo_clinic``, what ``python -m painrewire
demo`` creates) plus 32 patients registered, logged in and given their diaries through the public API, so the
script needs no internals and keeps working as they change. Servers are stopped at the end, on an error and on
Ctrl-C. The machine's load average is printed beside the figures: on a shared machine every figure is noisy, and
the shares of the floor are the finding, not the milliseconds.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any
from zoneinfo import ZoneInfo

import httpx

BENCH_DIR = Path(__file__).resolve().parent
REPOSITORY = BENCH_DIR.parent
API = "/api/v1"
THREADS = 1
CONNECTIONS = 16
EXTRA_PATIENTS = 32
PUT_DAYS = 7
GET_DAYS = 30
#: The time zone of the patients the script registers (the API's default); "today" is theirs.
PATIENT_ZONE = "Europe/London"
#: A request that takes longer counts as a wrk timeout instead of a latency: far above any goal.
WRK_TIMEOUT = "10s"

#: Goals: (case, figure, comparison, threshold, words).
GOALS: list[tuple[str, str, str, float, str]] = [
    ("healthz", "share_of_floor", ">=", 0.60, "/healthz >= 60% of floor req/s"),
    ("diary_put", "share_of_floor", ">=", 0.25, "diary PUT >= 25% of floor req/s"),
    ("diary_put", "p99_ms", "<", 50.0, "diary PUT p99 < 50 ms"),
    ("diary_get", "share_of_floor", ">=", 0.25, "diary GET >= 25% of floor req/s"),
    ("diary_get", "p99_ms", "<", 50.0, "diary GET p99 < 50 ms"),
    ("head_of_line", "p99_ms", "<", 100.0, "PUT p99 beside dashboard + PDF < 100 ms"),
    ("two_workers", "ratio_to_one_worker", ">=", 1.8, "two workers >= 1.8x one (PUT req/s)"),
]

#: The floor: what ``painrewire serve`` would give any FastAPI app (see ``painrewire/cli.py``).
FLOOR_SERVER = """
import sys
import uvicorn
uvicorn.run(
    "web:floor_app",
    factory=True,
    app_dir=sys.argv[1],
    host="127.0.0.1",
    port=int(sys.argv[2]),
    workers=1,
    proxy_headers=False,
    forwarded_allow_ips=None,
    log_level="info",
    ws_per_message_deflate=False,
)
"""

#: The demo clinic, made by the project's own function; prints its logins as JSON on the last line.
SEED_DEMO = """
import json
import sys
from painrewire import demo
logins = demo.create_demo_clinic(sys.argv[1])
print(json.dumps({"password": demo.DEMO_PASSWORD, "logins": [[x.role, x.email] for x in logins]}))
"""

#: wrk requests from a table built in Python: {method, path, token, body or false}, sent in turn.
LUA_ROTATION = """
local specs = %(specs)s
local prepared = {}
local i = 0

init = function(args)
  for k, spec in ipairs(specs) do
    local headers = {["Authorization"] = "Bearer " .. spec[3], ["Accept"] = "application/json"}
    local body = nil
    if spec[4] then
      headers["Content-Type"] = "application/json"
      body = spec[4]
    end
    prepared[k] = wrk.format(spec[1], spec[2], headers, body)
  end
end

request = function()
  i = i %% #prepared + 1
  return prepared[i]
end
"""


def floor_app() -> Any:
    """The floor's app (uvicorn's factory): one route that answers a small JSON object."""
    from fastapi import FastAPI

    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

    @app.get("/")
    def root() -> dict[str, str]:
        return {"status": "ok"}

    return app


# ---------------------------------------------------------------------------------------------------------------
# wrk's output


class WrkOutputError(ValueError):
    """wrk's report lacked a figure the benchmark needs."""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    req_s: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p99_ms: float
    non_2xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())


_TIME_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_NUMBER_UNIT = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(us|ms|s|m|h)$")


def wrk_time_ms(text: str) -> float:
    """A time as wrk prints it (``812.00us``, ``5.40ms``, ``1.02s``, ``2.50m``) in milliseconds."""
    match = _NUMBER_UNIT.match(text.strip())
    if match is None:
        raise WrkOutputError(f"not a wrk time: {text!r}")
    return float(match.group(1)) * _TIME_UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """The figures of one ``wrk --latency`` report: request count, rate, latency percentiles, errors."""
    percentiles: dict[str, float] = {}
    for match in re.finditer(r"^\s*(50|75|90|99)%\s+(\S+)\s*$", output, re.MULTILINE):
        percentiles[match.group(1)] = wrk_time_ms(match.group(2))
    done = re.search(r"^\s*(\d+) requests in (\S+),", output, re.MULTILINE)
    rate = re.search(r"^Requests/sec:\s+([0-9.]+)", output, re.MULTILINE)
    if done is None or rate is None:
        raise WrkOutputError(f"no request count or rate in wrk's output:\n{output}")
    if set(percentiles) != {"50", "75", "90", "99"}:
        raise WrkOutputError(f"no latency distribution in wrk's output (run it with --latency):\n{output}")
    socket_errors: dict[str, int] = {}
    errors = re.search(r"Socket errors: (.*)$", output, re.MULTILINE)
    if errors is not None:
        for kind, count in re.findall(r"(\w+) (\d+)", errors.group(1)):
            socket_errors[kind] = int(count)
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    return WrkResult(
        requests=int(done.group(1)),
        seconds=wrk_time_ms(done.group(2)) / 1000,
        req_s=float(rate.group(1)),
        p50_ms=percentiles["50"],
        p75_ms=percentiles["75"],
        p90_ms=percentiles["90"],
        p99_ms=percentiles["99"],
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=socket_errors,
    )


def lua_string(value: str) -> str:
    """A Lua string literal (JSON's escapes are Lua's for the characters used here)."""
    return json.dumps(value)


def rotation_script(specs: Sequence[tuple[str, str, str, str | None]]) -> str:
    """A wrk script that sends the requests ``(method, path, token, JSON body or None)`` in turn."""
    rows = ",\n  ".join(
        "{"
        + ", ".join(
            [lua_string(m), lua_string(p), lua_string(t), lua_string(b) if b is not None else "false"]
        )
        + "}"
        for m, p, t, b in specs
    )
    return LUA_ROTATION % {"specs": "{\n  " + rows + "\n}"}


# ---------------------------------------------------------------------------------------------------------------
# Processes


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Ports:
    """The benchmark's ports, handed out once each and only while nothing else listens on them."""

    def __init__(self, first: int, last: int) -> None:
        self._free = iter(range(first, last + 1))
        self.range = f"{first}-{last}"

    def take(self) -> int:
        for port in self._free:
            with socket.socket() as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                try:
                    probe.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
        raise SystemExit(f"web.py: no free port left in {self.range} (--ports)")


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path


def python_env(extra: dict[str, str]) -> dict[str, str]:
    """This checkout's ``painrewire`` first on the path, plus ``extra``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPOSITORY), *filter(None, [env.get("PYTHONPATH")])])
    env.update(extra)
    return env


def stop(server: Server) -> None:
    """Stop a server and every process it started (uvicorn's workers): SIGTERM, then SIGKILL."""
    if server.process.poll() is not None:
        return
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait(timeout=5)
    except ProcessLookupError:
        pass


def start(
    stack: ExitStack,
    name: str,
    command: Sequence[str],
    *,
    env: dict[str, str],
    port: int,
    ready_path: str,
    folder: Path,
    workers: int = 1,
    timeout: float = 90.0,
) -> Server:
    """Start a server in its own process group (stopped when ``stack`` closes) and wait until it is ready:
    ``ready_path`` answers 200 and each of its ``workers`` has logged uvicorn's start-up line."""
    log = folder / f"{name}.log"
    process = subprocess.Popen(
        list(command),
        env=env,
        cwd=folder,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    server = Server(name, process, f"http://127.0.0.1:{port}", log)
    stack.callback(stop, server)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"web.py: {name} exited at start-up:\n{log.read_text(errors='replace')[-3000:]}")
        started = log.read_text(errors="replace").count("Application startup complete")
        try:
            answered = httpx.get(server.url + ready_path, timeout=2).status_code == 200
        except httpx.HTTPError:
            answered = False
        if answered and started >= workers:
            return server
        time.sleep(0.25)
    raise SystemExit(f"web.py: {name} not ready in {timeout:g} s:\n{log.read_text(errors='replace')[-3000:]}")


def run_cli(args: Sequence[str], *, env: dict[str, str], folder: Path) -> str:
    """Run a command to its end; its output, or exit with it when it fails."""
    done = subprocess.run(list(args), env=env, cwd=folder, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(
            f"web.py: {' '.join(args[:4])}... failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
        )
    return done.stdout


def wrk_command(
    url: str, seconds: float, *, connections: int, script: Path | None, token: str | None
) -> list[str]:
    command = [
        "wrk",
        f"-t{THREADS}",
        f"-c{connections}",
        f"-d{max(1, round(seconds))}s",
        f"--timeout={WRK_TIMEOUT}",
        "--latency",
    ]
    if script is not None:
        command += ["-s", str(script)]
    if token is not None:
        command += ["-H", f"Authorization: Bearer {token}"]
    return [*command, url]


def wrk(url: str, seconds: float, *, script: Path | None = None) -> WrkResult:
    done = subprocess.run(
        wrk_command(url, seconds, connections=CONNECTIONS, script=script, token=None),
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"web.py: wrk failed on {url}:\n{done.stdout}{done.stderr}")
    return parse_wrk(done.stdout)


# ---------------------------------------------------------------------------------------------------------------
# The clinic's data, through its public API


@dataclass(frozen=True)
class Actor:
    email: str
    token: str
    patient_id: str | None = None


@dataclass
class Clinic:
    clinician: Actor
    patients: list[Actor]
    report_patient_id: str
    skipped_logins: list[str]


def login(client: httpx.Client, email: str, password: str) -> str | None:
    answer = client.post(f"{API}/auth/login", json={"email": email, "password": password})
    return str(answer.json()["access_token"]) if answer.status_code == 200 else None


def checked(answer: httpx.Response, what: str) -> Any:
    if answer.status_code >= 300:
        raise SystemExit(f"web.py: {what} answered {answer.status_code}: {answer.text[:500]}")
    return answer.json()


def patient_today() -> date:
    return datetime.now(ZoneInfo(PATIENT_ZONE)).date()


def diary_body(n: int) -> str:
    """A plausible day, varied by ``n``."""
    return json.dumps(
        {
            "pain_now": n % 11,
            "average_pain": (n * 3) % 11,
            "interference": (n * 7) % 11,
            "mood": 10 - n % 11,
            "sleep_quality": (n * 5) % 11,
            "activity_minutes": (n * 13) % 90,
            "triggers": [],
            "note": "",
        },
        separators=(",", ":"),
    )


def build_clinic(url: str, demo: dict[str, Any]) -> Clinic:
    """Log the demo clinic in, register 32 patients with 30 days of diary each, and log them in."""
    password: str = demo["password"]
    emails = {role: [e for r, e in demo["logins"] if r == role] for role in ("clinician", "patient")}
    today = patient_today()
    with httpx.Client(base_url=url, timeout=60) as client:
        clinician_email = emails["clinician"][0]
        token = login(client, clinician_email, password)
        if token is None:
            raise SystemExit(f"web.py: the demo clinician {clinician_email} could not log in")
        staff = {"Authorization": f"Bearer {token}"}
        me = checked(client.get(f"{API}/me", headers=staff), "GET /me")
        extra: list[tuple[str, str]] = []
        for n in range(EXTRA_PATIENTS):
            email, secret = f"bench-web-{n:02d}@example.org", secrets.token_urlsafe(18)
            checked(
                client.post(
                    f"{API}/patients",
                    headers=staff,
                    json={
                        "email": email,
                        "full_name": f"Bench Patient {n:02d}",
                        "password": secret,
                        "date_of_birth": "1980-01-01",
                        "timezone": PATIENT_ZONE,
                        "care_team": [me["id"]],
                    },
                ),
                "registering a patient",
            )
            extra.append((email, secret))

        people: list[Actor] = []
        skipped: list[str] = []
        for email, secret in [(e, password) for e in emails["patient"]] + extra:
            patient_token = login(client, email, secret)
            if patient_token is None:  # a demo patient whose account waits for confirmation
                skipped.append(email)
                continue
            own = checked(
                client.get(f"{API}/patients", headers={"Authorization": f"Bearer {patient_token}"}),
                f"GET /patients as {email}",
            )
            people.append(Actor(email, patient_token, str(own[0]["id"])))

    def history(person: Actor) -> None:
        with httpx.Client(base_url=url, timeout=60) as own:
            for back in range(GET_DAYS):
                checked(
                    own.put(
                        f"{API}/patients/{person.patient_id}/diary/{today - timedelta(days=back)}",
                        headers={
                            "Authorization": f"Bearer {person.token}",
                            "Content-Type": "application/json",
                        },
                        content=diary_body(back),
                    ),
                    "a diary PUT",
                )

    pool = ThreadPoolExecutor(4)
    try:
        list(pool.map(history, [p for p in people if p.email.startswith("bench-web-")]))
    finally:  # on Ctrl-C, without waiting for the diaries still queued
        pool.shutdown(cancel_futures=True)
    report = next((p for p in people if not p.email.startswith("bench-web-")), people[0])
    return Clinic(Actor(clinician_email, token), people, str(report.patient_id), skipped)


def put_specs(clinic: Clinic) -> list[tuple[str, str, str, str | None]]:
    """Each patient in turn, then the next day back: consecutive requests are different patients."""
    today = patient_today()
    specs: list[tuple[str, str, str, str | None]] = []
    for back in range(PUT_DAYS):
        for n, person in enumerate(clinic.patients):
            day = today - timedelta(days=back)
            path = f"{API}/patients/{person.patient_id}/diary/{day.isoformat()}"
            specs.append(("PUT", path, person.token, diary_body(n + back)))
    return specs


def get_specs(clinic: Clinic) -> list[tuple[str, str, str, str | None]]:
    today = patient_today()
    start_day = today - timedelta(days=GET_DAYS - 1)
    return [
        ("GET", f"{API}/patients/{p.patient_id}/diary?start={start_day}&end={today}", p.token, None)
        for p in clinic.patients
    ]


def check_first(url: str, spec: tuple[str, str, str, str | None]) -> None:
    """One request of a rotation by hand: a clear message if the script's requests are refused."""
    method, path, token, body = spec
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    answer = httpx.request(method, url + path, headers=headers, content=body, timeout=60)
    checked(answer, f"{method} {path}")


# ---------------------------------------------------------------------------------------------------------------
# One database


def figures(result: WrkResult) -> dict[str, Any]:
    return {
        "req_s": round(result.req_s, 1),
        "p50_ms": round(result.p50_ms, 2),
        "p99_ms": round(result.p99_ms, 2),
        "requests": result.requests,
        "errors": result.errors,
    }


def measure(url: str, seconds: float, warmup: float, *, script: Path | None = None) -> WrkResult:
    wrk(url, warmup, script=script)
    return wrk(url, seconds, script=script)


@contextmanager
def database(kind: str) -> Iterator[str]:
    from throwaway_db import postgres_database, sqlite_database

    if kind == "sqlite":
        with sqlite_database() as url:
            yield url
    else:
        with postgres_database(kind, prefix="bench_web_") as url:
            yield url


def redis_answers(url: str) -> bool:
    if not url:
        return False
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=2).ping())
    except Exception:
        return False


def run_database(
    kind: str, *, floor: Server, ports: Ports, seconds: float, warmup: float, redis_url: str
) -> dict[str, Any]:
    label = "sqlite" if kind == "sqlite" else "postgresql"
    before = load_average()
    note(f"[{label}] load average {before}; making the database and the demo clinic")
    with database(kind) as url, ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="painrewire-bench-web-")))
        port = ports.take()
        settings = {
            "PAINREWIRE_DATABASE_URL": url,
            "PAINREWIRE_ENVIRONMENT": "production",
            "PAINREWIRE_SECRET_KEY": secrets.token_urlsafe(32),
            "PAINREWIRE_BASE_URL": f"http://127.0.0.1:{port}",
            "PAINREWIRE_RECORDING_DIR": str(folder / "recordings"),
            "PAINREWIRE_MAIL_DIR": str(folder / "mail"),
        }
        use_redis = label == "postgresql" and redis_answers(redis_url)
        if use_redis:
            settings["PAINREWIRE_REDIS_URL"] = redis_url
        env = python_env(settings)
        run_cli(
            [sys.executable, "-m", "painrewire", "db", "upgrade", "--database-url", url],
            env=env,
            folder=folder,
        )
        demo = json.loads(
            run_cli([sys.executable, "-c", SEED_DEMO, url], env=env, folder=folder).splitlines()[-1]
        )

        def serve(workers: int, at: int) -> Server:
            command = [
                sys.executable,
                "-m",
                "painrewire",
                "serve",
                "--port",
                str(at),
                "--workers",
                str(workers),
            ]
            return start(
                stack,
                f"{label}-{workers}-workers",
                [*command, "--no-migrate"],
                env=env | {"PAINREWIRE_BASE_URL": f"http://127.0.0.1:{at}"},
                port=at,
                ready_path="/healthz",
                folder=folder,
                workers=workers,
            )

        app = serve(1, port)
        note(f"[{label}] registering {EXTRA_PATIENTS} patients with {GET_DAYS} days of diary through the API")
        clinic = build_clinic(app.url, demo)
        put_script, get_script = folder / "put.lua", folder / "get.lua"
        put_script.write_text(rotation_script(put_specs(clinic)))
        get_script.write_text(rotation_script(get_specs(clinic)))
        check_first(app.url, put_specs(clinic)[0])
        check_first(app.url, get_specs(clinic)[0])

        cases: dict[str, WrkResult] = {}
        note(f"[{label}] {len(clinic.patients)} patients; measuring {seconds:g} s a case")
        floors = [measure(floor.url + "/", seconds, warmup)]
        cases["healthz"] = measure(app.url + "/healthz", seconds, warmup)
        cases["diary_put"] = measure(app.url + "/", seconds, warmup, script=put_script)
        cases["diary_get"] = measure(app.url + "/", seconds, warmup, script=get_script)
        cases["head_of_line"], beside = head_of_line(app.url, clinic, seconds, warmup, put_script)
        floors.append(measure(floor.url + "/", seconds, warmup))
        floor_req_s = statistics.mean(f.req_s for f in floors)

        result: dict[str, Any] = {
            "patients": len(clinic.patients),
            "patients_not_logged_in": clinic.skipped_logins,
            "floor": figures(floors[0])
            | {"req_s": round(floor_req_s, 1), "runs_req_s": [round(f.req_s, 1) for f in floors]},
        }
        for name, measured in cases.items():
            result[name] = figures(measured) | {"share_of_floor": round(measured.req_s / floor_req_s, 3)}
        result["head_of_line"]["beside"] = beside

        if label == "postgresql":
            # Both servers stay up (the idle one costs nothing) and take turns, two, one, two workers, so
            # the ratio compares runs under the same machine load.
            two = serve(2, ports.take())
            runs = [
                measure(server.url + "/", seconds, warmup, script=put_script) for server in (two, app, two)
            ]
            two_req_s = statistics.mean([runs[0].req_s, runs[2].req_s])
            result["two_workers"] = figures(runs[0]) | {
                "req_s": round(two_req_s, 1),
                "p99_ms": round(max(runs[0].p99_ms, runs[2].p99_ms), 2),
                "requests": runs[0].requests + runs[2].requests,
                "errors": runs[0].errors + runs[2].errors,
                "runs_req_s": [round(runs[0].req_s, 1), round(runs[2].req_s, 1)],
                "one_worker_req_s": round(runs[1].req_s, 1),
                "ratio_to_one_worker": round(two_req_s / runs[1].req_s, 3),
                "redis": use_redis,
            }
    result["load_average_before"] = before
    result["load_average_after"] = load_average()
    return result


def head_of_line(
    url: str, clinic: Clinic, seconds: float, warmup: float, put_script: Path
) -> tuple[WrkResult, dict[str, Any]]:
    """The patients' PUTs while the clinician's home page and a PDF report are fetched in a loop beside them."""
    pages = {
        "dashboard": f"{url}/clinician",
        "pdf_report": f"{url}/clinician/patients/{clinic.report_patient_id}/report.pdf",
    }
    for name, page in pages.items():
        checked_page = httpx.get(
            page, headers={"Authorization": f"Bearer {clinic.clinician.token}"}, timeout=60
        )
        if checked_page.status_code != 200:
            raise SystemExit(f"web.py: {name} ({page}) answered {checked_page.status_code}")
    loops = {
        name: subprocess.Popen(
            wrk_command(page, warmup + seconds + 2, connections=1, script=None, token=clinic.clinician.token),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name, page in pages.items()
    }
    try:
        measured = measure(url + "/", seconds, warmup, script=put_script)
        beside: dict[str, Any] = {}
        for name, loop in loops.items():
            output, _ = loop.communicate(timeout=60)
            beside[name] = figures(parse_wrk(output))
    finally:
        for loop in loops.values():
            if loop.poll() is None:
                loop.kill()
                loop.wait()
    return measured, beside


# ---------------------------------------------------------------------------------------------------------------
# Goals and the report


def judge(results: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    verdicts = []
    for label, result in results.items():
        for case, figure, comparison, threshold, words in GOALS:
            if case not in result:
                continue
            value = result[case][figure]
            met = value >= threshold if comparison == ">=" else value < threshold
            clean = result[case]["errors"] == 0
            verdicts.append(
                {
                    "database": label,
                    "goal": words,
                    "value": value,
                    "pass": bool(met and clean),
                    **({} if clean else {"errors": result[case]["errors"]}),
                }
            )
    return verdicts


def table(results: dict[str, dict[str, Any]], verdicts: list[dict[str, Any]]) -> str:
    lines = []
    for label, result in results.items():
        lines.append(
            f"\n{label}: load average {result['load_average_before']} -> {result['load_average_after']}, "
            f"{result['patients']} patients"
        )
        lines.append(f"  {'case':<14}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'share':>8}{'errors':>8}")
        for case in ("floor", "healthz", "diary_put", "diary_get", "head_of_line", "two_workers"):
            if case not in result:
                continue
            row = result[case]
            share = row.get("share_of_floor", row.get("ratio_to_one_worker", 1.0))
            share_text = f"{share:.2f}x" if case == "two_workers" else f"{100 * share:.0f}%"
            lines.append(
                f"  {case:<14}{row['req_s']:>9.1f}{row['p50_ms']:>9.1f}{row['p99_ms']:>9.1f}"
                f"{share_text:>8}{row['errors']:>8}"
            )
        for name, row in result["head_of_line"]["beside"].items():
            lines.append(f"    beside: {name:<11} {row['req_s']:.1f} req/s, p50 {row['p50_ms']:.0f} ms")
        if "two_workers" in result:
            row = result["two_workers"]
            lines.append(
                f"    two workers {' and '.join(map(str, row['runs_req_s']))} req/s, "
                f"one worker between them {row['one_worker_req_s']} req/s; Redis: {row['redis']}"
            )
        lines.append("  goals:")
        for verdict in (v for v in verdicts if v["database"] == label):
            mark = "pass" if verdict["pass"] else "FAIL"
            lines.append(f"    [{mark}] {verdict['goal']}: {verdict['value']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--database",
        action="append",
        help="'sqlite', or a PostgreSQL server URL to make a throw-away database on; repeat for both "
        "(default: sqlite and postgresql://postgres@127.0.0.1:5432/postgres)",
    )
    parser.add_argument("--duration", type=float, default=None, help="seconds of load a case (default 8)")
    parser.add_argument("--quick", action="store_true", help="2 s a case, shorter warm-ups")
    parser.add_argument("--ports", default="8150-8169", help="ports the servers may listen on (first-last)")
    parser.add_argument(
        "--redis", default="redis://127.0.0.1:6379/0", help="Redis for the two-worker case ('' for none)"
    )
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        raise SystemExit(
            "web.py needs wrk, the HTTP benchmarking tool: on Debian or Ubuntu, apt-get install wrk"
        )
    seconds = args.duration or (2.0 if args.quick else 8.0)
    warmup = 1.0 if args.quick else 2.0
    kinds = args.database or ["sqlite", "postgresql://postgres@127.0.0.1:5432/postgres"]
    for kind in kinds:
        if kind != "sqlite" and not kind.startswith("postgresql"):
            parser.error(f"--database takes 'sqlite' or a postgresql:// URL, got {kind!r}")
    first, _, last = args.ports.partition("-")
    ports = Ports(int(first), int(last or first))

    def interrupted(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    results: dict[str, dict[str, Any]] = {}
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="painrewire-bench-floor-")))
        floor_port = ports.take()
        floor = start(
            stack,
            "floor",
            [sys.executable, "-c", FLOOR_SERVER, str(BENCH_DIR), str(floor_port)],
            env=python_env({}),
            port=floor_port,
            ready_path="/",
            folder=folder,
        )
        for kind in kinds:
            label = "sqlite" if kind == "sqlite" else "postgresql"
            results[label] = run_database(
                kind, floor=floor, ports=ports, seconds=seconds, warmup=warmup, redis_url=args.redis
            )
    verdicts = judge(results)
    note(table(results, verdicts))
    report = {
        "benchmark": "web",
        "wrk": {"threads": THREADS, "connections": CONNECTIONS, "seconds": seconds, "warmup_seconds": warmup},
        "cpus": os.cpu_count(),
        **results,
        "goals": verdicts,
        "all_goals_met": all(v["pass"] for v in verdicts),
    }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        note("web.py: interrupted; servers stopped")
        sys.exit(130)
