"""WebSocket abuse on the wire (issue 7, item 6): one real daphne process, its own database.

The last tests run the production server (uvicorn with the flags from README.md) on the same
database: there the protocol itself closes a message over 64 KiB with 1009.

Malformed messages of many kinds from many sockets, frames over the 64 KiB limit, a flood from
one socket and handshakes from a foreign or missing Origin. Throughout, the server must stay up,
/gezond/ must answer 200, nothing may reach the database and an honest phone must carry on.

The server's database gets its tables straight from the models (`migrate --run-syncdb` with
migrations switched off, as pytest-django's --nomigrations does): two seconds instead of half a
minute of migrations, and `makemigrations --check` keeps models and migrations the same.
The test reads that database itself, read-only, to compare every row of every table.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import sqlite3
import subprocess
import sys
import urllib.request
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.plugins.appserver import ROOT, server_env, start_server

KIB = 1024
MIB = 1024 * KIB
LIMIT = 64 * KIB  # youth_panel.consumers.MAX_MESSAGE_BYTES, on purpose not imported
PER_SOCKET = 18  # below the consumer's burst of 20, so no malformed message is rate-limited
HEALTH_EVERY = 100  # messages between two GET /gezond/
REPLY_TIMEOUT = 10.0
TOO_BIG = 4009  # consumers' CLOSE_TOO_BIG: daphne lets an application send 1000 or 3000-4999 only
# What websockets reports when the server cut the TCP connection without a close frame. Daphne's
# autobahn does that ("failByDrop") on invalid UTF-8 and on messages over daphne's own 1 MiB
# limit: RFC 6455 section 7.1.7 says SHOULD send a close frame (1007, 1009), and MUST fail.
DROPPED = 1006

# Builds the schema, two live polls, a host and signed phone cookies; prints them as JSON.
SETUP = r"""
import json
import uuid

import django
from django.conf import settings


class NoMigrations(dict):
    def __contains__(self, item):
        return True

    def __getitem__(self, item):
        return None


django.setup()
settings.MIGRATION_MODULES = NoMigrations()
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.http import HttpResponse
from django.test import Client

from youth_panel.models import PollQuestion, PollSession
from youth_panel.polls import control
from youth_panel.views import PARTICIPANT_COOKIE, PARTICIPANT_SALT

call_command("migrate", run_syncdb=True, verbosity=0)


def poll(code):
    session = PollSession.objects.create(title=code, join_code=code)
    PollQuestion.objects.create(session=session, sort_order=0, text="Ja?", kind="yes_no")
    PollQuestion.objects.create(
        session=session, sort_order=1, text="Welke?", kind="single", options_text="A\nB"
    )
    return control(session, "start")


def cookie(number):
    response = HttpResponse()
    response.set_signed_cookie(PARTICIPANT_COOKIE, f"{number:032x}", salt=PARTICIPANT_SALT)
    return f"{PARTICIPANT_COOKIE}={response.cookies[PARTICIPANT_COOKIE].value}"


live = control(poll("OPEN23"), "show")
shut = control(poll("DICHT4"), "close")
host = get_user_model().objects.create_user("gespreksleider", password=uuid.uuid4().hex)
live.hosts.add(host)
client = Client()
client.force_login(host)
name = settings.SESSION_COOKIE_NAME
print(json.dumps({
    "live": {"code": live.join_code, "questions": [q.pk for q in live.ordered_questions()]},
    "shut": {"code": shut.join_code, "questions": [q.pk for q in shut.ordered_questions()]},
    "host": f"{name}={client.cookies[name].value}",
    "phones": [cookie(n) for n in range(1, 41)],
}))
"""


@dataclass
class Site:
    """The server, what SETUP made, and how to reach its database."""

    server: object
    data: dict
    database_url: str

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.server.port}"

    @property
    def origin(self) -> str:
        return self.server.url


def _new_database(env: dict[str, str], workdir) -> str:
    base_url = os.environ.get("DATABASE_URL", "")
    if not base_url.startswith("postgres"):
        return f"sqlite:///{workdir / 'db.sqlite3'}"
    import psycopg

    name = f"jeugdstem_ws_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(base_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return base_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site in daphne on a free port (Redis as its channel layer in the services pass)."""
    workdir = tmp_path_factory.mktemp("ws-abuse")
    env = server_env(workdir / "static")
    env["DATABASE_URL"] = _new_database(env, workdir)
    made = subprocess.run(
        [sys.executable, "-c", SETUP],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    data = json.loads(made.stdout.strip().splitlines()[-1])
    server = start_server(env, log_dir=workdir)
    yield Site(server, data, env["DATABASE_URL"])
    server.stop()


# --- Reading the server's database ----------------------------------------------------------


def _rows(database_url: str) -> dict[str, tuple[list[str], list[tuple]]]:
    """Every row of every table, as text, with the column names."""
    if database_url.startswith("sqlite:///"):
        path = database_url.removeprefix("sqlite:///")
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
    else:
        import psycopg

        connection = psycopg.connect(database_url, autocommit=True)
        tables = [
            name
            for (name,) in connection.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
            )
        ]
    try:
        found = {}
        for table in tables:
            cursor = connection.execute(f'SELECT * FROM "{table}"')  # noqa: S608 - catalogue names
            columns = [column[0] for column in cursor.description]
            found[table] = (columns, sorted(tuple(map(str, row)) for row in cursor.fetchall()))
        return found
    finally:
        connection.close()


def _changes(before: dict, after: dict) -> dict[str, tuple[list[dict], list[dict]]]:
    """Per table that differs: the rows added and the rows gone."""
    changes = {}
    for table in before.keys() | after.keys():
        columns = (after.get(table) or before.get(table))[0]
        old = Counter(before.get(table, ([], []))[1])
        new = Counter(after.get(table, ([], []))[1])
        added, gone = new - old, old - new
        if added or gone:
            changes[table] = (
                [dict(zip(columns, row, strict=True)) for row in added.elements()],
                [dict(zip(columns, row, strict=True)) for row in gone.elements()],
            )
    return changes


@dataclass(frozen=True)
class Probe:
    """One malformed message: where it goes, what is sent, and what must come back."""

    kind: str
    route: str  # live, shut (voting closed), anonymous (no cookie), host, health
    payload: str | bytes
    expect: str | int  # an error code or frame type; an int is a close code
    text: bool = True  # a text frame (bytes are sent unchecked, so may be invalid UTF-8)


# --- Talking to the server ------------------------------------------------------------------


def _health(site: Site) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{site.server.url}/gezond/", timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


async def _open(
    site: Site, path: str, cookie: str = "", origin: str | None = "same"
) -> ClientConnection:
    return await connect(
        f"{site.ws}{path}",
        origin=site.origin if origin == "same" else origin,
        additional_headers={"Cookie": cookie} if cookie else None,
        compression=None,
        proxy=None,
        max_size=None,
        open_timeout=10,
    )


async def _frame(socket: ClientConnection, timeout: float = REPLY_TIMEOUT) -> dict:
    return json.loads(await asyncio.wait_for(socket.recv(), timeout))


async def _reply(socket: ClientConnection, wanted: Callable[[dict], bool]) -> dict:
    """The next frame that `wanted` accepts; other frames (state broadcasts) are passed over."""
    deadline = asyncio.get_running_loop().time() + REPLY_TIMEOUT
    while True:
        frame = await _frame(socket, max(deadline - asyncio.get_running_loop().time(), 0.01))
        if wanted(frame):
            return frame


def _outcome(frame: dict) -> str:
    """An error frame's code, or the type of any other frame."""
    return frame["code"] if frame["type"] == "error" else frame["type"]


def _code(closed: ConnectionClosed) -> int:
    """The code in the server's close frame; DROPPED when it cut the connection without one."""
    return closed.rcvd.code if closed.rcvd else DROPPED


async def _send(socket: ClientConnection, payload: str | bytes, text: bool | None = None):
    """Send one message; None when it went out, else the close code when the server closed or
    dropped the socket while the message was still going out (a server may refuse an oversize
    message before it has read all of it, and then the client's send fails)."""
    try:
        await socket.send(payload, text=text)
    except ConnectionClosed as closed:
        return _code(closed)
    return None


async def _sent_then_closed(socket: ClientConnection, payload: str | bytes) -> int | str:
    """Send a message the server must refuse; the code it closed the socket with."""
    code = await _send(socket, payload)
    return code if code is not None else await _close_code(socket)


async def _close_code(socket: ClientConnection) -> int | str:
    """Read until the server closes the socket; the code in its close frame."""
    try:
        while True:
            await asyncio.wait_for(socket.recv(), REPLY_TIMEOUT)
    except TimeoutError:
        return "still open"
    except ConnectionClosed as closed:
        return _code(closed)


async def _answer(socket: ClientConnection, probe: Probe) -> str | int:
    """What came back: an error code or frame type; for a closed socket its close code."""
    if isinstance(probe.expect, int):
        return await _close_code(socket)
    if probe.route == "health":
        wanted = lambda frame: True  # noqa: E731 - nothing else is sent on that socket
    else:
        wanted = lambda frame: probe.expect == "state" or frame["type"] != "state"  # noqa: E731
    try:
        frame = await _reply(socket, wanted)
    except TimeoutError:
        return "no reply"
    except ConnectionClosed as closed:
        return _code(closed)
    if frame["type"] == "error" and probe.route != "health":
        return frame["code"]
    return frame["type"]


# --- The corpus -----------------------------------------------------------------------------


def _vote(question, answer=0, vote_id=None, **extra) -> dict:
    vote_id = str(uuid.uuid4()) if vote_id is None else vote_id
    return {"type": "vote", "vote_id": vote_id, "question": question, "answer": answer, **extra}


def _raw_vote(question: str, answer: str, vote_id: str | None = None) -> str:
    """A vote written by hand, for numbers json.dumps would not write (NaN, 10**400...)."""
    vote_id = json.dumps(str(uuid.uuid4())) if vote_id is None else vote_id
    return f'{{"type": "vote", "vote_id": {vote_id}, "question": {question}, "answer": {answer}}}'


def corpus(data: dict) -> list[Probe]:
    """At least 2,000 malformed messages; each kind repeats a handful of variants."""
    rng = random.Random(20260607)
    q, other = data["live"]["questions"]
    shut_q = data["shut"]["questions"][0]
    probes: list[Probe] = []

    def add(
        kind: str, count: int, variants: list[tuple], route: str = "live", text: bool = True
    ) -> None:
        for i in range(count):
            payload, expect = variants[i % len(variants)]
            probes.append(
                Probe(kind, route, payload() if callable(payload) else payload, expect, text)
            )

    dumps = json.dumps
    add(
        "not_json",
        200,
        [
            ("hallo", "bad_message"),
            ("stem: ja", "bad_message"),
            ("{type: 'vote'}", "bad_message"),
            ("{'type': 'vote'}", "bad_message"),
            ("<script>alert(1)</script>", "bad_message"),
            ("undefined", "bad_message"),
            ("vote=1&question=2", "bad_message"),
            ("null", "bad_message"),
            ("42", "bad_message"),
            ('"vote"', "bad_message"),
            ("true", "bad_message"),
            ("\t\r\n ", "bad_message"),
            ('{"type": "snapshot"}{"type": "snapshot"}', "bad_message"),
        ],
    )
    whole = dumps(_vote(q, 0))
    add(
        "truncated",
        200,
        [(lambda: dumps(_vote(q, 0))[: rng.randrange(1, len(whole) - 1)], "bad_message")],
    )
    add(
        "binary",
        150,
        [
            (lambda: dumps(_vote(q, 0)).encode(), "bad_message"),
            (b'{"type": "snapshot"}', "bad_message"),
            (lambda: rng.randbytes(rng.randrange(1, 2048)), "bad_message"),
            (b"\x00" * 16, "bad_message"),
            (b"\xff\xfe\xfd", "bad_message"),
        ],
        text=False,
    )
    add(
        "wrong_types",
        300,
        [
            (lambda: dumps([_vote(q, 0)]), "bad_message"),
            (lambda: dumps({**_vote(q, 0), "type": ["vote"]}), "unknown_type"),
            (lambda: dumps({**_vote(q, 0), "type": 1}), "unknown_type"),
            (lambda: dumps(_vote(float(q), 0)), "bad_message"),
            (lambda: dumps(_vote(q + 0.5, 0)), "bad_message"),
            (lambda: dumps(_vote(str(q), 0)), "bad_message"),
            (lambda: dumps(_vote(True, 0)), "bad_message"),
            (lambda: dumps(_vote(None, 0)), "bad_message"),
            (lambda: dumps(_vote({"id": q}, 0)), "bad_message"),
            (lambda: dumps(_vote(q, {"index": 0})), "unknown_option"),
            (lambda: dumps(_vote(q, 0.0)), "unknown_option"),
            (lambda: dumps(_vote(q, 0.9)), "unknown_option"),
            (lambda: dumps(_vote(q, True)), "unknown_option"),
            (lambda: dumps(_vote(q, False)), "unknown_option"),
            (lambda: dumps(_vote(q, None)), "unknown_option"),
            (lambda: dumps(_vote(q, [[0]])), "unknown_option"),
            (lambda: dumps(_vote(q, [0.0])), "unknown_option"),
            (lambda: dumps(_vote(q, 0, vote_id=5)), "bad_message"),
            (lambda: dumps(_vote(q, 0, vote_id=[str(uuid.uuid4())])), "bad_message"),
            (lambda: dumps(_vote(q, 0, vote_id={"id": 1})), "bad_message"),
        ],
    )
    add(
        "extra_keys",
        150,
        [
            (dumps({"type": "snapshot", "is_host": True, "participant": "x"}), "state"),
            (dumps({"type": "control", "action": "end", "is_host": True, "user": 1}), "forbidden"),
            (
                lambda: dumps(_vote(q, 3, participant="ander", weight=1000, session=shut_q)),
                "unknown_option",
            ),
            (lambda: dumps(_vote(q, -1, __proto__={"admin": True})), "unknown_option"),
        ],
    )
    deep = 10_000
    add(
        "deep_nesting",
        40,
        [
            ("[" * deep + "]" * deep, "bad_message"),
            ('{"a":' * deep + "1" + "}" * deep, "bad_message"),  # 60,001 bytes
            (lambda: _raw_vote(str(q), "[" * deep + "0" + "]" * deep), "bad_message"),
            (lambda: _raw_vote(str(q), "[" * 200 + "0" + "]" * 200), "unknown_option"),
            (lambda: _raw_vote(str(q), "0", vote_id="[" * 200 + "]" * 200), "bad_message"),
        ],
    )
    add(
        "huge_integers",
        150,
        [
            (lambda: _raw_vote(str(10**400), "0"), "bad_message"),
            (lambda: _raw_vote(str(-(10**400)), "0"), "bad_message"),
            (lambda: _raw_vote(str(2**63), "0"), "bad_message"),
            (lambda: _raw_vote(str(q), str(10**400)), "unknown_option"),
            (lambda: _raw_vote(str(q), str(-(10**400))), "unknown_option"),
            (lambda: _raw_vote(str(q), str(2**64)), "unknown_option"),
            (lambda: _raw_vote(str(q), "1e400"), "unknown_option"),
            # More digits than Python turns into an int (sys.get_int_max_str_digits(): 4300).
            (lambda: _raw_vote(str(q), "9" * 5000), "bad_message"),
            (lambda: _raw_vote("9" * 5000, "0"), "bad_message"),
        ],
    )
    add(
        "nan_infinity",
        150,
        [
            (lambda: _raw_vote(str(q), "NaN"), "unknown_option"),
            (lambda: _raw_vote(str(q), "Infinity"), "unknown_option"),
            (lambda: _raw_vote(str(q), "-Infinity"), "unknown_option"),
            (lambda: _raw_vote(str(q), "[NaN]"), "unknown_option"),
            (lambda: _raw_vote("NaN", "0"), "bad_message"),
            (lambda: _raw_vote("Infinity", "0"), "bad_message"),
            (lambda: _raw_vote(str(q), "0", vote_id="NaN"), "bad_message"),
        ],
    )
    add(
        "nul_characters",
        150,
        [
            ("\x00", "bad_message"),
            ("\x00" * 1000, "bad_message"),
            ('{"type": "snapshot\\u0000"}', "unknown_type"),
            ('{"type": "snapshot\x00"}', "bad_message"),  # a raw control character: not JSON
            (lambda: dumps(_vote(q, 0, vote_id="\x00" * 36)), "bad_message"),
            (lambda: dumps(_vote(q, "\x00")), "unknown_option"),
            (lambda: dumps(_vote(q, ["0\x00"])), "unknown_option"),
            (lambda: dumps(_vote(q, 0)) + "\x00", "bad_message"),
        ],
    )
    add(
        "unknown_type",
        150,
        [
            (dumps({"type": "dans"}), "unknown_type"),
            (dumps({"type": "VOTE"}), "unknown_type"),
            (dumps({"type": "vote "}), "unknown_type"),
            (dumps({"type": "__proto__"}), "unknown_type"),
            (dumps({"type": None}), "unknown_type"),
            (dumps({}), "unknown_type"),
            (dumps({"action": "end"}), "unknown_type"),
        ],
    )
    add(
        "unknown_action",
        60,
        [
            (dumps({"type": "control", "action": "ontplof"}), "unknown_action"),
            (dumps({"type": "control", "action": None}), "unknown_action"),
            (dumps({"type": "control", "action": ["end"]}), "unknown_action"),
            (dumps({"type": "control"}), "unknown_action"),
        ],
        route="host",
    )
    add("empty", 100, [("", "bad_message")])
    add("empty_binary", 20, [(b"", "bad_message")], text=False)
    add(
        "closed_question",
        150,
        [
            (lambda: dumps(_vote(shut_q, 0)), "closed"),
            (lambda: dumps(_vote(shut_q, [1])), "closed"),
        ],
        route="shut",
    )
    add(
        "not_current_question",
        100,
        [
            (lambda: dumps(_vote(other, 0)), "not_current"),
            (lambda: dumps(_vote(shut_q, 0)), "not_current"),  # another session's question
            (lambda: dumps(_vote(987_654_321, 0)), "not_current"),
        ],
    )
    add(
        "unknown_option",
        150,
        [
            (lambda: dumps(_vote(q, 3)), "unknown_option"),
            (lambda: dumps(_vote(q, -1)), "unknown_option"),
            (lambda: dumps(_vote(q, 1000)), "unknown_option"),
            (lambda: dumps(_vote(q, [0, 1])), "unknown_option"),
            (lambda: dumps(_vote(q, [])), "unknown_option"),
            (lambda: dumps(_vote(q, "ja")), "unknown_option"),
        ],
    )
    add("no_cookie", 50, [(lambda: dumps(_vote(q, 0)), "no_participant")], route="anonymous")
    add(
        "health_socket",
        150,
        [
            ("geen json", "error"),
            ("[" * deep + "]" * deep, "error"),
            ('{"type": "ping", "echo": ' + "9" * 5000 + "}", "error"),
            ('{"type": "ping", "echo": NaN}', "error"),
            ('{"type": "ping", "echo": 1e400}', "error"),
            ("\x00", "error"),
            ("", "error"),
            (dumps([1, 2]), "error"),
            (dumps({"type": "dans"}), "error"),
            (dumps({"type": "ping", "echo": "hoi"}), "pong"),
        ],
        route="health",
    )
    probes.extend(
        Probe("health_binary", "health", payload, "error", text=False)
        for payload in [b"", b'{"type": "ping"}', b"\xff" * 64] * 10
    )
    # Each of these ends its socket, so it goes last on a socket.
    probes.extend(
        Probe("invalid_utf8", route, payload, DROPPED)
        for route in ("live", "health")
        for payload in [
            b"\xff",
            b"\xc3\x28",
            b"\xc0\xaf",  # an overlong "/"
            b'{"type": "snapshot\xed\xa0\x80"}',  # an encoded surrogate
            b'{"type": "vote", "answer": "\xf8\x88\x80\x80\x80"}',  # five bytes: no longer UTF-8
        ]
    )
    probes.extend(
        Probe("over_64_kib", route, payload, TOO_BIG, text=isinstance(payload, str))
        for route in ("live", "health")
        for payload in ["x" * (LIMIT + 1), b"\x00" * (LIMIT + 1), "é" * (LIMIT // 2 + 1)]
    )
    # 1 MiB still reaches the consumer; one byte more and daphne drops the connection itself.
    probes.extend(
        Probe("one_mib", route, "x" * size, TOO_BIG if size == MIB else DROPPED)
        for route in ("live", "health")
        for size in (MIB, MIB + 1)
    )
    return probes


def _sockets(probes: list[Probe]) -> list[list[Probe]]:
    """Spread the probes over sockets: kinds mixed, PER_SOCKET each, a closing one last."""
    rng = random.Random(7)
    by_route: dict[str, list[Probe]] = {}
    closing: dict[str, list[Probe]] = {}
    for probe in probes:
        (closing if isinstance(probe.expect, int) else by_route).setdefault(probe.route, []).append(
            probe
        )
    plan = []
    for route, items in by_route.items():
        rng.shuffle(items)
        chunks = [items[i : i + PER_SOCKET] for i in range(0, len(items), PER_SOCKET)]
        for i, last in enumerate(closing.get(route, [])):
            chunks[i % len(chunks)].append(last)
        plan.extend(chunks)
    rng.shuffle(plan)
    return plan


# --- The tests ------------------------------------------------------------------------------


async def test_2000_malformed_messages_change_nothing_and_an_honest_phone_carries_on(site):
    """2,470 messages of 22 kinds over 138 sockets, each answered as written in the corpus.

    Every 100 messages GET /gezond/; afterwards every row of every table is compared: the only
    change is the honest phone's one vote (and the poll's version step for it).
    """
    data = site.data
    probes = corpus(data)
    kinds = Counter(probe.kind for probe in probes)
    assert len(probes) >= 2000 and len(kinds) >= 12
    plan = _sockets(probes)
    before = await asyncio.to_thread(_rows, site.database_url)
    paths = {
        "live": f"/ws/p/{data['live']['code']}/",
        "anonymous": f"/ws/p/{data['live']['code']}/",
        "host": f"/ws/p/{data['live']['code']}/",
        "shut": f"/ws/p/{data['shut']['code']}/",
        "health": "/ws/gezond/",
    }
    cookies = {"anonymous": "", "host": data["host"]}
    sent = 0
    halfway = asyncio.Event()
    health: list[int] = []
    wrong: list[tuple] = []
    closes: Counter = Counter()
    limit = asyncio.Semaphore(40)

    async def check_health() -> None:
        health.append(await asyncio.to_thread(_health, site))

    async def run(number: int, chunk: list[Probe]) -> None:
        nonlocal sent
        route = chunk[0].route
        # phones[0] is the honest phone's.
        cookie = cookies.get(route, data["phones"][1 + number % (len(data["phones"]) - 1)])
        async with limit:
            socket = await _open(site, paths[route], cookie)
            try:
                hello = await _frame(socket)
                assert hello["type"] == ("hello" if route == "health" else "state")
                for probe in chunk:
                    closed_early = await _send(socket, probe.payload, probe.text)
                    sent += 1
                    if sent % HEALTH_EVERY == 0:
                        await check_health()
                    if sent >= len(probes) // 2:
                        halfway.set()
                    got = closed_early if closed_early is not None else await _answer(socket, probe)
                    if isinstance(probe.expect, int):
                        closes[got] += 1
                    if got != probe.expect:
                        wrong.append((probe.kind, probe.expect, got, probe.payload[:80]))
                        if isinstance(got, int):
                            return  # that socket is gone
            finally:
                await socket.close()

    async def honest_phone() -> dict:
        """Connected all along; votes halfway; must get its ack and the new tally, once."""
        phone = await _open(site, paths["live"], data["phones"][0])
        try:
            first = await _frame(phone)
            await halfway.wait()
            vote = _vote(data["live"]["questions"][0], 1)
            await phone.send(json.dumps(vote))
            ack = await _reply(phone, lambda f: f["type"] != "state")
            total = first["tally"]["total"]
            tally = await _reply(
                phone, lambda f: f["type"] == "state" and f["tally"]["total"] > total
            )
            await phone.send(json.dumps(vote))  # a retry gets the same ack and counts once
            again = await _reply(phone, lambda f: f["type"] != "state")
            return {"first": first, "ack": ack, "again": again, "tally": tally, "vote": vote}
        finally:
            await phone.close()

    honest = asyncio.create_task(honest_phone())
    await asyncio.gather(*(run(i, chunk) for i, chunk in enumerate(plan)))
    result = await asyncio.wait_for(honest, REPLY_TIMEOUT)
    await check_health()
    after = await asyncio.to_thread(_rows, site.database_url)

    print(f"\nsent {sent} malformed messages over {len(plan)} sockets: {dict(kinds)}")
    print(f"health checks: {len(health)} {Counter(health)}; close codes: {dict(closes)}")
    summary = Counter(f"{kind}: {got} instead of {expect}" for kind, expect, got, _ in wrong)
    assert wrong == [], f"{len(wrong)} unexpected replies: {dict(summary)}; e.g. {wrong[:3]}"
    assert sent == len(probes)
    assert site.server.process.poll() is None, "the server is still running"
    assert health and set(health) == {200}
    # Dropped: 10 with invalid UTF-8 and 2 over 1 MiB; 4009: 6 over 64 KiB and 2 of exactly 1 MiB.
    assert closes == Counter({DROPPED: 12, TOO_BIG: 8})
    assert "Traceback" not in site.server.log.read_text(), "no exception inside the server"

    vote = result["vote"]
    first, tally = result["first"]["tally"], result["tally"]["tally"]
    assert result["ack"] == {"type": "ack", "vote_id": vote["vote_id"]}
    assert result["again"] == result["ack"]
    assert tally["total"] == first["total"] + 1
    assert tally["options"][1]["count"] == first["options"][1]["count"] + 1
    changes = _changes(before, after)
    print(
        f"tables before/after: {len(before)}/{len(after)}; rows before/after: "
        f"{sum(len(r) for _, r in before.values())}/{sum(len(r) for _, r in after.values())}"
    )
    assert set(changes) == {"youth_panel_vote", "youth_panel_pollsession"}, changes
    added, gone = changes["youth_panel_vote"]
    assert gone == [] and len(added) == 1
    assert added[0]["vote_id"].replace("-", "") == uuid.UUID(vote["vote_id"]).hex
    (new_session,), (old_session,) = changes["youth_panel_pollsession"]
    assert {k for k in new_session if new_session[k] != old_session[k]} == {"version"}
    assert int(new_session["version"]) == int(old_session["version"]) + 1


def _padded(prefix: str, suffix: str, size: int) -> str:
    """prefix + x... + suffix, exactly `size` bytes of UTF-8."""
    return prefix + "x" * (size - len((prefix + suffix).encode())) + suffix


@pytest.mark.parametrize("route", ["live", "health"])
async def test_64_kib_is_the_largest_message_and_one_byte_more_closes_with_4009(site, route):
    """The limit counts UTF-8 bytes, not characters; daphne itself only cuts off over 1 MiB.

    The close code is 4009, not the protocol's 1009: daphne (autobahn) lets an application
    close only with 1000 or 3000-4999 (daphne#374, autobahn-python#1642), and a close with
    1009 raised inside daphne, which the phone saw as 1011.
    """
    if route == "live":
        path = f"/ws/p/{site.data['live']['code']}/"
        largest, answer = _padded('{"type": "snapshot", "pad": "', '"}', LIMIT), "state"
        bad = "bad_message"
    else:
        path = "/ws/gezond/"
        largest, answer = _padded('{"type": "ping", "echo": "', '"}', LIMIT), "pong"
        bad = "error"
    socket = await _open(site, path, site.data["phones"][5])

    async def reply_to(payload: str | bytes, expect: str) -> str | int:
        await socket.send(payload)
        return await _answer(socket, Probe("boundary", route, payload, expect))

    try:
        await _frame(socket)
        assert len(largest.encode()) == LIMIT == 65_536
        assert await reply_to(largest, answer) == answer
        assert await reply_to(b"{" * LIMIT, bad) == bad  # binary at the limit: refused, kept open
        assert await reply_to("é" * (LIMIT // 2), bad) == bad  # 32,768 characters, 65,536 bytes
        assert await _sent_then_closed(socket, "é" * (LIMIT // 2) + "x") == TOO_BIG  # 65,537 B
    finally:
        await socket.close()
    for size in (LIMIT + 1, 512 * KIB, MIB):  # all below daphne's own 1 MiB: the consumer's close
        socket = await _open(site, path, site.data["phones"][5])
        try:
            await _frame(socket)
            assert await _sent_then_closed(socket, "x" * size) == TOO_BIG, size
        finally:
            await socket.close()


async def test_a_flood_from_one_socket_is_refused_then_closed_while_another_phone_votes(site):
    """2,000 messages as fast as the socket takes them: 20 at once and 5 a second get through,
    the next 99 get "rate_limited", the 100th refusal closes the socket with 4008."""
    path = f"/ws/p/{site.data['live']['code']}/"
    flooder = await _open(site, path, site.data["phones"][6])
    phone = await _open(site, path, site.data["phones"][7])
    loop = asyncio.get_running_loop()
    try:
        await _frame(flooder)
        await _frame(phone)
        started = loop.time()
        sent = 0
        with contextlib.suppress(ConnectionClosed):
            for _ in range(2000):
                # An unknown type: each message the consumer takes is answered "unknown_type".
                await flooder.send('{"type": "dans"}')
                sent += 1
        vote = _vote(site.data["live"]["questions"][0], 2)
        await phone.send(json.dumps(vote))
        replies: Counter = Counter()
        try:
            while True:
                replies[_outcome(await _frame(flooder))] += 1
        except ConnectionClosed as closed:
            code = _code(closed)
        elapsed = loop.time() - started
        ack = await _reply(phone, lambda f: f["type"] != "state")
        acked_after = loop.time() - started
        print(
            f"\nflood: {sent} sent in {elapsed:.2f} s, {replies['unknown_type']} taken, "
            f"{replies['rate_limited']} refused, closed {code}; other phone's ack after "
            f"{acked_after:.2f} s"
        )
        assert code == 4008
        assert replies["rate_limited"] == 99
        assert 20 <= replies["unknown_type"] <= 20 + 5 * elapsed + 1
        assert set(replies) <= {"unknown_type", "rate_limited", "state"}
        assert ack == {"type": "ack", "vote_id": vote["vote_id"]}
        assert site.server.process.poll() is None
        assert _health(site) == 200
        assert "Traceback" not in site.server.log.read_text()
    finally:
        await flooder.close()
        await phone.close()


REFUSED_ORIGINS = [
    None,  # no Origin header: browsers always send one (RFC 6455 section 4.1), only scripts don't
    "https://evil.example",
    "null",  # a sandboxed iframe or a file: page
    "http://localhost.evil.example",
    "http://127.0.0.1.evil.example",
    "http://evil.example:{port}",
    "file://",
]


@pytest.mark.parametrize("route", ["live", "health"])
async def test_a_missing_or_foreign_origin_is_refused_and_the_sites_own_is_accepted(site, route):
    path = f"/ws/p/{site.data['live']['code']}/" if route == "live" else "/ws/gezond/"
    port = site.server.port
    for origin in REFUSED_ORIGINS:
        origin = origin and origin.format(port=port)
        with pytest.raises(InvalidStatus) as refused:
            await _open(site, path, site.data["phones"][8], origin=origin)
        assert refused.value.response.status_code == 403, origin
    for origin in (f"http://127.0.0.1:{port}", f"http://localhost:{port}"):
        socket = await _open(site, path, site.data["phones"][8], origin=origin)
        try:
            assert (await _frame(socket))["type"] in {"state", "hello"}
        finally:
            await socket.close()


# --- The production server ------------------------------------------------------------------

# The command in README.md "Production": uvicorn with these WebSocket flags.
PRODUCTION_WS_FLAGS = ["--ws-max-size", str(LIMIT), "--ws-per-message-deflate", "false"]


@pytest.fixture(scope="module")
def production_server(site, tmp_path_factory):
    """uvicorn, as README.md runs it in production, on the same database as `site`."""
    flags = ["--no-access-log", *PRODUCTION_WS_FLAGS]
    log_dir = tmp_path_factory.mktemp("ws-uvicorn")
    server = start_server(site.server.env, log_dir=log_dir, uvicorn_flags=flags)
    yield Site(server, site.data, site.database_url)
    server.stop()


@pytest.mark.parametrize("route", ["live", "health"])
async def test_the_production_server_closes_a_message_over_64_kib_with_1009(
    production_server, route
):
    """uvicorn's --ws-max-size enforces the limit in the protocol itself: the phone gets the
    protocol's own close code 1009 ("message too big"), before the application sees a byte."""
    site = production_server
    path = f"/ws/p/{site.data['live']['code']}/" if route == "live" else "/ws/gezond/"
    ping = '{"type": "ping", "echo": "'
    largest = _padded('{"type": "snapshot", "pad": "' if route == "live" else ping, '"}', LIMIT)
    socket = await _open(site, path, site.data["phones"][9])
    try:
        await _frame(socket)
        await socket.send(largest)  # exactly 64 KiB is still a message
        assert _outcome(await _frame(socket)) in {"state", "pong"}
    finally:
        await socket.close()
    for payload in ("x" * (LIMIT + 1), b"\0" * MIB):
        socket = await _open(site, path, site.data["phones"][9])
        try:
            await _frame(socket)
            assert await _sent_then_closed(socket, payload) == 1009, len(payload)
        finally:
            await socket.close()
    assert _health(site) == 200
