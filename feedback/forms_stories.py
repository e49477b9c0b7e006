"""Forms for the story of the half-year: the panel's vote and staff's choice."""

from __future__ import annotations

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from feedback.models import SurveyResponse
from feedback.stories import WHY_MAX_LENGTH


def _story_label(response: SurveyResponse) -> str:
    return response.story_text.strip()


class _StoryField(forms.ModelChoiceField):
    """One of the half-year's published stories, as radio buttons showing the story's text."""

    widget = forms.RadioSelect

    def label_from_instance(self, obj: SurveyResponse) -> str:
        return _story_label(obj)


class StoryVoteForm(forms.Form):
    """A panel member picks one story of the half-year and says why."""

    story = _StoryField(
        queryset=SurveyResponse.objects.none(),
        empty_label=None,
        label=_("Welk verhaal kies jij?"),
        error_messages={
            "required": _("Kies een verhaal."),
            "invalid_choice": _("Kies een verhaal uit de lijst."),
        },
    )
    why = forms.CharField(
        label=_("Waarom kies je dit verhaal?"),
        max_length=WHY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Schrijf een paar zinnen. Noem geen namen. Je mag hoogstens 500 tekens gebruiken."
        ),
        error_messages={
            "required": _("Schrijf op waarom je dit verhaal kiest."),
            "max_length": _("Je tekst is te lang. Gebruik hoogstens 500 tekens."),
        },
    )

    def __init__(self, *args, stories: QuerySet[SurveyResponse], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["story"].queryset = stories


class StoryChoiceForm(forms.Form):
    """Staff choose the story of the half-year, write why and decide whether it is public."""

    story = _StoryField(
        queryset=SurveyResponse.objects.none(),
        empty_label=None,
        label=_("Verhaal van het halfjaar"),
        error_messages={
            "required": _("Kies een verhaal."),
            "invalid_choice": _("Kies een verhaal uit de lijst."),
        },
    )
    why = forms.CharField(
        label=_("Waarom dit verhaal?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "Dit staat op de verhalenmuur. Vat samen waarom het panel dit verhaal koos. "
            "Noem geen namen."
        ),
        error_messages={"required": _("Schrijf op waarom dit het verhaal van het halfjaar is.")},
    )
    published = forms.BooleanField(
        label=_("Openbaar maken op de verhalenmuur"),
        required=False,
        help_text=_("Daarna kan het panel voor dit halve jaar niet meer kiezen."),
    )

    def __init__(self, *args, stories: QuerySet[SurveyResponse], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["story"].queryset = stories
