"""URLs for the invitations pages: letters to print and texts to export, per provider."""

from django.urls import path

from feedback import views_invitations as views

urlpatterns = [
    path("", views.batch, name="invitations_batch"),
    path("brieven/", views.print_letters, name="invitations_print"),
    path("sms/", views.sms_export, name="invitations_sms"),
]
