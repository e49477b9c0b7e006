"""The half-year reports (included at /cijfers/rapport/, app namespace "reports")."""

from django.urls import path

from feedback import views_reports

app_name = "reports"

urlpatterns = [
    path("", views_reports.report_list, name="list"),
    path("<str:period>/", views_reports.report_detail, name="detail"),
]
