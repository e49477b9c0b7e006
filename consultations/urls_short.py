"""Short URLs on posters (included under /k/, namespace "arrivals"): count, then redirect.

The trailing slash is optional, so the address printed on a poster works as typed, without
an extra redirect. Unknown codes count as misses for the join-code limit, as on /p/.
"""

from django.urls import re_path

from consultations import posters
from youth_panel.ratelimit import limit_code_misses

app_name = "arrivals"

urlpatterns = [
    re_path(
        r"^(?P<code>[\w-]{1,20})/(?P<channel>[\w-]{1,30})/?$",
        limit_code_misses()(posters.arrive),
        name="arrive",
    ),
]
