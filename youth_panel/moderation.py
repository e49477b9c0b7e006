"""Checking words before they reach the cloud: a host page per session (works without JavaScript).

A question with `moderate_words` puts each new word on "waiting"; only shown words are in the
cloud (polls.tally). Hosts show or hide words here, one plain form post per word.
"""

from __future__ import annotations

import inspect

from asgiref.sync import async_to_sync
from django.contrib import messages
from django.db import transaction
from django.db.models import Count, F, Q
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext
from django.views.decorators.http import require_http_methods

from youth_panel import live
from youth_panel.models import PollQuestion, PollSession, Word
from youth_panel.views import host_page

Status = Word.Status
ALLOWED = {Status.SHOWN, Status.HIDDEN}


def waiting_count(session: PollSession) -> int:
    """How many different words wait for a host in this session."""
    return Word.objects.filter(
        question__session=session, status=Status.WAITING, count__gt=0
    ).count()


def moderation_summary(session: PollSession) -> dict:
    """For the control page: does any question check words first, and how many words wait."""
    counts = session.questions.filter(kind=PollQuestion.Kind.WORDS).aggregate(
        moderated=Count("pk", filter=Q(moderate_words=True)),
        words=Count("pk"),
    )
    return {
        "moderated": bool(counts["moderated"]),
        "words_questions": counts["words"],
        "waiting": waiting_count(session) if counts["moderated"] else 0,
    }


def word_lists(session: PollSession) -> list[dict]:
    """Each open-words question with its words, split by status (most sent first)."""
    questions = session.questions.filter(kind=PollQuestion.Kind.WORDS).order_by("sort_order", "pk")
    words = Word.objects.filter(question__session=session, count__gt=0).order_by("-count", "text")
    by_question: dict[int, dict[str, list[Word]]] = {
        question.pk: {status: [] for status in Status.values} for question in questions
    }
    for word in words:
        if word.question_id in by_question:
            by_question[word.question_id][word.status].append(word)
    return [
        {
            "question": question,
            "waiting": by_question[question.pk][Status.WAITING],
            "shown": by_question[question.pk][Status.SHOWN],
            "hidden": by_question[question.pk][Status.HIDDEN],
        }
        for question in questions
    ]


def _announce(session_id: int) -> None:
    """Tell open screens that something changed, when live.announce_change exists."""
    announce = getattr(live, "announce_change", None)
    if announce is None:
        return
    if inspect.iscoroutinefunction(announce):
        async_to_sync(announce)(session_id)
    else:
        announce(session_id)


def set_status(session: PollSession, word: Word, status: str) -> bool:
    """Show or hide one word; True when that changed it. Screens are told after the commit."""
    with transaction.atomic():
        changed = Word.objects.filter(pk=word.pk).exclude(status=status).update(status=status)
        if changed:
            PollSession.objects.filter(pk=session.pk).update(version=F("version") + 1)
            transaction.on_commit(lambda: _announce(session.pk))
    return bool(changed)


def _done_message(word: Word, status: str) -> str:
    if status == Status.SHOWN:
        return gettext("Het woord „%(word)s” staat nu in de woordwolk.") % {"word": word.text}
    return gettext("Het woord „%(word)s” is verborgen.") % {"word": word.text}


@require_http_methods(["GET", "POST"])
@host_page
def words(request: HttpRequest, session: PollSession) -> HttpResponse:
    """The words of every open-words question: show the waiting ones, hide the wrong ones."""
    url = reverse("polls:words", args=[session.join_code])
    if request.method == "POST":
        word_id = request.POST.get("word", "")
        word = (
            Word.objects.filter(pk=int(word_id), question__session=session).first()
            if word_id.isdigit()
            else None
        )
        if word is None:
            raise Http404
        status = request.POST.get("status", "")
        if status not in ALLOWED:
            messages.error(request, gettext("Deze knop bestaat niet."))
        else:
            set_status(session, word, status)
            messages.success(request, _done_message(word, status))
        return HttpResponseRedirect(url, status=303)
    context = {
        "session": session,
        "questions": word_lists(session),
        "waiting": waiting_count(session),
    }
    return render(request, "youth_panel/words.html", context)
