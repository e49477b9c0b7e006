"""The live poll socket for phones, the presenter screen and the host's control page."""

from __future__ import annotations

import json
import time
import uuid

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.utils.translation import gettext

from youth_panel import live, polls
from youth_panel.models import PollSession
from youth_panel.rules import can_host
from youth_panel.views import PARTICIPANT_COOKIE, participant_from_cookie

MAX_MESSAGE_BYTES = 64 * 1024
RATE_PER_SECOND = 5.0
RATE_BURST = 20.0


class PollConsumer(AsyncWebsocketConsumer):
    """`/ws/p/<code>/`: state frames to everyone; votes from phones; control from hosts."""

    is_host = False

    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["code"].upper()
        self.session = await database_sync_to_async(
            PollSession.objects.filter(join_code=code).first
        )()
        if self.session is None:
            await self.close(code=4404)
            return
        cookies = self.scope.get("cookies", {})
        self.participant = participant_from_cookie(cookies.get(PARTICIPANT_COOKIE))
        self.user = self.scope.get("user")
        self.is_host = await database_sync_to_async(can_host)(self.user, self.session)
        self.allowance = RATE_BURST
        self.checked_at = time.monotonic()
        await self.accept()
        self.hub = live.hub_for(self.session.pk)
        self.hub.sockets.add(self)
        await self.send_snapshot()

    async def disconnect(self, code: int) -> None:
        if getattr(self, "session", None) is not None:
            live.forget(self.session.pk, self)

    async def send_snapshot(self) -> None:
        """The whole current state, for a new or resyncing screen."""
        state = await database_sync_to_async(live.snapshot)(self.session.pk, self.is_host)
        await self.send(text_data=json.dumps(state))

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > MAX_MESSAGE_BYTES:
            await self.close(code=1009)
            return
        if not self._within_rate():
            await self._error("rate_limited", gettext("Rustig aan: je stuurt te veel tegelijk."))
            return
        try:
            message = json.loads(text_data or "")
        except (json.JSONDecodeError, TypeError):
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
            await self.send_snapshot()
        else:
            await self._error("unknown_type", gettext("Dit bericht begrijpen we niet."))

    async def _vote(self, message: dict) -> None:
        vote_id = str(message.get("vote_id", ""))
        try:
            uuid.UUID(vote_id)
            question_id = int(message.get("question"))
        except (ValueError, TypeError):
            await self._error("bad_message", gettext("Dit bericht begrijpen we niet."), vote_id)
            return
        if self.participant is None:
            await self._error(
                "no_participant", gettext("Open eerst de pagina van de peiling opnieuw."), vote_id
            )
            return
        # The hub restarts if its task ended; this socket is always among its sockets.
        self.hub = live.hub_for(self.session.pk)
        self.hub.sockets.add(self)
        self.hub.pending.append(
            live.PendingVote(self, self.participant, vote_id, question_id, message.get("answer"))
        )

    async def _control(self, message: dict) -> None:
        # Rights are checked on every control message, not only when the socket opened.
        self.is_host = await database_sync_to_async(can_host)(self.user, self.session)
        if not self.is_host:
            await self._error("forbidden", gettext("Alleen de gespreksleider kan dit doen."))
            return
        try:
            await database_sync_to_async(polls.control)(self.session, str(message.get("action")))
        except polls.VoteError as error:
            await self._error(error.code, error.message)
            return
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
