"""The live poll socket against the real ASGI application: join, vote, ack, broadcast, control."""

import asyncio
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth import get_user_model
from django.test import Client

from config.asgi import application
from youth_panel import live
from youth_panel.models import PollQuestion, PollSession, Vote
from youth_panel.polls import control
from youth_panel.views import PARTICIPANT_COOKIE, PARTICIPANT_SALT

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
Kind = PollQuestion.Kind


def _participant_cookie(participant: str) -> str:
    """The cookie exactly as the phone page sets it (HttpResponse.set_signed_cookie)."""
    from django.http import HttpResponse

    response = HttpResponse()
    participant_id = uuid.uuid5(uuid.NAMESPACE_URL, participant).hex  # ids are uuid4-style hex
    response.set_signed_cookie(PARTICIPANT_COOKIE, participant_id, salt=PARTICIPANT_SALT)
    return f"{PARTICIPANT_COOKIE}={response.cookies[PARTICIPANT_COOKIE].value}"


@pytest.fixture(autouse=True)
async def hubs_stop():
    """After each test, wait until the session hubs have stopped: a hub closes its thread's
    database connection then, so none outlives the test database (PostgreSQL pass)."""
    yield
    tasks = [hub.task for hub in list(live._hubs.values()) if hub.task and not hub.task.done()]
    if tasks:
        await asyncio.wait(tasks, timeout=2)
    live._hubs.clear()


@pytest.fixture
def poll(transactional_db):
    session = PollSession.objects.create(title="Live", join_code="LIVE23")
    PollQuestion.objects.create(session=session, sort_order=0, text="Ja of nee?", kind=Kind.YES_NO)
    PollQuestion.objects.create(
        session=session, sort_order=1, text="Welke?", kind=Kind.SINGLE, options_text="A\nB"
    )
    return control(session, "start")


@pytest.fixture
def host_cookie(poll):
    user = get_user_model().objects.create_user("gespreksleider", password="x" * 12)
    poll.hosts.add(user)
    client = Client()
    client.force_login(user)
    return f"sessionid={client.cookies['sessionid'].value}"


async def _connect(cookie: str = "", code: str = "LIVE23"):
    headers = [(b"origin", b"http://testserver")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    communicator = WebsocketCommunicator(application, f"/ws/p/{code}/", headers=headers)
    connected, _ = await communicator.connect()
    assert connected
    state = await communicator.receive_json_from(timeout=5)
    assert state["type"] == "state"
    return communicator, state


async def _until(communicator, predicate, timeout=5.0):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        remaining = deadline - asyncio.get_running_loop().time()
        message = await communicator.receive_json_from(timeout=max(remaining, 0.01))
        if predicate(message):
            return message


async def test_a_phone_joins_votes_gets_an_ack_and_every_screen_gets_the_tally(poll, host_cookie):
    phone, state = await _connect(_participant_cookie("p1"))
    presenter, _ = await _connect(host_cookie)
    try:
        assert state["question"]["text"] == "Ja of nee?" and state["tally"] is None
        vote_id = str(uuid.uuid4())
        await phone.send_json_to(
            {"type": "vote", "vote_id": vote_id, "question": state["question"]["id"], "answer": 0}
        )
        ack = await _until(phone, lambda m: m["type"] == "ack")
        assert ack["vote_id"] == vote_id
        assert await sync_to_async(Vote.objects.count)() == 1, "committed before the ack"
        frame = await _until(presenter, lambda m: m["type"] == "state" and m["tally"]["total"] == 1)
        assert frame["tally"]["options"][0]["count"] == 1 and frame["version"] > state["version"]
    finally:
        await phone.disconnect()
        await presenter.disconnect()


async def test_a_replayed_vote_gets_the_same_ack_and_counts_once(poll):
    phone, state = await _connect(_participant_cookie("p1"))
    try:
        message = {
            "type": "vote",
            "vote_id": str(uuid.uuid4()),
            "question": state["question"]["id"],
            "answer": 1,
        }
        await phone.send_json_to(message)
        await _until(phone, lambda m: m["type"] == "ack")
        await phone.send_json_to(message)
        again = await _until(phone, lambda m: m["type"] in ("ack", "error"))
        assert again == {"type": "ack", "vote_id": message["vote_id"]}
        assert await sync_to_async(Vote.objects.count)() == 1
    finally:
        await phone.disconnect()


async def test_a_reconnecting_screen_resyncs_from_a_snapshot(poll):
    phone, state = await _connect(_participant_cookie("p1"))
    await phone.send_json_to({"type": "snapshot"})
    again = await _until(phone, lambda m: m["type"] == "state")
    assert again["question"] == state["question"]
    await phone.disconnect()
    phone, state_after = await _connect(_participant_cookie("p1"))
    assert state_after["version"] >= state["version"]
    await phone.disconnect()


async def test_only_hosts_control_and_rights_are_checked_on_every_message(poll, host_cookie):
    phone, _ = await _connect(_participant_cookie("p1"))
    host, _ = await _connect(host_cookie)
    try:
        await phone.send_json_to({"type": "control", "action": "next"})
        refused = await _until(phone, lambda m: m["type"] == "error")
        assert refused["code"] == "forbidden"
        await host.send_json_to({"type": "control", "action": "next"})
        moved = await _until(
            phone, lambda m: m["type"] == "state" and m["question"]["text"] == "Welke?"
        )
        assert moved["voting_open"]
        await sync_to_async(poll.hosts.clear)()
        await host.send_json_to({"type": "control", "action": "end"})
        assert (await _until(host, lambda m: m["type"] == "error"))["code"] == "forbidden"
        assert (await sync_to_async(PollSession.objects.get)(pk=poll.pk)).status == "running"
    finally:
        await phone.disconnect()
        await host.disconnect()


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ("no json", "bad_message"),
        ("[1, 2]", "bad_message"),
        ('{"type": "dans"}', "unknown_type"),
        ('{"type": "vote", "vote_id": "x", "question": 1, "answer": 0}', "bad_message"),
    ],
)
async def test_bad_messages_get_a_clear_error_and_change_nothing(poll, message, code):
    phone, _ = await _connect(_participant_cookie("p1"))
    try:
        await phone.send_to(text_data=message)
        error = await _until(phone, lambda m: m["type"] == "error")
        assert error["code"] == code and error["message"]
        assert await sync_to_async(Vote.objects.count)() == 0
    finally:
        await phone.disconnect()


async def test_unknown_option_and_closed_question_are_refused(poll, host_cookie):
    phone, state = await _connect(_participant_cookie("p1"))
    host, _ = await _connect(host_cookie)
    try:
        question = state["question"]["id"]
        await phone.send_json_to(
            {"type": "vote", "vote_id": str(uuid.uuid4()), "question": question, "answer": 7}
        )
        assert (await _until(phone, lambda m: m["type"] == "error"))["code"] == "unknown_option"
        await host.send_json_to({"type": "control", "action": "close"})
        await _until(phone, lambda m: m["type"] == "state" and not m["voting_open"])
        await phone.send_json_to(
            {"type": "vote", "vote_id": str(uuid.uuid4()), "question": question, "answer": 0}
        )
        assert (await _until(phone, lambda m: m["type"] == "error"))["code"] == "closed"
        assert await sync_to_async(Vote.objects.count)() == 0
    finally:
        await phone.disconnect()
        await host.disconnect()


async def test_an_oversized_message_closes_only_that_socket(poll):
    phone, _ = await _connect(_participant_cookie("p1"))
    other, state = await _connect(_participant_cookie("p2"))
    await phone.send_to(text_data="x" * (64 * 1024 + 1))
    closed = await phone.receive_output(timeout=5)
    # 4009, not 1009: daphne lets an application close only with 1000 or 3000-4999.
    assert closed["type"] == "websocket.close" and closed["code"] == 4009
    await other.send_json_to(
        {
            "type": "vote",
            "vote_id": str(uuid.uuid4()),
            "question": state["question"]["id"],
            "answer": 0,
        }
    )
    assert (await _until(other, lambda m: m["type"] == "ack"))["type"] == "ack"
    await other.disconnect()


async def test_a_flood_from_one_phone_is_slowed_down(poll):
    phone, _ = await _connect(_participant_cookie("p1"))
    try:
        for _ in range(30):
            await phone.send_to(text_data='{"type": "snapshot"}')
        seen = [await phone.receive_json_from(timeout=5) for _ in range(30)]
        assert any(m["type"] == "error" and m["code"] == "rate_limited" for m in seen)
    finally:
        await phone.disconnect()


async def test_a_phone_without_the_signed_cookie_cannot_vote(poll):
    phone, state = await _connect(f"{PARTICIPANT_COOKIE}=vervalst")
    try:
        await phone.send_json_to(
            {
                "type": "vote",
                "vote_id": str(uuid.uuid4()),
                "question": state["question"]["id"],
                "answer": 0,
            }
        )
        assert (await _until(phone, lambda m: m["type"] == "error"))["code"] == "no_participant"
    finally:
        await phone.disconnect()


async def test_an_unknown_session_code_is_refused(poll):
    communicator = WebsocketCommunicator(
        application, "/ws/p/NOPE99/", headers=[(b"origin", b"http://testserver")]
    )
    connected, code = await communicator.connect()
    assert not connected
    await communicator.disconnect()


async def test_votes_from_many_phones_are_grouped_into_few_commits(poll):
    phones = [await _connect(_participant_cookie(f"p{i}")) for i in range(20)]
    try:
        question = phones[0][1]["question"]["id"]
        for i, (phone, _) in enumerate(phones):
            await phone.send_json_to(
                {
                    "type": "vote",
                    "vote_id": str(uuid.uuid4()),
                    "question": question,
                    "answer": i % 3,
                }
            )
        for phone, _ in phones:
            await _until(phone, lambda m: m["type"] == "ack")
        assert await sync_to_async(Vote.objects.count)() == 20
        version = (await sync_to_async(PollSession.objects.get)(pk=poll.pk)).version
        assert version - poll.version < 20, "one version step per committed batch, not per vote"
    finally:
        for phone, _ in phones:
            await phone.disconnect()


async def test_a_malformed_number_is_refused_and_the_poll_carries_on(poll):
    phone, state = await _connect(_participant_cookie("p1"))
    other, _ = await _connect(_participant_cookie("p2"))
    try:
        question = state["question"]["id"]
        vote_id = uuid.uuid4()
        raw = (
            f'{{"type": "vote", "vote_id": "{vote_id}", '
            f'"question": {question}, "answer": Infinity}}'
        )
        await phone.send_to(text_data=raw)
        assert (await _until(phone, lambda m: m["type"] == "error"))["code"] == "unknown_option"
        await other.send_json_to(
            {"type": "vote", "vote_id": str(uuid.uuid4()), "question": question, "answer": 1}
        )
        assert (await _until(other, lambda m: m["type"] == "ack"))["type"] == "ack"
    finally:
        await phone.disconnect()
        await other.disconnect()
