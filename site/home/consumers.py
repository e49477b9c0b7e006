"""A small real socket that proves the WebSocket path end to end: time, ping, broadcasts."""

import os

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

HEALTH_GROUP = "health"


class HealthConsumer(AsyncJsonWebsocketConsumer):
    """Answers with the server time and process; relays messages sent to the health group."""

    async def connect(self) -> None:
        await self.channel_layer.group_add(HEALTH_GROUP, self.channel_name)
        await self.accept()
        await self.send_json(self._status("hello"))

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(HEALTH_GROUP, self.channel_name)

    async def receive_json(self, content: dict, **kwargs) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({**self._status("pong"), "echo": content.get("echo")})
        else:
            await self.send_json({"type": "error", "error": "unknown message"})

    async def health_broadcast(self, event: dict) -> None:
        """Forward a group message to this socket (the cross-process test uses this)."""
        await self.send_json({**self._status("broadcast"), "message": event.get("message")})

    def _status(self, kind: str) -> dict:
        return {"type": kind, "server_time": timezone.now().isoformat(), "process": os.getpid()}
