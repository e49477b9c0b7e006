"""URLs for the cases pages (included under /feedback/casussen/, app namespace "feedback")."""

from django.urls import path

from feedback import views_cases as views

urlpatterns = [
    path("", views.case_list, name="case_list"),
    path("nieuw/", views.case_add, name="case_add"),
    path("<int:pk>/opgeslagen/", views.case_saved, name="case_saved"),
    path("bestand/", views.case_upload, name="case_upload"),
    path("bestand/klaar/", views.case_upload_done, name="case_upload_done"),
    path("bestand/voorbeeld.csv", views.case_template, name="case_template"),
]
