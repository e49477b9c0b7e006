"""Live poll pages (included under /p/, app namespace "polls"): short URLs for QR codes.

Per-IP limits (youth_panel.ratelimit) wrap the views here: votes and snapshots count every
request; every URL that takes a code counts codes that lead nowhere, so that no page can be
used to guess which codes exist.
"""

from django.urls import path

from youth_panel import counted_views, exports, moderation, views
from youth_panel.ratelimit import limit_code_misses, limit_requests

app_name = "polls"
code_tries = limit_code_misses()

urlpatterns = [
    path("", code_tries(views.join), name="join"),
    path(
        "<str:code>/",
        code_tries(limit_requests("votes", methods=("POST",))(views.phone)),
        name="phone",
    ),
    path("<str:code>/scherm/", code_tries(views.presenter), name="presenter"),
    path("<str:code>/bediening/", code_tries(views.control), name="control"),
    path("<str:code>/woorden/", code_tries(moderation.words), name="words"),
    path(
        "<str:code>/stand.json",
        limit_code_misses(as_json=True)(
            limit_requests("snapshot", as_json=True)(views.snapshot_json)
        ),
        name="snapshot",
    ),
    path("<str:code>/uitslag/", code_tries(views.results), name="results"),
    path("<str:code>/uitslag.csv", code_tries(views.results_csv), name="results_csv"),
    path("<str:code>/uitslag.xlsx", code_tries(exports.results_xlsx), name="results_xlsx"),
    path("<str:code>/codes/", code_tries(counted_views.codes), name="codes"),
    path(
        "<str:code>/code/",
        code_tries(limit_requests("votes", methods=("POST",))(counted_views.enter_code)),
        name="enter_code",
    ),
]
