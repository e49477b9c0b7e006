"""WebSocket routes of the site itself."""

from django.urls import path

from home.consumers import HealthConsumer

websocket_urlpatterns = [path("ws/gezond/", HealthConsumer.as_asgi())]
