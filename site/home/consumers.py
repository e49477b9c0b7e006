"""A small real socket that proves the WebSocket path end to end: time, ping, broadcasts."""

import json
import math
import os

from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.utils import timezone

HEALTH_GROUP = "health"
MAX_MESSAGE_BYTES = 64 * 1024
# Daphne lets an application close only with 1000 or 3000-4999: 4009 is the twin of 1009.
CLOSE_TOO_BIG = 4009


class HealthConsumer(AsyncJsonWebsocketConsumer):
    """Answers with the server time and process; relays messages sent to the health group."""

    async def connect(self) -> None:
        await self.channel_layer.group_add(HEALTH_GROUP, self.channel_name)
        await self.accept()
        await self.send_json(self._status("hello"))

    async def disconnect(self, code: int) -> None:
        await self.channel_layer.group_discard(HEALTH_GROUP, self.channel_name)

    async def receive(
        self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs
    ) -> None:
        """Decode a message; what is not JSON (or is binary) gets an error frame, not a crash."""
        size = len(text_data.encode()) if text_data is not None else len(bytes_data or b"")
        if size > MAX_MESSAGE_BYTES:
            await self.close(code=CLOSE_TOO_BIG)
            return
        try:
            content = await self.decode_json(text_data or "")
        # ValueError: not JSON, or a number beyond Python's int digit limit; RecursionError:
        # deep nesting like [[[[...]]]].
        except (ValueError, RecursionError):
            await self.send_json({"type": "error", "error": "unknown message"})
            return
        await self.receive_json(content, **kwargs)

    @classmethod
    async def decode_json(cls, text_data: str):
        """Strict JSON: NaN and Infinity (also 1e400) would echo back as text no browser parses."""
        return json.loads(text_data, parse_constant=_refuse_constant, parse_float=_finite)

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


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is too large")
    return number
