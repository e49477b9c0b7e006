"""Scenario (c) of bench/polls.py: the naive live poll, one group_send per vote.

Not product code: it shows what youth_panel/live.py avoids. Every socket joins the session's
group with a channel of its own; every vote is stored on its own (polls.cast_vote), acked, and
then the fresh state is read and sent to the group, so the channel layer carries one message per
vote per socket. Served by uvicorn as ``naive_poll:application`` with bench/ on the path.
"""

import json
import os
import uuid

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench_settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.db import database_sync_to_async  # noqa: E402
from channels.generic.websocket import AsyncWebsocketConsumer  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.db.models import F  # noqa: E402
from django.urls import path  # noqa: E402

from youth_panel import live, polls  # noqa: E402
from youth_panel.models import PollSession  # noqa: E402
from youth_panel.views import PARTICIPANT_COOKIE, participant_from_cookie  # noqa: E402


def _store(session_id: int, participant: str, message: dict) -> None:
    session = PollSession.objects.select_related("current_question").get(pk=session_id)
    question = session.questions.filter(pk=int(message.get("question"))).first()
    if question is None:
        raise polls.VoteError("not_current", "no such question")
    _, changed = polls.cast_vote(
        session, question, participant, str(message.get("vote_id")), message.get("answer")
    )
    if changed:
        PollSession.objects.filter(pk=session_id).update(version=F("version") + 1)


class NaivePollConsumer(AsyncWebsocketConsumer):
    """One group_send per vote, through the channel layer to every socket's own channel."""

    async def connect(self) -> None:
        code = self.scope["url_route"]["kwargs"]["code"].upper()
        session = await database_sync_to_async(PollSession.objects.filter(join_code=code).first)()
        if session is None:
            await self.close(code=4404)
            return
        self.session_id = session.pk
        self.group = live.group_name(session.pk)
        cookies = self.scope.get("cookies", {})
        self.participant = participant_from_cookie(cookies.get(PARTICIPANT_COOKIE))
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        state = await database_sync_to_async(live.snapshot)(self.session_id, False)
        await self.send(text_data=json.dumps(state))

    async def disconnect(self, code: int) -> None:
        if getattr(self, "group", None):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        message = json.loads(text_data or "{}")
        vote_id = str(message.get("vote_id", ""))
        try:
            uuid.UUID(vote_id)
            if self.participant is None:
                raise polls.VoteError("no_participant", "no participant")
            await database_sync_to_async(_store)(self.session_id, self.participant, message)
        except (polls.VoteError, ValueError, TypeError) as error:
            code = getattr(error, "code", "bad_message")
            reply = {"type": "error", "code": code, "message": str(error), "vote_id": vote_id}
            await self.send(text_data=json.dumps(reply))
            return
        await self.send(text_data=json.dumps({"type": "ack", "vote_id": vote_id}))
        state = await database_sync_to_async(live.snapshot)(self.session_id, False)
        await self.channel_layer.group_send(
            self.group, {"type": "poll.state", "text": json.dumps(state)}
        )

    async def poll_state(self, event: dict) -> None:
        """A state from the group: pass it on to this socket."""
        await self.send(text_data=event["text"])


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter([path("ws/p/<str:code>/", NaivePollConsumer.as_asgi())]))
        ),
    }
)
