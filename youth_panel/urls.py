"""Live poll pages (included under /p/, app namespace "polls"): short URLs for QR codes."""

from django.urls import path

from youth_panel import views

app_name = "polls"

urlpatterns = [
    path("", views.join, name="join"),
    path("<str:code>/", views.phone, name="phone"),
    path("<str:code>/scherm/", views.presenter, name="presenter"),
    path("<str:code>/bediening/", views.control, name="control"),
    path("<str:code>/stand.json", views.snapshot_json, name="snapshot"),
    path("<str:code>/uitslag/", views.results, name="results"),
    path("<str:code>/uitslag.csv", views.results_csv, name="results_csv"),
]
