"""The public story wall and the panel's vote for the story of the half-year."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from feedback import stories
from feedback.forms_stories import StoryVoteForm


def wall(request: HttpRequest) -> HttpResponse:
    """Published stories per half-year, the story of the half-year on top."""
    period = stories.vote_half_year()
    return TemplateResponse(
        request,
        "feedback/stories/wall.html",
        {
            "groups": stories.wall(),
            "vote_open": bool(period and stories.voting_open(period)),
            "vote_half_year_label": stories.half_year_label(period) if period else "",
        },
    )


@require_http_methods(["GET", "POST"])
def vote(request: HttpRequest) -> HttpResponse:
    """Panel members and story moderators pick the story of the newest half-year, and say why."""
    period = stories.vote_half_year()
    context: dict = {
        "half_year": period,
        "half_year_label": stories.half_year_label(period) if period else "",
        "may_vote": stories.can_vote(request.user),
    }
    if period is None:
        return TemplateResponse(request, "feedback/stories/vote.html", context)
    if not context["may_vote"]:
        status = 403 if request.method == "POST" else 200
        return TemplateResponse(request, "feedback/stories/vote.html", context, status=status)
    if not stories.voting_open(period):
        context.update(closed=True, highlight=stories.highlight(period))
        status = 409 if request.method == "POST" else 200
        return TemplateResponse(request, "feedback/stories/vote.html", context, status=status)

    current = stories.vote_of(request.user, period)
    initial = {"story": current.story_id, "why": current.why} if current else None
    form = StoryVoteForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        stories=stories.votable(period),
    )
    if request.method == "POST" and form.is_valid():
        try:
            stories.cast_vote(
                request.user, period, form.cleaned_data["story"], form.cleaned_data["why"]
            )
        except stories.VoteRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _(
                    "Je keuze is opgeslagen. Je kunt hem nog veranderen tot de gemeente het "
                    "verhaal van het halfjaar bekendmaakt."
                ),
            )
            return redirect("stories:vote")
    context.update(form=form, current=current)
    return TemplateResponse(request, "feedback/stories/vote.html", context)
