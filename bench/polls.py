#!/usr/bin/env python3
"""Benchmark the live polls: thousands of simulated phones on one session, a storm of votes.

Every scenario gets a freshly started server on 127.0.0.1 and a free port:

* ``a``: the ceiling, a bare ``websockets`` server inside this file that does the same job
  (count votes, ack, broadcast a coalesced tally at most every 150 ms to every socket);
* ``b``: Jeugdstem's live poll (uvicorn, SQLite, in-memory channel layer);
* ``c``: the naive variant, one ``group_send`` per vote (``bench/naive_poll.py``, not product
  code), N capped at 300;
* ``d``: Jeugdstem on Redis (channels-redis pub/sub), with ``--redis`` and when
  ``redis-server`` is installed; the script starts its own Redis on a free port;
* ``e``: ``--rate`` votes/s (500) over WebSocket for ``--sustained-seconds`` (30), every phone
  voting again and again;
* ``f``: ``--http-rate`` votes/s (300) as form posts to the phone page (the HTTP fallback).

Jeugdstem servers run with ``bench/bench_settings.py`` (the dev settings without the per-IP
limits, since every simulated phone comes from 127.0.0.1).

Per scenario it connects N phones plus one screen socket, then sends ``--votes`` votes from
different random phones spread over ``--storm-seconds``, and measures connect time, ack
latency, ack-to-screen latency, the time until the last vote is on every screen, server
memory per idle phone and server CPU (from ``/proc``), and whether every acknowledged vote
is in the database. It prints one markdown table, PASS/MISS per target, and writes
``bench/results/polls-<timestamp>.json``.

It is a report, not a test: exit status 0 when a report was produced, 1 when the database
set-up or a server failed to start, 130 when interrupted. Only the standard library and
the ``websockets`` package are used; run it with the project's interpreter::

    .venv/bin/python bench/polls.py [--quick] [--phones 2000] [--votes 2000] [--redis]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib.util
import json
import math
import os
import platform
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import websockets
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pages as harness  # noqa: E402  (the shared process helpers of bench/pages.py)
from pages import BenchError  # noqa: E402

ROOT = harness.ROOT
VENV_BIN = harness.VENV_BIN
RESULTS_DIR = harness.RESULTS_DIR
HOST = harness.HOST
BENCH_DIR = Path(__file__).resolve().parent
ORIGIN = "http://localhost"  # in ALLOWED_HOSTS, so AllowedHostsOriginValidator lets it in

# Bounds.
MAX_SOCKETS = 5000  # phones + the one screen socket
SCENARIO_LIMIT_S = 90.0  # from the first connection to the last measurement
CONNECT_LIMIT_S = 30.0  # for all phones to connect
MAX_STORM_S = 45.0
DRAIN_LIMIT_S = 10.0  # after the last vote was sent, for the acks
LAST_VOTE_LIMIT_S = 5.0  # after the last ack, for every screen to show it
CONNECT_CONCURRENCY = 200  # handshakes in flight at once
WATCHER_SAMPLE = 200  # random phones that count as screens, beside the screen socket
IDLE_SETTLE_S = 1.0  # before reading the server's memory with N idle phones
START_TIMEOUT_S = 60.0
SHELL_TIMEOUT_S = 300.0

# The ceiling server's rhythm, the same as youth_panel/live.py.
TICK_S = 0.05
BROADCAST_INTERVAL_S = 0.15

# Targets.
TARGET_PHONES = 2000
TARGET_CONNECT_S = 10.0
TARGET_SCREEN_P50_MS = 150.0
TARGET_SCREEN_P95_MS = 250.0
TARGET_LAST_VOTE_MS = 300.0
TARGET_VS_CEILING = 2.0
TARGET_KB_PER_PHONE = 40.0
TARGET_REDIS_VS_MEMORY = 1.3
TARGET_NAIVE_WORSE = 20.0  # (c) at least this many times worse than (b)
NAIVE_MAX_PHONES = 300  # (c) is capped: its cost grows with phones x votes
TARGET_WS_RATE = 500.0  # votes/s, sustained over SUSTAINED_S, scenario (e)
TARGET_WS_ACK_P95_MS = 150.0
TARGET_HTTP_RATE = 300.0  # votes/s over the HTTP fallback, scenario (f)
SUSTAINED_S = 30.0
HTTP_CONNECTIONS = 64  # keep-alive connections of the HTTP load generator
HTTP_TIMEOUT_S = 10.0
CSRF_SECRET = "benchbenchbenchbenchbenchbench12"  # 32 letters and digits, as Django makes them
CLIENT_BOUND_SHARE = 0.9  # of one core

# uvicorn runs on uvloop when it is installed (--loop auto); the ceiling does the same, so that
# (a) and (b) differ in the application, not in the event loop.
SERVER_LOOP = "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"

STATE_PREFIX = '{"type": "state"'  # json.dumps of the server's state dict starts like this

MAKE_SESSIONS = """
import json, os
from django.http import HttpResponse
from youth_panel.views import PARTICIPANT_COOKIE, PARTICIPANT_SALT
from youth_panel.models import PollQuestion, PollSession
from youth_panel.polls import control
out = {"sessions": {}}
for key in os.environ["BENCH_SESSIONS"].split(","):
    session = PollSession.objects.create(title=f"Benchmark ({key})")
    question = PollQuestion.objects.create(
        session=session, sort_order=0, text="Doe je mee?", kind="yes_no"
    )
    session = control(session, "start")
    session = control(session, "show")
    out["sessions"][key] = {"id": session.pk, "code": session.join_code, "question": question.pk}
count = int(os.environ["BENCH_PHONES"])
response = HttpResponse()
cookies = []
for i in range(count):
    response.set_signed_cookie(PARTICIPANT_COOKIE, f"{i:032x}", salt=PARTICIPANT_SALT)
    cookies.append(response.cookies[PARTICIPANT_COOKIE].value)
out["cookies"] = cookies
print("BENCH-JSON " + json.dumps(out))
"""

CHECK_VOTES = """
import json, os
from youth_panel.models import Vote
with open(os.environ["BENCH_ACKED"]) as f:
    acked = set(json.load(f))
rows = list(
    Vote.objects.filter(question_id=int(os.environ["BENCH_QUESTION"]))
    .values_list("vote_id", "participant")
)
ids = [str(vote_id) for vote_id, _ in rows]
found = set(ids)
print("BENCH-JSON " + json.dumps({
    "rows": len(rows),
    "distinct_vote_ids": len(found),
    "distinct_participants": len({p for _, p in rows}),
    "acked": len(acked),
    "acked_in_db": len(acked & found),
    "acked_missing": len(acked - found),
    "rows_not_acked": len(found - acked),
}))
"""

CHECK_EXPECTED = """
import json, os
from youth_panel import polls
from youth_panel.models import PollQuestion, Vote
with open(os.environ["BENCH_EXPECTED"]) as f:
    given = json.load(f)
last, allowed = given["last"], given["allowed"]
question = PollQuestion.objects.get(pk=int(os.environ["BENCH_QUESTION"]))
stored = {
    participant: str(vote_id)
    for participant, vote_id in Vote.objects.filter(question=question).values_list(
        "participant", "vote_id"
    )
}
tally = polls.tally(question)
print("BENCH-JSON " + json.dumps({
    "rows": len(stored),
    "participants_acked": len(last),
    "acked_missing": sum(p not in stored for p in last),
    "rows_not_acked": sum(v not in allowed.get(p, ()) for p, v in stored.items()),
    "not_last_acked": sum(p in stored and stored[p] != v for p, v in last.items()),
    "tally_total": tally["total"],
    "tally_sum": sum(o["count"] for o in tally["options"]),
}))
"""


# --- Results --------------------------------------------------------------------------------


@dataclass
class Scenario:
    """What one scenario measured; written as JSON."""

    key: str
    name: str
    server: str
    phones: int
    votes: int
    storm_seconds: float
    ran: bool = False
    skipped: str | None = None
    failed: str | None = None
    # Connecting.
    connected: int = 0
    connect_errors: int = 0
    connect_error_kinds: dict[str, int] = field(default_factory=dict)
    connect_s: float | None = None
    connect_client_cpu_share: float | None = None
    connect_server_cpu_ms_per_phone: float | None = None
    rss_before_kb: int | None = None
    rss_after_kb: int | None = None
    kb_per_idle_phone: float | None = None
    # The storm.
    votes_sent: int = 0
    votes_acked: int = 0
    vote_errors: dict[str, int] = field(default_factory=dict)
    votes_unanswered: int = 0
    sockets_closed_during_storm: int = 0
    send_span_s: float | None = None
    votes_per_s: float | None = None
    ack_ms: dict[str, float] = field(default_factory=dict)
    screen_ms: dict[str, float] = field(default_factory=dict)
    send_to_screen_ms: dict[str, float] = field(default_factory=dict)
    screen_sample: int = 0  # sockets whose frames the two figures above are taken over
    dedicated_screen_ms: dict[str, float] = field(default_factory=dict)  # the screen alone
    every_phone_ms: dict[str, float] = field(default_factory=dict)
    last_vote_every_screen_ms: float | None = None
    screens_without_last_vote: int = 0
    fanout_ms: dict[str, float] = field(default_factory=dict)
    broadcasts_seen: int = 0
    frames_delivered: int = 0
    storm_wall_s: float | None = None
    server_cpu_s: float | None = None
    server_cpu_share: float | None = None
    server_cpu_us_per_frame: float | None = None
    client_cpu_s: float | None = None
    client_cpu_share: float | None = None
    client_bound: bool = False
    server_ms_per_broadcast: float | None = None  # server CPU in the storm / broadcasts
    bench_ms_per_broadcast: float | None = None  # bench CPU in the storm / broadcasts
    bench_limits_fanout: bool = False  # the bench takes longer to read a broadcast than ...
    redis_cpu_s: float | None = None
    final_total_on_screen: int | None = None
    db: dict[str, Any] | None = None
    integrity_ok: bool | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    """Everything the run produced; written as JSON."""

    started_at: str
    options: dict[str, Any]
    machine: dict[str, Any]
    scenarios: list[Scenario] = field(default_factory=list)
    table_markdown: str = ""
    targets: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


# --- /proc ----------------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def group_pids(pgid: int) -> list[int]:
    """The live processes of a process group (the server and any workers it forked)."""
    pids = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry.name}/stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rfind(")") + 2 :].split()
        if int(fields[2]) == pgid:
            pids.append(int(entry.name))
    return pids


def group_cpu_s(pgid: int) -> float:
    """User + system CPU seconds of a process group's live processes."""
    total = 0
    for pid in group_pids(pgid):
        with suppress(OSError):
            stat = Path(f"/proc/{pid}/stat").read_text()
            fields = stat[stat.rfind(")") + 2 :].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def group_rss_kb(pgid: int) -> int:
    """Resident memory (VmRSS, KB) of a process group's live processes, summed."""
    total = 0
    for pid in group_pids(pgid):
        with suppress(OSError):
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


# --- Servers --------------------------------------------------------------------------------


@dataclass
class Server:
    """A started process group and where it listens."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def pgid(self) -> int:
        return self.process.pid


def start_group(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a command in its own session (process group) with its output in log."""
    with log.open("wb") as out:
        return subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )


def wait_for_ready_line(
    process: subprocess.Popen[bytes], port: int, log: Path, marker: str, what: str
) -> None:
    """Wait until the log shows marker and the port accepts connections."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise BenchError(f"{what} exited with {process.returncode}:\n{harness.tail(log)}")
        text = log.read_text(errors="replace") if log.exists() else ""
        if "Traceback (most recent call last)" in text:
            raise BenchError(f"{what} failed to start:\n{harness.tail(log, 40)}")
        if marker in text and harness.port_answers(port):
            return
        time.sleep(0.1)
    raise BenchError(f"{what} was not ready within {START_TIMEOUT_S:.0f} s:\n{harness.tail(log)}")


@contextmanager
def jeugdstem_server(
    database_url: str,
    workers: int,
    workdir: Path,
    name: str,
    redis_url: str | None,
    app: str = "config.asgi:application",
) -> Iterator[Server]:
    """uvicorn serving app (Jeugdstem by default) in its own process group; always stopped.

    The servers run with bench/bench_settings.py: the dev settings without the per-IP limits,
    since every simulated phone comes from 127.0.0.1.
    """
    env = bench_env(database_url)
    if redis_url:
        env["REDIS_URL"] = redis_url
    port = harness.free_port()
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
    process = start_group(cmd, env, log)
    try:
        try:
            harness.wait_until_ready(process, port, workers, log)
        except BenchError as exc:
            raise BenchError(f"{name} server (uvicorn): {exc}") from None
        yield Server(name, process, port, log)
    finally:
        harness.stop_server(process)


def bench_env(database_url: str) -> dict[str, str]:
    """harness.base_env() with bench/ on the path and bench_settings as the settings."""
    env = harness.base_env(database_url)
    env["PYTHONPATH"] = os.pathsep.join([str(BENCH_DIR), env["PYTHONPATH"]])
    env["DJANGO_SETTINGS_MODULE"] = "bench_settings"
    return env


@contextmanager
def ceiling_server(workdir: Path) -> Iterator[Server]:
    """This file's bare websockets server, in its own process group; always stopped."""
    port = harness.free_port()
    log = workdir / "ceiling.log"
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    cmd = [sys.executable, str(Path(__file__).resolve()), "--ceiling-server", str(port)]
    cmd += ["--loop", SERVER_LOOP]
    process = start_group(cmd, env, log)
    try:
        wait_for_ready_line(process, port, log, "ceiling ready", "ceiling server")
        yield Server("ceiling", process, port, log)
    finally:
        harness.stop_server(process)


def redis_answers(port: int) -> bool:
    """Whether a Redis server on 127.0.0.1:port answers PING."""
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


@contextmanager
def redis_server(binary: str, workdir: Path) -> Iterator[Server]:
    """A throwaway redis-server without persistence on a free loopback port; always stopped."""
    port = harness.free_port()
    log = workdir / "redis.log"
    cmd = [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"]
    cmd += ["--daemonize", "no", "--dir", str(workdir)]
    process = start_group(cmd, dict(os.environ), log)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while not redis_answers(port):
            if process.poll() is not None:
                raise BenchError(
                    f"redis-server exited with {process.returncode}:\n{harness.tail(log)}"
                )
            if time.monotonic() > deadline:
                raise BenchError(f"redis-server was not ready within {START_TIMEOUT_S:.0f} s")
            time.sleep(0.05)
        yield Server("redis", process, port, log)
    finally:
        harness.stop_server(process)


def manage_shell(code: str, env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run code with manage.py shell -c; return the JSON it printed after 'BENCH-JSON '."""
    cmd = [str(VENV_BIN / "python"), str(ROOT / "manage.py"), "shell", "-c", code]
    try:
        result = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=SHELL_TIMEOUT_S
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"manage.py shell took longer than {SHELL_TIMEOUT_S:.0f} s") from exc
    with log.open("a") as out:
        out.write(f"\n$ manage.py shell -c ...\n{result.stderr}")
    for line in result.stdout.splitlines():
        if line.startswith("BENCH-JSON "):
            return json.loads(line[len("BENCH-JSON ") :])
    raise BenchError(f"manage.py shell failed ({result.returncode}):\n{result.stderr[-3000:]}")


# --- The ceiling: a bare websockets server doing the same job -------------------------------


async def serve_ceiling(port: int) -> None:
    """Count votes in memory, ack each at once, broadcast a coalesced tally to every socket."""
    from websockets.asyncio.server import broadcast, serve

    labels = ["Ja", "Nee", "Weet ik niet"]
    question = {
        "id": 1,
        "text": "Doe je mee?",
        "kind": "yes_no",
        "max_choices": 2,
        "options": [{"index": i, "label": label, "emoji": ""} for i, label in enumerate(labels)],
    }
    sockets: set = set()
    answers: dict[str, int] = {}  # participant -> option
    vote_ids: dict[str, str] = {}  # vote id -> participant
    counts = [0] * len(labels)
    hub = {"version": 0, "dirty": False, "last": 0.0}

    def state() -> str:
        total = len(answers)
        tally = {
            "question": 1,
            "kind": "yes_no",
            "total": total,
            "options": [
                {
                    "label": label,
                    "emoji": "",
                    "count": counts[i],
                    "percent": round(100 * counts[i] / total) if total else 0,
                }
                for i, label in enumerate(labels)
            ],
        }
        return json.dumps(
            {
                "type": "state",
                "version": hub["version"],
                "status": "running",
                "voting_open": True,
                "results_visible": True,
                "participants": total,
                "sent_at": time.time(),
                "question": question,
                "tally": tally,
            }
        )

    def error(code: str, vote_id: str | None = None) -> str:
        reply = {"type": "error", "code": code, "message": code}
        if vote_id:
            reply["vote_id"] = vote_id
        return json.dumps(reply)

    async def handler(ws) -> None:
        cookies = ws.request.headers.get("Cookie", "")
        participant = next(
            (
                part.split("=", 1)[1]
                for part in cookies.split("; ")
                if part.startswith("deelnemer=")
            ),
            None,
        )
        sockets.add(ws)
        try:
            await ws.send(state())
            async for text in ws:
                try:
                    message = json.loads(text)
                    vote_id = str(uuid.UUID(str(message.get("vote_id", ""))))
                    answer = int(message.get("answer"))
                except (ValueError, TypeError, AttributeError):
                    await ws.send(error("bad_message"))
                    continue
                if message.get("type") != "vote" or participant is None:
                    await ws.send(error("bad_message", vote_id))
                    continue
                if not 0 <= answer < len(labels):
                    await ws.send(error("unknown_option", vote_id))
                    continue
                if vote_ids.get(vote_id, participant) != participant:
                    await ws.send(error("bad_message", vote_id))
                    continue
                if vote_id not in vote_ids:
                    vote_ids[vote_id] = participant
                    previous = answers.get(participant)
                    if previous is not None:
                        counts[previous] -= 1
                    answers[participant] = answer
                    counts[answer] += 1
                    hub["version"] += 1
                    hub["dirty"] = True
                await ws.send(json.dumps({"type": "ack", "vote_id": vote_id}))
        finally:
            sockets.discard(ws)

    async def broadcaster() -> None:
        while True:
            await asyncio.sleep(TICK_S)
            now = time.monotonic()
            if hub["dirty"] and now - hub["last"] >= BROADCAST_INTERVAL_S:
                hub["dirty"], hub["last"] = False, now
                broadcast(sockets, state())  # serialised once, written to every socket

    async with serve(
        handler, HOST, port, compression=None, max_size=64 * 1024, ping_interval=None, backlog=4096
    ):
        task = asyncio.get_running_loop().create_task(broadcaster())
        print("ceiling ready", flush=True)
        try:
            await asyncio.Future()
        finally:
            task.cancel()


# --- Simulated phones -----------------------------------------------------------------------


class Client:
    """One socket: a phone (with a participant cookie) or the screen."""

    __slots__ = ("ws", "frames", "max_total", "ready", "closed", "task", "index")

    def __init__(self) -> None:
        self.ws: ClientConnection | None = None
        self.frames: list[tuple[float, int]] = []  # (perf_counter, tally total) per state frame
        self.max_total = -1
        self.ready: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.closed = False
        self.task: asyncio.Task[None] | None = None
        self.index = -1  # which cookie (participant) a phone has; -1 for the screen


class Load:
    """The shared bookkeeping of all simulated sockets during one scenario."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.states: dict[str, tuple[int, float, int]] = {}  # frame text -> total, sent_at, version
        self.sent: dict[str, float] = {}  # vote id -> send time
        self.acked: dict[str, float] = {}  # vote id -> ack time
        self.ack_times: list[float] = []  # in arrival order (so sorted)
        self.answered: set[str] = set()  # vote ids that got an ack or an error
        self.vote_errors: Counter[str] = Counter()
        self.other_errors: Counter[str] = Counter()
        self.recording = False
        self.lags_ms: list[float] = []  # server sent_at -> received, frames during the storm
        self.frames_delivered = 0
        self.versions_seen: set[int] = set()
        self.readers: list[asyncio.Task[None]] = []  # one per socket that got connected

    def state_info(self, text: str) -> tuple[int, float, int]:
        info = self.states.get(text)
        if info is None:
            data = json.loads(text)
            tally = data.get("tally") or {}
            total = tally.get("total", -1) if isinstance(tally, dict) else -1
            info = (int(total), float(data.get("sent_at") or 0.0), int(data.get("version") or 0))
            self.states[text] = info
        return info

    async def read(self, client: Client, screen: bool) -> None:
        """Record every frame a socket receives; cheap, since it runs for thousands of them."""
        assert client.ws is not None
        try:
            async for text in client.ws:
                now = time.perf_counter()
                if not isinstance(text, str):
                    continue
                if text.startswith(STATE_PREFIX):
                    self._state(client, text, now, screen)
                    continue
                message = json.loads(text)
                kind = message.get("type")
                if kind == "state":
                    self._state(client, text, now, screen)
                elif kind == "ack":
                    vote_id = message.get("vote_id")
                    if vote_id in self.sent and vote_id not in self.answered:
                        self.answered.add(vote_id)
                        self.acked[vote_id] = now
                        self.ack_times.append(now)
                elif kind == "error":
                    vote_id = message.get("vote_id")
                    if vote_id in self.sent and vote_id not in self.answered:
                        self.answered.add(vote_id)
                        self.vote_errors[str(message.get("code"))] += 1
                    else:
                        self.other_errors[str(message.get("code"))] += 1
        except ConnectionClosed:
            pass
        finally:
            client.closed = True
            if not client.ready.done():
                client.ready.set_exception(ConnectionError("closed before the first state frame"))

    def _state(self, client: Client, text: str, now: float, screen: bool) -> None:
        total, sent_at, version = self.state_info(text)
        client.frames.append((now, total))
        if total > client.max_total:
            client.max_total = total
        if self.recording:
            self.frames_delivered += 1
            self.lags_ms.append((time.time() - sent_at) * 1000)
            if screen:
                self.versions_seen.add(version)
        if not client.ready.done():
            client.ready.set_result(now)

    async def open(self, cookie: str | None, screen: bool = False) -> Client:
        """Connect one socket and wait for its first state frame."""
        client = Client()
        headers = {"Cookie": f"deelnemer={cookie}"} if cookie else None
        client.ws = await connect(
            self.url,
            origin=ORIGIN,  # type: ignore[arg-type]
            additional_headers=headers,
            compression=None,
            proxy=None,  # loopback only, whatever the environment says
            open_timeout=CONNECT_LIMIT_S,
            ping_interval=None,
            close_timeout=1,
            max_size=1 << 20,
            max_queue=64,
        )
        client.task = asyncio.get_running_loop().create_task(self.read(client, screen))
        self.readers.append(client.task)
        try:
            await asyncio.wait_for(asyncio.shield(client.ready), CONNECT_LIMIT_S)
        except BaseException:
            client.ws.transport.abort()
            raise
        return client


def percentiles(values: list[float]) -> dict[str, float]:
    """p50, p95 and max (nearest rank) of a list of milliseconds; {} when empty."""
    if not values:
        return {}
    ordered = sorted(values)

    def rank(p: float) -> float:
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]

    return {"p50": rank(50), "p95": rank(95), "max": ordered[-1], "n": len(ordered)}


def first_reach(frames: list[tuple[float, int]], k_max: int) -> list[float]:
    """reach[k]: when a socket first had a frame with tally total >= k (inf: never), k <= k_max."""
    reach = [math.inf] * (k_max + 1)
    reached = 0
    for at, total in frames:
        if total > reached:
            top = min(total, k_max)
            reach[reached + 1 : top + 1] = [at] * (top - reached)
            reached = top
            if reached >= k_max:
                break
    return reach


def screen_figures(
    s: Scenario, load: Load, watchers: list[Client], sample: list[Client], final: int
) -> None:
    """Ack → screen figures from the frames each socket received.

    For the k-th ack (k acks so far), a socket "shows" it from the first state frame whose
    tally total is at least k (never before the ack itself: then 0). The latency distribution
    is taken over the pairs (vote, socket) of a sample of sockets (the screen and random
    phones), because a single socket's figure depends on where the server happens to put it
    in its fan-out order. "Every phone" takes, per vote, the last of all open sockets.
    """
    acks = load.ack_times
    by_ack = sorted(load.acked, key=load.acked.__getitem__)  # the k-th ack is by_ack[k - 1]
    sent = [load.sent[vote_id] for vote_id in by_ack]
    sampled = {id(client) for client in sample}
    every = [-math.inf] * (final + 1)
    to_screen: list[float] = []
    from_send: list[float] = []
    never = 0
    for client in watchers:
        reach = first_reach(client.frames, final)
        every = list(map(max, every, reach))
        if id(client) in sampled:
            for k in range(1, final + 1):
                if reach[k] == math.inf:
                    never += 1
                    continue
                to_screen.append(max(0.0, reach[k] - acks[k - 1]) * 1000)
                from_send.append(max(0.0, reach[k] - sent[k - 1]) * 1000)
        if client is sample[0]:
            s.dedicated_screen_ms = percentiles(
                [
                    max(0.0, reach[k] - acks[k - 1]) * 1000
                    for k in range(1, final + 1)
                    if reach[k] != math.inf
                ]
            )
    s.screen_ms = percentiles(to_screen)
    s.send_to_screen_ms = percentiles(from_send)
    s.screen_sample = len(sample)
    if never:
        s.notes.append(f"{never} (vote, socket) pairs in the sample never showed the vote")
    s.every_phone_ms = percentiles(
        [
            max(0.0, every[k] - acks[k - 1]) * 1000
            for k in range(1, final + 1)
            if every[k] != math.inf
        ]
    )
    s.screens_without_last_vote = sum(c.max_total < final for c in watchers)
    if every[final] != math.inf:
        s.last_vote_every_screen_ms = max(0.0, every[final] - acks[-1]) * 1000


async def connect_phones(load: Load, cookies: list[str], s: Scenario, pgid: int) -> list[Client]:
    """Connect s.phones phones (CONNECT_CONCURRENCY handshakes at a time); fill in the figures."""
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    phones: list[Client] = []
    kinds: Counter[str] = Counter()

    async def one(index: int, cookie: str) -> None:
        async with gate:
            try:
                client = await load.open(cookie)
            except Exception as exc:  # counted, not fatal: that is what is measured
                kinds[type(exc).__name__] += 1
            else:
                client.index = index
                phones.append(client)

    started, cpu0, server0 = time.perf_counter(), time.process_time(), group_cpu_s(pgid)
    tasks = [asyncio.ensure_future(one(i, cookie)) for i, cookie in enumerate(cookies[: s.phones])]
    _, pending = await asyncio.wait(tasks, timeout=CONNECT_LIMIT_S)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    kinds["not connected in time"] += len(pending)
    if phones:
        s.connect_s = max(phone.ready.result() for phone in phones) - started
    wall = time.perf_counter() - started
    s.connect_client_cpu_share = (time.process_time() - cpu0) / wall if wall else None
    s.connected = len(phones)
    if phones:
        s.connect_server_cpu_ms_per_phone = (group_cpu_s(pgid) - server0) / len(phones) * 1000
    s.connect_errors = s.phones - len(phones)
    s.connect_error_kinds = {k: v for k, v in kinds.items() if v}
    await asyncio.sleep(IDLE_SETTLE_S)
    s.rss_after_kb = group_rss_kb(pgid)
    if phones and s.rss_before_kb is not None:
        s.kb_per_idle_phone = (s.rss_after_kb - s.rss_before_kb) / len(phones)
    return phones


async def drive(
    url: str,
    cookies: list[str],
    question: int,
    args: argparse.Namespace,
    pgid: int,
    s: Scenario,
    acked_ids: list[str],
) -> None:
    """Connect the screen and the phones, run the storm, fill in the scenario's figures.

    The ids of the acknowledged votes are added to acked_ids, for the database check.
    """
    deadline = time.perf_counter() + SCENARIO_LIMIT_S
    load = Load(url)
    rng = random.Random(args.seed)
    clients: list[Client] = []
    try:
        screen = await load.open(None, screen=True)
        clients.append(screen)
        await asyncio.sleep(0.5)
        s.rss_before_kb = group_rss_kb(pgid)

        # 1. N phones connect, at most CONNECT_CONCURRENCY handshakes at a time.
        phones = await connect_phones(load, cookies, s, pgid)
        clients.extend(phones)

        # 2. The storm: one vote from each of `votes` different random phones, evenly spread.
        voters = rng.sample(phones, min(s.votes, len(phones)))
        if len(voters) < s.votes:
            s.notes.append(f"only {len(voters)} phones connected: {len(voters)} votes sent")
        if not voters:
            return
        interval = s.storm_seconds / len(voters)
        senders: set[asyncio.Task[None]] = set()
        send_failures = 0

        async def send(client: Client, vote_id: str, text: str) -> None:
            nonlocal send_failures
            try:
                assert client.ws is not None
                await client.ws.send(text)
            except ConnectionClosed:
                send_failures += 1
                load.answered.add(vote_id)

        open_before = sum(not c.closed for c in clients)
        # No collector pauses in the bench during the storm: they would show up as latency.
        gc.collect()
        gc.freeze()
        gc.disable()
        load.recording = True
        t0, cpu0, server0 = time.perf_counter(), time.process_time(), group_cpu_s(pgid)
        redis0 = group_cpu_s(args.redis_pgid) if args.redis_pgid else None
        for i, client in enumerate(voters):
            delay = t0 + i * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            vote_id = str(uuid.uuid4())
            text = json.dumps(
                {
                    "type": "vote",
                    "vote_id": vote_id,
                    "question": question,
                    "answer": rng.randrange(3),
                }
            )
            load.sent[vote_id] = time.perf_counter()
            task = asyncio.get_running_loop().create_task(send(client, vote_id, text))
            senders.add(task)
            task.add_done_callback(senders.discard)
        s.send_span_s = time.perf_counter() - t0
        s.votes_sent = len(load.sent)

        # 3. Wait for every answer, then for the last acked vote to be on every screen.
        limit = min(time.perf_counter() + DRAIN_LIMIT_S, deadline - LAST_VOTE_LIMIT_S)
        while len(load.answered) < len(load.sent) and time.perf_counter() < limit:
            await asyncio.sleep(0.01)
        final = len(load.ack_times)
        limit = min(time.perf_counter() + LAST_VOTE_LIMIT_S, deadline)
        while time.perf_counter() < limit:
            if all(c.max_total >= final or c.closed for c in clients):
                break
            await asyncio.sleep(0.01)
        t_end = time.perf_counter()
        load.recording = False
        gc.enable()
        s.storm_wall_s = t_end - t0
        s.client_cpu_s = time.process_time() - cpu0
        s.server_cpu_s = group_cpu_s(pgid) - server0
        if redis0 is not None:
            s.redis_cpu_s = group_cpu_s(args.redis_pgid) - redis0
        s.client_cpu_share = s.client_cpu_s / s.storm_wall_s
        s.server_cpu_share = s.server_cpu_s / s.storm_wall_s
        s.client_bound = s.client_cpu_share > CLIENT_BOUND_SHARE
        s.sockets_closed_during_storm = open_before - sum(not c.closed for c in clients)

        # 4. Figures.
        s.votes_acked = final
        s.vote_errors = dict(load.vote_errors)
        if send_failures:
            s.vote_errors["send failed (socket closed)"] = send_failures
        s.votes_unanswered = len(load.sent) - len(load.answered)
        if load.other_errors:
            s.notes.append(f"error frames without a vote id: {dict(load.other_errors)}")
        s.ack_ms = percentiles([(load.acked[v] - load.sent[v]) * 1000 for v in load.acked])
        if final:
            s.votes_per_s = final / (load.ack_times[-1] - t0)
        s.fanout_ms = percentiles(load.lags_ms)
        s.frames_delivered = load.frames_delivered
        s.broadcasts_seen = len(load.versions_seen)
        if s.frames_delivered:
            s.server_cpu_us_per_frame = s.server_cpu_s / s.frames_delivered * 1e6
        s.final_total_on_screen = screen.max_total
        if s.broadcasts_seen:
            s.server_ms_per_broadcast = s.server_cpu_s / s.broadcasts_seen * 1000
            s.bench_ms_per_broadcast = s.client_cpu_s / s.broadcasts_seen * 1000
            # ... the server takes to send it: the fan-out figures then partly measure the bench.
            s.bench_limits_fanout = s.bench_ms_per_broadcast > s.server_ms_per_broadcast
        if final:
            watchers = [c for c in clients if not c.closed]
            sample = [screen] + rng.sample(phones, min(WATCHER_SAMPLE, len(phones)))
            screen_figures(s, load, watchers, sample, final)
    finally:
        gc.enable()
        gc.unfreeze()
        acked_ids.extend(load.acked)
        for client in clients:
            if client.ws is not None:
                client.ws.transport.abort()
        for task in load.readers:
            task.cancel()
        await asyncio.gather(*load.readers, return_exceptions=True)


def votes_per_participant(
    order: list[str], acked: set[str], answered: set[str], sent_by: dict[str, int]
) -> dict[str, Any]:
    """What the database may hold per participant, for check_expected().

    "last": the last acked vote in send order (what must be stored when a phone's votes do not
    overlap); "allowed": every acked vote plus every vote that got no answer at all (a timeout:
    it may have been stored after the bench gave up on it). Errors never count.
    """
    last: dict[str, str] = {}
    allowed: dict[str, list[str]] = {}
    for vote_id in order:  # in send order
        participant = f"{sent_by[vote_id]:032x}"
        if vote_id in acked:
            last[participant] = str(uuid.UUID(vote_id))
        if vote_id in acked or vote_id not in answered:
            allowed.setdefault(participant, []).append(str(uuid.UUID(vote_id)))
    return {"last": last, "allowed": allowed}


async def drive_sustained(
    url: str,
    cookies: list[str],
    question: int,
    args: argparse.Namespace,
    pgid: int,
    s: Scenario,
    expected: dict[str, Any],
) -> None:
    """N phones, then `rate` votes a second for `seconds`: every phone votes again and again.

    Each vote changes the phone's answer, so the server replaces votes as it would in a hall
    where people change their mind. expected gets participant -> last acked vote id.
    """
    load = Load(url)
    rng = random.Random(args.seed + 1)
    clients: list[Client] = []
    try:
        screen = await load.open(None, screen=True)
        clients.append(screen)
        await asyncio.sleep(0.5)
        s.rss_before_kb = group_rss_kb(pgid)
        phones = await connect_phones(load, cookies, s, pgid)
        clients.extend(phones)
        if not phones:
            return
        order = phones[:]
        rng.shuffle(order)
        interval = 1 / args.rate
        sent_by: dict[str, int] = {}
        senders: set[asyncio.Task[None]] = set()

        async def send(client: Client, text: str) -> None:
            with suppress(ConnectionClosed):
                assert client.ws is not None
                await client.ws.send(text)

        gc.collect()
        gc.freeze()
        gc.disable()
        load.recording = True
        t0, cpu0, server0 = time.perf_counter(), time.process_time(), group_cpu_s(pgid)
        for i in range(s.votes):
            delay = t0 + i * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            client = order[i % len(order)]
            vote_id = str(uuid.uuid4())
            answer = (client.index + i // len(order)) % 3  # a different answer each round
            text = json.dumps(
                {"type": "vote", "vote_id": vote_id, "question": question, "answer": answer}
            )
            load.sent[vote_id] = time.perf_counter()
            sent_by[vote_id] = client.index
            task = asyncio.get_running_loop().create_task(send(client, text))
            senders.add(task)
            task.add_done_callback(senders.discard)
        s.send_span_s = time.perf_counter() - t0
        s.votes_sent = len(load.sent)
        limit = time.perf_counter() + DRAIN_LIMIT_S
        while len(load.answered) < len(load.sent) and time.perf_counter() < limit:
            await asyncio.sleep(0.01)
        await asyncio.sleep(1.0)  # the last state frame
        t_end = time.perf_counter()
        load.recording = False
        gc.enable()
        s.storm_wall_s = t_end - t0
        s.client_cpu_s = time.process_time() - cpu0
        s.server_cpu_s = group_cpu_s(pgid) - server0
        s.client_cpu_share = s.client_cpu_s / s.storm_wall_s
        s.server_cpu_share = s.server_cpu_s / s.storm_wall_s
        s.client_bound = s.client_cpu_share > CLIENT_BOUND_SHARE
        s.votes_acked = len(load.acked)
        s.vote_errors = dict(load.vote_errors)
        s.votes_unanswered = len(load.sent) - len(load.answered)
        s.ack_ms = percentiles([(load.acked[v] - load.sent[v]) * 1000 for v in load.acked])
        if load.ack_times:
            # First ack to last ack, plus one send interval: exactly `rate` when it keeps up.
            span = load.ack_times[-1] - load.ack_times[0] + interval
            s.votes_per_s = len(load.ack_times) / span
        s.fanout_ms = percentiles(load.lags_ms)
        s.frames_delivered = load.frames_delivered
        s.broadcasts_seen = len(load.versions_seen)
        if s.frames_delivered:
            s.server_cpu_us_per_frame = s.server_cpu_s / s.frames_delivered * 1e6
        s.final_total_on_screen = screen.max_total
        expected.update(
            votes_per_participant(list(load.sent), set(load.acked), load.answered, sent_by)
        )
    finally:
        gc.enable()
        gc.unfreeze()
        for client in clients:
            if client.ws is not None:
                client.ws.transport.abort()
        for task in load.readers:
            task.cancel()
        await asyncio.gather(*load.readers, return_exceptions=True)


class HttpConnection:
    """One keep-alive HTTP/1.1 connection to the server (enough of the protocol for a vote)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def post(self, path: str, cookie: str, body: str) -> int:
        """POST a form; return the status code (the body is read and dropped)."""
        if self.writer is None or self.writer.is_closing():
            self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        assert self.reader is not None
        data = body.encode()
        self.writer.write(
            (
                f"POST {path} HTTP/1.1\r\nHost: localhost\r\n"
                f"Cookie: deelnemer={cookie}; csrftoken={CSRF_SECRET}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(data)}\r\n\r\n"
            ).encode()
            + data
        )
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])
        }
        if "content-length" in headers:
            await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            while True:
                size = int((await self.reader.readline()).strip() or b"0", 16)
                await self.reader.readexactly(size + 2)
                if size == 0:
                    break
        if headers.get("connection", "").lower() == "close":
            self.writer.close()
        return status

    def close(self) -> None:
        if self.writer is not None:
            self.writer.transport.abort()


async def drive_http(
    port: int,
    code: str,
    cookies: list[str],
    question: int,
    args: argparse.Namespace,
    pgid: int,
    s: Scenario,
    expected: dict[str, Any],
) -> None:
    """`rate` form posts a second for `seconds` to the phone page, as phones without a socket.

    Open loop: each post has its time slot; when every connection is busy it waits, and the
    wait counts in its latency. A 303 is the acknowledgement; phones take turns, so one phone's
    posts are seconds apart and its last 303 is what must be stored.
    """
    free: asyncio.Queue[HttpConnection] = asyncio.Queue()
    connections = [HttpConnection(port) for _ in range(HTTP_CONNECTIONS)]
    for connection in connections:
        free.put_nowait(connection)
    phones = min(s.phones, len(cookies))
    sent: dict[str, float] = {}
    done: dict[str, float] = {}
    statuses: Counter[str] = Counter()
    sent_by: dict[str, int] = {}
    answered: set[str] = set()
    path = f"/p/{code}/"

    async def post(vote_id: str, phone: int, answer: int, slot: float) -> None:
        connection = await free.get()
        body = (
            f"csrfmiddlewaretoken={CSRF_SECRET}&question={question}"
            f"&answer={answer}&vote_id={vote_id}"
        )
        try:
            status = await asyncio.wait_for(
                connection.post(path, cookies[phone], body), HTTP_TIMEOUT_S
            )
        except Exception as exc:
            connection.close()
            connection.writer = None
            statuses[type(exc).__name__] += 1
        else:
            statuses[str(status)] += 1
            answered.add(vote_id)
            if status == 303:
                done[vote_id] = time.perf_counter()
        finally:
            free.put_nowait(connection)
        sent[vote_id] = slot

    tasks: set[asyncio.Task[None]] = set()
    gc.collect()
    gc.freeze()
    gc.disable()
    t0, cpu0, server0 = time.perf_counter(), time.process_time(), group_cpu_s(pgid)
    try:
        interval = 1 / args.http_rate
        for i in range(s.votes):
            slot = t0 + i * interval
            delay = slot - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            phone = i % phones
            vote_id = uuid.uuid4().hex
            sent_by[vote_id] = phone
            task = asyncio.get_running_loop().create_task(
                post(vote_id, phone, (phone + i // phones) % 3, slot)
            )
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        s.send_span_s = time.perf_counter() - t0
        if tasks:
            await asyncio.wait(tasks, timeout=DRAIN_LIMIT_S + HTTP_TIMEOUT_S)
        t_end = time.perf_counter()
        s.storm_wall_s = t_end - t0
        s.client_cpu_s = time.process_time() - cpu0
        s.server_cpu_s = group_cpu_s(pgid) - server0
        s.client_cpu_share = s.client_cpu_s / s.storm_wall_s
        s.server_cpu_share = s.server_cpu_s / s.storm_wall_s
        s.client_bound = s.client_cpu_share > CLIENT_BOUND_SHARE
        s.votes_sent = len(sent_by)
        s.votes_acked = len(done)
        s.vote_errors = {k: v for k, v in statuses.items() if k != "303"}
        s.votes_unanswered = len(sent_by) - sum(statuses.values())
        s.ack_ms = percentiles([(done[v] - sent[v]) * 1000 for v in done])
        if done:
            span = max(done.values()) - min(done.values()) + interval
            s.votes_per_s = len(done) / span
        expected.update(votes_per_participant(list(sent_by), set(done), answered, sent_by))
    finally:
        gc.enable()
        gc.unfreeze()
        for task in tasks:
            task.cancel()
        for connection in connections:
            connection.close()


def run_loop(coroutine_factory: Callable[[], Any], args: argparse.Namespace, s: Scenario) -> None:
    """Run a driver in a fresh event loop, bounded in time."""

    async def bounded() -> None:
        try:
            await asyncio.wait_for(coroutine_factory(), SCENARIO_LIMIT_S + 15)
        except TimeoutError:
            s.notes.append(f"stopped after {SCENARIO_LIMIT_S + 15:.0f} s")

    with asyncio.Runner(loop_factory=loop_factory(args.loop)) as runner:
        runner.run(bounded())


def run_load(
    url: str, cookies: list[str], question: int, args: argparse.Namespace, pgid: int, s: Scenario
) -> list[str]:
    """Run drive() in a fresh event loop, bounded in time; return the acked vote ids."""
    acked_ids: list[str] = []

    async def bounded() -> None:
        try:
            await asyncio.wait_for(
                drive(url, cookies, question, args, pgid, s, acked_ids), SCENARIO_LIMIT_S + 15
            )
        except TimeoutError:
            s.notes.append(f"stopped after {SCENARIO_LIMIT_S + 15:.0f} s")

    # The runner cancels every task (so drive() closes its sockets) also on Ctrl-C or SIGTERM.
    with asyncio.Runner(loop_factory=loop_factory(args.loop)) as runner:
        runner.run(bounded())
    return acked_ids


def loop_factory(kind: str) -> Callable[[], asyncio.AbstractEventLoop]:
    """Makes event loops of the asked kind (uvloop only when asked for and installed)."""
    if kind == "uvloop":
        import uvloop

        return uvloop.new_event_loop
    return asyncio.new_event_loop


# --- Scenarios ------------------------------------------------------------------------------


def prepare(workdir: Path, phones: int, keys: list[str]) -> tuple[str, dict[str, Any]]:
    """A migrated, seeded SQLite database with one running yes/no session per scenario."""
    database_url = f"sqlite:///{workdir / 'db.sqlite3'}"
    env = harness.base_env(database_url)
    log = workdir / "setup.log"
    for args in (["migrate", "--noinput"], ["seed_demo"]):
        started = time.perf_counter()
        harness.manage(args, env, log)
        print(f"  manage.py {args[0]:<13} {time.perf_counter() - started:6.1f} s", flush=True)
    env["BENCH_SESSIONS"] = ",".join(keys)
    env["BENCH_PHONES"] = str(phones)
    started = time.perf_counter()
    made = manage_shell(MAKE_SESSIONS, env, log)
    print(
        f"  sessions {', '.join(s['code'] for s in made['sessions'].values())} and "
        f"{phones} signed cookies {time.perf_counter() - started:6.1f} s",
        flush=True,
    )
    return database_url, made


def check_votes(
    database_url: str, question: int, acked: list[str], workdir: Path, s: Scenario
) -> None:
    """Count the Vote rows after the server stopped: every acked vote there, none twice."""
    env = harness.base_env(database_url)
    path = workdir / f"acked-{s.key}.json"
    path.write_text(json.dumps(acked))
    env.update(BENCH_ACKED=str(path), BENCH_QUESTION=str(question))
    s.db = manage_shell(CHECK_VOTES, env, workdir / "setup.log")
    db = s.db
    s.integrity_ok = (
        db["acked_missing"] == 0
        and db["rows"] == s.votes_acked
        and db["distinct_vote_ids"] == db["rows"]
        and db["distinct_participants"] == db["rows"]
    )


def check_expected(
    database_url: str, question: int, expected: dict[str, Any], workdir: Path, s: Scenario
) -> None:
    """After a sustained run: every participant with an ack has a row, each row is an acked vote.

    A row may also be a vote that got no answer (a timeout); none may be a refused one. The
    tally must count each row once.
    """
    env = harness.base_env(database_url)
    path = workdir / f"expected-{s.key}.json"
    path.write_text(json.dumps(expected))
    env.update(BENCH_EXPECTED=str(path), BENCH_QUESTION=str(question))
    s.db = db = manage_shell(CHECK_EXPECTED, env, workdir / "setup.log")
    s.integrity_ok = (
        db["acked_missing"] == 0
        and db["rows_not_acked"] == 0
        and db["rows"] == db["tally_total"] == db["tally_sum"]
    )
    if db["not_last_acked"]:
        s.notes.append(
            f"{db['not_last_acked']} participants hold an acked vote other than their last "
            "acked one: their votes overlapped in time (answers slower than their turn)"
        )


def run_scenario(
    s: Scenario,
    server_cm: Any,
    path: str,
    cookies: list[str],
    question: int,
    args: argparse.Namespace,
) -> list[str]:
    """Start a server, drive the load against it, stop it; return the acked vote ids.

    A server that does not start raises BenchError. A failure of the load generator itself is
    recorded in the scenario, and the run goes on with the next one.
    """
    print(f"Scenario {s.key}: {s.name} ...", flush=True)
    acked: list[str] = []
    with server_cm as server:
        try:
            acked = run_load(
                f"ws://{HOST}:{server.port}{path}", cookies, question, args, server.pgid, s
            )
            s.ran = True
        except Exception as exc:  # a bug in the bench must not leave the report empty
            s.failed = f"load generator: {exc!r}"
            traceback.print_exc()
            return acked
    print(
        f"  connected {s.connected}/{s.phones} in {_fmt(s.connect_s, 2)} s, "
        f"acked {s.votes_acked}/{s.votes_sent}, ack->screen p95 "
        f"{_fmt(s.screen_ms.get('p95'))} ms, last vote on every screen "
        f"{_fmt(s.last_vote_every_screen_ms)} ms",
        flush=True,
    )
    return acked


def run(args: argparse.Namespace, report: Report, workdir: Path) -> bool:
    """Set up and run every scenario; return False when a server failed to start."""
    ok = True
    redis_binary = shutil.which("redis-server")
    keys = ["b", "c", "e", "f"] + (["d"] if args.redis and redis_binary else [])
    print("Preparing a throwaway database ...", flush=True)
    database_url, made = prepare(workdir, args.phones, keys)
    cookies: list[str] = made["cookies"]

    def scenario(key: str, name: str, server: str) -> Scenario:
        s = Scenario(key, name, server, args.phones, args.votes, args.storm_seconds)
        report.scenarios.append(s)
        return s

    def failed(s: Scenario, exc: BenchError) -> None:
        nonlocal ok
        s.failed, ok = str(exc).splitlines()[0], False
        print(f"  FAILED: {exc}", file=sys.stderr)

    # (a) The ceiling.
    s = scenario(
        "a",
        "ceiling: bare websockets",
        f"websockets {websockets.__version__}, 1 process, {SERVER_LOOP} loop, in memory",
    )
    try:
        run_scenario(s, ceiling_server(workdir), "/", cookies, 1, args)
    except BenchError as exc:
        failed(s, exc)

    # (b) Jeugdstem on SQLite and the in-memory channel layer.
    info = made["sessions"]["b"]
    s = scenario(
        "b",
        "Jeugdstem (SQLite, in-memory layer)",
        f"uvicorn --workers {args.workers}, SQLite, InMemoryChannelLayer",
    )
    if args.workers > 1:
        s.notes.append(
            "more than one worker on the in-memory layer: a worker does not hear of votes "
            "committed by another, so its screens miss them"
        )
    try:
        server_cm = jeugdstem_server(database_url, args.workers, workdir, "b", None)
        path = f"/ws/p/{info['code']}/"
        acked = run_scenario(s, server_cm, path, cookies, info["question"], args)
        if s.ran:
            check_votes(database_url, info["question"], acked, workdir, s)
    except BenchError as exc:
        failed(s, exc)

    # (c) The naive variant: one group_send per vote (bench/naive_poll.py), N capped.
    info = made["sessions"]["c"]
    s = scenario(
        "c",
        "naive: one group_send per vote",
        f"uvicorn --workers {args.workers}, SQLite, InMemoryChannelLayer, bench/naive_poll.py",
    )
    s.phones, s.votes = min(args.phones, NAIVE_MAX_PHONES), min(args.votes, NAIVE_MAX_PHONES)
    try:
        server_cm = jeugdstem_server(
            database_url, args.workers, workdir, "c", None, app="naive_poll:application"
        )
        path = f"/ws/p/{info['code']}/"
        acked = run_scenario(s, server_cm, path, cookies, info["question"], args)
        if s.ran:
            check_votes(database_url, info["question"], acked, workdir, s)
    except BenchError as exc:
        failed(s, exc)

    # (d) Jeugdstem on Redis.
    s = scenario(
        "d",
        "Jeugdstem on Redis (pub/sub layer)",
        f"uvicorn --workers {args.workers}, SQLite, RedisPubSubChannelLayer",
    )
    if not args.redis:
        s.skipped = "not asked for (--redis)"
    elif redis_binary is None:
        s.skipped = "redis-server is not installed"
    else:
        info = made["sessions"]["d"]
        try:
            with redis_server(redis_binary, workdir) as redis:
                args.redis_pgid = redis.pgid
                url = f"redis://{HOST}:{redis.port}/0"
                server_cm = jeugdstem_server(database_url, args.workers, workdir, "d", url)
                path = f"/ws/p/{info['code']}/"
                acked = run_scenario(s, server_cm, path, cookies, info["question"], args)
            if s.ran:
                check_votes(database_url, info["question"], acked, workdir, s)
        except BenchError as exc:
            failed(s, exc)
        finally:
            args.redis_pgid = None

    # (e) Sustained votes over WebSocket: every phone votes again and again.
    info = made["sessions"]["e"]
    s = scenario(
        "e",
        f"sustained {args.rate:g} votes/s over WebSocket",
        f"uvicorn --workers {args.workers}, SQLite, InMemoryChannelLayer",
    )
    s.votes, s.storm_seconds = round(args.rate * args.sustained_seconds), args.sustained_seconds
    try:
        with jeugdstem_server(database_url, args.workers, workdir, "e", None) as server:
            print(f"Scenario e: {s.name} for {s.storm_seconds:g} s ...", flush=True)
            url = f"ws://{HOST}:{server.port}/ws/p/{info['code']}/"
            expected: dict[str, Any] = {}
            run_loop(
                lambda: drive_sustained(
                    url, cookies, info["question"], args, server.pgid, s, expected
                ),
                args,
                s,
            )
            s.ran = True
        check_expected(database_url, info["question"], expected, workdir, s)
        print(f"  {_fmt(s.votes_per_s)} votes/s, ack p95 {_fmt(s.ack_ms.get('p95'))} ms")
    except BenchError as exc:
        failed(s, exc)

    # (f) Sustained votes over the HTTP fallback (the phone page's form post).
    info = made["sessions"]["f"]
    s = scenario(
        "f",
        f"sustained {args.http_rate:g} votes/s over HTTP",
        f"uvicorn --workers {args.workers}, SQLite, form posts to /p/<code>/",
    )
    s.votes = round(args.http_rate * args.sustained_seconds)
    s.storm_seconds = args.sustained_seconds
    try:
        with jeugdstem_server(database_url, args.workers, workdir, "f", None) as server:
            print(f"Scenario f: {s.name} for {s.storm_seconds:g} s ...", flush=True)
            expected = {}
            run_loop(
                lambda: drive_http(
                    server.port,
                    info["code"],
                    cookies,
                    info["question"],
                    args,
                    server.pgid,
                    s,
                    expected,
                ),
                args,
                s,
            )
            s.ran = True
        check_expected(database_url, info["question"], expected, workdir, s)
        print(f"  {_fmt(s.votes_per_s)} votes/s, 303 p95 {_fmt(s.ack_ms.get('p95'))} ms")
    except BenchError as exc:
        failed(s, exc)
    return ok


# --- Report ---------------------------------------------------------------------------------


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _trio(
    values: dict[str, float], digits: int = 0, keys: tuple[str, ...] = ("p50", "p95", "max")
) -> str:
    if not values:
        return "-"
    return " / ".join(_fmt(values.get(k), digits) for k in keys)


def table(report: Report) -> str:
    """One markdown table: a row per figure, a column per scenario."""
    shown = report.scenarios
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, cell: Any) -> None:
        cells = []
        for s in shown:
            if s.skipped:
                cells.append(f"skipped: {s.skipped}" if label == "server" else "")
            elif s.failed and not s.ran:
                cells.append(f"failed: {s.failed}" if label == "server" else "")
            else:
                cells.append(cell(s))
        rows.append((label, cells))

    row("server", lambda s: s.server)
    row(
        "phones connected / errors",
        lambda s: (
            f"{s.connected} / {s.connect_errors}"
            + (
                f" ({', '.join(f'{k}: {v}' for k, v in s.connect_error_kinds.items())})"
                if s.connect_error_kinds
                else ""
            )
        ),
    )
    row("time for all phones to connect", lambda s: f"{_fmt(s.connect_s, 2)} s")
    row(
        "server CPU per connection",
        lambda s: f"{_fmt(s.connect_server_cpu_ms_per_phone, 2)} ms",
    )
    row(
        "server RSS before → after (MB)",
        lambda s: f"{_fmt((s.rss_before_kb or 0) / 1024)} → {_fmt((s.rss_after_kb or 0) / 1024)}",
    )
    row("server memory per idle phone", lambda s: f"{_fmt(s.kb_per_idle_phone)} KB")
    row(
        "votes sent / acked / errors / no answer",
        lambda s: (
            f"{s.votes_sent} / {s.votes_acked} / "
            f"{sum(s.vote_errors.values())} / {s.votes_unanswered}"
        ),
    )
    row(
        "votes/s (a-d: first send → last ack; e, f: first → last ack)",
        lambda s: _fmt(s.votes_per_s),
    )
    row("ack latency p50 / p95 / max (f: until the 303)", lambda s: f"{_trio(s.ack_ms, 1)} ms")
    row(
        "ack → screen p50 / p95 / max (screen + sampled phones)",
        lambda s: f"{_trio(s.screen_ms)} ms",
    )
    row(
        "vote sent → screen p50 / p95 / max (same sample)",
        lambda s: f"{_trio(s.send_to_screen_ms)} ms",
    )
    row("ack → every phone p50 / p95 / max", lambda s: f"{_trio(s.every_phone_ms)} ms")
    row(
        "last vote on every screen",
        lambda s: (
            f"{_fmt(s.last_vote_every_screen_ms, 0)} ms"
            + (f" ({s.screens_without_last_vote} never)" if s.screens_without_last_vote else "")
        ),
    )
    row("fan-out: sent_at → phone p50 / p95 / max", lambda s: f"{_trio(s.fanout_ms)} ms")
    row(
        "broadcasts seen / frames delivered",
        lambda s: f"{s.broadcasts_seen} / {s.frames_delivered:,}",
    )
    row(
        "server CPU in storm",
        lambda s: (
            f"{_fmt(s.server_cpu_s, 2)} s ({_fmt((s.server_cpu_share or 0) * 100, 0)} %)"
            + (f" + redis {_fmt(s.redis_cpu_s, 2)} s" if s.redis_cpu_s is not None else "")
        ),
    )
    row(
        "CPU per broadcast: server / bench",
        lambda s: (
            f"{_fmt(s.server_ms_per_broadcast)} / {_fmt(s.bench_ms_per_broadcast)} ms"
            + (" (bench slower: fan-out partly bench-bound)" if s.bench_limits_fanout else "")
        ),
    )
    row("server CPU per delivered frame", lambda s: f"{_fmt(s.server_cpu_us_per_frame, 0)} µs")
    row(
        "bench CPU in storm (connect)",
        lambda s: (
            f"{_fmt((s.client_cpu_share or 0) * 100, 0)} % "
            f"({_fmt((s.connect_client_cpu_share or 0) * 100, 0)} %)"
            + (" **client-bound**" if s.client_bound else "")
            + (
                " (connect client-bound)"
                if (s.connect_client_cpu_share or 0) > CLIENT_BOUND_SHARE
                else ""
            )
        ),
    )
    row(
        "acked votes in DB: rows / missing / not acked",
        lambda s: (
            "n/a (in memory; final tally " + str(s.final_total_on_screen) + ")"
            if s.db is None
            else f"{s.db['rows']} / {s.db['acked_missing']} / {s.db['rows_not_acked']} "
            + ("ok" if s.integrity_ok else "**MISMATCH**")
        ),
    )

    header = "| figure | " + " | ".join(f"({s.key}) {s.name}" for s in shown) + " |"
    lines = [header, "|---|" + "---:|" * len(shown)]
    lines += ["| " + label + " | " + " | ".join(cells) + " |" for label, cells in rows]
    return "\n".join(lines)


def evaluate(report: Report) -> None:
    """Compare the figures with the targets and store PASS/MISS lines."""
    by_key = {s.key: s for s in report.scenarios if s.ran}

    def check(name: str, value: float | None, op: str, limit: float, note: str = "") -> None:
        ok = value is not None and (value <= limit if op == "<=" else value >= limit)
        report.targets.append(
            {
                "target": name,
                "value": value,
                "op": op,
                "limit": limit,
                "result": "PASS" if ok else "MISS",
                "note": note,
            }
        )

    for key in ("b", "d"):
        s = by_key.get(key)
        if s is None:
            continue
        partial = "" if s.phones >= TARGET_PHONES else f"at {s.phones} phones, not {TARGET_PHONES}"
        all_in = s.connected == s.phones and s.connect_errors == 0
        check(
            f"({key}) all {s.phones} phones connected (s), 0 errors",
            s.connect_s if all_in else None,
            "<=",
            TARGET_CONNECT_S,
            partial,
        )
        check(f"({key}) ack → screen p50 (ms)", s.screen_ms.get("p50"), "<=", TARGET_SCREEN_P50_MS)
        check(f"({key}) ack → screen p95 (ms)", s.screen_ms.get("p95"), "<=", TARGET_SCREEN_P95_MS)
        check(
            f"({key}) last vote on every screen (ms)",
            s.last_vote_every_screen_ms if not s.screens_without_last_vote else None,
            "<=",
            TARGET_LAST_VOTE_MS,
        )
        check(
            f"({key}) server memory per idle phone (KB)",
            s.kb_per_idle_phone,
            "<=",
            TARGET_KB_PER_PHONE,
        )
        check(
            f"({key}) acked votes in the DB, none missing or twice",
            1.0 if s.integrity_ok else None,
            ">=",
            1.0,
        )
    a, b, d = by_key.get("a"), by_key.get("b"), by_key.get("d")
    if a and b:
        ratio = (b.screen_ms.get("p95") or math.nan) / (a.screen_ms.get("p95") or math.nan)
        check(
            "(b) / (a) ack → screen p95",
            None if math.isnan(ratio) else ratio,
            "<=",
            TARGET_VS_CEILING,
        )
        if a.server_cpu_us_per_frame and b.server_cpu_us_per_frame:
            check(
                "(b) / (a) server CPU per delivered frame",
                b.server_cpu_us_per_frame / a.server_cpu_us_per_frame,
                "<=",
                TARGET_VS_CEILING,
                "from issue 3",
            )
    c = by_key.get("c")
    if b and c:
        ratio = (c.screen_ms.get("p95") or math.nan) / (b.screen_ms.get("p95") or math.nan)
        check(
            "(c) / (b) ack → screen p95 (naive is worse by)",
            None if math.isnan(ratio) else ratio,
            ">=",
            TARGET_NAIVE_WORSE,
            f"(c) at {c.phones} phones, (b) at {b.phones}",
        )
        naive_last = c.last_vote_every_screen_ms
        if c.screens_without_last_vote:
            naive_last = math.inf  # some screens never showed it within the time limit
        if b.last_vote_every_screen_ms and naive_last:
            check(
                "(c) / (b) last vote on every screen",
                naive_last / b.last_vote_every_screen_ms,
                ">=",
                TARGET_NAIVE_WORSE,
                f"(c) at {c.phones} phones, (b) at {b.phones}",
            )
    e = by_key.get("e")
    if e:
        full = e.votes_acked == e.votes_sent and not e.votes_unanswered
        check(
            f"(e) votes/s over WebSocket for {e.storm_seconds:g} s, all acked",
            e.votes_per_s if full else None,
            ">=",
            TARGET_WS_RATE,
            f"{e.votes_acked}/{e.votes_sent} acked, {e.phones} phones",
        )
        check("(e) ack p95 (ms)", e.ack_ms.get("p95"), "<=", TARGET_WS_ACK_P95_MS)
        check("(e) every acked vote stored, none twice", 1.0 if e.integrity_ok else None, ">=", 1)
    f = by_key.get("f")
    if f:
        full = f.votes_acked == f.votes_sent
        check(
            f"(f) votes/s over HTTP for {f.storm_seconds:g} s, all 303",
            f.votes_per_s if full else None,
            ">=",
            TARGET_HTTP_RATE,
            f"{f.votes_acked}/{f.votes_sent} answered 303",
        )
        check("(f) every 303 vote stored, none twice", 1.0 if f.integrity_ok else None, ">=", 1)
    if b and d:
        ratio = (d.screen_ms.get("p95") or math.nan) / (b.screen_ms.get("p95") or math.nan)
        check(
            "(d) / (b) ack → screen p95",
            None if math.isnan(ratio) else ratio,
            "<=",
            TARGET_REDIS_VS_MEMORY,
        )


def print_report(report: Report) -> None:
    """Print the table, the targets and the notes."""
    o = report.options
    print()
    print(
        f"Live polls: {o['phones']} phones + 1 screen, {o['votes']} votes over "
        f"{o['storm_seconds']:g} s, {o['workers']} uvicorn worker(s), bench loop {o['loop']}"
    )
    print()
    print(report.table_markdown)
    print()
    for t in report.targets:
        note = f"  ({t['note']})" if t["note"] else ""
        print(
            f"  {t['result']:<4}  {t['target']:<52} {_fmt(t['value'], 2):>9} "
            f"{t['op']} {t['limit']:g}{note}"
        )
    for s in report.scenarios:
        for note in s.notes:
            print(f"  note ({s.key}): {note}")
    for note in report.notes:
        print(f"  note: {note}")


def write_json(report: Report) -> Path:
    """Write the report to bench/results/polls-<timestamp>.json and return the path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"polls-{stamp}.json"
    path.write_text(json.dumps(asdict(report), indent=2, default=str) + "\n")
    return path


# --- Main -----------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=2000, help="phones per scenario (2000)")
    parser.add_argument("--votes", type=int, default=2000, help="votes in the storm (2000)")
    parser.add_argument(
        "--storm-seconds",
        type=float,
        default=10.0,
        help="the votes are spread over this many seconds (10)",
    )
    parser.add_argument("--quick", action="store_true", help="200 phones, 200 votes")
    parser.add_argument(
        "--redis",
        action="store_true",
        help="also run Jeugdstem on a throwaway redis-server (scenario d)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="uvicorn worker processes (1; the poll hub is per process)",
    )
    parser.add_argument(
        "--loop",
        choices=("asyncio", "uvloop"),
        default="asyncio",
        help="event loop of the bench client (asyncio; uvloop lightens the client)",
    )
    parser.add_argument(
        "--rate", type=float, default=TARGET_WS_RATE, help="votes/s over WebSocket in (e) (500)"
    )
    parser.add_argument(
        "--http-rate", type=float, default=TARGET_HTTP_RATE, help="votes/s over HTTP in (f) (300)"
    )
    parser.add_argument(
        "--sustained-seconds",
        type=float,
        default=SUSTAINED_S,
        help="how long (e) and (f) keep it up (30; --quick: 5)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument("--ceiling-server", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.phones, args.votes = 200, 200
        args.sustained_seconds = min(args.sustained_seconds, 5.0)
    if not 1 <= args.phones <= MAX_SOCKETS - 1:
        parser.error(f"--phones must be 1 to {MAX_SOCKETS - 1} (plus one screen socket)")
    if not 1 <= args.votes <= args.phones:
        parser.error(
            "--votes must be 1 to --phones: every vote comes from a different phone, "
            "so each ack adds one to the tally"
        )
    if not 0 < args.storm_seconds <= MAX_STORM_S:
        parser.error(f"--storm-seconds must be above 0 and at most {MAX_STORM_S:g}")
    if not 0 < args.sustained_seconds <= MAX_STORM_S or args.rate <= 0 or args.http_rate <= 0:
        parser.error(f"--sustained-seconds must be above 0 and at most {MAX_STORM_S:g}, rates > 0")
    if not 1 <= args.workers <= 8:
        parser.error("--workers must be 1 to 8")
    if args.loop == "uvloop":
        try:
            import uvloop  # noqa: F401
        except ImportError:
            parser.error("uvloop is not installed")
    args.redis_pgid = None
    return args


def raise_file_limit(sockets: int) -> None:
    """Every socket is a file descriptor: lift the soft limit towards the hard one if needed."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = sockets * 2 + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        new = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; return the exit status (0 report, 1 failure, 130 interrupted)."""
    args = parse_args(argv)
    if args.ceiling_server:
        raise_file_limit(MAX_SOCKETS)
        with asyncio.Runner(loop_factory=loop_factory(args.loop)) as runner:
            runner.run(serve_ceiling(args.ceiling_server))
        return 0
    if not (VENV_BIN / "uvicorn").exists():
        print(f"no uvicorn in {VENV_BIN}: install the project into .venv first", file=sys.stderr)
        return 1
    raise_file_limit(args.phones + 1)
    signal.signal(signal.SIGTERM, harness._raise_keyboard_interrupt)
    signal.signal(signal.SIGHUP, harness._raise_keyboard_interrupt)
    options = {k: v for k, v in vars(args).items() if k not in ("ceiling_server", "redis_pgid")}
    report = Report(
        started_at=datetime.now().astimezone().isoformat(timespec="seconds"),
        options=options,
        machine={
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "websockets": websockets.__version__,
            "loadavg_1min_at_start": os.getloadavg()[0],
        },
    )
    load = report.machine["loadavg_1min_at_start"]
    if load > 0.5 * (os.cpu_count() or 1):
        report.notes.append(f"load average was {load:.1f} at the start: figures may be noisy")
    status = 0
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="jeugdstem-polls-") as tmp:
        try:
            if not run(args, report, Path(tmp)):
                status = 1
        except BenchError as exc:
            print(f"\nFAILED: {exc}", file=sys.stderr)
            report.notes.append(f"failed: {str(exc).splitlines()[0]}")
            status = 1
        except KeyboardInterrupt:
            print("\ninterrupted; servers stopped", file=sys.stderr)
            return 130
    report.notes.append(f"whole run {time.perf_counter() - started:.0f} s")
    report.table_markdown = table(report)
    evaluate(report)
    print_report(report)
    print(f"\nJSON: {write_json(report).relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
