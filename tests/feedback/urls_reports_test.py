"""The site's URLs with the half-year reports, until config.urls includes them."""

from django.urls import include, path

from config import urls as site_urls

urlpatterns = [
    path("cijfers/rapport/", include("feedback.urls_reports")),
    *site_urls.urlpatterns,
]

handler404 = site_urls.handler404
handler500 = site_urls.handler500
