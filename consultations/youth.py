"""Youth rounds: the question-set form, saving a response once, and the results.

Who answered is never stored with the answers. An anonymous young person is remembered in
their own browser only (a signed cookie, best effort); a panel member gets a separate
YouthParticipation row, whose unique constraint makes it once per member. Neither points at
the response, and neither the response nor its answers hold a user, an age band, a district
or a time of day.

Public results are counts only, after the round closed (so that counts that change while
someone watches do not give away one answer), through feedback.suppression: small counts and
the counts that would give them away read "te weinig reacties", shown counts are rounded, and
percentages and means appear only for questions where no count is hidden. For a question with
more answers per person, "chose it" and "did not choose it" are protected alike: "all 12 chose
X" says as much about each of them as "2 did not".
Open answers and stories are never public here; stories wait for moderation.
"""

from __future__ import annotations

import enum
import math
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from consultations import phases
from consultations.models import (
    MAX_YOUTH_ANSWER_LENGTH,
    ConsultationPage,
    YouthAnswer,
    YouthParticipation,
    YouthQuestion,
    YouthResponse,
)
from consultations.phases import Phase
from consultations.report import small_count, youth_count
from feedback import suppression

Kind = YouthQuestion.Kind
COOKIE_SALT = "consultations.youth-round"
COOKIE_DAYS = 365
SCALE = range(1, 6)


# --- who is answering ---------------------------------------------------------------------


def panel_member_user(user):
    """The user when they answer as a youth panel member (signed in with a profile), else None."""
    if not getattr(user, "is_authenticated", False):
        return None
    from youth_panel.models import PanelMember

    return user if PanelMember.objects.filter(user=user).exists() else None


def cookie_name(consultation: ConsultationPage) -> str:
    """The cookie that remembers, in this browser only, that the questions were answered."""
    return f"jeugdstem_vragen_{consultation.pk}"


def answered_in_browser(request: HttpRequest, consultation: ConsultationPage) -> bool:
    """Whether this browser already sent the question set (best effort: cookies can be wiped)."""
    value = request.get_signed_cookie(cookie_name(consultation), default="", salt=COOKIE_SALT)
    return value == "1"


def remember_in_browser(
    response: HttpResponse, request: HttpRequest, consultation: ConsultationPage
) -> None:
    """Set the signed cookie; it holds nothing but "1"."""
    response.set_signed_cookie(
        cookie_name(consultation),
        "1",
        salt=COOKIE_SALT,
        max_age=COOKIE_DAYS * 24 * 60 * 60,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def already_took_part(request: HttpRequest, consultation: ConsultationPage) -> bool:
    """A panel member by their participation record; anyone else by the browser's cookie."""
    member = panel_member_user(request.user)
    if member is not None:
        return YouthParticipation.objects.filter(consultation=consultation, user=member).exists()
    return answered_in_browser(request, consultation)


def closed_message(consultation: ConsultationPage) -> str:
    """Why the questions cannot be answered now, in plain words."""
    when = (
        consultation.opens_at if consultation.phase == Phase.ANNOUNCED else consultation.closes_at
    )
    date = formats.date_format(when, "j F Y, H:i")
    if consultation.phase == Phase.ANNOUNCED:
        return _("De vragen zijn nog niet open. Je kunt ze invullen vanaf %(date)s.") % {
            "date": date
        }
    return _("De vragen zijn gesloten sinds %(date)s. Invullen kan niet meer.") % {"date": date}


# --- the form -----------------------------------------------------------------------------


def field_name(question: YouthQuestion) -> str:
    """The form field of a question."""
    return f"vraag_{question.pk}"


def consent_name(question: YouthQuestion) -> str:
    """The consent checkbox of a story question."""
    return f"vraag_{question.pk}_toestemming"


REQUIRED = gettext_lazy("Geef een antwoord op deze vraag.")
TOO_LONG = gettext_lazy(
    "Je tekst is te lang. Hij mag hoogstens %(limit_value)d tekens zijn. "
    "Nu zijn het er %(show_value)d."
)


class QuestionSetForm(forms.Form):
    """All questions of a youth round on one page; a token makes a double post count once."""

    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, questions: list[YouthQuestion], **kwargs):
        kwargs.setdefault("initial", {}).setdefault("token", uuid.uuid4())
        super().__init__(*args, **kwargs)
        self.questions = questions
        errors = {"required": REQUIRED, "max_length": TOO_LONG}
        for question in questions:
            name = field_name(question)
            if question.kind in (Kind.OPEN, Kind.STORY):
                self.fields[name] = forms.CharField(
                    label=question.text,
                    required=question.required,
                    max_length=MAX_YOUTH_ANSWER_LENGTH,
                    widget=forms.Textarea(attrs={"rows": 5}),
                    error_messages=errors,
                )
                if question.kind == Kind.STORY:
                    self.fields[consent_name(question)] = forms.BooleanField(
                        label=_("Mijn verhaal mag anoniem gebruikt worden op de website"),
                        required=False,
                    )
            elif question.kind == Kind.MULTIPLE:
                self.fields[name] = forms.MultipleChoiceField(
                    label=question.text,
                    required=question.required,
                    choices=_choices(question),
                    widget=forms.CheckboxSelectMultiple,
                    error_messages={**errors, "invalid_choice": REQUIRED},
                )
            else:
                choices = (
                    [(str(n), str(n)) for n in SCALE]
                    if question.kind == Kind.SCALE
                    else _choices(question)
                )
                self.fields[name] = forms.ChoiceField(
                    label=question.text,
                    required=question.required,
                    choices=choices,
                    widget=forms.RadioSelect,
                    error_messages={**errors, "invalid_choice": REQUIRED},
                )

    def clean(self):
        """At most N choices for multiple choice; and something must be answered."""
        cleaned = super().clean()
        for question in self.questions:
            chosen = cleaned.get(field_name(question))
            if question.kind == Kind.MULTIPLE and chosen and len(chosen) > question.max_choices:
                self.add_error(
                    field_name(question),
                    _("Kies er hoogstens %(max)s.") % {"max": question.max_choices},
                )
        if not self.errors and not self.answers():
            raise forms.ValidationError(
                _("Je hebt nog niets ingevuld. Beantwoord minstens één vraag.")
            )
        return cleaned

    def answers(self) -> list[YouthAnswer]:
        """The answers as unsaved rows (without their response)."""
        rows: list[YouthAnswer] = []
        for question in self.questions:
            value = self.cleaned_data.get(field_name(question))
            if not value:
                continue
            if question.kind in (Kind.OPEN, Kind.STORY):
                consent = bool(self.cleaned_data.get(consent_name(question)))
                rows.append(
                    YouthAnswer(
                        question=question,
                        text=value,
                        story_consent=consent,
                        story_status=(
                            YouthAnswer.StoryStatus.PENDING
                            if question.kind == Kind.STORY and consent
                            else YouthAnswer.StoryStatus.NONE
                        ),
                    )
                )
            elif question.kind == Kind.SCALE:
                rows.append(YouthAnswer(question=question, number=int(value)))
            else:
                options = question.options()
                for index in value if isinstance(value, list) else [value]:
                    rows.append(YouthAnswer(question=question, choice=options[int(index) - 1]))
        return rows


def _choices(question: YouthQuestion) -> list[tuple[str, str]]:
    # The position is sent, the text is stored: a phone never posts free text as a choice.
    return [(str(n), option) for n, option in enumerate(question.options(), start=1)]


# --- saving -------------------------------------------------------------------------------


class Saved(enum.Enum):
    """What became of a posted question set."""

    SAVED = "saved"
    ALREADY_SAVED = "already_saved"  # the same form was posted before: counted once
    TOOK_PART = "took_part"  # this panel member answered before, with another form


def save_response(
    consultation: ConsultationPage,
    answers: list[YouthAnswer],
    token: uuid.UUID,
    member=None,
) -> Saved:
    """Store the answers once: per form token, and per panel member when one is given."""
    today = phases.now().date()
    try:
        with transaction.atomic():
            if member is not None:
                YouthParticipation.objects.create(
                    consultation=consultation, user=member, took_part_on=today
                )
            response = YouthResponse.objects.create(
                consultation=consultation, submitted_on=today, submission_token=token
            )
            for answer in answers:
                answer.response = response
            YouthAnswer.objects.bulk_create(answers)
    except IntegrityError:
        if YouthResponse.objects.filter(submission_token=token).exists():
            return Saved.ALREADY_SAVED
        if (
            member is not None
            and YouthParticipation.objects.filter(consultation=consultation, user=member).exists()
        ):
            return Saved.TOOK_PART
        raise
    return Saved.SAVED


# --- results ------------------------------------------------------------------------------


@dataclass
class OptionResult:
    """One answer of a choice or scale question with how often it was given."""

    label: str
    count: int
    percent: float | None = None  # of the young people who answered this question


@dataclass
class QuestionResult:
    """The exact results of one question, for staff."""

    question: YouthQuestion
    respondents: int
    options: list[OptionResult] = field(default_factory=list)
    mean: float | None = None
    stories_with_consent: int = 0
    stories_pending: int = 0
    texts: list[str] = field(default_factory=list)

    @property
    def is_text(self) -> bool:
        """Open question or story: counted, never tallied per value."""
        return self.question.kind in (Kind.OPEN, Kind.STORY)


def results(consultation: ConsultationPage, with_texts: bool = False) -> list[QuestionResult]:
    """Per question: how many answered, counts and percentages, the scale's mean.

    With `with_texts`, the open answers (not the stories) in random order, for staff.
    """
    questions = consultation.youth_question_list()
    answers = YouthAnswer.objects.filter(question__in=questions).values(
        "question_id", "response_id", "choice", "number", "text", "story_consent", "story_status"
    )
    by_question: dict[int, list[dict]] = {question.pk: [] for question in questions}
    for answer in answers:
        by_question[answer["question_id"]].append(answer)
    found = []
    for question in questions:
        rows = by_question[question.pk]
        respondents = len({row["response_id"] for row in rows})
        result = QuestionResult(question, respondents)
        if question.kind in (Kind.SINGLE, Kind.MULTIPLE, Kind.SCALE):
            if question.kind == Kind.SCALE:
                labels = [str(n) for n in SCALE]
                counts = Counter(str(row["number"]) for row in rows)
                numbers = [row["number"] for row in rows]
                result.mean = sum(numbers) / len(numbers) if numbers else None
            else:
                labels = question.options()
                counts = Counter(row["choice"] for row in rows)
            result.options = [
                OptionResult(
                    label,
                    counts.get(label, 0),
                    100 * counts.get(label, 0) / respondents if respondents else None,
                )
                for label in labels
            ]
        elif question.kind == Kind.STORY:
            result.stories_with_consent = sum(1 for row in rows if row["story_consent"])
            result.stories_pending = sum(
                1 for row in rows if row["story_status"] == YouthAnswer.StoryStatus.PENDING
            )
        elif with_texts:
            result.texts = [row["text"] for row in rows]
            random.SystemRandom().shuffle(result.texts)
        found.append(result)
    return found


@dataclass
class PublicRow:
    """One row of a public result table: counts as text, small ones hidden."""

    label: str
    count: str
    percent: str = ""


@dataclass
class PublicQuestion:
    """One question's public result."""

    text: str
    kind: str
    kind_label: str
    respondents: str
    rows: list[PublicRow] = field(default_factory=list)
    mean: str = ""
    hidden: bool = False  # some count is hidden: no percentages, no mean


def _percent(value: float) -> str:
    return f"{formats.number_format(value, 0)}%"


def _count_text(cell: suppression.Cell) -> str:
    if not cell.shown:
        return _("te weinig reacties")
    return formats.number_format(cell.value)


def _percent_text(cell: suppression.Cell) -> str:
    if not cell.shown or cell.percent is None:
        return ""
    return f"{formats.number_format(cell.percent)}%"


def public_question(result: QuestionResult) -> PublicQuestion:
    """The public form of one question's result: counts only, through feedback.suppression."""
    question = result.question
    counts = [option.count for option in result.options]
    shown = PublicQuestion(
        text=question.text,
        kind=question.kind,
        kind_label=str(question.get_kind_display()),
        respondents=youth_count(result.respondents),
    )
    if question.kind in (Kind.SINGLE, Kind.SCALE) and counts:
        # One answer each: the options and their total form one table.
        table = suppression.suppress_breakdown(counts, public=True, percent=True)
        shown.respondents = _count_text(table.total)
        shown.hidden = table.has_hidden
        shown.rows = [
            PublicRow(
                option.label, _count_text(cell), "" if table.has_hidden else _percent_text(cell)
            )
            for option, cell in zip(result.options, table.cells, strict=True)
        ]
    elif counts:
        base_shown = result.respondents >= small_count()
        for option in result.options:
            chose, did_not = option.count, max(0, result.respondents - option.count)
            cell = suppression.suppress_breakdown([chose, did_not], public=True).cells[0]
            percent = ""
            if cell.shown and base_shown and result.respondents >= suppression.min_n_percent():
                # Half up, as feedback.suppression rounds percentages.
                percent = _percent(math.floor(100 * chose / result.respondents + 0.5))
            shown.hidden = shown.hidden or not cell.shown
            shown.rows.append(PublicRow(option.label, _count_text(cell), percent))
        if shown.hidden:
            for row in shown.rows:
                row.percent = ""
    if question.kind == Kind.SCALE and not shown.hidden and result.mean is not None:
        shown.mean = formats.number_format(result.mean, 1)
    return shown


def public_summary(consultation: ConsultationPage) -> dict:
    """What the trail and the response report show of the youth round ("Wat zeiden jongeren?").

    Empty when the consultation has no youth round. Results appear once the round closed.
    """
    if not consultation.has_youth_round:
        return {}
    total = YouthResponse.objects.filter(consultation=consultation).count()
    closed = consultation.phase in (Phase.CLOSED, Phase.ANSWERED)
    return {
        "youth_round": {
            "question_count": consultation.youth_questions.count(),
            "total": youth_count(total),
            "closed": closed,
            "questions": [public_question(r) for r in results(consultation)] if closed else [],
            "small_count": small_count(),
            "rounding": settings.PUBLIC_COUNT_ROUNDING,
        }
    }
