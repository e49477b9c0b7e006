"""The public pages "Wat jullie zeiden": all input per core task (at /wat-jullie-zeiden/)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse

from feedback import inputs
from home.models import CoreTask


def overview(request: HttpRequest) -> HttpResponse:
    """The four core tasks, each with how many reactions came in per source."""
    return TemplateResponse(request, "feedback/inputs/overview.html", {"items": inputs.overview()})


def core_task_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """What young people, parents and partners said about one core task."""
    core_task = get_object_or_404(CoreTask, slug=slug)
    return TemplateResponse(
        request,
        "feedback/inputs/core_task.html",
        {
            "data": inputs.core_task_input(core_task),
            "core_task": core_task,
            "min_texts": inputs.minimum_texts(),
        },
    )
