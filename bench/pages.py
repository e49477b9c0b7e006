#!/usr/bin/env python3
"""Benchmark Wagtail page delivery with and without the anonymous page cache.

Builds a throwaway SQLite database (migrate + seed_demo), then measures one page (default
``/visie/``) in three scenarios, each on a freshly started multi-worker uvicorn server:

* ``cold``: the first and second request after the server came up (urllib, wall time in ms).
* ``uncached``: ``PAGE_CACHE_SECONDS=0``; a 2 s wrk warm-up, then wrk for ``--seconds``.
* ``cached``: the page cache on; warm it until ``x-cache: hit`` shows up, then wrk.

It prints a table, writes ``bench/results/pages-<timestamp>.json`` and compares the figures
with the targets. It is a report, not a test: it exits 0 whether the targets are met or not,
1 when a server or the database set-up fails, 2 when wrk is missing.

Only the Python standard library is used; run it with the project's interpreter so that
``manage.py`` and uvicorn come from the same virtualenv::

    .venv/bin/python bench/pages.py [--seconds 10] [--connections 8] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
RESULTS_DIR = ROOT / "bench" / "results"
HOST = "127.0.0.1"
DEFAULT_APP = "config.asgi:application"

# Targets for the cached scenario.
TARGET_CACHED_P50_MS = 5.0
TARGET_CACHED_RPS = 1500.0
TARGET_SPEEDUP = 8.0

SETUP_TIMEOUT_S = 300.0  # each manage.py command
START_TIMEOUT_S = 60.0  # until every worker reported "Application startup complete."
STOP_TIMEOUT_S = 10.0  # after SIGTERM, before SIGKILL
REQUEST_TIMEOUT_S = 30.0  # one urllib request
WARMUP_SECONDS = 2
WRK_TIMEOUT = "5s"  # wrk's own per-request timeout
CACHE_WARM_MAX_REQUESTS = 60
CACHE_WARM_HITS_IN_A_ROW = 10

# Counts x-cache hits during a wrk run. Used only in the short warm-up/check runs: a Lua
# response() callback slows wrk down, so the measured runs go without a script.
HIT_CHECK_LUA = """
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  hits = 0
  misses = 0
end

function response(status, headers, body)
  local hit = false
  for name, value in pairs(headers) do
    if string.lower(name) == "x-cache" and value == "hit" then
      hit = true
    end
  end
  if hit then hits = hits + 1 else misses = misses + 1 end
end

function done(summary, latency, requests)
  local h, m = 0, 0
  for _, t in ipairs(threads) do
    h = h + t:get("hits")
    m = m + t:get("misses")
  end
  io.write(string.format("HITCHECK hits=%d misses=%d\\n", h, m))
end
"""


class BenchError(RuntimeError):
    """Set-up or a server failed; the benchmark cannot continue."""


@dataclass
class WrkResult:
    """The numbers parsed from one wrk run."""

    requests: int
    duration_s: float
    requests_per_s: float
    latency_ms: dict[str, float]  # "50", "75", "90", "99" percentiles
    latency_avg_ms: float
    latency_max_ms: float
    non_2xx_3xx: int
    socket_errors: dict[str, int]  # connect, read, write, timeout
    hits: int | None = None  # only with the hit-check script
    misses: int | None = None


@dataclass
class ColdResult:
    """First requests to a freshly started server."""

    first_ms: float
    second_ms: float
    next_median_ms: float  # median of requests 3..10, for context
    x_cache: list[str]  # x-cache header of each of the 10 requests ("" when absent)


@dataclass
class Report:
    """Everything the run produced; written as JSON."""

    started_at: str
    path: str
    seconds: int
    connections: int
    threads: int
    workers: int
    app: str
    machine: dict[str, Any]
    cold: ColdResult | None = None
    uncached: WrkResult | None = None
    uncached_warmup: WrkResult | None = None
    cached: WrkResult | None = None
    cached_warmup: WrkResult | None = None
    cache_warm_requests: int = 0
    cache_warm_hit_seen: bool = False
    marker_header_leaked: bool = False
    targets: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- Processes ------------------------------------------------------------------------------


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    """Turn SIGTERM/SIGHUP into KeyboardInterrupt so that every ``finally`` runs."""
    raise KeyboardInterrupt(f"signal {signum}")


def base_env(database_url: str) -> dict[str, str]:
    """The environment for manage.py and uvicorn: dev settings, debug off, embedded cache."""
    env = dict(os.environ)
    # The embedded set-up (LocMem cache, in-memory channel layer) is what is measured.
    for name in ("REDIS_URL", "PAGE_CACHE_SECONDS", "STATIC_ROOT"):
        env.pop(name, None)
    # site/ holds the config package; the apps (consultations, ...) live in the repo root.
    python_path = [str(ROOT), str(ROOT / "site")]
    if env.get("PYTHONPATH"):
        python_path.append(env["PYTHONPATH"])
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.dev",
        DEBUG="0",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        PYTHONPATH=os.pathsep.join(python_path),
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(args: list[str], env: dict[str, str], log: Path) -> None:
    """Run one manage.py command with a timeout; raise BenchError with its output on failure."""
    cmd = [str(VENV_BIN / "python"), str(ROOT / "manage.py"), *args]
    with log.open("ab") as out:
        out.write(f"\n$ {' '.join(args)}\n".encode())
        out.flush()
        try:
            result = subprocess.run(
                cmd,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=SETUP_TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            limit = f"{SETUP_TIMEOUT_S:.0f} s"
            raise BenchError(f"manage.py {args[0]} took longer than {limit}") from exc
    if result.returncode != 0:
        raise BenchError(f"manage.py {args[0]} failed:\n{tail(log)}")


def prepare_database(workdir: Path) -> str:
    """Create, migrate and seed a SQLite database in workdir; collect static files."""
    database_url = f"sqlite:///{workdir / 'db.sqlite3'}"
    env = base_env(database_url)
    log = workdir / "setup.log"
    for args in (["migrate", "--noinput"], ["seed_demo"], ["collectstatic", "--noinput"]):
        started = time.perf_counter()
        manage(args, env, log)
        print(f"  manage.py {args[0]:<13} {time.perf_counter() - started:6.1f} s", flush=True)
    return database_url


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file (empty when it does not exist)."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def port_answers(port: int) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:port."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def wait_until_ready(process: subprocess.Popen[bytes], port: int, workers: int, log: Path) -> None:
    """Wait until every worker has loaded the app and the port accepts connections.

    Readiness is read from uvicorn's log rather than probed with an HTTP request, so that the
    cold scenario's first request really is the first one the application sees. uvicorn's
    supervisor restarts workers that die on import, forever: a traceback or a "died" line in
    the log therefore counts as a failed start.
    """
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"uvicorn exited with {process.returncode}:\n{tail(log)}")
        text = log.read_text(errors="replace") if log.exists() else ""
        crashed = re.search(r"Traceback \(most recent call last\)|Child process \[\d+\] died", text)
        if crashed:
            raise BenchError(f"a uvicorn worker failed to start:\n{tail(log, 40)}")
        if text.count("Application startup complete.") >= workers and port_answers(port):
            return
        time.sleep(0.1)
    raise BenchError(f"uvicorn was not ready within {START_TIMEOUT_S:.0f} s:\n{tail(log)}")


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Terminate the server's process group; kill it when it does not stop in time.

    The group is the one ``start_new_session`` gave the supervisor (its pid), so only
    processes this script started are signalled.
    """
    if process.poll() is None:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=STOP_TIMEOUT_S)
    # Workers left behind by a supervisor that died share its group: make sure they go too.
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


@contextmanager
def server(
    database_url: str, app: str, workers: int, workdir: Path, name: str, cache_seconds: int | None
) -> Iterator[int]:
    """Start uvicorn in its own process group, yield its port, always stop it afterwards."""
    env = base_env(database_url)
    if cache_seconds is not None:
        env["PAGE_CACHE_SECONDS"] = str(cache_seconds)
    port = free_port()
    log = workdir / f"uvicorn-{name}.log"
    cmd = [
        str(VENV_BIN / "uvicorn"),
        "--app-dir",
        "site",
        app,
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--no-access-log",
        "--ws-per-message-deflate",
        "false",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        try:
            wait_until_ready(process, port, workers, log)
        except BenchError as exc:
            raise BenchError(f"{name} server (uvicorn {app}): {exc}") from None
        yield port
    finally:
        stop_server(process)


# --- Load -----------------------------------------------------------------------------------

# Never use a proxy from the environment: all traffic stays on 127.0.0.1.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def fetch(url: str) -> tuple[float, int, dict[str, str]]:
    """GET url (new connection); return wall time in ms, status and lower-cased headers."""
    started = time.perf_counter()
    try:
        with _OPENER.open(url, timeout=REQUEST_TIMEOUT_S) as response:
            response.read()
            status = response.status
            headers = {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as exc:
        exc.read()
        status = exc.code
        headers = {k.lower(): v for k, v in exc.headers.items()}
    return (time.perf_counter() - started) * 1000, status, headers


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(value: str) -> float:
    """Convert a wrk duration such as '812.00us', '3.41ms' or '1.02s' to milliseconds."""
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", value.strip())
    if not match:
        raise ValueError(f"not a wrk duration: {value!r}")
    return float(match.group(1)) * _UNITS_MS[match.group(2)]


def parse_wrk(output: str) -> WrkResult:
    """Parse wrk's text output (run with --latency) into numbers."""

    def find(pattern: str) -> re.Match[str]:
        match = re.search(pattern, output, re.MULTILINE)
        if not match:
            raise ValueError(f"wrk output lacks {pattern!r}:\n{output}")
        return match

    latency = find(r"^\s*Latency\s+(\S+)\s+\S+\s+(\S+)")
    percentiles = {
        p: _ms(m.group(1))
        for p in ("50", "75", "90", "99")
        if (m := re.search(rf"^\s*{p}(?:\.0+)?%\s+(\S+)", output, re.MULTILINE))
    }
    done = find(r"^\s*(\d+) requests in ([\d.]+\w+)")
    errors = {"connect": 0, "read": 0, "write": 0, "timeout": 0}
    if m := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    ):
        errors = dict(zip(errors, map(int, m.groups()), strict=True))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    hits = re.search(r"HITCHECK hits=(\d+) misses=(\d+)", output)
    return WrkResult(
        requests=int(done.group(1)),
        duration_s=_ms(done.group(2)) / 1000,
        requests_per_s=float(find(r"Requests/sec:\s+([\d.]+)").group(1)),
        latency_ms=percentiles,
        latency_avg_ms=_ms(latency.group(1)),
        latency_max_ms=_ms(latency.group(2)),
        non_2xx_3xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=errors,
        hits=int(hits.group(1)) if hits else None,
        misses=int(hits.group(2)) if hits else None,
    )


def run_wrk(
    wrk: str, url: str, seconds: int, threads: int, connections: int, script: Path | None = None
) -> WrkResult:
    """Run wrk with keep-alive against url and return the parsed result."""
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        WRK_TIMEOUT,
    ]
    if script is not None:
        cmd += ["-s", str(script)]
    cmd.append(url)
    try:
        result = subprocess.run(
            cmd, capture_output=True, text=True, timeout=seconds + 30, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk did not finish within {seconds + 30} s") from exc
    if result.returncode != 0:
        raise BenchError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return parse_wrk(result.stdout)


# --- Scenarios ------------------------------------------------------------------------------


def scenario_cold(url: str, report: Report) -> ColdResult:
    """Time the first ten requests to a fresh server; report the first two."""
    times: list[float] = []
    x_cache: list[str] = []
    for _ in range(10):
        elapsed, status, headers = fetch(url)
        if status != 200:
            report.notes.append(f"cold: {url} answered {status}")
        if "x-page-cacheable" in headers:
            report.marker_header_leaked = True
        times.append(elapsed)
        x_cache.append(headers.get("x-cache", ""))
    return ColdResult(
        first_ms=times[0],
        second_ms=times[1],
        next_median_ms=statistics.median(times[2:]),
        x_cache=x_cache,
    )


def warm_cache(url: str, report: Report) -> None:
    """Request the page until it has come from the cache several times in a row.

    Each uvicorn worker has its own in-process (LocMem) cache and urllib opens a new
    connection per request, so a run of hits in a row means every worker holds the page.
    """
    in_a_row = 0
    for attempt in range(1, CACHE_WARM_MAX_REQUESTS + 1):
        _, status, headers = fetch(url)
        if "x-page-cacheable" in headers:
            report.marker_header_leaked = True
        if status == 200 and headers.get("x-cache") == "hit":
            report.cache_warm_hit_seen = True
            in_a_row += 1
            if in_a_row >= CACHE_WARM_HITS_IN_A_ROW:
                report.cache_warm_requests = attempt
                return
        else:
            in_a_row = 0
    report.cache_warm_requests = CACHE_WARM_MAX_REQUESTS
    report.notes.append(
        f"cached: no run of {CACHE_WARM_HITS_IN_A_ROW} 'x-cache: hit' responses in "
        f"{CACHE_WARM_MAX_REQUESTS} warm-up requests"
        + ("" if report.cache_warm_hit_seen else " (not a single hit)")
    )


# --- Report ---------------------------------------------------------------------------------


def evaluate(report: Report) -> None:
    """Compare the cached figures with the targets and store PASS/MISS lines."""
    cached, uncached = report.cached, report.uncached
    checks: list[tuple[str, float | None, str, float]] = [
        (
            "cached p50 latency (ms)",
            cached.latency_ms.get("50") if cached else None,
            "<=",
            TARGET_CACHED_P50_MS,
        ),
        (
            "cached throughput (req/s)",
            cached.requests_per_s if cached else None,
            ">=",
            TARGET_CACHED_RPS,
        ),
        (
            "cached / uncached throughput",
            cached.requests_per_s / uncached.requests_per_s
            if cached and uncached and uncached.requests_per_s
            else None,
            ">=",
            TARGET_SPEEDUP,
        ),
    ]
    for name, value, op, target in checks:
        ok = value is not None and (value <= target if op == "<=" else value >= target)
        report.targets.append(
            {
                "target": name,
                "value": value,
                "op": op,
                "limit": target,
                "result": "PASS" if ok else "MISS",
            }
        )


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def print_report(report: Report) -> None:
    """Print the table of scenarios, the targets and any notes."""
    print()
    app = "" if report.app == DEFAULT_APP else f" [app {report.app}]"
    print(
        f"Page {report.path}: {report.workers} uvicorn workers, wrk -t{report.threads} "
        f"-c{report.connections} -d{report.seconds}s{app}"
    )
    if report.cold:
        c = report.cold
        print(
            f"  cold: first request {c.first_ms:.1f} ms, second {c.second_ms:.1f} ms "
            f"(median of requests 3-10: {c.next_median_ms:.1f} ms)"
        )
    header = (
        f"  {'scenario':<10} {'req/s':>10} {'p50 ms':>8} {'p75 ms':>8} {'p90 ms':>8} "
        f"{'p99 ms':>8} {'requests':>9} {'non-2xx':>8} {'sock err':>9} {'hits':>12}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for name in ("uncached", "cached"):
        result: WrkResult | None = getattr(report, name)
        warmup: WrkResult | None = getattr(report, f"{name}_warmup")
        if result is None:
            print(f"  {name:<10} (not run)")
            continue
        hits = "-"
        if warmup is not None and warmup.hits is not None:
            total = (warmup.hits or 0) + (warmup.misses or 0)
            hits = f"{warmup.hits}/{total}"
        lat = result.latency_ms
        print(
            f"  {name:<10} {_fmt(result.requests_per_s):>10} {_fmt(lat.get('50'), 2):>8} "
            f"{_fmt(lat.get('75'), 2):>8} {_fmt(lat.get('90'), 2):>8} "
            f"{_fmt(lat.get('99'), 2):>8} {result.requests:>9} {result.non_2xx_3xx:>8} "
            f"{sum(result.socket_errors.values()):>9} {hits:>12}"
        )
    print("  (hits: x-cache: hit responses during the 2 s wrk warm-up before the measured run)")
    print()
    for t in report.targets:
        print(
            f"  {t['result']:<4}  {t['target']:<30} {_fmt(t['value'], 2):>10} "
            f"{t['op']} {t['limit']:g}"
        )
    if report.marker_header_leaked:
        report.notes.append(
            "the internal X-Page-Cacheable marker reached the client: PageCacheApp did not "
            "recognise it, so the response was not stored"
        )
    for note in report.notes:
        print(f"  note: {note}")


def write_json(report: Report) -> Path:
    """Write the report to bench/results/pages-<timestamp>.json and return the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"pages-{stamp}.json"
    path.write_text(json.dumps(asdict(report), indent=2) + "\n")
    return path


# --- Main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="measured wrk duration (10)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2)")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers (2)")
    parser.add_argument("--path", default="/visie/", help="page to measure (/visie/)")
    parser.add_argument(
        "--app",
        default=DEFAULT_APP,
        help=f"ASGI application to serve ({DEFAULT_APP}); another one, found through "
        "PYTHONPATH, lets you measure a candidate change without editing the project",
    )
    args = parser.parse_args(argv)
    if min(args.seconds, args.connections, args.threads, args.workers) < 1:
        parser.error("--seconds, --connections, --threads and --workers must be at least 1")
    if args.connections < args.threads:
        parser.error("--connections must be at least --threads (wrk's rule)")
    if not args.path.startswith("/"):
        parser.error("--path must start with /")
    return args


def run(args: argparse.Namespace, wrk: str, report: Report, workdir: Path) -> None:
    """Set up the database and run the three scenarios, filling in the report."""
    print("Preparing a throwaway database ...", flush=True)
    database_url = prepare_database(workdir)
    hit_script = workdir / "hitcheck.lua"
    hit_script.write_text(HIT_CHECK_LUA)

    print("Scenario cold ...", flush=True)
    with server(database_url, args.app, args.workers, workdir, "cold", None) as port:
        report.cold = scenario_cold(f"http://{HOST}:{port}{args.path}", report)

    print("Scenario uncached ...", flush=True)
    with server(database_url, args.app, args.workers, workdir, "uncached", 0) as port:
        url = f"http://{HOST}:{port}{args.path}"
        report.uncached_warmup = run_wrk(
            wrk, url, WARMUP_SECONDS, args.threads, args.connections, hit_script
        )
        report.uncached = run_wrk(wrk, url, args.seconds, args.threads, args.connections)

    print("Scenario cached ...", flush=True)
    with server(database_url, args.app, args.workers, workdir, "cached", 600) as port:
        url = f"http://{HOST}:{port}{args.path}"
        warm_cache(url, report)
        report.cached_warmup = run_wrk(
            wrk, url, WARMUP_SECONDS, args.threads, args.connections, hit_script
        )
        report.cached = run_wrk(wrk, url, args.seconds, args.threads, args.connections)
        if report.cached_warmup.hits == 0:
            report.notes.append("cached: wrk saw no 'x-cache: hit' at all: the cache is not used")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit status (0 report, 1 failure, 2 no wrk)."""
    args = parse_args(argv)
    wrk = shutil.which("wrk")
    if wrk is None:
        print("wrk is not installed: apt-get install wrk", file=sys.stderr)
        return 2
    if not (VENV_BIN / "uvicorn").exists():
        print(f"no uvicorn in {VENV_BIN}: install the project into .venv first", file=sys.stderr)
        return 1
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    signal.signal(signal.SIGHUP, _raise_keyboard_interrupt)

    report = Report(
        started_at=datetime.now().astimezone().isoformat(timespec="seconds"),
        path=args.path,
        seconds=args.seconds,
        connections=args.connections,
        threads=args.threads,
        workers=args.workers,
        app=args.app,
        machine={
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
        },
    )
    load = os.getloadavg()[0]
    report.machine["loadavg_1min_at_start"] = load
    if load > 0.5 * (os.cpu_count() or 1):
        report.notes.append(
            f"load average was {load:.1f} at the start (another job, or a run that has just "
            "finished): the figures may be low and noisy"
        )
    status = 0
    with tempfile.TemporaryDirectory(prefix="jeugdstem-bench-") as tmp:
        try:
            run(args, wrk, report, Path(tmp))
        except BenchError as exc:
            print(f"\nFAILED: {exc}", file=sys.stderr)
            report.notes.append(f"failed: {str(exc).splitlines()[0]}")
            status = 1
        except KeyboardInterrupt:
            print("\ninterrupted; servers stopped", file=sys.stderr)
            return 130
    evaluate(report)
    print_report(report)
    print(f"\nJSON: {write_json(report).relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
