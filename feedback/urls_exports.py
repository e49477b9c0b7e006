"""Downloads of the dashboards (namespace "insights_exports").

Public: export.csv / export.xlsx. Staff and providers: intern/export.csv / intern/export.xlsx
(`staff_csv` / `staff_xlsx`), for signed-in staff and provider members only; never cached
(Cache-Control: private, no-store).
"""

from django.urls import path

from feedback import views_exports as views

app_name = "insights_exports"

urlpatterns = [
    path("export.csv", views.public_csv, name="public_csv"),
    path("export.xlsx", views.public_xlsx, name="public_xlsx"),
    path("intern/export.csv", views.staff_csv, name="staff_csv"),
    path("intern/export.xlsx", views.staff_xlsx, name="staff_xlsx"),
]
