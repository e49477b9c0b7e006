"""All WebSocket routes: each app keeps its own routing module, joined here."""

from home.routing import websocket_urlpatterns as home_ws
from youth_panel.routing import websocket_urlpatterns as youth_panel_ws

websocket_urlpatterns = [*home_ws, *youth_panel_ws]
