"""The survey itself: its steps and wordings, saving each step, and submitting anonymously."""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from feedback import safeguarding
from feedback.choices import (
    AgeBand,
    Agreement,
    EndedRightMoment,
    FurtherHelp,
    GoalsReached,
    Respondent,
)
from feedback.models import Invitation, SafeguardingFlag, SurveyDraft, SurveyResponse

TEXT_MAX = 2000
MARKS = [(str(mark), str(mark)) for mark in range(1, 11)]


@dataclass(frozen=True)
class Question:
    """One question with a wording for young people and one for parents."""

    name: str
    kind: str  # mark, choice, text, consent
    youth: Promise
    parent: Promise
    choices: list[tuple[str, Promise | str]] = field(default_factory=list)

    def label(self, respondent: str) -> Promise:
        """The wording for this respondent."""
        return self.youth if respondent == Respondent.YOUTH else self.parent


@dataclass(frozen=True)
class Step:
    """One screen of the survey."""

    title: Promise
    questions: tuple[Question, ...]


def _agree(name: str, youth: Promise, parent: Promise) -> Question:
    return Question(name, "choice", youth, parent, Agreement.choices)


STEPS: tuple[Step, ...] = (
    Step(
        _("Het rapportcijfer"),
        (
            Question(
                "usefulness",
                "mark",
                _("Welk rapportcijfer geef je de hulp? 1 is heel slecht, 10 is heel goed."),
                _("Welk rapportcijfer geeft u de hulp? 1 is heel slecht, 10 is heel goed."),
                MARKS,
            ),
        ),
    ),
    Step(
        _("Hoe gaat het nu?"),
        (
            Question(
                "further_help",
                "choice",
                _("Heb je nu nog hulp nodig?"),
                _("Heeft uw kind of uw gezin nu nog hulp nodig?"),
                FurtherHelp.choices,
            ),
            Question(
                "goals_reached",
                "choice",
                _("Zijn de doelen gehaald die jullie samen hadden afgesproken?"),
                _("Zijn de doelen gehaald die u samen had afgesproken?"),
                GoalsReached.choices,
            ),
        ),
    ),
    Step(
        _("Wat is er veranderd?"),
        (
            _agree(
                "problems_reduced",
                _("Mijn problemen zijn minder geworden."),
                _("De problemen zijn minder geworden."),
            ),
            _agree("better_at_home", _("Het gaat beter thuis."), _("Het gaat beter thuis.")),
            _agree(
                "better_at_school",
                _("Het gaat beter op school of op mijn werk."),
                _("Het gaat beter op school of op het werk van mijn kind."),
            ),
            _agree("feels_safer", _("Ik voel me veiliger."), _("Mijn kind is veiliger.")),
        ),
    ),
    Step(
        _("Hoe ging de hulp?"),
        (
            _agree(
                "taken_seriously",
                _("Ik werd serieus genomen."),
                _("Ik werd serieus genomen."),
            ),
            _agree(
                "decided_together",
                _("We besloten samen wat er ging gebeuren."),
                _("We besloten samen wat er ging gebeuren."),
            ),
            _agree(
                "started_fast",
                _("De hulp begon snel genoeg."),
                _("De hulp begon snel genoeg."),
            ),
            Question(
                "ended_right_moment",
                "choice",
                _("Stopte de hulp op het goede moment?"),
                _("Stopte de hulp op het goede moment?"),
                EndedRightMoment.choices,
            ),
        ),
    ),
    Step(
        _("Vertel het ons"),
        (
            Question(
                "most_important_change",
                "text",
                _("Wat is voor jou de belangrijkste verandering? En waardoor kwam dat?"),
                _("Wat is voor u de belangrijkste verandering? En waardoor kwam dat?"),
            ),
            Question(
                "what_should_change",
                "text",
                _("Wat moet er anders?"),
                _("Wat moet er anders?"),
            ),
        ),
    ),
    Step(
        _("Mag het verhaal gebruikt worden?"),
        (
            Question(
                "consent_to_quote",
                "consent",
                _("Ja, mijn verhaal mag gebruikt worden, zonder mijn naam."),
                _("Ja, mijn verhaal mag gebruikt worden, zonder mijn naam."),
            ),
            Question(
                "parent_consent",
                "consent",
                _("Mijn ouder of verzorger vindt dit ook goed."),
                _("Mijn ouder of verzorger vindt dit ook goed."),
            ),
        ),
    ),
)
ALL_QUESTIONS = {question.name: question for step in STEPS for question in step.questions}


def needs_parent_consent(invitation: Invitation) -> bool:
    """Under-16s may be quoted only when a parent agrees as well."""
    return (
        invitation.respondent == Respondent.YOUTH and invitation.case.age_band == AgeBand.AGE_12_15
    )


def questions_for(step: Step, invitation: Invitation) -> list[Question]:
    """The questions of a step that apply to this respondent."""
    return [
        question
        for question in step.questions
        if question.name != "parent_consent" or needs_parent_consent(invitation)
    ]


class StepForm(forms.Form):
    """The fields of one step; every question may be skipped."""

    def __init__(self, *args, step: Step, invitation: Invitation, **kwargs):
        super().__init__(*args, **kwargs)
        respondent = invitation.respondent
        for question in questions_for(step, invitation):
            label = question.label(respondent)
            if question.kind in ("mark", "choice"):
                self.fields[question.name] = forms.ChoiceField(
                    label=label, choices=question.choices, required=False, widget=forms.RadioSelect
                )
            elif question.kind == "text":
                self.fields[question.name] = forms.CharField(
                    label=label,
                    required=False,
                    max_length=TEXT_MAX,
                    widget=forms.Textarea(attrs={"rows": 4}),
                )
            else:
                self.fields[question.name] = forms.BooleanField(label=label, required=False)


def save_step(
    invitation: Invitation, step_index: int, cleaned: dict, *, blanks_erase: bool = True
) -> SurveyDraft | None:
    """Keep what was answered on one step; None when the code was used meanwhile.

    `blanks_erase` is False when the respondent did not see earlier answers (a new session):
    an empty field then keeps what was saved before instead of wiping it.
    """
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.used:
            return None
        draft, _ = SurveyDraft.objects.select_for_update().get_or_create(invitation=locked)
        for name, value in cleaned.items():
            if value in ("", None, False):
                if blanks_erase:
                    draft.answers.pop(name, None)
            else:
                draft.answers[name] = value
        draft.step = max(draft.step, step_index + 1)
        draft.save()
    return draft


def half_year(month: datetime.date) -> str:
    """The half-year a month falls in, such as 2026-H1."""
    return f"{month.year}-H{1 if month.month <= 6 else 2}"


def case_categories(case) -> dict:
    """What an anonymous answer keeps of its case: categories only, never the case itself."""
    return {
        "provider": case.provider,
        "help_type": case.help_type,
        "end_reason": case.end_reason,
        "district": case.district,
        "age_band": case.age_band,
        "end_period": half_year(case.end_month),
    }


# Questions whose answers are counted per value (the open texts are not).
COUNTED_QUESTIONS = tuple(
    name for name, question in ALL_QUESTIONS.items() if question.kind in ("mark", "choice")
)


def submit(invitation: Invitation, now: datetime.datetime | None = None) -> bool:
    """Burn the code and queue the answers for release; False when it was already used.

    The answers stay in the (now submitted) draft until `release_answers` writes them as
    anonymous answers together with others; that happens at once when enough are waiting.
    """
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
        if locked.used:
            return False
        draft, _ = SurveyDraft.objects.select_for_update().get_or_create(invitation=locked)
        draft.submitted = True
        draft.save(update_fields=["submitted", "updated_at"])
        locked.used = True
        locked.contact = ""
        locked.save(update_fields=["used", "contact"])
    if SurveyDraft.objects.filter(submitted=True).count() >= settings.SURVEY_RELEASE_BATCH:
        release_answers(now)
    return True


def _response_from(draft: SurveyDraft, now: datetime.datetime) -> SurveyResponse:
    invitation = draft.invitation
    answers = dict(draft.answers)
    usefulness = answers.get("usefulness")
    consent = bool(answers.get("consent_to_quote"))
    if needs_parent_consent(invitation):
        consent = consent and bool(answers.get("parent_consent"))
    texts = [answers.get("most_important_change", ""), answers.get("what_should_change", "")]
    return SurveyResponse(
        respondent=invitation.respondent,
        period=now.strftime("%Y-%m"),
        **case_categories(invitation.case),
        usefulness=int(usefulness) if usefulness else None,
        **{name: answers.get(name, "") for name in COUNTED_QUESTIONS if name != "usefulness"},
        most_important_change=texts[0],
        what_should_change=texts[1],
        consent_to_quote=consent,
        parent_consent=bool(answers.get("parent_consent")),
        story_status=(
            SurveyResponse.StoryStatus.PENDING
            if consent and any(t.strip() for t in texts)
            else SurveyResponse.StoryStatus.NONE
        ),
        synthetic=invitation.case.synthetic,
    )


def release_answers(now: datetime.datetime | None = None) -> int:
    """Write every submitted draft as an anonymous answer, in one transaction, in random order."""
    from feedback import tally  # tally reads this module's questions

    now = now or timezone.now()
    with transaction.atomic():
        drafts = list(
            SurveyDraft.objects.select_for_update()
            .filter(submitted=True)
            .select_related("invitation__case__provider")
        )
        if not drafts:
            return 0
        random.SystemRandom().shuffle(drafts)
        responses = [_response_from(draft, now) for draft in drafts]
        SurveyResponse.objects.bulk_create(responses)
        tally.add_answers(responses)
        flags = []
        for response in responses:
            signal = safeguarding.check(response.most_important_change, response.what_should_change)
            if signal.flagged:
                flags.append(
                    SafeguardingFlag(
                        response=response,
                        matched=", ".join(signal.phrases)[:300],
                        sentiment=signal.sentiment,
                    )
                )
        SafeguardingFlag.objects.bulk_create(flags)
        SurveyDraft.objects.filter(pk__in=[draft.pk for draft in drafts]).delete()
    return len(responses)
