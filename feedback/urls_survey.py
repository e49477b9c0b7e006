"""The respondent's pages: type or scan a code, answer, done. Short URLs for letters and QR."""

from django.urls import path

from feedback import views_survey as views

app_name = "survey"

urlpatterns = [
    path("", views.start, name="start"),
    path("vragen/<int:step>/", views.step, name="step"),
    path("klaar/", views.done, name="done"),
    path("hulp/", views.help_now, name="help"),
    path("<str:code>/", views.open_code, name="open"),
]
