"""The transport inside a process: bulk commits, cheap tallies, announcements, limits, fan-out.

Personas: phones are anonymous sockets with a signed participant cookie (see test_live.py);
`p1`, `p2`, ... in the commit tests are participant ids as the cookie holds them.
"""

import asyncio
import logging
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db.models import F
from django.test import override_settings

from config.asgi import application
from tests.youth_panel.conftest import KINDS, make_running_poll
from tests.youth_panel.test_live import _connect, _participant_cookie, _until, hubs_stop
from youth_panel import live, polls
from youth_panel.live import PendingVote
from youth_panel.models import PollQuestion, PollSession, Vote, Word

Kind = PollQuestion.Kind
__all__ = ["hubs_stop"]  # the autouse fixture of test_live.py, for these tests too
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
OPTIONS = {Kind.SINGLE: "A\nB\nC", Kind.MULTIPLE: "A\nB\nC", Kind.RANKING: "A\nB\nC"}


@pytest.fixture
def poll(transactional_db):
    """A running poll with a yes/no question (current, open) and a single-choice one."""
    session = PollSession.objects.create(title="Live", join_code="LIVE23")
    PollQuestion.objects.create(session=session, sort_order=0, text="Ja of nee?", kind=Kind.YES_NO)
    PollQuestion.objects.create(
        session=session, sort_order=1, text="Welke?", kind=Kind.SINGLE, options_text="A\nB"
    )
    return polls.control(session, "start")


def _ids(n: int) -> list[str]:
    return [str(uuid.uuid4()) for _ in range(n)]


def _codes(replies) -> list[str]:
    return [reply.get("code", reply["type"]) for _, reply in replies]


def _version(poll) -> int:
    return PollSession.objects.get(pk=poll.pk).version


# --- The bulk commit follows the rules of polls.cast_vote -----------------------------------


def test_a_batch_acks_new_votes_and_replays_and_refuses_what_cast_vote_refuses(poll):
    question = poll.current_question_id
    a, b, c = _ids(3)
    replies, changed = live.commit(
        poll.pk,
        [
            PendingVote(None, "p1", a, question, 0),
            PendingVote(None, "p2", b, question, 1),
            PendingVote(None, "p1", a, question, 0),  # a retry in the same batch
            PendingVote(None, "p3", a, question, 2),  # somebody else's vote id
            PendingVote(None, "p4", c, question, 7),  # no such option
            PendingVote(None, "p5", c, question + 999, 0),  # no such question
        ],
    )
    assert _codes(replies) == ["ack", "ack", "ack", "bad_message", "unknown_option", "not_current"]
    assert changed and _version(poll) == poll.version + 1, "one version step for the batch"
    assert sorted(Vote.objects.values_list("participant", "answer")) == [("p1", 0), ("p2", 1)]


def test_a_replay_in_a_later_batch_gets_its_ack_and_changes_nothing(poll):
    question = poll.current_question_id
    (a,) = _ids(1)
    live.commit(poll.pk, [PendingVote(None, "p1", a, question, 0)])
    before = _version(poll)
    replies, changed = live.commit(poll.pk, [PendingVote(None, "p1", a, question, 2)])
    assert _codes(replies) == ["ack"] and not changed
    assert Vote.objects.get().answer == 0 and _version(poll) == before


def test_a_new_vote_replaces_the_participants_earlier_one(poll):
    question = poll.current_question_id
    a, b, c = _ids(3)
    live.commit(poll.pk, [PendingVote(None, "p1", a, question, 0)])
    replies, _ = live.commit(
        poll.pk,
        [PendingVote(None, "p1", b, question, 1), PendingVote(None, "p1", c, question, 2)],
    )
    assert _codes(replies) == ["ack", "ack"]
    vote = Vote.objects.get()
    assert (vote.answer, str(vote.vote_id)) == (2, c)


def test_votes_on_a_closed_or_other_question_are_refused(poll):
    other = PollQuestion.objects.get(session=poll, sort_order=1).pk
    replies, changed = live.commit(poll.pk, [PendingVote(None, "p1", _ids(1)[0], other, 0)])
    assert _codes(replies) == ["not_current"] and not changed
    polls.control(poll, "close")
    replies, changed = live.commit(
        poll.pk, [PendingVote(None, "p1", _ids(1)[0], poll.current_question_id, 0)]
    )
    assert _codes(replies) == ["closed"] and not changed
    assert not Vote.objects.exists()


def test_words_of_a_batch_are_counted_once_per_word(transactional_db):
    session = make_running_poll("Woorden", OPTIONS, join_code="WORD23")
    for _ in range(KINDS.index(Kind.WORDS)):
        session = polls.control(session, "next")
    question = session.current_question_id
    a, b, c, d = _ids(4)
    replies, _ = live.commit(
        session.pk,
        [
            PendingVote(None, "p1", a, question, ["fiets", "Bus"]),
            PendingVote(None, "p2", b, question, ["bus"]),
            PendingVote(None, "p3", c, question, ["kut"]),  # never shown
            PendingVote(None, "p1", d, question, ["trein", "bus"]),  # p1 changes its words
        ],
    )
    assert _codes(replies) == ["ack", "ack", "blocked_word", "ack"]
    counts = dict(Word.objects.filter(question_id=question).values_list("text", "count"))
    assert counts == {"bus": 2, "trein": 1}
    (e,) = _ids(1)
    live.commit(session.pk, [PendingVote(None, "p2", e, question, ["trein"])])
    counts = dict(Word.objects.filter(question_id=question).values_list("text", "count"))
    assert counts == {"bus": 1, "trein": 2}


@pytest.mark.parametrize("kind", KINDS)
def test_votes_committed_in_bulk_are_all_in_the_tally(transactional_db, kind):
    session = make_running_poll("Telling", OPTIONS, join_code="TEL234")
    for _ in range(KINDS.index(kind)):
        session = polls.control(session, "next")
    question = session.current_question
    answers = {
        Kind.SINGLE: [0, 1, 1, 2, 0, 1],
        Kind.MULTIPLE: [[0, 1], [1], [1, 2], [0, 2], [1]],
        Kind.SCALE: [4, 4, 3, 0, 2],
        Kind.WORDS: [["fiets"], ["bus", "fiets"], ["lopen"]],
        Kind.RANKING: [[0, 1, 2], [2, 1, 0], [1, 0, 2], [0, 1, 2]],
        Kind.YES_NO: [0, 0, 1, 2, 2, 2],
    }[kind]
    votes = [
        PendingVote(None, f"p{i}", vote_id, question.pk, answer)
        for i, (vote_id, answer) in enumerate(zip(_ids(len(answers)), answers, strict=True))
    ]
    replies, _ = live.commit(session.pk, votes)
    assert set(_codes(replies)) == {"ack"}
    result = polls.tally(question)
    assert result["total"] == len(answers)
    if kind in (Kind.SINGLE, Kind.SCALE, Kind.YES_NO):
        counts = [row["count"] for row in result["options"]]
        assert counts == [answers.count(index) for index in range(len(counts))]
    elif kind == Kind.MULTIPLE:
        counts = [row["count"] for row in result["options"]]
        assert counts == [sum(index in answer for answer in answers) for index in range(3)]


# --- Sockets --------------------------------------------------------------------------------


async def test_a_state_frame_says_which_question_of_how_many(poll):
    phone, state = await _connect(_participant_cookie("p1"))
    try:
        assert (state["question"]["number"], state["question"]["total"]) == (1, 2)
        assert state["version"] == poll.version and state["sent_at"] > 0
    finally:
        await phone.disconnect()


def _vote_over_http(session_id: int, participant: str) -> None:
    """What the phone view does after a form post: store, bump the version, announce."""
    session = PollSession.objects.get(pk=session_id)
    polls.cast_vote(session, session.current_question, participant, uuid.uuid4(), 1)
    PollSession.objects.filter(pk=session_id).update(version=F("version") + 1)
    live.announce_change(session_id)


async def test_a_vote_over_http_reaches_a_connected_socket_after_announce_change(poll):
    phone, state = await _connect(_participant_cookie("p1"))
    try:
        assert state["participants"] == 0
        await sync_to_async(_vote_over_http)(poll.pk, "f" * 32)
        frame = await _until(
            phone, lambda m: m["type"] == "state" and m["version"] > state["version"]
        )
        assert frame["participants"] == 1 and frame["sent_at"] >= state["sent_at"]
    finally:
        await phone.disconnect()


async def test_this_process_hears_its_own_announcements_through_the_channel_layer(poll):
    phone, state = await _connect(_participant_cookie("p1"))
    try:
        await sync_to_async(PollSession.objects.filter(pk=poll.pk).update)(version=F("version") + 1)
        # Only the channel-layer message, without the direct nudge of announce_change().
        await live._tell_processes(poll.pk, live.ANNOUNCED)
        frame = await _until(
            phone, lambda m: m["type"] == "state" and m["version"] > state["version"]
        )
        assert frame["version"] == state["version"] + 1
    finally:
        await phone.disconnect()


class BrokenLayer:
    """A channel layer whose server is down."""

    async def group_send(self, group, message):
        raise ConnectionError("redis is down")


def test_announce_change_never_raises_when_the_channel_layer_is_down(monkeypatch, caplog):
    monkeypatch.setattr(live, "get_channel_layer", BrokenLayer)
    with caplog.at_level(logging.WARNING, logger="youth_panel.live"):
        assert live.announce_change(12345) is None
    assert "did not take the change" in caplog.text


async def test_a_snapshot_request_gets_the_whole_state(poll):
    phone, state = await _connect(_participant_cookie("p1"))
    try:
        await phone.send_json_to({"type": "snapshot"})
        again = await _until(phone, lambda m: m["type"] == "state")
        assert set(again) == set(state) and again["question"] == state["question"]
    finally:
        await phone.disconnect()


async def test_a_reused_join_code_finds_the_new_session(poll):
    phone, state = await _connect(_participant_cookie("p1"))
    await phone.disconnect()

    def replace():
        poll.delete()
        session = PollSession.objects.create(title="Nieuw", join_code="LIVE23")
        PollQuestion.objects.create(session=session, text="Nieuwe vraag?", kind=Kind.YES_NO)
        return polls.control(session, "start")

    await sync_to_async(replace)()
    phone, state = await _connect(_participant_cookie("p1"))
    try:
        assert state["question"]["text"] == "Nieuwe vraag?"
    finally:
        await phone.disconnect()


async def _connect_from(ip: str) -> tuple[WebsocketCommunicator, bool]:
    communicator = WebsocketCommunicator(
        application, "/ws/p/LIVE23/", headers=[(b"origin", b"http://testserver")]
    )
    communicator.scope["client"] = [ip, 50000]
    connected, _ = await communicator.connect()
    return communicator, connected


@override_settings(POLL_MAX_SOCKETS_PER_IP=2)
async def test_one_address_gets_at_most_the_configured_number_of_sockets(poll):
    first, ok1 = await _connect_from("198.51.100.7")
    second, ok2 = await _connect_from("198.51.100.7")
    third, ok3 = await _connect_from("198.51.100.7")
    elsewhere, ok4 = await _connect_from("203.0.113.9")
    try:
        assert (ok1, ok2, ok3, ok4) == (True, True, False, True)
        await first.disconnect()
        again, ok5 = await _connect_from("198.51.100.7")
        assert ok5, "a closed socket frees its place"
        await again.disconnect()
    finally:
        for communicator in (second, third, elsewhere):
            await communicator.disconnect()


# --- Fan-out --------------------------------------------------------------------------------


class Phone:
    """A socket that reads everything at once."""

    is_host = False

    def __init__(self) -> None:
        self.received: list[str] = []

    async def base_send(self, message: dict) -> None:
        self.received.append(message["text"])

    async def close(self, code=None) -> None:
        pass


class StuckPhone(Phone):
    """A socket whose client stopped reading: every send waits for ever."""

    async def base_send(self, message: dict) -> None:
        await asyncio.Event().wait()


async def test_a_socket_that_does_not_read_is_dropped_and_the_others_get_the_frame(monkeypatch):
    monkeypatch.setattr(live, "SEND_TIMEOUT", 0.05)
    hub = live.SessionHub(999_999)
    fast, stuck, other = Phone(), StuckPhone(), Phone()
    hub.sockets.update([fast, stuck, other])
    fan_out = asyncio.get_running_loop().create_task(hub.fan_out())
    try:
        hub._outgoing = live.Frames(1, "frame", "frame", "frame")
        hub._wake.set()
        await asyncio.sleep(0.3)
        assert fast.received == ["frame"] and other.received == ["frame"]
        assert stuck not in hub.sockets and fast in hub.sockets
    finally:
        fan_out.cancel()
