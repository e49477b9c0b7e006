"""The live poll socket for phones, the presenter screen and the host's control page."""

from __future__ import annotations

import json
import time
import uuid

from channels.consumer import get_handler_name
from channels.db import database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext

from youth_panel import counted, live, polls
from youth_panel.models import PollSession
from youth_panel.rules import can_host

MAX_MESSAGE_BYTES = 64 * 1024
RATE_PER_SECOND = 5.0
RATE_BURST = 20.0
DEFAULT_MAX_SOCKETS_PER_IP = 300
# Close codes (4000-4999 are the application's own). Daphne (autobahn) lets an application close
# only with 1000 or 3000-4999, so "too big" is 4009, the private twin of the protocol's 1009.
CLOSE_UNKNOWN_SESSION = 4404
CLOSE_TOO_MANY_SOCKETS = 4429
CLOSE_TOO_BIG = 4009
CLOSE_FLOOD = 4008  # kept sending after this many refusals (the twin of 1008, policy)
FLOOD_CLOSE_AFTER = 100
MAX_ID = 2**63 - 1  # a database id fits in a signed 64-bit integer

# Open poll sockets per client address in this process.
_sockets_per_ip: dict[str, int] = {}


def max_sockets_per_ip() -> int:
    """settings.POLL_MAX_SOCKETS_PER_IP (default 300); 0 or less switches the limit off."""
    return int(getattr(settings, "POLL_MAX_SOCKETS_PER_IP", DEFAULT_MAX_SOCKETS_PER_IP) or 0)


def _is_host(user, session_id: int) -> bool:
    session = PollSession.objects.filter(pk=session_id).first()
    return session is not None and can_host(user, session)


class PollConsumer(AsyncWebsocketConsumer):
    """`/ws/p/<code>/`: state frames to everyone; votes from phones; control from hosts.

    The socket has no channel of its own: the session's hub in this process writes to it
    directly, and one channel per process and session carries news between processes.
    """

    # No channel per socket (see above): get_channel_layer(None) gives no layer.
    channel_layer_alias = None
    is_host = False
    session_id: int | None = None
    client_ip: str | None = None

    async def dispatch(self, message: dict) -> None:
        # Channels closes stale database connections before every handler, a hop to the sync
        # thread per message; this consumer only reaches the database through
        # database_sync_to_async and the hub, which both do that themselves.
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def websocket_disconnect(self, message: dict) -> None:
        """The socket closed: leave the hub (no groups, no database work)."""
        await self.disconnect(message.get("code", 1000))
        raise StopConsumer()

    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["code"].upper()
        session = await live.find_session(code)
        if session is None:
            await self.close(code=CLOSE_UNKNOWN_SESSION)
            return
        if not self._count_ip():
            await self.close(code=CLOSE_TOO_MANY_SOCKETS)
            return
        self.session_id = session_id = session.pk
        # Live room: the signed cookie; counted mode: a redeemed code or a panel member.
        self.participant = await database_sync_to_async(counted.participant_for_scope)(
            self.scope, session
        )
        self.user = self.scope.get("user")
        # Only a signed-in user can be a host: phones cost no query here.
        if getattr(self.user, "is_authenticated", False):
            self.is_host = await database_sync_to_async(_is_host)(self.user, session_id)
        self.allowance = RATE_BURST
        self.checked_at = time.monotonic()
        self.refused = 0
        await self.accept()
        self.hub = live.hub_for(session_id)
        self.hub.sockets.add(self)
        await self.send_snapshot()

    async def disconnect(self, code: int) -> None:
        if self.session_id is not None:
            live.forget(self.session_id, self)
        if self.client_ip is not None:
            left = _sockets_per_ip.get(self.client_ip, 1) - 1
            if left > 0:
                _sockets_per_ip[self.client_ip] = left
            else:
                _sockets_per_ip.pop(self.client_ip, None)
            self.client_ip = None

    def _count_ip(self) -> bool:
        """Count this socket against its client address; False when that one has too many."""
        limit = max_sockets_per_ip()
        client = self.scope.get("client")
        if limit <= 0 or not client:
            return True
        ip = str(client[0])
        if _sockets_per_ip.get(ip, 0) >= limit:
            return False
        _sockets_per_ip[ip] = _sockets_per_ip.get(ip, 0) + 1
        self.client_ip = ip
        return True

    async def send_snapshot(self) -> None:
        """The whole current state, for a new or resyncing screen (the hub's latest, cached)."""
        try:
            text = await self.hub.state(self.is_host)
        except PollSession.DoesNotExist:
            await self.close(code=CLOSE_UNKNOWN_SESSION)
            return
        await self.send(text_data=text)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > MAX_MESSAGE_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        if not self._within_rate():
            self.refused += 1
            if self.refused >= FLOOD_CLOSE_AFTER:
                await self.close(code=CLOSE_FLOOD)
                return
            await self._error("rate_limited", gettext("Rustig aan: je stuurt te veel tegelijk."))
            return
        try:
            message = json.loads(text_data or "")
        # ValueError: also a number longer than Python's int digit limit; RecursionError: deep
        # nesting like [[[[...]]]] (a 64 KiB message can nest 32,000 levels).
        except (ValueError, TypeError, RecursionError):
            await self._error("bad_message", gettext("Dit bericht begrijpen we niet."))
            return
        if not isinstance(message, dict):
            await self._error("bad_message", gettext("Dit bericht begrijpen we niet."))
            return
        kind = message.get("type")
        if kind == "vote":
            await self._vote(message)
        elif kind == "control":
            await self._control(message)
        elif kind == "snapshot":
            self.hub = live.hub_for(self.session_id)
            self.hub.sockets.add(self)
            await self.send_snapshot()
        else:
            await self._error("unknown_type", gettext("Dit bericht begrijpen we niet."))

    async def _vote(self, message: dict) -> None:
        # The page sends the vote id as text and the question id as a whole number; anything
        # else (a float, "7", true, 10**400) is refused, not rounded into some other vote.
        vote_id = message.get("vote_id")
        question_id = message.get("question")
        if not isinstance(vote_id, str) or len(vote_id) > 36:
            await self._error("bad_message", gettext("Dit bericht begrijpen we niet."))
            return
        try:
            uuid.UUID(vote_id)
        except ValueError:
            await self._error("bad_message", gettext("Dit bericht begrijpen we niet."), vote_id)
            return
        if type(question_id) is not int or not 0 < question_id <= MAX_ID:
            await self._error("bad_message", gettext("Dit bericht begrijpen we niet."), vote_id)
            return
        if not _answer_shape(message.get("answer")):
            await self._error("unknown_option", gettext("Dit antwoord bestaat niet."), vote_id)
            return
        if self.participant is None:
            await self._error(
                "no_participant", gettext("Open eerst de pagina van de peiling opnieuw."), vote_id
            )
            return
        # The hub restarts if its task ended; this socket is always among its sockets.
        self.hub = live.hub_for(self.session_id)
        self.hub.sockets.add(self)
        self.hub.pending.append(
            live.PendingVote(self, self.participant, vote_id, question_id, message.get("answer"))
        )

    async def _control(self, message: dict) -> None:
        # Rights are checked on every control message, not only when the socket opened.
        self.is_host = getattr(self.user, "is_authenticated", False) and (
            await database_sync_to_async(_is_host)(self.user, self.session_id)
        )
        if not self.is_host:
            await self._error("forbidden", gettext("Alleen de gespreksleider kan dit doen."))
            return
        try:
            await database_sync_to_async(_control)(self.session_id, str(message.get("action")))
        except polls.VoteError as error:
            await self._error(error.code, error.message)
            return
        self.hub = live.hub_for(self.session_id)
        self.hub.sockets.add(self)
        self.hub.changed()

    async def _error(self, code: str, text: str, vote_id: str | None = None) -> None:
        reply = {"type": "error", "code": code, "message": text}
        if vote_id:
            reply["vote_id"] = vote_id
        await self.send(text_data=json.dumps(reply))

    def _within_rate(self) -> bool:
        now = time.monotonic()
        self.allowance = min(RATE_BURST, self.allowance + (now - self.checked_at) * RATE_PER_SECOND)
        self.checked_at = now
        if self.allowance < 1:
            return False
        self.allowance -= 1
        return True


def _answer_shape(answer) -> bool:
    """Whether an answer has a shape the page sends: a whole number or text, or a flat list of them.

    polls.clean_answer checks the rest; it turns text into numbers as a form post needs, so
    floats and true/false (which int() would round to an option) stop here.
    """
    items = answer if isinstance(answer, list) else [answer]
    return all(type(item) is int or isinstance(item, str) for item in items)


def _control(session_id: int, action: str) -> None:
    polls.control(PollSession.objects.get(pk=session_id), action)
