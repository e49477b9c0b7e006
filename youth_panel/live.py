"""The live transport of one server process: grouped commits, coalesced state frames, local fan-out.

Each process keeps one `SessionHub` per running poll session with the sockets connected to it.
Votes are queued and committed together once per tick (at most TICK seconds) in one short
transaction with a handful of bulk queries; only after the commit does a phone get its
acknowledgement. A committed change marks the hub dirty; at most once per BROADCAST_INTERVAL the
hub reads the state once, serialises it once (one text for participants, one for hosts) and hands
it to its fan-out task, which writes that same text to every local socket. The latest state stays
cached, so a connecting socket gets its first frame without touching the database.

One message per change crosses processes (the channel layer group `poll.<id>`, one channel per
process and session), so other processes refresh too. `announce_change()` lets sync code (the
HTTP views) tell every process, this one included, after it committed a vote or a host action.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import IntegrityError, close_old_connections, connection, transaction
from django.db.models import F
from django.db.models.functions import Greatest
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext

from youth_panel import polls
from youth_panel.models import PollQuestion, PollSession, Vote, Word

logger = logging.getLogger(__name__)
Kind = PollQuestion.Kind
TICK = 0.05
BROADCAST_INTERVAL = 0.15  # at most about 6-7 state frames a second per session
# Without any news, the cached state is read again this often and sent when it differs: a safety
# net for a change that nobody announced (or a lost cross-process message).
STALE_AFTER = 5.0
# A socket that cannot take a frame within this time is dropped; its client reconnects and resyncs.
SEND_TIMEOUT = 1.0
FAN_OUT_SLICE = 200  # sockets written between two chances for the tick loop to run
CODE_CACHE_SECONDS = 30.0  # join code -> session id, per process (saves invalidate it at once)
ANNOUNCE_TIMEOUT = 2.0  # the longest a view waits for the channel layer in announce_change()
# Marks this process's own cross-process messages, which its hubs ignore (they know already).
ORIGIN = uuid.uuid4().hex
# Messages from announce_change() carry no origin: every hub takes them, this process's too.
ANNOUNCED = ""


class Socket(Protocol):
    """What the hub needs of a connected consumer."""

    is_host: bool

    async def base_send(self, message: dict) -> None: ...

    async def close(self, code: int | None = None) -> None: ...


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


# --- Finding a session by its join code -----------------------------------------------------

_codes: dict[str, tuple[tuple[int, str] | None, float]] = {}


async def find_session(code: str) -> PollSession | None:
    """The session with this join code, cached in this process; only pk, join_code and mode.

    A save or delete of a session in this process drops its entry at once; other processes
    notice within CODE_CACHE_SECONDS (unknown codes are remembered for a shorter time).
    """
    cached = _codes.get(code)
    if cached is not None and cached[1] > time.monotonic():
        found = cached[0]
    else:
        found = await database_sync_to_async(_look_up_code)(code)
    if found is None:
        return None
    return PollSession(pk=found[0], join_code=code, mode=found[1])


def _look_up_code(code: str) -> tuple[int, str] | None:
    now = time.monotonic()
    found = PollSession.objects.filter(join_code=code).values_list("pk", "mode").first()
    ttl = CODE_CACHE_SECONDS if found is not None else 2.0
    if len(_codes) > 10_000:  # guessed codes must not grow the cache without end
        _codes.clear()
    _codes[code] = (found, now + ttl)
    return found


@receiver(post_save, sender=PollSession, dispatch_uid="youth_panel.live.forget_code")
@receiver(post_delete, sender=PollSession, dispatch_uid="youth_panel.live.forget_code_delete")
def _forget_code(sender, instance: PollSession, **kwargs) -> None:
    _codes.pop(instance.join_code, None)


# --- Committing a batch of votes ------------------------------------------------------------


def _error(vote: PendingVote, code: str, message: str) -> tuple[PendingVote, dict]:
    return vote, {"type": "error", "vote_id": vote.vote_id, "code": code, "message": message}


def _ack(vote: PendingVote) -> tuple[PendingVote, dict]:
    return vote, {"type": "ack", "vote_id": vote.vote_id}


def _count_words(question_id: int, moderate: bool, deltas: Counter) -> None:
    """Apply the net change per word of a batch (what polls.cast_vote does one vote at a time)."""
    deltas = Counter({text: n for text, n in deltas.items() if n})
    if not deltas:
        return
    rows = Word.objects.filter(question_id=question_id, text__in=list(deltas))
    existing = dict(rows.values_list("text", "pk"))
    status = Word.Status.WAITING if moderate else Word.Status.SHOWN
    Word.objects.bulk_create(
        Word(question_id=question_id, text=text, status=status, count=n)
        for text, n in deltas.items()
        if n > 0 and text not in existing
    )
    for text, n in deltas.items():
        if text in existing:
            Word.objects.filter(pk=existing[text]).update(count=Greatest(F("count") + n, 0))


def _commit_batch(session_id: int, pending: list[PendingVote]) -> tuple[list, bool]:
    """The bulk path: the same rules as polls.cast_vote, a few queries for the whole batch.

    A known vote id from the same participant gets its original ack and counts once, from another
    participant an error; a new vote from a participant who voted before replaces that vote.
    """
    replies: list[tuple[PendingVote, dict]] = []
    session = PollSession.objects.select_for_update().get(pk=session_id)
    questions = {q.pk: q for q in PollQuestion.objects.filter(session=session)}
    bad = gettext("Er ging iets mis met je stem. Probeer het nog een keer.")
    keys = {vote.vote_id: str(uuid.UUID(vote.vote_id)) for vote in pending}
    # vote id -> participant, for every id of the batch that is already stored ...
    owners = {
        str(vote_id): participant
        for vote_id, participant in Vote.objects.filter(
            vote_id__in=[uuid.UUID(key) for key in keys.values()]
        ).values_list("vote_id", "participant")
    }
    # ... and the stored votes of the batch's participants on the current question.
    current = questions.get(session.current_question_id)
    earlier: dict[str, Vote] = {}
    if current is not None:
        earlier = {
            vote.participant: vote
            for vote in Vote.objects.filter(
                question=current, participant__in={v.participant for v in pending}
            )
        }
    new: dict[str, Vote] = {}
    replaced: dict[int, Vote] = {}
    words: dict[int, Counter] = {}
    for vote in pending:
        key = keys[vote.vote_id]
        if key in owners:
            if owners[key] != vote.participant:
                replies.append(_error(vote, "bad_message", bad))
            else:
                replies.append(_ack(vote))
            continue
        question = questions.get(vote.question_id)
        if question is None:
            replies.append(_error(vote, "not_current", gettext("Deze vraag bestaat niet.")))
            continue
        try:
            polls.check_open(session, question)
            answer = polls.clean_answer(question, vote.answer)
        except polls.VoteError as error:
            replies.append(_error(vote, error.code, error.message))
            continue
        # Only the current question gets here, so `earlier` holds this participant's vote.
        previous = earlier.get(vote.participant)
        if question.kind == Kind.WORDS:
            counter = words.setdefault(question.pk, Counter())
            if previous is not None:
                counter.subtract(word.lower() for word in previous.answer)
            counter.update(word.lower() for word in answer)
        if previous is None:
            previous = Vote(
                question=question, participant=vote.participant, vote_id=key, answer=answer
            )
            new[vote.participant] = earlier[vote.participant] = previous
        else:
            previous.answer, previous.vote_id = answer, key
            if previous.pk is not None:
                replaced[previous.pk] = previous
        owners[key] = vote.participant
        replies.append(_ack(vote))
    changed = bool(new or replaced or words)
    if new:
        Vote.objects.bulk_create(new.values())
    if replaced:
        now = timezone.now()
        for vote in replaced.values():
            vote.updated_at = now
        Vote.objects.bulk_update(replaced.values(), ["answer", "vote_id", "updated_at"])
    for question_id, deltas in words.items():
        _count_words(question_id, questions[question_id].moderate_words, deltas)
    if changed:
        PollSession.objects.filter(pk=session_id).update(version=F("version") + 1)
    return replies, changed


def _commit_one_by_one(session_id: int, pending: list[PendingVote]) -> tuple[list, bool]:
    """The slow path, through polls.cast_vote, for a batch the bulk path could not store."""
    replies: list[tuple[PendingVote, dict]] = []
    changed = False
    with transaction.atomic():
        session = PollSession.objects.select_for_update().get(pk=session_id)
        questions = {q.pk: q for q in PollQuestion.objects.filter(session=session)}
        for vote in pending:
            question = questions.get(vote.question_id)
            if question is None:
                replies.append(_error(vote, "not_current", gettext("Deze vraag bestaat niet.")))
                continue
            try:
                _, did_change = polls.cast_vote(
                    session, question, vote.participant, vote.vote_id, vote.answer
                )
            except polls.VoteError as error:
                replies.append(_error(vote, error.code, error.message))
                continue
            changed = changed or did_change
            replies.append(_ack(vote))
        if changed:
            PollSession.objects.filter(pk=session_id).update(version=F("version") + 1)
    return replies, changed


def commit(session_id: int, pending: list[PendingVote]) -> tuple[list, bool]:
    """Store a batch of votes in one transaction; return what to tell each phone and if it changed.

    The hub holds the session's row lock (PostgreSQL) or the write lock (SQLite, immediate
    transactions) for the whole batch, so nothing can slip in between its reads and writes. Should
    the bulk insert still hit a unique constraint, the batch is stored vote by vote instead.
    """
    try:
        with transaction.atomic():
            return _commit_batch(session_id, pending)
    except IntegrityError:
        logger.warning("poll %s: bulk commit conflicted, storing one by one", session_id)
        return _commit_one_by_one(session_id, pending)


# --- Reading the state ----------------------------------------------------------------------


def read_state(session_id: int) -> dict:
    """The whole state of a session as a host sees it (the tally always filled in)."""
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
        order = list(
            PollQuestion.objects.filter(session_id=session_id)
            .order_by("sort_order", "pk")
            .values_list("pk", flat=True)
        )
        data["question"] = {
            "id": question.pk,
            "text": question.text,
            "kind": question.kind,
            "max_choices": question.max_choices,
            "number": order.index(question.pk) + 1 if question.pk in order else 0,
            "total": len(order),
            "options": [
                {"index": o.index, "label": o.label, "emoji": o.emoji}
                for o in polls.options(question)
            ],
        }
        data["tally"] = polls.tally(question)
    return data


def snapshot(session_id: int, for_host: bool) -> dict:
    """The whole state a screen needs to (re)draw itself; the tally once shown (hosts: always)."""
    close_old_connections()
    data = read_state(session_id)
    if not (data["results_visible"] or for_host):
        data["tally"] = None
    return data


@dataclass(frozen=True)
class Frames:
    """One state, serialised once for participants and once for hosts."""

    version: int
    public: str
    host: str
    content: str  # the state without its send time, to see whether anything changed


def _frames(state: dict) -> Frames:
    host = json.dumps(state)
    public = host
    if not state["results_visible"] and state["tally"] is not None:
        public = json.dumps({**state, "tally": None})
    return Frames(state["version"], public, host, json.dumps({**state, "sent_at": None}))


def _read_frames(session_id: int) -> Frames:
    return _frames(read_state(session_id))


def _in_hub_thread(function, *args):
    # The hub's thread keeps its connection from tick to tick; after an error it starts afresh.
    try:
        return function(*args)
    except Exception:
        connection.close()
        raise


# --- The hub --------------------------------------------------------------------------------


@dataclass(eq=False)
class SessionHub:
    """The sockets of one session in this process, its queue of votes and its latest state."""

    session_id: int
    sockets: set = field(default_factory=set)
    pending: list[PendingVote] = field(default_factory=list)
    dirty: bool = False
    frames: Frames | None = None
    read_at: float = 0.0
    last_broadcast: float = 0.0
    task: asyncio.Task | None = None
    loop: asyncio.AbstractEventLoop | None = None
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _outgoing: Frames | None = None
    _tasks: set = field(default_factory=set)
    _executor: ThreadPoolExecutor | None = None

    async def run(self) -> None:
        """Commit queued votes and broadcast changes until the last socket leaves."""
        listener = self._spawn(self.listen())
        fan_out = self._spawn(self.fan_out())
        try:
            await self._loop()
        finally:
            listener.cancel()
            fan_out.cancel()
            if self._executor is not None:
                # Its thread's connection would otherwise stay open after the hub is gone; this
                # runs in that thread even when the loop is shutting down.
                self._executor.submit(connection.close)
                self._executor.shutdown(wait=False)

    async def _db(self, function, *args):
        """Run ORM work in the hub's own thread (one per hub, so one connection per hub)."""
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix=f"poll-{self.session_id}")
        return await asyncio.get_running_loop().run_in_executor(
            self._executor, _in_hub_thread, function, *args
        )

    def _spawn(self, coroutine) -> asyncio.Task:
        # Keep a reference: the loop only holds weak ones, and a task must not vanish mid-way.
        task = asyncio.get_running_loop().create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def listen(self) -> None:
        """One channel per process and session: other processes (and views) say what changed."""
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            channel = await layer.new_channel()
            await layer.group_add(group_name(self.session_id), channel)
        except Exception:
            logger.exception("poll %s: cannot listen to the channel layer", self.session_id)
            return
        try:
            while True:
                message = await layer.receive(channel)
                if message.get("origin") != ORIGIN:
                    self.dirty = True
        finally:
            with contextlib.suppress(Exception):
                await layer.group_discard(group_name(self.session_id), channel)

    def changed(self) -> None:
        """Something was committed in this process: broadcast soon, and tell the others."""
        self.dirty = True
        self._spawn(_tell_processes(self.session_id, ORIGIN))

    async def state(self, for_host: bool) -> str:
        """The latest state as text, for a socket that connects or asks for a snapshot."""
        if self.frames is None:
            async with self._lock:
                if self.frames is None:  # one read, however many sockets wait for it
                    await self._read()
        assert self.frames is not None
        return self.frames.host if for_host else self.frames.public

    async def _read(self) -> Frames:
        self.dirty = False  # a change during the read marks it again
        frames = await self._db(_read_frames, self.session_id)
        self.frames, self.read_at = frames, time.monotonic()
        return frames

    async def _loop(self) -> None:
        next_tick = time.monotonic() + TICK
        while self.sockets or self.pending:
            # Ticks keep their rhythm: a slow commit or read does not add a whole TICK on top.
            await asyncio.sleep(max(next_tick - time.monotonic(), 0))
            next_tick = max(next_tick + TICK, time.monotonic())
            if self.pending:
                await self._commit()
            now = time.monotonic()
            stale = now - self.read_at >= STALE_AFTER
            if (self.dirty and now - self.last_broadcast >= BROADCAST_INTERVAL) or stale:
                await self._broadcast(only_if_different=not self.dirty)

    async def _commit(self) -> None:
        batch, self.pending = self.pending, []
        try:
            replies, changed = await self._db(commit, self.session_id, batch)
        except Exception:
            # One broken batch must not stop the poll: the phones may send again.
            logger.exception("poll %s: a batch of %s votes failed", self.session_id, len(batch))
            message = gettext("Je stem is niet opgeslagen. Probeer het nog een keer.")
            replies, changed = [_error(vote, "retry", message) for vote in batch], False
        # The acks go out on their own, so a slow phone cannot hold up the next commit.
        self._spawn(self._reply(replies))
        if changed:
            self.changed()

    async def _reply(self, replies: list[tuple[PendingVote, dict]]) -> None:
        for vote, reply in replies:
            await self._send(vote.socket, {"type": "websocket.send", "text": json.dumps(reply)})

    async def _broadcast(self, only_if_different: bool = False) -> None:
        before = self.frames
        try:
            async with self._lock:
                frames = await self._read()
        except PollSession.DoesNotExist:
            logger.info("poll %s was deleted: closing its sockets", self.session_id)
            for socket in list(self.sockets):
                self._spawn(_close_quietly(socket, 4404))
            self.sockets.clear()
            return
        except Exception:
            logger.exception("poll %s: cannot read the state", self.session_id)
            self.read_at = time.monotonic()  # try again on the next change or STALE_AFTER
            return
        if only_if_different and before is not None and before.content == frames.content:
            return
        self.last_broadcast = time.monotonic()
        self._outgoing = frames
        self._wake.set()

    async def fan_out(self) -> None:
        """Write the newest frames to every local socket; frames that pile up are skipped."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            frames, self._outgoing = self._outgoing, None
            if frames is None:
                continue
            public = {"type": "websocket.send", "text": frames.public}
            host = {"type": "websocket.send", "text": frames.host}
            for count, socket in enumerate(list(self.sockets), start=1):
                await self._send(socket, host if socket.is_host else public)
                if count % FAN_OUT_SLICE == 0:
                    # A send to a socket that keeps up never yields: let commits and acks in.
                    await asyncio.sleep(0)

    async def _send(self, socket: Socket, message: dict) -> None:
        # A closed or stuck socket must not stop the others.
        try:
            async with asyncio.timeout(SEND_TIMEOUT):
                await socket.base_send(message)
        except TimeoutError:
            logger.info("poll %s: dropping a socket that did not read", self.session_id)
            self.sockets.discard(socket)
            self._spawn(_close_quietly(socket, 4408))
        except Exception:
            self.sockets.discard(socket)


async def _close_quietly(socket: Socket, code: int) -> None:
    with contextlib.suppress(Exception):
        async with asyncio.timeout(SEND_TIMEOUT):
            await socket.close(code=code)


async def _tell_processes(session_id: int, origin: str) -> None:
    """One message to every process's hub of this session; never raises."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async with asyncio.timeout(ANNOUNCE_TIMEOUT):
            await layer.group_send(
                group_name(session_id), {"type": "poll.changed", "origin": origin}
            )
    except Exception:
        logger.warning("poll %s: the channel layer did not take the change", session_id)


_hubs: dict[int, SessionHub] = {}
_hubs_lock = threading.Lock()


def hub_for(session_id: int) -> SessionHub:
    """This process's hub for a session, started when needed."""
    loop = asyncio.get_running_loop()
    hub = _hubs.get(session_id)
    if hub is None or hub.task is None or hub.task.done() or hub.loop is not loop:
        hub = SessionHub(session_id, loop=loop)
        with _hubs_lock:
            _hubs[session_id] = hub
        hub.task = loop.create_task(hub.run())
    return hub


def forget(session_id: int, socket: Socket) -> None:
    """A socket left; the hub stops by itself when it has no sockets and no votes."""
    hub = _hubs.get(session_id)
    if hub is not None:
        hub.sockets.discard(socket)


def _mark_dirty(hub: SessionHub) -> None:
    hub.dirty = True


def announce_change(session_id: int) -> None:
    """Tell every process's sockets of a session that something was committed outside a hub.

    For sync code (HTTP views, moderation) after the commit of a vote or a host action; the
    caller bumps PollSession.version. This process's hub is nudged directly; every process (this
    one too) hears of it through the channel layer. It never raises: a channel layer that is down
    is logged, and the screens catch up within STALE_AFTER.
    """
    try:
        with _hubs_lock:
            hub = _hubs.get(session_id)
        if hub is not None and hub.loop is not None and not hub.loop.is_closed():
            hub.loop.call_soon_threadsafe(_mark_dirty, hub)
    except Exception:
        logger.exception("poll %s: cannot nudge this process's hub", session_id)
    try:
        if get_channel_layer() is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            async_to_sync(_tell_processes)(session_id, ANNOUNCED)
        else:
            # Called from async code after all: do not block its loop.
            task = loop.create_task(_tell_processes(session_id, ANNOUNCED))
            _announcing.add(task)
            task.add_done_callback(_announcing.discard)
    except Exception:
        logger.exception("poll %s: cannot announce the change", session_id)


_announcing: set[asyncio.Task] = set()
