"""The health socket proves the WebSocket path: origin check, time, ping, group broadcast."""

import pytest
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator

from config.asgi import application
from home.consumers import HEALTH_GROUP

# Channels closes old database connections around each consumer call, so the sockets may
# touch the database connection even when the consumer itself does not.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ORIGIN = [(b"origin", b"http://testserver")]


async def _connect(headers=ORIGIN):
    communicator = WebsocketCommunicator(application, "/ws/gezond/", headers=headers)
    connected, _ = await communicator.connect()
    return communicator, connected


async def test_socket_greets_with_server_time_and_answers_ping():
    communicator, connected = await _connect()
    try:
        assert connected
        hello = await communicator.receive_json_from()
        assert hello["type"] == "hello" and hello["server_time"]
        await communicator.send_json_to({"type": "ping", "echo": 42})
        pong = await communicator.receive_json_from()
        assert pong["type"] == "pong" and pong["echo"] == 42
    finally:
        await communicator.disconnect()


async def test_unknown_message_gets_an_error_not_a_crash():
    communicator, _ = await _connect()
    try:
        await communicator.receive_json_from()
        await communicator.send_json_to({"type": "dans"})
        assert (await communicator.receive_json_from())["type"] == "error"
    finally:
        await communicator.disconnect()


async def test_socket_from_a_foreign_origin_is_refused():
    communicator, connected = await _connect([(b"origin", b"https://evil.example")])
    assert not connected
    await communicator.disconnect()


async def test_group_broadcast_reaches_every_socket():
    first, _ = await _connect()
    second, _ = await _connect()
    try:
        await first.receive_json_from()
        await second.receive_json_from()
        await get_channel_layer().group_send(
            HEALTH_GROUP, {"type": "health.broadcast", "message": "hallo"}
        )
        for communicator in (first, second):
            message = await communicator.receive_json_from(timeout=5)
            assert message == {**message, "type": "broadcast", "message": "hallo"}
    finally:
        await first.disconnect()
        await second.disconnect()


@pytest.mark.services
def test_services_pass_uses_postgresql_and_redis(db):
    from django.conf import settings
    from django.db import connection

    assert connection.vendor == "postgresql"
    assert settings.CHANNEL_LAYERS["default"]["BACKEND"].startswith("channels_redis")
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
