#!/usr/bin/env python3
"""Fault benchmark: the live poll and the forms when a server dies, Redis stops or SQLite is busy.

Three scenarios, each against real daphne processes on 127.0.0.1 started by this script:

* ``kill``: N phones vote the way ``poll.js`` does (a vote id over the socket; no ack within
  6 s or the socket drops: the same vote id as a form post; a post that fails is tried again,
  socket first, after a short random wait). Mid-load the server gets ``kill -9`` and is started
  again on the same port and database. Afterwards the database must hold every acknowledged
  vote exactly once.
* ``redis``: two daphne processes share one database and one Redis (channel layer and cache).
  Redis stops for ``--outage`` seconds mid-poll while phones keep voting (over the socket and
  as plain form posts); then it starts again on the same port. Every screen must show the
  database count within 10 s.
* ``sqlite``: ``--writers`` threads post poll votes, comments and survey answers at the same
  moment to one daphne on SQLite. No answer may be a server error or mention a locked database,
  and every acknowledged write must be stored.

It prints a table and writes ``bench/results/faults-<timestamp>.json``. It is a report: exit
status 0 when the report was produced (whatever the figures), 1 when a set-up step failed,
130 when interrupted. ``tests/security/test_faults.py`` runs small versions of the same
scenarios (``from bench import faults``)::

    .venv/bin/python bench/faults.py [--phones 200] [--outage 30] [--writers 20]
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import platform
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import uuid
from collections import Counter
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed, InvalidHandshake

sys.path.insert(0, str(Path(__file__).resolve().parent))
import pages as harness  # noqa: E402  (the shared process helpers of bench/pages.py)
from pages import BenchError  # noqa: E402

ROOT = harness.ROOT
HOST = harness.HOST
RESULTS_DIR = harness.RESULTS_DIR
ORIGIN = "http://localhost"  # in ALLOWED_HOSTS, as the browser's page would send it
CSRF_SECRET = "faultsfaultsfaultsfaultsfaults12"  # 32 letters and digits, as Django makes them
ACK_S = 6.0  # poll.js: no ack within 6 s, then the same vote as a form post
HTTP_TIMEOUT_S = 10.0
START_TIMEOUT_S = 60.0
SHELL_TIMEOUT_S = 300.0
RETRY_CEILING_S = 4.0  # the longest random wait between two tries of one vote
TARGET_CONVERGE_S = 10.0
SCREEN_POLL_S = 3.0  # poll.js fetches stand.json this often while its socket is down

MAKE_POLL = """
import json, os
from django.http import HttpResponse
from youth_panel.views import PARTICIPANT_COOKIE, PARTICIPANT_SALT
from youth_panel.models import PollQuestion, PollSession
from youth_panel.polls import control
session = PollSession.objects.create(title=os.environ["FAULTS_TITLE"])
question = PollQuestion.objects.create(
    session=session, sort_order=0, text="Doe je mee?", kind="yes_no"
)
session = control(control(session, "start"), "show")
response = HttpResponse()
cookies = []
for i in range(int(os.environ["FAULTS_PHONES"])):
    value = f"{session.pk:08x}{i:024x}"
    response.set_signed_cookie(PARTICIPANT_COOKIE, value, salt=PARTICIPANT_SALT)
    cookies.append(response.cookies[PARTICIPANT_COOKIE].value)
print("FAULTS-JSON " + json.dumps(
    {"code": session.join_code, "question": question.pk, "cookies": cookies}
))
"""

CHECK_POLL = """
import json, os
from collections import Counter
from youth_panel import polls
from youth_panel.models import PollQuestion, Vote
with open(os.environ["FAULTS_ACKED"]) as f:
    acked = set(json.load(f))
question = PollQuestion.objects.get(pk=int(os.environ["FAULTS_QUESTION"]))
rows = list(Vote.objects.filter(question=question).values_list("vote_id", "participant"))
ids = Counter(str(vote_id) for vote_id, _ in rows)
participants = Counter(participant for _, participant in rows)
print("FAULTS-JSON " + json.dumps({
    "rows": len(rows),
    "acked": len(acked),
    "acked_missing": len(acked - set(ids)),
    "rows_not_acked": len(set(ids) - acked),
    "vote_ids_twice": sum(1 for n in ids.values() if n > 1),
    "participants_twice": sum(1 for n in participants.values() if n > 1),
    "tally_total": polls.tally(question)["total"],
}))
"""

MAKE_WRITERS = """
import datetime, json, os
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
from django.contrib.sessions.backends.db import SessionStore
from django.urls import reverse
from django.utils import timezone
from consultations.demo import SLUG, seed_demo_consultation
from consultations.models import ConsultationPage, Membership, Organisation
from feedback import choices
from feedback.invitations import issue_invitations
from feedback.models import Case, Provider
tag = os.environ["FAULTS_TAG"]
writers, surveys = int(os.environ["FAULTS_WRITERS"]), int(os.environ["FAULTS_SURVEYS"])
seed_demo_consultation()  # the open demo consultation (nothing happens when it is there)
page = ConsultationPage.objects.live().get(slug=SLUG)
chapter = page.current_version().chapters.order_by("number").first()
paragraph = chapter.paragraphs.order_by("number").first()
organisation = Organisation.objects.create(
    name=f"Storingstest {tag}", kind=Organisation.Kind.CARE_PROVIDER
)
sessions = []
for i in range(writers):
    name = f"schrijver-{tag}-{i}"
    user = get_user_model().objects.create_user(username=name, email=f"{name}@example.org")
    Membership.objects.create(user=user, organisation=organisation, confirmed_at=timezone.now())
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    sessions.append(store.session_key)
provider = Provider.objects.create(name=f"Storingstest {tag}")
codes = []
for i in range(surveys):
    case = Case.objects.create(
        reference=f"{tag}-{i:06d}", provider=provider, help_type=choices.HelpType.AMBULANT,
        referrer=choices.Referrer.GP, start_month=datetime.date(2026, 1, 1),
        end_month=datetime.date(2026, 9, 1), end_reason=choices.EndReason.AS_PLANNED,
        district=choices.District.OUDORP, age_band=choices.AgeBand.AGE_4_11,
        channel=choices.Channel.LETTER,
    )
    codes.extend(issued.code for issued in issue_invitations(case))
print("FAULTS-JSON " + json.dumps({
    "comment_url": reverse("consultations:comment", args=[page.pk]),
    "target": f"a{paragraph.pk}",
    "organisation": organisation.pk,
    "sessions": sessions,
    "codes": codes[:surveys],
}))
"""

CHECK_WRITERS = """
import json, os
from consultations.models import Comment
from feedback.invitations import hash_code
from feedback.models import SurveyDraft
from youth_panel.models import Vote
with open(os.environ["FAULTS_ACKED"]) as f:
    acked = json.load(f)
tag = os.environ["FAULTS_TAG"]
votes = Vote.objects.filter(question_id=int(os.environ["FAULTS_QUESTION"]))
votes = {str(v) for v in votes.values_list("vote_id", flat=True)}
tokens = Comment.objects.filter(text__startswith=tag)
tokens = {str(t) for t in tokens.values_list("submission_token", flat=True)}
saved = SurveyDraft.objects.filter(invitation__case__reference__startswith=tag)
drafts = {
    h for h, answers in saved.values_list("invitation__code_hash", "answers")
    if answers.get("usefulness") == "7"
}
print("FAULTS-JSON " + json.dumps({
    "votes": len(votes), "votes_missing": len(set(acked["vote"]) - votes),
    "comments": len(tokens), "comments_missing": len(set(acked["comment"]) - tokens),
    "surveys": len(drafts),
    "surveys_missing": len({hash_code(c) for c in acked["survey"]} - drafts),
}))
"""


# --- Processes ------------------------------------------------------------------------------


def _manage_env(database_url: str, redis_url: str | None, workdir: Path) -> dict[str, str]:
    """The product's dev settings, debug off, with this database (and Redis when given)."""
    env = harness.base_env(database_url)
    env["STATIC_ROOT"] = str(workdir / "static")
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def shell(code: str, env: dict[str, str], **extra: str) -> dict[str, Any]:
    """Run code in `manage.py shell -c`; the JSON it printed after 'FAULTS-JSON ', merged."""
    cmd = [sys.executable, str(ROOT / "manage.py"), "shell", "-c", code]
    result = subprocess.run(
        cmd,
        cwd=ROOT,
        env={**env, **extra},
        capture_output=True,
        text=True,
        timeout=SHELL_TIMEOUT_S,
        check=False,
    )
    found: dict[str, Any] = {}
    for line in result.stdout.splitlines():
        if line.startswith("FAULTS-JSON "):
            found.update(json.loads(line[len("FAULTS-JSON ") :]))
    if found and result.returncode == 0:
        return found
    raise BenchError(f"manage.py shell failed ({result.returncode}):\n{result.stderr[-3000:]}")


def prepare(workdir: Path) -> str:
    """A migrated database with the static files collected; its URL.

    SQLite in workdir, or a new database on the PostgreSQL server in DATABASE_URL when that is
    a postgresql:// URL (the services pass of the tests).
    """
    base = os.environ.get("DATABASE_URL", "")
    if base.startswith("postgres"):
        import psycopg

        name = f"jeugdstem_faults_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        database_url = base.rsplit("/", 1)[0] + f"/{name}"
    else:
        database_url = f"sqlite:///{workdir / 'db.sqlite3'}"
    env = _manage_env(database_url, None, workdir)
    log = workdir / "setup.log"
    # No seed_demo: the scenarios make what they need (the writers the demo consultation).
    for args in (["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        harness.manage(args, env, log)
    return database_url


class Daphne:
    """One daphne process on a fixed port, in its own process group; can be killed and restarted."""

    def __init__(self, env: dict[str, str], workdir: Path, name: str, port: int | None = None):
        self.env, self.workdir, self.name = env, workdir, name
        self.port = port or harness.free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> float:
        """Start daphne and wait until it answers HTTP; the seconds that took."""
        self.starts += 1
        log = self.workdir / f"daphne-{self.name}-{self.starts}.log"
        cmd = [sys.executable, "-m", "daphne", "-b", HOST, "-p", str(self.port)]
        cmd += ["--access-log", "/dev/null", "config.asgi:application"]
        started = time.monotonic()
        with log.open("wb") as out:
            self.process = subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        while time.monotonic() - started < START_TIMEOUT_S:
            if self.process.poll() is not None:
                raise BenchError(f"daphne {self.name} exited:\n{harness.tail(log)}")
            if harness.port_answers(self.port) and _health_answers(self.port):
                return time.monotonic() - started
            time.sleep(0.05)
        self.stop()
        raise BenchError(f"daphne {self.name} did not answer within {START_TIMEOUT_S:.0f} s")

    def kill9(self) -> None:
        """SIGKILL the whole process group: no clean-up, no flush, no goodbye to the sockets."""
        assert self.process is not None
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None:
            harness.stop_server(self.process)

    def log_text(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")
            for path in sorted(self.workdir.glob(f"daphne-{self.name}-*.log"))
        )


def _health_answers(port: int) -> bool:
    try:
        connection = http.client.HTTPConnection(HOST, port, timeout=5)
        connection.request("GET", "/gezond/", headers={"Host": "localhost"})
        status = connection.getresponse().status
        connection.close()
        return status in (200, 503)
    except OSError:
        return False


class Redis:
    """A throwaway redis-server on a fixed port without persistence; stopped and started again."""

    def __init__(self, workdir: Path):
        binary = shutil.which("redis-server")
        if binary is None:
            raise BenchError("redis-server is not installed (apt-get install redis-server)")
        self.binary, self.workdir = binary, workdir
        self.port = harness.free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{HOST}:{self.port}/0"

    def start(self) -> None:
        cmd = [self.binary, "--port", str(self.port), "--bind", HOST, "--save", ""]
        cmd += ["--appendonly", "no", "--daemonize", "no", "--dir", str(self.workdir)]
        self.process = subprocess.Popen(
            cmd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + START_TIMEOUT_S
        while not _redis_answers(self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise BenchError("redis-server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None:
            harness.stop_server(self.process)
            self.process = None


def _redis_answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=0.5) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


# --- One phone, as poll.js behaves ----------------------------------------------------------


async def http_post(port: int, path: str, cookie: str, body: str) -> tuple[int, str]:
    """One form post on a fresh connection (as a browser's form submit); (status, body)."""
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        data = body.encode()
        writer.write(
            (
                f"POST {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                f"Cookie: {cookie}; csrftoken={CSRF_SECRET}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                f"Content-Length: {len(data)}\r\n\r\n"
            ).encode()
            + data
        )
        raw = await reader.read()
    finally:
        writer.transport.abort()
    head, _, text = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head.startswith(b"HTTP/") else 0
    return status, text.decode("utf-8", errors="replace")


@dataclass
class Phone:
    """One participant's single vote and everything that happened to it."""

    index: int
    cookie: str
    vote_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    answer: int = 0
    acked: bool = False
    via: str = ""  # "socket" or "form"
    acked_at: float = 0.0
    first_sent_at: float = 0.0
    socket_sends: int = 0
    form_posts: int = 0
    problems: Counter = field(default_factory=Counter)


class PollClient:
    """The phone side of poll.js: a socket with a vote id, a form post as the fallback."""

    def __init__(self, ports: list[int], code: str, question: int):
        self.ports, self.code, self.question = ports, code, question

    async def _connect(self, port: int, cookie: str):
        socket_ = await websockets.connect(
            f"ws://{HOST}:{port}/ws/p/{self.code}/",
            origin=ORIGIN,
            additional_headers={"Cookie": f"deelnemer={cookie}"},
            open_timeout=5,
            compression=None,
            proxy=None,
        )
        try:
            await asyncio.wait_for(socket_.recv(), 5)  # the first state frame
        except BaseException:
            await socket_.close()
            raise
        return socket_

    async def vote(self, phone: Phone, port: int, socket_, deadline: float, on_send=None) -> None:
        """Vote until acknowledged (or the deadline); socket_ may be None or already closed."""
        attempt = 0
        while not phone.acked and time.monotonic() < deadline:
            if socket_ is None:
                with suppress(OSError, InvalidHandshake, TimeoutError, ConnectionClosed):
                    socket_ = await self._connect(port, phone.cookie)
            fall_back = True
            if socket_ is not None:
                outcome = await self._socket_vote(phone, socket_, on_send)
                if outcome == "ack":
                    break
                if outcome == "error":
                    fall_back = False
                with suppress(Exception):
                    await socket_.close()
                socket_ = None
            if fall_back and await self._form_vote(phone, port, on_send):
                break
            attempt += 1
            await asyncio.sleep(random.uniform(0.05, min(RETRY_CEILING_S, 0.25 * 2**attempt)))
        if socket_ is not None:
            with suppress(Exception):
                await socket_.close()

    async def _socket_vote(self, phone: Phone, socket_, on_send) -> str:
        message = {
            "type": "vote",
            "vote_id": phone.vote_id,
            "question": self.question,
            "answer": phone.answer,
        }
        try:
            phone.first_sent_at = phone.first_sent_at or time.monotonic()
            await socket_.send(json.dumps(message))
            phone.socket_sends += 1
            if on_send:
                on_send(phone)
            async with asyncio.timeout(ACK_S):
                while True:
                    reply = json.loads(await socket_.recv())
                    if reply.get("vote_id") != phone.vote_id:
                        continue
                    if reply["type"] == "ack":
                        phone.acked, phone.via, phone.acked_at = True, "socket", time.monotonic()
                        return "ack"
                    phone.problems[f"socket error {reply.get('code')}"] += 1
                    # poll.js posts the form again only for "retry"; other errors are shown.
                    return "retry" if reply.get("code") == "retry" else "error"
        except TimeoutError:
            phone.problems["no ack in time"] += 1
            return "timeout"
        except (ConnectionClosed, OSError):
            phone.problems["socket closed"] += 1
            return "closed"

    async def _form_vote(self, phone: Phone, port: int, on_send) -> bool:
        body = (
            f"csrfmiddlewaretoken={CSRF_SECRET}&question={self.question}"
            f"&answer={phone.answer}&vote_id={phone.vote_id}"
        )
        phone.first_sent_at = phone.first_sent_at or time.monotonic()
        if on_send:
            on_send(phone)
        phone.form_posts += 1
        try:
            status, text = await asyncio.wait_for(
                http_post(port, f"/p/{self.code}/", f"deelnemer={phone.cookie}", body),
                HTTP_TIMEOUT_S,
            )
        except (OSError, TimeoutError):
            phone.problems["form post failed"] += 1
            return False
        if status == 303:
            phone.acked, phone.via, phone.acked_at = True, "form", time.monotonic()
            return True
        phone.problems[f"form {status}"] += 1
        return False


def _check_poll(env: dict[str, str], workdir: Path, question: int, acked: list[str]) -> dict:
    path = workdir / f"acked-{question}.json"
    path.write_text(json.dumps(acked))
    return shell(CHECK_POLL, env, FAULTS_ACKED=str(path), FAULTS_QUESTION=str(question))


# --- Scenario 1: kill -9 during a voting load -----------------------------------------------


@dataclass
class KillResult:
    """What the kill -9 scenario measured; written as JSON."""

    phones: int = 0
    acked: int = 0
    acked_via_socket: int = 0
    acked_via_form: int = 0
    not_acked: int = 0
    sent_before_kill: int = 0
    acked_before_kill: int = 0
    in_flight_at_kill: int = 0
    down_s: float = 0.0
    restart_s: float = 0.0
    rows: int = 0
    lost: int = 0
    duplicated: int = 0
    rows_not_acked: int = 0
    tally_total: int = 0
    socket_sends: int = 0
    form_posts: int = 0
    problems: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    ok: bool = False


def kill_scenario(
    database_url: str,
    workdir: Path,
    phones: int = 200,
    spread_s: float = 6.0,
    kill_after: float = 0.4,
    burst: float = 0.2,
    deadline_s: float = 90.0,
    redis_url: str | None = None,
) -> KillResult:
    """N phones in the room vote once each; kill -9 right after a burst of votes, restart.

    The first kill_after of the phones vote spread out; then a burst (the next `burst` share)
    sends at the same moment, and the server is killed as soon as the burst is out, while those
    votes are queued, being committed or waiting for their ack. The rest vote after that. Every
    fourth phone has no socket and only posts the form.
    """
    env = _manage_env(database_url, redis_url, workdir)
    made = shell(MAKE_POLL, env, FAULTS_TITLE="Kill -9", FAULTS_PHONES=str(phones))
    server = Daphne(env, workdir, "kill")
    result = KillResult(phones=phones)
    server.start()
    try:
        started = time.monotonic()
        acked = asyncio.run(
            _kill_load(server, made, result, spread_s, kill_after, burst, deadline_s)
        )
        result.wall_s = round(time.monotonic() - started, 2)
    finally:
        server.stop()
    db = _check_poll(env, workdir, made["question"], acked)
    result.rows, result.lost = db["rows"], db["acked_missing"]
    result.duplicated = db["vote_ids_twice"] + db["participants_twice"]
    result.rows_not_acked, result.tally_total = db["rows_not_acked"], db["tally_total"]
    result.ok = (
        result.acked == phones
        and result.lost == 0
        and result.duplicated == 0
        and result.rows == result.acked == result.tally_total
    )
    return result


async def _kill_load(
    server: Daphne, made: dict, result: KillResult, spread_s, kill_after, burst, deadline_s
) -> list[str]:
    client = PollClient([server.port], made["code"], made["question"])
    phones = [Phone(i, cookie, answer=i % 3) for i, cookie in enumerate(made["cookies"])]
    n = len(phones)
    burst_from = int(n * kill_after)
    burst_to = min(max(burst_from + 1, int(n * (kill_after + burst))), n)
    kill_time = spread_s * kill_after
    sent: set[int] = set()
    burst_out = asyncio.Event()
    loop = asyncio.get_running_loop()
    deadline = time.monotonic() + deadline_s

    def on_send(phone: Phone) -> None:
        sent.add(phone.index)
        if all(i in sent for i in range(burst_from, burst_to)):
            burst_out.set()

    def starts_at(i: int) -> float:
        if i < burst_from:
            return kill_time * i / max(burst_from, 1)
        if i < burst_to:
            return kill_time
        return kill_time + 1.0 + (spread_s - kill_time) * (i - burst_to) / max(n - burst_to, 1)

    form_only = {phone.index for phone in phones if phone.index % 4 == 3}
    # The room: every phone with a socket opens it first (at most 100 handshakes at a time).
    gate = asyncio.Semaphore(100)

    async def join(phone: Phone):
        if phone.index in form_only:
            return None
        async with gate:
            try:
                return await client._connect(server.port, phone.cookie)
            except Exception:
                return None

    sockets = await asyncio.gather(*(join(phone) for phone in phones))

    async def one(phone: Phone, socket_) -> None:
        await asyncio.sleep(starts_at(phone.index))
        if phone.index not in form_only:
            await client.vote(phone, server.port, socket_, deadline, on_send)
            return
        attempt = 0  # no JavaScript: the form is posted again until the page says "binnen"
        while not phone.acked and time.monotonic() < deadline:
            if await client._form_vote(phone, server.port, on_send):
                return
            attempt += 1
            await asyncio.sleep(random.uniform(0.05, min(RETRY_CEILING_S, 0.25 * 2**attempt)))

    tasks = [loop.create_task(one(phone, s)) for phone, s in zip(phones, sockets, strict=True)]
    await asyncio.wait_for(burst_out.wait(), deadline_s)
    # Votes queued in the hub, a commit under way, acks not yet sent: kill it now.
    server.kill9()
    killed_at = time.monotonic()
    result.sent_before_kill = len(sent)
    result.acked_before_kill = sum(p.acked for p in phones)
    result.in_flight_at_kill = sum(1 for p in phones if p.index in sent and not p.acked)
    await asyncio.sleep(1.0)  # down for a moment, as a supervisor's restart delay
    result.restart_s = round(await loop.run_in_executor(None, server.start), 2)
    result.down_s = round(time.monotonic() - killed_at, 2)
    await asyncio.wait(tasks, timeout=max(deadline - time.monotonic(), 1))
    for task in tasks:
        task.cancel()
    acked = [p for p in phones if p.acked]
    result.acked = len(acked)
    result.acked_via_socket = sum(p.via == "socket" for p in acked)
    result.acked_via_form = sum(p.via == "form" for p in acked)
    result.not_acked = n - len(acked)
    result.socket_sends = sum(p.socket_sends for p in phones)
    result.form_posts = sum(p.form_posts for p in phones)
    problems: Counter = Counter()
    for phone in phones:
        problems.update(phone.problems)
    result.problems = dict(problems)
    return [p.vote_id for p in acked]


# --- Scenario 2: Redis stops mid-poll -------------------------------------------------------


@dataclass
class RedisResult:
    """What the Redis outage scenario measured; written as JSON."""

    outage_s: float = 0.0
    screens: int = 0
    votes_before: int = 0
    votes_during_offered: int = 0
    votes_during_acked: int = 0
    during_via_socket: int = 0
    during_via_form: int = 0
    form_only_phones: int = 0
    during_ack_p95_ms: float = 0.0
    not_acked: int = 0
    db_total: int = 0
    lost: int = 0
    duplicated: int = 0
    screens_on_db_total: int = 0
    converge_after_return_s: float | None = None
    converge_after_last_vote_s: float | None = None
    screen_reconnects: int = 0
    server_errors_in_logs: int = 0
    probe_all_screens_ms: float | None = None
    processes_alive: bool = False
    problems: dict[str, int] = field(default_factory=dict)
    ok: bool = False


@dataclass
class Screen:
    """A presenter screen (no cookie): the latest tally total it shows, and when it changed."""

    port: int
    total: int = -1
    changed_at: float = 0.0
    reconnects: int = 0
    history: list = field(default_factory=list)

    def show(self, total: int | None) -> None:
        if total is not None and total != self.total:
            self.total, self.changed_at = total, time.monotonic()
            self.history.append((self.changed_at, total))


async def _watch(screen: Screen, code: str, stop: asyncio.Event) -> None:
    """poll.js on a screen: the socket's state frames; while it is down, stand.json every 3 s."""
    attempt = 0
    while not stop.is_set():
        try:
            async with websockets.connect(
                f"ws://{HOST}:{screen.port}/ws/p/{code}/",
                origin=ORIGIN,
                open_timeout=5,
                compression=None,
                proxy=None,
            ) as socket_:
                attempt = 0
                while not stop.is_set():
                    try:
                        text = await asyncio.wait_for(socket_.recv(), 0.5)
                    except TimeoutError:
                        continue
                    frame = json.loads(text)
                    if frame.get("type") == "state" and frame.get("tally"):
                        screen.show(frame["tally"]["total"])
        except Exception:
            if stop.is_set():
                return
            screen.reconnects += 1
            attempt += 1
            await _snapshot(screen, code)
            await asyncio.sleep(min(random.uniform(0, 0.5 * 2**attempt), SCREEN_POLL_S))


async def _snapshot(screen: Screen, code: str) -> None:
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, screen.port), 3)
        writer.write(
            f"GET /p/{code}/stand.json HTTP/1.1\r\nHost: localhost\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        raw = await asyncio.wait_for(reader.read(), 5)
        writer.transport.abort()
        data = json.loads(raw.partition(b"\r\n\r\n")[2] or b"{}")
        if data.get("tally"):
            screen.show(data["tally"]["total"])
    except Exception:
        return


def redis_scenario(
    database_url: str,
    workdir: Path,
    outage_s: float = 30.0,
    voters_before: int = 20,
    voters_during: int = 100,
    screens: int = 20,
    settle_s: float = 15.0,
) -> RedisResult:
    """Two daphne processes on one Redis; Redis stops for outage_s while phones vote."""
    redis = Redis(workdir)
    redis.start()
    env = _manage_env(database_url, redis.url, workdir)
    phones_needed = voters_before + voters_during + 1  # and one probe vote at the end
    made = shell(MAKE_POLL, env, FAULTS_TITLE="Redis weg", FAULTS_PHONES=str(phones_needed))
    servers = [Daphne(env, workdir, "redis-a"), Daphne(env, workdir, "redis-b")]
    result = RedisResult(outage_s=outage_s, screens=screens)
    try:
        for server in servers:
            server.start()
        acked = asyncio.run(
            _redis_load(
                servers, redis, made, result, voters_before, voters_during, screens, settle_s
            )
        )
        result.processes_alive = all(s.process and s.process.poll() is None for s in servers)
    finally:
        for server in servers:
            server.stop()
        redis.stop()
    db = _check_poll(env | {"REDIS_URL": ""}, workdir, made["question"], acked)
    result.db_total, result.lost = db["tally_total"], db["acked_missing"]
    result.duplicated = db["vote_ids_twice"] + db["participants_twice"]
    logs = "".join(server.log_text() for server in servers)
    result.server_errors_in_logs = logs.count("Traceback (most recent call last)")
    result.ok = (
        result.votes_during_acked == result.votes_during_offered
        and result.lost == 0
        and result.duplicated == 0
        and result.db_total == len(acked)
        and result.screens_on_db_total == screens
        and result.converge_after_return_s is not None
        and result.converge_after_return_s <= TARGET_CONVERGE_S
        and result.processes_alive
    )
    return result


async def _redis_load(
    servers, redis, made, result, voters_before, voters_during, screens, settle_s
):
    loop = asyncio.get_running_loop()
    ports = [server.port for server in servers]
    client = PollClient(ports, made["code"], made["question"])
    stop = asyncio.Event()
    watchers = [Screen(ports[i % len(ports)]) for i in range(screens)]
    watch_tasks = [loop.create_task(_watch(screen, made["code"], stop)) for screen in watchers]
    phones = [Phone(i, cookie, answer=i % 3) for i, cookie in enumerate(made["cookies"])]
    before, during = phones[:voters_before], phones[voters_before:-1]
    probe = phones[-1]
    long_deadline = time.monotonic() + 300

    async def vote(phone: Phone, delay: float, form_only: bool) -> None:
        await asyncio.sleep(delay)
        port = ports[phone.index % len(ports)]
        if form_only:  # a phone without JavaScript: only the plain form post, tried again
            attempt = 0
            while not phone.acked and time.monotonic() < long_deadline:
                if await client._form_vote(phone, port, None):
                    return
                attempt += 1
                await asyncio.sleep(random.uniform(0.05, min(RETRY_CEILING_S, 0.25 * 2**attempt)))
            return
        await client.vote(phone, port, None, long_deadline)

    await asyncio.sleep(1.0)  # the screens are in
    await asyncio.gather(*(vote(p, 0.02 * i, False) for i, p in enumerate(before)))
    result.votes_before = sum(p.acked for p in before)

    redis.stop()
    down_at = time.monotonic()
    # During the outage: half the phones vote over the socket, half post the form only.
    spread = result.outage_s * 0.8
    form_only = {p.index for p in during[::2]}
    result.form_only_phones = len(form_only)
    tasks = [
        loop.create_task(vote(p, spread * i / max(len(during), 1), p.index in form_only))
        for i, p in enumerate(during)
    ]
    await asyncio.sleep(max(down_at + result.outage_s - time.monotonic(), 0))
    result.votes_during_offered = len(during)
    result.votes_during_acked = sum(p.acked and p.acked_at <= time.monotonic() for p in during)
    result.during_via_socket = sum(p.acked and p.via == "socket" for p in during)
    result.during_via_form = sum(p.acked and p.via == "form" for p in during)
    latencies = sorted(
        (p.acked_at - p.first_sent_at) * 1000 for p in during if p.acked and p.first_sent_at
    )
    if latencies:
        result.during_ack_p95_ms = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]

    await loop.run_in_executor(None, redis.start)
    back_at = time.monotonic()
    await asyncio.wait(tasks, timeout=60)  # any phone still retrying finishes
    acked = [p for p in phones if p.acked]
    expected = len(acked)
    last_ack = max((p.acked_at for p in acked), default=back_at)
    # Watch until every screen shows the count, or settle_s after Redis came back.
    while time.monotonic() < back_at + settle_s:
        if all(screen.total == expected for screen in watchers):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.5)  # and it stays there
    on_total = [screen for screen in watchers if screen.total == expected]
    result.screens_on_db_total = len(on_total)
    if len(on_total) == len(watchers):
        reached = max(screen.changed_at for screen in watchers)
        result.converge_after_return_s = round(max(reached - back_at, 0.0), 3)
        result.converge_after_last_vote_s = round(max(reached - last_ack, 0.0), 3)
    # One more vote on the first process: do the other process's screens hear of it through
    # Redis again (well under STALE_AFTER), or only from their 5 s re-read?
    await client.vote(probe, ports[0], None, time.monotonic() + 30)
    if probe.acked:
        expected += 1
        acked.append(probe)
        while time.monotonic() < probe.acked_at + 10:
            if all(screen.total == expected for screen in watchers):
                reached = max(screen.changed_at for screen in watchers)
                result.probe_all_screens_ms = round((reached - probe.acked_at) * 1000, 1)
                break
            await asyncio.sleep(0.01)
    stop.set()
    await asyncio.gather(*watch_tasks, return_exceptions=True)
    result.screen_reconnects = sum(screen.reconnects for screen in watchers)
    result.not_acked = len(phones) - expected
    problems: Counter = Counter()
    for phone in phones:
        problems.update(phone.problems)
    result.problems = dict(problems)
    return [p.vote_id for p in acked]


# --- Scenario 3: SQLite with many writers at once -------------------------------------------


@dataclass
class WritersResult:
    """What the concurrent writers scenario measured; written as JSON."""

    writers: int = 0
    writes_offered: int = 0
    writes_acked: dict[str, int] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)
    server_errors: int = 0
    locked_messages: int = 0
    failures: list[str] = field(default_factory=list)
    stored: dict[str, int] = field(default_factory=dict)
    missing: dict[str, int] = field(default_factory=dict)
    wall_s: float = 0.0
    writes_per_s: float = 0.0
    p95_ms: float = 0.0
    ok: bool = False


LOCKED = re.compile(r"database is locked|database table is locked|OperationalError", re.I)


class _Http:
    """A tiny keep-alive client for one writer thread, with its own cookies."""

    def __init__(self, port: int, cookies: dict[str, str]):
        self.port, self.cookies = port, dict(cookies)
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, str]:
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers = {"Host": "localhost", "Cookie": cookie}
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        for attempt in (1, 2):  # a keep-alive connection the server closed: open a new one
            try:
                self.connection.request(method, path, body=body, headers=headers)
                response = self.connection.getresponse()
                text = response.read().decode("utf-8", errors="replace")
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.connection.close()
                self.connection = http.client.HTTPConnection(HOST, self.port, timeout=60)
                if attempt == 2:
                    raise
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return response.status, text, response.headers.get("Location", "")


def writers_scenario(
    database_url: str, workdir: Path, writers: int = 20, writes_each: int = 15
) -> WritersResult:
    """`writers` threads post votes, comments and survey answers at once to one daphne."""
    env = _manage_env(database_url, None, workdir)
    tag = f"W{uuid.uuid4().hex[:6]}"
    kinds = ["vote", "comment", "survey"]
    plan = [[kinds[(w + j) % 3] for j in range(writes_each)] for w in range(writers)]
    votes = sum(row.count("vote") for row in plan)
    surveys = sum(row.count("survey") for row in plan)
    setup = made = shell(
        MAKE_POLL + MAKE_WRITERS,
        env,
        FAULTS_TITLE="Schrijvers",
        FAULTS_PHONES=str(votes),
        FAULTS_TAG=tag,
        FAULTS_WRITERS=str(writers),
        FAULTS_SURVEYS=str(surveys),
    )
    server = Daphne(env, workdir, "writers")
    result = WritersResult(writers=writers, writes_offered=writers * writes_each)
    acked: dict[str, list[str]] = {kind: [] for kind in kinds}
    statuses: Counter = Counter()
    latencies: list[float] = []
    lock = threading.Lock()
    cookies = iter(made["cookies"])
    codes = iter(setup["codes"])
    barrier = threading.Barrier(writers)

    def check(status: int, text: str, what: str, expected: tuple[int, ...]) -> bool:
        with lock:
            statuses[f"{what} {status}"] += 1
            if status >= 500:
                result.server_errors += 1
            if LOCKED.search(text):
                result.locked_messages += 1
            if status not in expected:
                result.failures.append(f"{what}: {status} {text[:200]!r}")
                return False
        return True

    def write(kind: str, client: _Http, session_cookie: str) -> None:
        started = time.perf_counter()
        if kind == "vote":
            with lock:
                cookie = next(cookies)
            vote_id = str(uuid.uuid4())
            phone = _Http(server.port, {"deelnemer": cookie, "csrftoken": CSRF_SECRET})
            body = (
                f"csrfmiddlewaretoken={CSRF_SECRET}&question={made['question']}"
                f"&answer={random.randrange(3)}&vote_id={vote_id}"
            )
            status, text, _ = phone.request("POST", f"/p/{made['code']}/", body)
            phone.connection.close()
            if check(status, text, "vote", (303,)):
                with lock:
                    acked["vote"].append(vote_id)
        elif kind == "comment":
            token = str(uuid.uuid4())
            key = setup["target"]
            body = (
                f"csrfmiddlewaretoken={CSRF_SECRET}&target={key}"
                f"&{key}-text={tag}+reactie+{token[:8]}&{key}-visibility=public"
                f"&{key}-token={token}&{key}-organisation={setup['organisation']}"
            )
            status, text, _ = client.request("POST", setup["comment_url"], body)
            if check(status, text, "comment", (302, 303)):
                with lock:
                    acked["comment"].append(token)
        else:
            with lock:
                code = next(codes)
            respondent = _Http(server.port, {})
            status, text, _ = respondent.request("GET", f"/m/{code}/")
            if not check(status, text, "survey open", (302,)):
                return
            status, text, _ = respondent.request("GET", "/m/vragen/1/")
            if not check(status, text, "survey page", (200,)):
                return
            found = re.search(r'name="formtoken" value="([^"]+)"', text)
            token = found.group(1) if found else ""
            body = f"formtoken={token}&usefulness=7"
            status, text, _ = respondent.request("POST", "/m/vragen/1/", body)
            respondent.connection.close()
            if check(status, text, "survey answer", (302,)):
                with lock:
                    acked["survey"].append(code)
        with lock:
            latencies.append((time.perf_counter() - started) * 1000)

    def writer(number: int) -> None:
        client = _Http(
            server.port, {"sessionid": setup["sessions"][number], "csrftoken": CSRF_SECRET}
        )
        barrier.wait(timeout=60)
        for kind in plan[number]:
            try:
                write(kind, client, setup["sessions"][number])
            except Exception as exc:  # a failed connection is a failure for the user too
                with lock:
                    result.failures.append(f"{kind}: {exc!r}")
                    statuses[f"{kind} {type(exc).__name__}"] += 1

    server.start()
    try:
        threads = [threading.Thread(target=writer, args=(n,)) for n in range(writers)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=300)
        result.wall_s = round(time.monotonic() - started, 2)
        locked_in_log = len(LOCKED.findall(server.log_text()))
    finally:
        server.stop()
    path = workdir / f"writers-{tag}.json"
    path.write_text(json.dumps(acked))
    db = shell(
        CHECK_WRITERS,
        env,
        FAULTS_ACKED=str(path),
        FAULTS_QUESTION=str(made["question"]),
        FAULTS_TAG=tag,
    )
    result.statuses = dict(statuses)
    result.writes_acked = {kind: len(ids) for kind, ids in acked.items()}
    result.stored = {"vote": db["votes"], "comment": db["comments"], "survey": db["surveys"]}
    result.missing = {
        "vote": db["votes_missing"],
        "comment": db["comments_missing"],
        "survey": db["surveys_missing"],
    }
    result.locked_messages += locked_in_log
    total = sum(result.writes_acked.values())
    result.writes_per_s = round(total / result.wall_s, 1) if result.wall_s else 0.0
    if latencies:
        latencies.sort()
        result.p95_ms = round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1)
    result.ok = (
        total == result.writes_offered
        and result.server_errors == 0
        and result.locked_messages == 0
        and not result.failures
        and all(n == 0 for n in result.missing.values())
        and result.stored == result.writes_acked
    )
    return result


# --- Report ---------------------------------------------------------------------------------


def table(report: dict[str, Any]) -> str:
    """The printed summary."""
    lines = ["| scenario | figure | value |", "|---|---|---:|"]

    def row(scenario: str, figure: str, value: Any) -> None:
        lines.append(f"| {scenario} | {figure} | {value} |")

    kill = report.get("kill")
    if kill:
        row("kill -9", "phones voting (one vote each)", kill["phones"])
        row(
            "kill -9",
            "votes sent / acked before the kill",
            f"{kill['sent_before_kill']} / {kill['acked_before_kill']}",
        )
        row("kill -9", "in flight at the kill (sent, no ack yet)", kill["in_flight_at_kill"])
        row("kill -9", "server down (kill → answering again)", f"{kill['down_s']:.1f} s")
        row(
            "kill -9",
            "acked in the end (socket / form post)",
            f"{kill['acked']} ({kill['acked_via_socket']} / {kill['acked_via_form']})",
        )
        row("kill -9", "lost (acked, not in the database)", kill["lost"])
        row("kill -9", "counted twice", kill["duplicated"])
        row("kill -9", "rows / tally total", f"{kill['rows']} / {kill['tally_total']}")
        row("kill -9", "result", "PASS" if kill["ok"] else "FAIL")
    redis = report.get("redis")
    if redis:
        row("Redis outage", "outage", f"{redis['outage_s']:.0f} s")
        row(
            "Redis outage",
            "votes during the outage: offered / accepted",
            f"{redis['votes_during_offered']} / {redis['votes_during_acked']}",
        )
        row(
            "Redis outage",
            "accepted via socket / form post",
            f"{redis['during_via_socket']} / {redis['during_via_form']}",
        )
        row("Redis outage", "ack p95 during the outage", f"{redis['during_ack_p95_ms']:.0f} ms")
        row(
            "Redis outage",
            "screens on the database total",
            f"{redis['screens_on_db_total']} / {redis['screens']}",
        )
        row(
            "Redis outage",
            "convergence after Redis returned",
            _seconds(redis["converge_after_return_s"]),
        )
        row(
            "Redis outage",
            "convergence after the last vote",
            _seconds(redis["converge_after_last_vote_s"]),
        )
        probe = redis["probe_all_screens_ms"]
        row(
            "Redis outage",
            "a vote after Redis returned: on every screen of both processes",
            "never" if probe is None else f"{probe:.0f} ms",
        )
        row("Redis outage", "lost / counted twice", f"{redis['lost']} / {redis['duplicated']}")
        row(
            "Redis outage",
            "tracebacks in the server logs (channels-redis retrying)",
            redis["server_errors_in_logs"],
        )
        row("Redis outage", "result", "PASS" if redis["ok"] else "FAIL")
    writers = report.get("sqlite")
    if writers:
        acked = writers["writes_acked"]
        row("SQLite writers", "writers at once", writers["writers"])
        row(
            "SQLite writers",
            "writes offered / acked",
            f"{writers['writes_offered']} / {sum(acked.values())}",
        )
        row(
            "SQLite writers",
            "votes / comments / survey answers acked",
            f"{acked['vote']} / {acked['comment']} / {acked['survey']}",
        )
        row(
            "SQLite writers",
            "stored",
            " / ".join(str(writers["stored"][k]) for k in ("vote", "comment", "survey")),
        )
        row(
            "SQLite writers",
            "server errors / 'locked' messages",
            f"{writers['server_errors']} / {writers['locked_messages']}",
        )
        row(
            "SQLite writers",
            "writes/s, p95 per write",
            f"{writers['writes_per_s']}, {writers['p95_ms']} ms",
        )
        row("SQLite writers", "result", "PASS" if writers["ok"] else "FAIL")
    return "\n".join(lines)


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.2f} s"


def _clean(result: Any) -> dict:
    return {k: v for k, v in asdict(result).items() if not k.startswith("_")}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=200, help="phones in the kill -9 run (200)")
    parser.add_argument("--outage", type=float, default=30.0, help="Redis outage in s (30)")
    parser.add_argument("--outage-voters", type=int, default=100, help="votes during it (100)")
    parser.add_argument("--screens", type=int, default=20, help="screens in the Redis run (20)")
    parser.add_argument("--writers", type=int, default=20, help="SQLite writers at once (20)")
    parser.add_argument("--writes", type=int, default=30, help="writes per writer (30)")
    parser.add_argument(
        "--only", choices=["kill", "redis", "sqlite"], action="append", help="run only these"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    only = set(args.only or ["kill", "redis", "sqlite"])
    signal.signal(signal.SIGTERM, harness._raise_keyboard_interrupt)
    report: dict[str, Any] = {
        "started_at": datetime.now().astimezone().isoformat(timespec="seconds"),
        "args": vars(args),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_1min_at_start": os.getloadavg()[0],
        },
        "notes": [],
    }
    status = 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="jeugdstem-faults-") as tmp:
        workdir = Path(tmp)
        try:
            print("Preparing a throwaway database ...", flush=True)
            database_url = prepare(workdir)
            if "kill" in only:
                print(f"kill -9: {args.phones} phones ...", flush=True)
                report["kill"] = _clean(kill_scenario(database_url, workdir, phones=args.phones))
            if "redis" in only:
                if shutil.which("redis-server"):
                    print(f"Redis outage: {args.outage:.0f} s ...", flush=True)
                    report["redis"] = _clean(
                        redis_scenario(
                            database_url,
                            workdir,
                            outage_s=args.outage,
                            voters_during=args.outage_voters,
                            screens=args.screens,
                        )
                    )
                else:
                    report["notes"].append("redis-server not installed: Redis outage skipped")
            if "sqlite" in only:
                print(f"SQLite: {args.writers} writers ...", flush=True)
                report["sqlite"] = _clean(
                    writers_scenario(database_url, workdir, args.writers, args.writes)
                )
        except BenchError as exc:
            print(f"\nFAILED: {exc}", file=sys.stderr)
            report["notes"].append(f"failed: {str(exc).splitlines()[0]}")
            status = 1
        except KeyboardInterrupt:
            print("\ninterrupted; servers stopped", file=sys.stderr)
            return 130
        except Exception:
            traceback.print_exc()
            status = 1
    report["wall_s"] = round(time.monotonic() - started, 1)
    print()
    print(table(report))
    for note in report["notes"]:
        print(f"note: {note}")
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = RESULTS_DIR / f"faults-{stamp}.json"
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(f"\nJSON: {path.relative_to(ROOT)}  (whole run {report['wall_s']} s)")
    return status


if __name__ == "__main__":
    sys.exit(main())
