"""Forms of the youth panel membership pages: joining, and a parent's e-mail address."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from youth_panel.models import PanelMember, district_choices


class JoinForm(forms.Form):
    """The minimal profile and the consent."""

    age_band = forms.ChoiceField(
        label=_("Hoe oud ben je?"),
        choices=PanelMember.AgeBand.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Kies hoe oud je bent.")},
    )
    district = forms.ChoiceField(
        label=_("In welke wijk of welk dorp woon je?"),
        choices=[("", _("Kies je wijk of dorp")), *district_choices()],
        error_messages={
            "required": _("Kies je wijk of dorp."),
            "invalid_choice": _("Kies een wijk of dorp uit de lijst."),
        },
    )
    school_type = forms.ChoiceField(
        label=_("Op welke school zit je? (Dit hoeft niet.)"),
        choices=PanelMember.SchoolType.choices,
        widget=forms.RadioSelect,
        required=False,
    )
    consent = forms.BooleanField(
        label=_("Ik heb gelezen wat jullie bewaren. Ik doe mee met het jongerenpanel."),
        error_messages={"required": _("Zet een vinkje als je mee wilt doen.")},
    )


class ParentForm(forms.Form):
    """The e-mail address of a parent or carer, who confirms for an under-16."""

    parent_email = forms.EmailField(
        label=_("E-mailadres van je ouder of verzorger"),
        max_length=254,
        help_text=_("Je ouder krijgt een mail met een link. Daarmee zegt je ouder: dat is goed."),
        error_messages={
            "required": _("Vul het e-mailadres van je ouder of verzorger in."),
            "invalid": _("Dit is geen goed e-mailadres. Kijk of je het goed hebt getypt."),
        },
    )

    def __init__(self, *args, own_email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.own_email = own_email.lower()
        self.fields["parent_email"].widget.attrs["autocomplete"] = "off"

    def clean_parent_email(self) -> str:
        """A parent's address, not the member's own."""
        email = self.cleaned_data["parent_email"]
        if self.own_email and email.lower() == self.own_email:
            raise forms.ValidationError(
                _("Dit is je eigen e-mailadres. Vul het adres van je ouder of verzorger in.")
            )
        return email
