"""The public "wat jullie zeiden" pages (included at /wat-jullie-zeiden/, namespace "inputs")."""

from django.urls import path

from feedback import views_inputs

app_name = "inputs"

urlpatterns = [
    path("", views_inputs.overview, name="overview"),
    path("<slug:slug>/", views_inputs.core_task_detail, name="core_task"),
]
