"""Live poll pages over HTTP: join by code, vote on a phone, presenter screen, control, results.

Every page works without JavaScript. poll.js only refreshes what is on screen from the snapshot
(`stand.json`); a vote is always a plain form post. A participant is a random id in a signed,
httpOnly cookie: one vote per phone per question, best effort (live room mode).
"""

from __future__ import annotations

import csv
import io
import uuid
from functools import wraps

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    JsonResponse,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods

from feedback.delivery import safe_csv_cell
from youth_panel import counted, live, polls, rules
from youth_panel.models import PollQuestion, PollSession, Vote

Kind = PollQuestion.Kind
PARTICIPANT_COOKIE = "deelnemer"
PARTICIPANT_SALT = "youth_panel.participant"
PARTICIPANT_MAX_AGE = 24 * 60 * 60
# Errors about the moment (not the answer): the same post can be right a minute earlier.
CONFLICT_ERRORS = {"closed", "not_current"}
CHOICE_KINDS = {Kind.SINGLE, Kind.SCALE, Kind.YES_NO}
ACTION_DONE = {
    "start": _("De peiling is gestart. Stemmen kan nu."),
    "open": _("Stemmen kan nu."),
    "close": _("Stemmen is gesloten."),
    "show": _("De uitslag staat in beeld."),
    "hide": _("De uitslag is niet meer in beeld."),
    "previous": _("Je bent terug bij de vorige vraag. Stemmen kan nu."),
    "next": _("De volgende vraag staat klaar. Stemmen kan nu."),
    "end": _("De peiling is klaar."),
}


# --- looking up a session and a participant -------------------------------------------------


def normalise_code(text: str) -> str:
    """A typed join code without spaces or dashes, in capitals."""
    return "".join(text.split()).replace("-", "").upper()


def find_session(code: str) -> PollSession | None:
    """The session with this join code, however it was typed."""
    code = normalise_code(code)
    # Join codes are letters and digits; anything else (NUL: a 500 on PostgreSQL) is unknown.
    if not code or not code.isalnum():
        return None
    return PollSession.objects.filter(join_code=code).first()


def participant_id(request: HttpRequest) -> str | None:
    """The participant's id from the signed cookie; None when missing, expired or forged."""
    value = request.get_signed_cookie(
        PARTICIPANT_COOKIE, default=None, salt=PARTICIPANT_SALT, max_age=PARTICIPANT_MAX_AGE
    )
    if value and len(value) == 32 and all(ch in "0123456789abcdef" for ch in value):
        return value
    return None


def participant_from_cookie(raw: str | None) -> str | None:
    """The participant id in a raw `deelnemer` cookie value, for code without an HttpRequest.

    Reads through HttpRequest.get_signed_cookie(), so it follows Django's cookie salt scheme
    (which changed in 5.2.x) exactly as set_signed_cookie() writes it.
    """
    request = HttpRequest()
    if raw:
        request.COOKIES[PARTICIPANT_COOKIE] = raw
    return participant_id(request)


def _set_participant(response: HttpResponse, request: HttpRequest, participant: str) -> None:
    response.set_signed_cookie(
        PARTICIPANT_COOKIE,
        participant,
        salt=PARTICIPANT_SALT,
        max_age=PARTICIPANT_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def session_page(view):
    """Find the session from the code in the URL (404 when unknown); never cached."""

    @wraps(view)
    def wrapper(request: HttpRequest, code: str, *args, **kwargs) -> HttpResponse:
        session = find_session(code)
        if session is None:
            raise Http404
        response = view(request, session, *args, **kwargs)
        add_never_cache_headers(response)
        return response

    return wrapper


def host_page(view):
    """Signed in (else to the login page) and allowed to run this session (else 403).

    Checked on every request, POST included: rights taken away mid-session stop at once.
    """

    @session_page
    @wraps(view)
    def wrapper(request: HttpRequest, session: PollSession, *args, **kwargs) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not rules.can_host(request.user, session):
            raise PermissionDenied
        return view(request, session, *args, **kwargs)

    return wrapper


# --- what a page shows ----------------------------------------------------------------------


def _current(session: PollSession) -> PollQuestion | None:
    if session.status != PollSession.Status.RUNNING:
        return None
    return session.current_question


def _position(session: PollSession, question: PollQuestion | None) -> dict:
    """Which question this is: {"number": 2, "total": 5} (number 0 before the start)."""
    ids = [q.pk for q in session.ordered_questions()]
    number = ids.index(question.pk) + 1 if question is not None and question.pk in ids else 0
    return {"number": number, "total": len(ids)}


def _answer_text(question: PollQuestion, answer) -> str:
    """A stored answer in words, for the acknowledgement."""
    if question.kind == Kind.WORDS:
        return ", ".join(answer)
    labels = [option.label for option in polls.options(question)]
    if question.kind == Kind.RANKING:
        return ", ".join(f"{rank}. {labels[index]}" for rank, index in enumerate(answer, 1))
    indexes = answer if isinstance(answer, list) else [answer]
    return ", ".join(labels[index] for index in indexes if 0 <= index < len(labels))


def _tally(question: PollQuestion, mine=None) -> dict:
    """polls.tally() with this participant's own choices marked."""
    result = polls.tally(question)
    chosen = mine if isinstance(mine, list) else [mine]
    if question.kind in CHOICE_KINDS | {Kind.MULTIPLE}:
        for index, row in enumerate(result["options"]):
            row["mine"] = mine is not None and index in chosen
    return result


def snapshot(session: PollSession, *, with_tally: bool) -> dict:
    """Where the session stands, as phones and the presenter screen fetch it."""
    question = _current(session)
    data: dict = {
        "type": "state",
        "version": session.version,
        "status": session.status,
        "question": None,
        "voting_open": session.voting_open,
        "results_visible": session.results_visible,
        "participants": polls.participant_count(session),
    }
    if question is not None:
        data["question"] = {
            "id": question.pk,
            "text": question.text,
            "kind": question.kind,
            "options": [option.label for option in polls.options(question)],
            **_position(session, question),
        }
        if with_tally or session.results_visible:
            data["tally"] = polls.tally(question)
    return data


def _live_texts() -> dict:
    """Interface text for poll.js, translated here (no text lives in the script)."""
    return {
        "position": gettext("Vraag {number} van {total}"),
        "open": gettext("Stemmen kan nu."),
        "closed": gettext("Stemmen is gesloten."),
        "participantsOne": gettext("{count} deelnemer"),
        "participantsOther": gettext("{count} deelnemers"),
        "votesOne": gettext("{count} stem"),
        "votesOther": gettext("{count} stemmen"),
        "option": gettext("Antwoord"),
        "votes": gettext("Stemmen"),
        "percent": gettext("Procent"),
        "rank": gettext("Gemiddelde plek"),
        "timesOne": gettext("{count} keer"),
        "timesOther": gettext("{count} keer"),
        "rankHint": gettext("Een lage plek is belangrijker."),
        "noVotes": gettext("Nog geen stemmen."),
        "noWords": gettext("Nog geen woorden."),
        "resultsHidden": gettext("De uitslag komt straks in beeld."),
        "newQuestion": gettext("Nieuwe vraag: {text}"),
        "resultsShown": gettext("De uitslag staat in beeld."),
        "results": gettext("Uitslag"),
        "sending": gettext("Bezig met versturen…"),
        "voteIn": gettext("Je stem is binnen."),
        "voteInTitle": gettext("Je stem is binnen"),
        "youChose": gettext("Jij koos:"),
        "youSent": gettext("Jij stuurde:"),
        "canChange": gettext("Je mag je stem nog veranderen zolang stemmen open is."),
        "wordsModerated": gettext(
            "Een woord komt pas op het scherm als iemand het heeft goedgekeurd."
        ),
        "changeVote": gettext("Verander mijn stem"),
    }


def qr_svg(url: str) -> SafeString:
    """A QR code to `url` as inline SVG (used by the presenter, code sheets and posters)."""
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage)
    # Safe: the markup comes from the qrcode library; the URL is ours.
    return mark_safe(image.to_string(encoding="unicode"))


def _announce(session: PollSession) -> None:
    """A vote came in over HTTP: count it as a change, so every connected screen refreshes."""
    PollSession.objects.filter(pk=session.pk).update(version=F("version") + 1)
    live.announce_change(session.pk)


# --- join -----------------------------------------------------------------------------------


class JoinForm(forms.Form):
    """The code from the big screen."""

    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("De code staat op het grote scherm. Kleine letters en spaties mogen."),
    )

    def clean_code(self) -> PollSession:
        """Give back the session, or say kindly that the code is unknown."""
        session = find_session(self.cleaned_data["code"])
        if session is None:
            raise ValidationError(
                _("We kennen deze code niet. Kijk nog een keer op het scherm en typ hem opnieuw.")
            )
        return session


def _join_page(request: HttpRequest, form: JoinForm, status: int = 200) -> HttpResponse:
    response = render(request, "youth_panel/join.html", {"form": form}, status=status)
    add_never_cache_headers(response)
    return response


@require_GET
def join(request: HttpRequest) -> HttpResponse:
    """Type the code; a known code goes to the phone view."""
    if "code" not in request.GET:
        return _join_page(request, JoinForm())
    form = JoinForm(request.GET)
    if form.is_valid():
        return redirect("polls:phone", code=form.cleaned_data["code"].join_code)
    return _join_page(request, form)


# --- phone ----------------------------------------------------------------------------------


def _posted_question(session: PollSession, data: QueryDict) -> PollQuestion:
    question_id = data.get("question", "")
    question = (
        session.questions.filter(pk=int(question_id)).first() if question_id.isdigit() else None
    )
    if question is None:
        raise polls.VoteError(
            "bad_message", gettext("Er ging iets mis met je stem. Probeer het nog een keer.")
        )
    return question


def _ranks(question: PollQuestion, data: QueryDict) -> dict[int, int]:
    """The place (1..n) that the form gave each option; unreadable places are left out."""
    ranks = {}
    for option in polls.options(question):
        value = data.get(f"rank-{option.index}", "")
        if value.isdigit():
            ranks[option.index] = int(value)
    return ranks


def _raw_answer(question: PollQuestion, data: QueryDict):
    """The form's fields in the shape polls.clean_answer() checks."""
    if question.kind == Kind.MULTIPLE:
        return data.getlist("answer")
    if question.kind == Kind.WORDS:
        return [part for field in data.getlist("word") for part in field.split(",")]
    if question.kind == Kind.RANKING:
        ranks = _ranks(question, data)
        count = len(polls.options(question))
        if sorted(ranks.values()) != list(range(1, count + 1)):
            return []  # not every place once: clean_answer() says what to do
        return sorted(ranks, key=ranks.__getitem__)
    return data.get("answer")


def _form_state(question: PollQuestion, answer, data: QueryDict | None) -> dict:
    """What the form shows as filled in: the posted values after an error, else the stored vote."""
    count = len(polls.options(question))
    chosen: set[int] = set()
    ranks = {index: index + 1 for index in range(count)}
    words = [""] * polls.MAX_WORDS
    if data is not None:
        values = data.getlist("answer")
        chosen = {int(v) for v in values if v.isdigit()}
        ranks.update(_ranks(question, data))
        posted = data.getlist("word")[: polls.MAX_WORDS]
        words = [*posted, "", "", ""][: polls.MAX_WORDS]
    elif answer is not None:
        if question.kind == Kind.RANKING:
            ranks = {index: rank for rank, index in enumerate(answer, 1)}
        elif question.kind == Kind.WORDS:
            words = [*answer, "", "", ""][: polls.MAX_WORDS]
        else:
            chosen = set(answer if isinstance(answer, list) else [answer])
    choices = [
        {
            "index": option.index,
            "label": option.label,
            "emoji": option.emoji,
            "checked": option.index in chosen,
            "rank": ranks.get(option.index, option.index + 1),
        }
        for option in polls.options(question)
    ]
    return {"choices": choices, "words": words, "places": range(1, count + 1)}


def _phone_context(
    request: HttpRequest,
    session: PollSession,
    participant: str,
    error: polls.VoteError | None = None,
    posted: QueryDict | None = None,
) -> dict:
    question = _current(session)
    context: dict = {
        "session": session,
        "question": question,
        "error": error,
        "can_see_results": rules.can_see_results(request.user, session),
        "snapshot_url": reverse("polls:snapshot", args=[session.join_code]),
        "live_texts": _live_texts(),
    }
    if question is None:
        return context
    vote = Vote.objects.filter(question=question, participant=participant).first()
    answer = vote.answer if vote is not None else None
    same_question = posted is not None and posted.get("question") == str(question.pk)
    context.update(
        _form_state(question, answer, posted if same_question else None),
        position=_position(session, question),
        vote=vote,
        answer_text=_answer_text(question, answer) if vote is not None else "",
        vote_id=uuid.uuid4().hex,
        max_words=polls.MAX_WORDS,
        tally=_tally(question, answer) if session.results_visible else None,
    )
    return context


@require_http_methods(["GET", "POST"])
def phone(request: HttpRequest, code: str) -> HttpResponse:
    """The participant's phone: the current question as a form, the acknowledgement, results."""
    session = find_session(code)
    if session is None:
        form = JoinForm({"code": code})
        form.is_valid()
        return _join_page(request, form, status=404)
    if request.method == "GET" and code != session.join_code:
        return redirect("polls:phone", code=session.join_code)
    participant = counted.participant_for_request(request, session)
    counted_mode = session.mode == PollSession.Mode.COUNTED
    if participant is None and counted_mode and session.status != PollSession.Status.ENDED:
        # Counted: no account and no code yet, so first the page to type the paper code.
        response = HttpResponseRedirect(
            reverse("polls:enter_code", args=[session.join_code]), status=303
        )
        add_never_cache_headers(response)
        return response
    new_participant = participant is None and not counted_mode
    if participant is None:
        participant = "" if counted_mode else uuid.uuid4().hex
    error, status = None, 200
    if request.method == "POST":
        try:
            question = _posted_question(session, request.POST)
            raw = _raw_answer(question, request.POST)
            _, changed = polls.cast_vote(
                session, question, participant, request.POST.get("vote_id", ""), raw
            )
        except polls.VoteError as exc:
            error = exc
            if exc.code == "unknown_option" and not request.POST.getlist("answer"):
                error = polls.VoteError("empty", gettext("Kies eerst een antwoord."))
            status = 409 if exc.code in CONFLICT_ERRORS else 400
        else:
            if changed:
                _announce(session)
            # 303: the browser fetches the page again with GET, so a reload does not re-post.
            response = HttpResponseRedirect(
                reverse("polls:phone", args=[session.join_code]), status=303
            )
            if new_participant:
                _set_participant(response, request, participant)
            add_never_cache_headers(response)
            return response
    context = _phone_context(request, session, participant, error, request.POST or None)
    response = render(request, "youth_panel/phone.html", context, status=status)
    if new_participant:
        _set_participant(response, request, participant)
    add_never_cache_headers(response)
    return response


@require_GET
@session_page
def snapshot_json(request: HttpRequest, session: PollSession) -> JsonResponse:
    """The session's state for poll.js; the tally only once it is shown (hosts always get it)."""
    data = snapshot(session, with_tally=rules.can_host(request.user, session))
    return JsonResponse(data)


# --- hosts ----------------------------------------------------------------------------------


@require_GET
@host_page
def presenter(request: HttpRequest, session: PollSession) -> HttpResponse:
    """The projector: QR code, join code, participants, the current question and its results."""
    question = _current(session)
    phone_url = request.build_absolute_uri(reverse("polls:phone", args=[session.join_code]))
    join_url = request.build_absolute_uri(reverse("polls:join"))
    context = {
        "session": session,
        "question": question,
        "position": _position(session, question),
        "options": polls.options(question) if question is not None else [],
        "participants": polls.participant_count(session),
        "tally": polls.tally(question) if question and session.results_visible else None,
        "qr": qr_svg(phone_url),
        "phone_url": phone_url.split("://", 1)[-1],
        "join_url": join_url.split("://", 1)[-1],
        "snapshot_url": reverse("polls:snapshot", args=[session.join_code]),
        "live_texts": _live_texts(),
    }
    return render(request, "youth_panel/presenter.html", context)


@require_http_methods(["GET", "POST"])
@host_page
def control(request: HttpRequest, session: PollSession) -> HttpResponse:
    """The host's buttons: start, open and close voting, show results, move on, end."""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            polls.control(session, action)
        except polls.VoteError as exc:
            messages.error(request, exc.message)
        else:
            live.announce_change(session.pk)
            messages.success(request, ACTION_DONE[action])
        return HttpResponseRedirect(reverse("polls:control", args=[session.join_code]), status=303)
    question = _current(session)
    position = _position(session, question)
    context = {
        "session": session,
        "question": question,
        "position": position,
        "participants": polls.participant_count(session),
        "tally": polls.tally(question) if question is not None else None,
        "running": session.status == PollSession.Status.RUNNING,
        "has_previous": position["number"] > 1,
        "has_next": 0 < position["number"] < position["total"],
    }
    return render(request, "youth_panel/control.html", context)


# --- results --------------------------------------------------------------------------------


@require_GET
@session_page
def results(request: HttpRequest, session: PollSession) -> HttpResponse:
    """Every question with its results: public after the session when it says so, else hosts."""
    if not rules.can_see_results(request.user, session):
        raise PermissionDenied
    questions = [(question, polls.tally(question)) for question in session.ordered_questions()]
    context = {
        "session": session,
        "questions": questions,
        "is_host": rules.can_host(request.user, session),
        "participants": polls.participant_count(session),
    }
    return render(request, "youth_panel/results.html", context)


def _number(value: float | None) -> str:
    # Dutch spreadsheets read a decimal comma (the file is ;-separated for the same reason).
    return "" if value is None else str(value).replace(".", ",")


def results_csv_text(session: PollSession) -> str:
    """The results as CSV, one row per option or word: question;option;count;percent;average_rank.

    Words fill option and count; ranking questions fill average_rank only. Every cell goes
    through safe_csv_cell(), so a label cannot start a spreadsheet formula.
    """
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")  # quotes a bare \r too
    writer.writerow(["question", "option", "count", "percent", "average_rank"])
    for question in session.ordered_questions():
        result = polls.tally(question)
        if question.kind == Kind.WORDS:
            rows = [[word["text"], word["count"], "", ""] for word in result["words"]]
        elif question.kind == Kind.RANKING:
            rows = [
                [row["label"], "", "", _number(row["average_rank"])] for row in result["options"]
            ]
        else:
            rows = [[row["label"], row["count"], row["percent"], ""] for row in result["options"]]
        for row in rows:
            writer.writerow([safe_csv_cell(cell) for cell in [question.text, *row]])
    return out.getvalue()


@require_GET
@host_page
def results_csv(request: HttpRequest, session: PollSession) -> HttpResponse:
    """Download the results of every question (hosts only)."""
    response = HttpResponse(results_csv_text(session), content_type="text/csv; charset=utf-8")
    filename = f"peiling-{session.join_code}-uitslag.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
