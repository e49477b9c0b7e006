"""Youth panel membership pages (included under /jongerenpanel/, app namespace "panel")."""

from django.urls import path

from youth_panel import views_panel as views

app_name = "panel"

urlpatterns = [
    path("", views.home, name="home"),
    path("aanmelden/", views.join, name="join"),
    path("ouder/", views.parent, name="parent"),
    path("ouder/<str:token>/", views.parent_confirm, name="parent_confirm"),
    path("afmelden/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("weer-uitnodigen/", views.resubscribe, name="resubscribe"),
    path("mijn-gegevens/", views.my_data, name="my_data"),
    path("mijn-gegevens.json", views.my_data_json, name="my_data_json"),
    path("mijn-gegevens/verwijderen/", views.delete_data, name="delete"),
]
