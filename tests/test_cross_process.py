"""Several ASGI processes share one Redis: sockets and page-cache purges reach all of them."""

import asyncio
import json
import urllib.request

import pytest
import websockets
from channels_redis.pubsub import RedisPubSubChannelLayer

from home.consumers import HEALTH_GROUP
from tests.plugins.appserver import prepare_database, start_server

pytestmark = pytest.mark.services


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    env = prepare_database(tmp_path_factory.mktemp("cross"))
    servers = [start_server(env), start_server(env)]
    yield servers
    for server in servers:
        server.stop()


def _get(url: str) -> tuple[int, dict[str, str], str]:
    # Behind the reverse proxy every process sees the same public host name.
    request = urllib.request.Request(url, headers={"Host": "localhost"})
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
        headers = {k.lower(): v for k, v in response.headers.items()}
        return response.status, headers, response.read().decode()


async def _socket(server):
    socket = await websockets.connect(
        f"ws://127.0.0.1:{server.port}/ws/gezond/",
        origin=server.url.replace("127.0.0.1", "localhost"),
    )
    hello = json.loads(await asyncio.wait_for(socket.recv(), 10))
    return socket, hello


async def test_a_broadcast_reaches_sockets_on_every_process(two_servers):
    first, hello_a = await _socket(two_servers[0])
    second, hello_b = await _socket(two_servers[1])
    try:
        assert hello_a["process"] != hello_b["process"]
        layer = RedisPubSubChannelLayer(hosts=[two_servers[0].env["REDIS_URL"]])
        await layer.group_send(HEALTH_GROUP, {"type": "health.broadcast", "message": "iedereen"})
        for socket in (first, second):
            message = json.loads(await asyncio.wait_for(socket.recv(), 10))
            assert message["type"] == "broadcast" and message["message"] == "iedereen"
        await layer.flush()
    finally:
        await first.close()
        await second.close()


def test_a_purge_in_one_process_reaches_the_others(two_servers):
    first, second = two_servers
    _get(f"{second.url}/visie/")
    assert _get(f"{second.url}/visie/")[1].get("x-cache") == "hit"
    assert _get(f"{first.url}/visie/")[1].get("x-cache") == "hit", "the cache is shared"
    from config import pagecache

    pagecache.purge()
    assert "x-cache" not in _get(f"{second.url}/visie/")[1]


MAKE_POLL = """
from django.http import HttpResponse
from youth_panel.views import PARTICIPANT_COOKIE, PARTICIPANT_SALT
from youth_panel.models import PollQuestion, PollSession
from youth_panel.polls import control
defaults = {"title": "Twee servers"}
session, _ = PollSession.objects.get_or_create(join_code="DUO234", defaults=defaults)
if not session.questions.exists():
    PollQuestion.objects.create(session=session, sort_order=0, text="Ja?", kind="yes_no")
session = control(session, "start")
response = HttpResponse()
response.set_signed_cookie(PARTICIPANT_COOKIE, "0" * 31 + "1", salt=PARTICIPANT_SALT)
print(session.current_question_id, response.cookies[PARTICIPANT_COOKIE].value)
"""


async def test_a_vote_on_one_server_reaches_a_phone_on_the_other(two_servers):
    import subprocess
    import sys
    import uuid

    from tests.plugins.appserver import ROOT

    output = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", MAKE_POLL],
        cwd=ROOT,
        env=two_servers[0].env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout.split()
    question, cookie = int(output[-2]), output[-1]
    first, second = two_servers

    async def connect(server, with_cookie: bool):
        headers = {"Cookie": f"deelnemer={cookie}"} if with_cookie else {}
        socket = await websockets.connect(
            f"ws://127.0.0.1:{server.port}/ws/p/DUO234/",
            origin=server.url.replace("127.0.0.1", "localhost"),
            additional_headers=headers,
        )
        state = json.loads(await asyncio.wait_for(socket.recv(), 10))
        return socket, state

    voter, _ = await connect(first, True)
    watcher, before = await connect(second, False)
    try:
        await voter.send(
            json.dumps(
                {"type": "vote", "vote_id": str(uuid.uuid4()), "question": question, "answer": 0}
            )
        )
        deadline = asyncio.get_running_loop().time() + 10
        while True:
            frame = json.loads(
                await asyncio.wait_for(
                    watcher.recv(), max(deadline - asyncio.get_running_loop().time(), 0.1)
                )
            )
            if frame.get("type") == "state" and frame["participants"] >= 1:
                break
        assert frame["version"] > before["version"]
    finally:
        await voter.close()
        await watcher.close()
