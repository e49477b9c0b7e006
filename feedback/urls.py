"""Pages for providers and staff: cases, invitations (the survey itself is in urls_survey)."""

from django.urls import include, path

from feedback import views_insights

app_name = "feedback"

urlpatterns = [
    path("casussen/", include("feedback.urls_cases")),
    path("uitnodigingen/", include("feedback.urls_invitations")),
    path("cijfers/", views_insights.provider_dashboard, name="provider_dashboard"),
]
