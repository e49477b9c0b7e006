"""A URLconf with a view that fails, to see the friendly 500 page."""

from django.urls import include, path


def broken(request):
    """Always fails."""
    raise RuntimeError("boom: this must never reach the visitor")


urlpatterns = [path("kapot/", broken), path("", include("config.urls"))]
handler404 = "home.views.page_not_found"
handler500 = "home.views.server_error"
