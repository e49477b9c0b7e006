"""The survey itself: its steps and wordings, saving each step, and submitting anonymously."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django import forms
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


def save_step(invitation: Invitation, step_index: int, cleaned: dict) -> SurveyDraft:
    """Keep what was answered on one step; the draft remembers where the respondent is."""
    with transaction.atomic():
        draft, _ = SurveyDraft.objects.select_for_update().get_or_create(invitation=invitation)
        for name, value in cleaned.items():
            if value in ("", None, False):
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


def submit(invitation: Invitation, now: datetime.datetime | None = None) -> SurveyResponse | None:
    """Turn the draft into an anonymous answer and burn the code; a second submit does nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Invitation.objects.select_for_update().select_related("case").get(pk=invitation.pk)
        if locked.used:
            return None
        draft = SurveyDraft.objects.filter(invitation=locked).first()
        answers = dict(draft.answers) if draft else {}
        case = locked.case
        usefulness = answers.get("usefulness")
        consent = bool(answers.get("consent_to_quote"))
        if needs_parent_consent(locked):
            consent = consent and bool(answers.get("parent_consent"))
        texts = [answers.get("most_important_change", ""), answers.get("what_should_change", "")]
        response = SurveyResponse.objects.create(
            respondent=locked.respondent,
            period=now.strftime("%Y-%m"),
            **case_categories(case),
            usefulness=int(usefulness) if usefulness else None,
            further_help=answers.get("further_help", ""),
            goals_reached=answers.get("goals_reached", ""),
            problems_reduced=answers.get("problems_reduced", ""),
            better_at_home=answers.get("better_at_home", ""),
            better_at_school=answers.get("better_at_school", ""),
            feels_safer=answers.get("feels_safer", ""),
            taken_seriously=answers.get("taken_seriously", ""),
            decided_together=answers.get("decided_together", ""),
            started_fast=answers.get("started_fast", ""),
            ended_right_moment=answers.get("ended_right_moment", ""),
            most_important_change=texts[0],
            what_should_change=texts[1],
            consent_to_quote=consent,
            parent_consent=bool(answers.get("parent_consent")),
            story_status=(
                SurveyResponse.StoryStatus.PENDING
                if consent and any(t.strip() for t in texts)
                else SurveyResponse.StoryStatus.NONE
            ),
            synthetic=case.synthetic,
        )
        signal = safeguarding.check(*texts)
        if signal.flagged:
            SafeguardingFlag.objects.create(
                response=response,
                matched=", ".join(signal.phrases)[:300] or "sterk negatief",
                sentiment=signal.sentiment,
            )
        locked.used = True
        locked.contact = ""
        locked.save(update_fields=["used", "contact"])
        if draft:
            draft.delete()
    return response
