"""The public dashboard (included under /cijfers/, app namespace "insights")."""

from django.urls import path

from feedback import views_insights as views

app_name = "insights"

urlpatterns = [
    path("", views.public_dashboard, name="public"),
]
