"""All WebSocket routes: each app keeps its own routing module, joined here."""

from home.routing import websocket_urlpatterns as home_ws

websocket_urlpatterns = [*home_ws]
