"""The public "wij deden" page (included at /wij-deden/, app namespace "actions")."""

from django.urls import path

from feedback import views_actions

app_name = "actions"

urlpatterns = [
    path("", views_actions.action_list, name="list"),
]
