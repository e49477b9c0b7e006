"""The site's URLs with the API and the exports, until config.urls includes them."""

from django.urls import include, path

from config import urls as site_urls

urlpatterns = [
    path("api/v1/", include("feedback.urls_api")),
    path("cijfers/", include("feedback.urls_exports")),
    *site_urls.urlpatterns,
]

handler404 = site_urls.handler404
handler500 = site_urls.handler500
