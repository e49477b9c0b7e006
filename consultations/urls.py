"""Non-page URLs of consultations: posting and flagging comments, organisation membership."""

from django.urls import path

from consultations import views

app_name = "consultations"

urlpatterns = [
    path("<int:page_id>/reageren/", views.comment, name="comment"),
    path("reactie/<int:pk>/melden/", views.flag, name="flag"),
    path("organisaties/", views.organisations, name="organisations"),
]
