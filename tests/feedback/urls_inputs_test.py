"""The site's URLs with the "wat jullie zeiden" pages, until config.urls includes them."""

from django.urls import include, path

from config import urls as site_urls

urlpatterns = [
    path("wat-jullie-zeiden/", include("feedback.urls_inputs")),
    *site_urls.urlpatterns,
]

handler404 = site_urls.handler404
handler500 = site_urls.handler500
