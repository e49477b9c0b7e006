"""The respondent's survey pages. A code opens a session; the code then leaves the address bar.

Every response here carries Referrer-Policy: no-referrer and Cache-Control: no-store, and none
of them says what the survey is about before the respondent has opened it with a code.
"""

from __future__ import annotations

import secrets
from functools import wraps

from django import forms
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.crypto import constant_time_compare
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from feedback import safeguarding
from feedback.invitations import find_open_invitation
from feedback.models import Invitation, SurveyDraft
from feedback.survey import STEPS, StepForm, questions_for, save_step, submit

SESSION_KEY = "survey_invitation"
CODE_KEY = "survey_code_hash"  # which code opened the session: a renewed code closes it
PREFILL_KEY = "survey_prefill"  # show saved answers only to the session that saved them
SEEN_KEY = "survey_seen"  # last activity, for the idle timeout
TOKEN_KEY = "survey_form_token"
FLAG_KEY = "survey_show_help"


def survey_form(view):
    """Survey forms carry their own token instead of Django's CSRF check.

    The survey pages send Referrer-Policy: no-referrer, so browsers post them with
    `Origin: null` and no Referer, which Django's CSRF middleware rejects. Each survey session
    holds a random form token instead; every POST must carry it (see `_token_ok`).
    """
    return csrf_exempt(view)


def _form_token(request: HttpRequest) -> str:
    token = request.session.get(TOKEN_KEY)
    if not token:
        token = secrets.token_urlsafe(24)
        request.session[TOKEN_KEY] = token
    return token


def _token_ok(request: HttpRequest) -> bool:
    sent = request.POST.get("formtoken", "")
    kept = request.session.get(TOKEN_KEY, "")
    return bool(sent and kept) and constant_time_compare(sent, kept)


def private_page(view):
    """No referrer to other sites, nothing kept in a cache, not for search engines."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        add_never_cache_headers(response)
        response["Referrer-Policy"] = "no-referrer"
        response["X-Robots-Tag"] = "noindex, nofollow"
        return response

    return wrapper


class CodeForm(forms.Form):
    """The code from the letter, e-mail or text message."""

    code = forms.CharField(
        label=_("Jouw code"),
        max_length=80,
        help_text=_("Je vindt de code in de brief, de e-mail of de sms."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )


def _current_invitation(request: HttpRequest) -> Invitation | None:
    """The invitation of this survey session, while its code is still the one that opened it."""
    pk = request.session.get(SESSION_KEY)
    if pk is None:
        return None
    invitation = Invitation.objects.select_related("case").filter(pk=pk).first()
    now = timezone.now().timestamp()
    idle = now - request.session.get(SEEN_KEY, 0) > settings.SURVEY_IDLE_MINUTES * 60
    if (
        invitation is None
        or invitation.used
        or invitation.case.no_invite
        or invitation.code_hash != request.session.get(CODE_KEY)
        or invitation.expires_at <= timezone.now()
        or idle
    ):
        for key in (SESSION_KEY, CODE_KEY, PREFILL_KEY, SEEN_KEY):
            request.session.pop(key, None)
        return None
    request.session[SEEN_KEY] = now
    return invitation


def _draft(invitation: Invitation) -> SurveyDraft | None:
    return SurveyDraft.objects.filter(invitation=invitation).first()


def _code_problem(request: HttpRequest) -> HttpResponse:
    # One page for unknown, used and expired codes, so it reveals nothing about a code.
    return render(
        request,
        "feedback/survey/code_problem.html",
        {"form": CodeForm(), "formtoken": _form_token(request)},
    )


def _enter(request: HttpRequest, code: str) -> HttpResponse:
    invitation = find_open_invitation(code)
    if invitation is None:
        return _code_problem(request)
    draft = _draft(invitation)
    request.session.cycle_key()
    # The session ends with the browser: a shared tablet does not keep a survey open.
    request.session.set_expiry(0)
    request.session[SESSION_KEY] = invitation.pk
    request.session[CODE_KEY] = invitation.code_hash
    request.session[SEEN_KEY] = timezone.now().timestamp()
    # Answers saved in an earlier session are kept, but not shown to whoever holds the code now.
    request.session[PREFILL_KEY] = draft is None
    first = min(draft.step, len(STEPS) - 1) if draft else 0
    return redirect("survey:step", step=first + 1)


@survey_form
@private_page
@require_http_methods(["GET", "POST"])
def start(request: HttpRequest) -> HttpResponse:
    """Type the code; or carry on when this browser already opened one."""
    if request.method == "POST":
        form = CodeForm(request.POST)
        if not _token_ok(request):
            form.add_error(None, _("De pagina was verlopen. Vul je code nog een keer in."))
        elif form.is_valid():
            return _enter(request, form.cleaned_data["code"])
    else:
        form = CodeForm()
    return render(
        request,
        "feedback/survey/start.html",
        {
            "form": form,
            "resume": _current_invitation(request) is not None,
            "formtoken": _form_token(request),
        },
    )


@private_page
@require_http_methods(["GET"])
def open_code(request: HttpRequest, code: str) -> HttpResponse:
    """The link from the QR code or the e-mail: swap the code for a session and drop it."""
    return _enter(request, code)


@survey_form
@private_page
@require_http_methods(["GET", "POST"])
def step(request: HttpRequest, step: int) -> HttpResponse:
    """One screen of questions; each POST is saved before anything else happens."""
    invitation = _current_invitation(request)
    if invitation is None:
        return redirect("survey:start")
    if not 1 <= step <= len(STEPS):
        return redirect("survey:step", step=1)
    current = STEPS[step - 1]
    prefill = request.session.get(PREFILL_KEY, False)
    if request.method == "POST":
        form = StepForm(request.POST, step=current, invitation=invitation)
        if not _token_ok(request):
            form.add_error(
                None,
                _(
                    "De pagina was verlopen. Je antwoorden van deze stap zijn niet bewaard. "
                    "Probeer het nog een keer."
                ),
            )
        elif form.is_valid():
            draft = save_step(invitation, step - 1, form.cleaned_data, blanks_erase=prefill)
            if draft is None:
                return redirect("survey:done")
            answers = draft.answers
            texts = [
                answers.get("most_important_change", ""),
                answers.get("what_should_change", ""),
            ]
            if safeguarding.check(*texts).flagged:
                request.session[FLAG_KEY] = True
            if request.POST.get("richting") == "terug" and step > 1:
                return redirect("survey:step", step=step - 1)
            if step == len(STEPS):
                show_help = request.session.get(FLAG_KEY, False)
                submit(invitation)
                # Nothing of this survey stays in the browser's session.
                request.session.flush()
                if show_help:
                    request.session[FLAG_KEY] = True
                return redirect("survey:done")
            return redirect("survey:step", step=step + 1)
    else:
        draft = _draft(invitation)
        saved = dict(draft.answers) if draft and prefill else {}
        initial = {question.name: saved.get(question.name) for question in current.questions}
        form = StepForm(initial=initial, step=current, invitation=invitation)
    return render(
        request,
        "feedback/survey/step.html",
        {
            "form": form,
            "step": current,
            "number": step,
            "total": len(STEPS),
            "is_last": step == len(STEPS),
            "respondent": invitation.respondent,
            "questions": questions_for(current, invitation),
            "show_help": request.session.get(FLAG_KEY, False),
            "saved_elsewhere": not prefill,
            "formtoken": _form_token(request),
            "action": reverse("survey:step", args=(step,)),
        },
    )


@private_page
def done(request: HttpRequest) -> HttpResponse:
    """Thank you; where to find help now (always shown, stressed when an answer needs it)."""
    show_help = request.session.pop(FLAG_KEY, False)
    return render(request, "feedback/survey/done.html", {"show_help": show_help})


@private_page
def help_now(request: HttpRequest) -> HttpResponse:
    """Where to get help right now, day and night."""
    return render(request, "feedback/survey/help.html")
