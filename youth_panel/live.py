"""The live transport of one server process: grouped commits, coalesced tallies, local fan-out.

Each process keeps one `SessionHub` per running poll session with the sockets connected to it.
Votes are queued and committed together once per tick (at most TICK seconds), in one short
transaction; only after the commit does a phone get its acknowledgement. A committed change
marks the hub dirty; at most BROADCASTS_PER_SECOND times a second the hub computes the absolute
tally once, serialises it once and sends that same text to every local socket. One message per
tick crosses processes (the channel layer group `poll.<id>`), so other processes refresh too.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Protocol

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import close_old_connections, transaction
from django.utils.translation import gettext

from youth_panel import polls
from youth_panel.models import PollQuestion, PollSession

logger = logging.getLogger(__name__)
TICK = 0.05
# Marks this process's own cross-process messages, which it ignores.
ORIGIN = uuid.uuid4().hex
BROADCAST_INTERVAL = 0.15  # at most about 6-7 tally frames a second per session


class Socket(Protocol):
    """What the hub needs of a connected consumer."""

    is_host: bool

    async def send(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None: ...


@dataclass
class PendingVote:
    """A vote waiting for the next commit."""

    socket: Socket
    participant: str
    vote_id: str
    question_id: int
    answer: Any


def group_name(session_id: int) -> str:
    """The channel-layer group of a session (letters, digits and dots only)."""
    return f"poll.{session_id}"


def _commit(
    session_id: int, pending: list[PendingVote]
) -> tuple[list[tuple[PendingVote, dict]], bool]:
    """Store a batch of votes in one transaction; return what to tell each phone."""
    close_old_connections()
    replies: list[tuple[PendingVote, dict]] = []
    changed = False
    with transaction.atomic():
        session = PollSession.objects.select_for_update().get(pk=session_id)
        questions = {q.pk: q for q in PollQuestion.objects.filter(session=session)}
        for vote in pending:
            question = questions.get(vote.question_id)
            if question is None:
                message = gettext("Deze vraag bestaat niet.")
                replies.append(
                    (
                        vote,
                        {
                            "type": "error",
                            "vote_id": vote.vote_id,
                            "code": "not_current",
                            "message": message,
                        },
                    )
                )
                continue
            try:
                _, did_change = polls.cast_vote(
                    session, question, vote.participant, vote.vote_id, vote.answer
                )
            except polls.VoteError as error:
                replies.append(
                    (
                        vote,
                        {
                            "type": "error",
                            "vote_id": vote.vote_id,
                            "code": error.code,
                            "message": error.message,
                        },
                    )
                )
                continue
            changed = changed or did_change
            replies.append((vote, {"type": "ack", "vote_id": vote.vote_id}))
        if changed:
            PollSession.objects.filter(pk=session_id).update(version=session.version + 1)
    return replies, changed


def snapshot(session_id: int, for_host: bool) -> dict:
    """The whole state a screen needs to (re)draw itself."""
    close_old_connections()
    session = PollSession.objects.select_related("current_question").get(pk=session_id)
    question = session.current_question
    data: dict[str, Any] = {
        "type": "state",
        "version": session.version,
        "status": session.status,
        "voting_open": session.voting_open,
        "results_visible": session.results_visible,
        "participants": polls.participant_count(session),
        "sent_at": time.time(),
        "question": None,
        "tally": None,
    }
    if question is not None:
        data["question"] = {
            "id": question.pk,
            "text": question.text,
            "kind": question.kind,
            "max_choices": question.max_choices,
            "options": [
                {"index": o.index, "label": o.label, "emoji": o.emoji}
                for o in polls.options(question)
            ],
        }
        if session.results_visible or for_host:
            data["tally"] = polls.tally(question)
    return data


@dataclass
class SessionHub:
    """The sockets of one session in this process, and its queue of votes."""

    session_id: int
    sockets: set = field(default_factory=set)
    pending: list[PendingVote] = field(default_factory=list)
    dirty: bool = False
    last_broadcast: float = 0.0
    task: asyncio.Task | None = None

    async def run(self) -> None:
        """Commit queued votes and broadcast changes until the last socket leaves."""
        listener = asyncio.get_running_loop().create_task(self.listen())
        try:
            await self._loop()
        finally:
            listener.cancel()

    async def listen(self) -> None:
        """One channel per process and session: other processes say when something changed."""
        layer = get_channel_layer()
        if layer is None:
            return
        channel = await layer.new_channel()
        await layer.group_add(group_name(self.session_id), channel)
        try:
            while True:
                message = await layer.receive(channel)
                if message.get("origin") != ORIGIN:
                    self.dirty = True
        finally:
            await layer.group_discard(group_name(self.session_id), channel)

    def changed(self) -> None:
        """Something was committed in this process: broadcast soon, and tell the others."""
        self.dirty = True
        asyncio.get_running_loop().create_task(_tell_other_processes(self.session_id))

    async def _loop(self) -> None:
        while self.sockets or self.pending:
            await asyncio.sleep(TICK)
            if self.pending:
                batch, self.pending = self.pending, []
                try:
                    replies, changed = await sync_to_async(_commit, thread_sensitive=False)(
                        self.session_id, batch
                    )
                except Exception:
                    # One broken batch must not stop the poll: the phones may send again.
                    logger.exception(
                        "poll %s: a batch of %s votes failed", self.session_id, len(batch)
                    )
                    message = gettext("Je stem is niet opgeslagen. Probeer het nog een keer.")
                    replies = [
                        (
                            vote,
                            {
                                "type": "error",
                                "vote_id": vote.vote_id,
                                "code": "retry",
                                "message": message,
                            },
                        )
                        for vote in batch
                    ]
                    changed = False
                for vote, reply in replies:
                    await _safe_send(vote.socket, json.dumps(reply))
                if changed:
                    self.changed()
            if self.dirty and time.monotonic() - self.last_broadcast >= BROADCAST_INTERVAL:
                await self.broadcast()

    async def broadcast(self) -> None:
        """Send the current state once serialised to every local socket (hosts see the tally)."""
        self.dirty = False
        self.last_broadcast = time.monotonic()
        public = await sync_to_async(snapshot, thread_sensitive=False)(self.session_id, False)
        public_text = json.dumps(public)
        host_text = public_text
        if any(socket.is_host for socket in self.sockets) and public["tally"] is None:
            host_text = json.dumps(
                await sync_to_async(snapshot, thread_sensitive=False)(self.session_id, True)
            )
        for socket in list(self.sockets):
            await _safe_send(socket, host_text if socket.is_host else public_text)


async def _safe_send(socket: Socket, text: str) -> None:
    # A closed socket must not stop the others.
    with contextlib.suppress(Exception):
        await socket.send(text_data=text)


async def _tell_other_processes(session_id: int) -> None:
    layer = get_channel_layer()
    if layer is not None:
        await layer.group_send(group_name(session_id), {"type": "poll.changed", "origin": ORIGIN})


_hubs: dict[int, SessionHub] = {}


def hub_for(session_id: int) -> SessionHub:
    """This process's hub for a session, started when needed."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(session_id)
    if hub is None or hub.task is None or hub.task.done() or hub.task.get_loop() is not loop:
        hub = SessionHub(session_id)
        _hubs[session_id] = hub
        hub.task = loop.create_task(hub.run())
    return hub


def forget(session_id: int, socket: Socket) -> None:
    """A socket left; the hub stops by itself when it has no sockets and no votes."""
    hub = _hubs.get(session_id)
    if hub is not None:
        hub.sockets.discard(socket)
