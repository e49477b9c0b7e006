"""The read-only JSON API of the public figures (included under /api/v1/, namespace "api")."""

from django.urls import path

from feedback import api

app_name = "api"

urlpatterns = [
    path("cijfers/", api.figures, name="figures"),
    path("cijfers/perioden/", api.periods, name="periods"),
    path("openapi.json", api.openapi, name="openapi"),
]
