"""Forms of the public consultation pages: a comment, a membership request."""

from __future__ import annotations

import uuid

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from consultations.models import MAX_COMMENT_LENGTH, Comment, Organisation


class TokenField(forms.UUIDField):
    """A form token; a missing or garbled one becomes a fresh token instead of an error."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except forms.ValidationError:
            return None


class CommentForm(forms.Form):
    """A comment on one paragraph or chapter, for one of the writer's organisations."""

    text = forms.CharField(
        label=_("Jouw reactie"),
        max_length=MAX_COMMENT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Hoogstens 5000 tekens."),
        error_messages={
            "required": _("Schrijf eerst je reactie."),
            "max_length": _(
                "Je reactie is te lang: %(show_value)s tekens. Het mogen er hoogstens "
                "%(limit_value)s zijn. Maak je reactie korter of verdeel hem over twee reacties."
            ),
        },
    )
    organisation = forms.ModelChoiceField(
        label=_("Namens welke organisatie reageer je?"),
        queryset=Organisation.objects.none(),
        empty_label=None,
        error_messages={
            "required": _("Kies de organisatie waarvoor je reageert."),
            "invalid_choice": _(
                "Je kunt alleen reageren voor een organisatie waarvan je lid bent."
            ),
        },
    )
    visibility = forms.ChoiceField(
        label=_("Wie mag je reactie lezen?"),
        choices=Comment.Visibility.choices,
        initial=Comment.Visibility.PUBLIC,
        widget=forms.RadioSelect,
        error_messages={"required": _("Kies wie je reactie mag lezen.")},
    )
    # Made when the form is shown, so that sending it twice stores one comment.
    token = TokenField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, organisations: QuerySet[Organisation], **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["organisation"].queryset = organisations
        # No maxlength in the page: a browser would cut a pasted text off without saying so.
        self.fields["text"].widget.attrs.pop("maxlength", None)
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4())

    def clean_token(self) -> uuid.UUID:
        """A form without a (valid) token still works, only without double-submit protection."""
        return self.cleaned_data.get("token") or uuid.uuid4()


class MembershipRequestForm(forms.Form):
    """Ask to comment on behalf of an organisation."""

    organisation = forms.ModelChoiceField(
        label=_("Organisatie"),
        queryset=Organisation.objects.all(),
        empty_label=_("Kies een organisatie"),
        error_messages={
            "required": _("Kies een organisatie."),
            "invalid_choice": _("Kies een organisatie uit de lijst."),
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
