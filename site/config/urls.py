"""URL configuration: accounts, admin, language switch, search, health, then Wagtail pages."""

from django.conf import settings
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from home import views as home_views

urlpatterns = [
    path("beheer/", include(wagtailadmin_urls)),
    path("documenten/", include(wagtaildocs_urls)),
    path("account/", include("allauth.urls")),
    path("taal/<str:code>/", home_views.switch_language, name="switch_language"),
    path("zoeken/", home_views.search, name="search"),
    path("gezond/", home_views.health, name="health"),
    path("m/", include("feedback.urls_survey")),
    path("p/", include("youth_panel.urls")),
    path("jongerenpanel/", include("youth_panel.urls_panel")),
    path("feedback/", include("feedback.urls")),
    path("wij-deden/", include("feedback.urls_actions")),
    path("wat-jullie-zeiden/", include("feedback.urls_inputs")),
    path("verhalen/", include("feedback.urls_stories")),
    path("cijfers/rapport/", include("feedback.urls_reports")),
    path("cijfers/", include("feedback.urls_insights")),
    path("cijfers/", include("feedback.urls_exports")),
    path("api/v1/", include("feedback.urls_api")),
    path("inspraak-acties/", include("consultations.urls")),
    path("k/", include("consultations.urls_short")),
]

if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

urlpatterns += [path("", include(wagtail_urls))]

handler404 = "home.views.page_not_found"
handler500 = "home.views.server_error"
