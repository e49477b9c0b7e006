"""The story wall and the vote (included at /verhalen/, app namespace "stories")."""

from django.urls import path

from feedback import views_stories

app_name = "stories"

urlpatterns = [
    path("", views_stories.wall, name="wall"),
    path("kiezen/", views_stories.vote, name="vote"),
]
