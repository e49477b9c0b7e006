"""Non-page URLs of consultations: comments, organisation membership, posters."""

from django.urls import path

from consultations import posters, views

app_name = "consultations"

urlpatterns = [
    path("<int:page_id>/reageren/", views.comment, name="comment"),
    path("reactie/<int:pk>/melden/", views.flag, name="flag"),
    path("organisaties/", views.organisations, name="organisations"),
    path("poster/", posters.poster, name="poster"),
]
