"""WebSocket routes of the live polls."""

from django.urls import path

from youth_panel.consumers import PollConsumer

websocket_urlpatterns = [path("ws/p/<str:code>/", PollConsumer.as_asgi())]
