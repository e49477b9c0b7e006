"""The public page "Jullie zeiden, wij deden": published actions per core task."""

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from feedback.actions import published_actions_by_core_task


def action_list(request: HttpRequest) -> HttpResponse:
    """Published actions per core task, each with the input that led to it."""
    return TemplateResponse(
        request, "feedback/actions/list.html", {"groups": published_actions_by_core_task()}
    )
