"""Registering closed cases: the one-case form and the all-or-nothing CSV import.

A case holds pseudonymous metadata only. The reference is random or chosen by the provider,
and the rules below refuse what looks like a citizen number, an e-mail address or a name.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import re
import secrets
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet, TextChoices
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from feedback import tally
from feedback.choices import (
    AgeBand,
    Channel,
    District,
    EndReason,
    HelpType,
    NoInviteReason,
    Referrer,
    Respondent,
)
from feedback.delivery import csv_cell_text, safe_csv_row
from feedback.invitations import IssuedInvitation, issue_invitations, respondents_for
from feedback.models import Case, Provider
from feedback.retention import retention_cutoff

REFERENCE_PREFIX = "C-"
REFERENCE_LENGTH = 10
# No 0/O, 1/I/L: a reference is read from a screen and typed again.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
_REFERENCE_PATTERN = re.compile(r"[A-Za-z0-9-]{4,32}")
_REFERENCE_RULE = _("Gebruik 4 tot 32 tekens: letters (A-Z), cijfers en streepjes (-).")
_NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")
_MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})")
_PHONE_SEPARATORS = str.maketrans("", "", " -().")
_MOBILE_PATTERN = re.compile(r"(?:06|\+316)(\d{8})")

EXAMPLE_REFERENCE = "VOORBEELD-1"
MAX_UPLOAD_BYTES = 5 * 1024 * 1024
MAX_ROWS = 20_000
CHUNK_ROWS = 500
MAX_REPORTED_ERRORS = 500
YOUTH_CAN_CHOOSE = (AgeBand.AGE_16_17, AgeBand.AGE_18_22)
INVITE_CHANNELS_WITH_CONTACT = (Channel.EMAIL, Channel.SMS)

COLUMNS = (
    "reference",
    "provider",
    "help_type",
    "referrer",
    "start_month",
    "end_month",
    "end_reason",
    "district",
    "age_band",
    "channel",
    "youth_agreed_parent_invite",
    "no_invite",
    "no_invite_reason",
)
_CODE_COLUMNS: dict[str, type[TextChoices]] = {
    "help_type": HelpType,
    "referrer": Referrer,
    "end_reason": EndReason,
    "district": District,
    "age_band": AgeBand,
    "channel": Channel,
    "no_invite_reason": NoInviteReason,
}
_YES = {"ja", "j", "yes", "y", "1", "true", "waar"}
_NO = {"nee", "n", "no", "0", "false", "onwaar", ""}


# --- Small rules shared by the form and the CSV ---------------------------------------------


def reference_problem(reference: str) -> str | None:
    """Why a chosen case reference is refused, or None when it is fine (uniqueness apart)."""
    if "@" in reference or any(char.isspace() for char in reference):
        return gettext(
            "Gebruik geen @ en geen spaties. Zet nooit een naam of e-mailadres in het casusnummer."
        )
    if _NINE_DIGITS.search(reference.replace("-", "")):
        return gettext("Dit lijkt op een BSN. Gebruik nooit een BSN als casusnummer.")
    if not _REFERENCE_PATTERN.fullmatch(reference):
        return str(_REFERENCE_RULE)
    return None


def new_reference(taken: Iterable[str] = (), check_database: bool = True) -> str:
    """A random reference such as C-7KQ2M9XRTA that is not in use yet.

    With 31 symbols and 10 places a collision is about one in 10^14, so a bulk import skips
    the database check and relies on the unique constraint inside its transaction.
    """
    taken = set(taken)
    while True:
        body = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))
        reference = REFERENCE_PREFIX + body
        if reference in taken or reference_problem(reference) is not None:
            continue
        if check_database and Case.objects.filter(reference=reference).exists():
            continue
        return reference


def this_month(today: datetime.date | None = None) -> datetime.date:
    """The first day of the current month (local time): the latest month a case may end in."""
    today = today or timezone.localdate()
    return today.replace(day=1)


def earliest_end_month(today: datetime.date | None = None) -> datetime.date:
    """The first end month that is still kept: earlier cases would be purged the next night."""
    return retention_cutoff(this_month(today), settings.SURVEY_RETENTION_MONTHS)


def too_old_message(earliest: datetime.date) -> str:
    """Why a case that ended before `earliest` is refused, in B1 Dutch."""
    months = settings.SURVEY_RETENTION_MONTHS
    return ngettext(
        "Deze casus is te lang geleden gestopt. We bewaren gegevens %(months)s maand. "
        "Voer alleen casussen in die in %(month)s of later zijn gestopt.",
        "Deze casus is te lang geleden gestopt. We bewaren gegevens %(months)s maanden. "
        "Voer alleen casussen in die in %(month)s of later zijn gestopt.",
        months,
    ) % {"months": months, "month": earliest.strftime("%Y-%m")}


def parse_month(text: str) -> datetime.date | None:
    """YYYY-MM as the first day of that month, or None when it is not a month."""
    match = _MONTH_PATTERN.fullmatch(text.strip())
    if not match:
        return None
    year, month = int(match[1]), int(match[2])
    if not 1 <= month <= 12 or year < 1900:
        return None
    return datetime.date(year, month, 1)


def normalise_mobile(text: str) -> str | None:
    """A Dutch mobile number as +316xxxxxxxx, or None when it is not one."""
    match = _MOBILE_PATTERN.fullmatch(text.translate(_PHONE_SEPARATORS))
    return f"+316{match[1]}" if match else None


def clean_contact(channel: str, value: str) -> str:
    """The e-mail address or mobile number for this channel, or a ValidationError."""
    value = value.strip()
    if channel == Channel.SMS:
        number = normalise_mobile(value)
        if number is None:
            raise ValidationError(
                _("Vul een mobiel nummer in dat begint met 06 of +316. Bijvoorbeeld 0612345678.")
            )
        return number
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError(
            _("Vul een goed e-mailadres in. Bijvoorbeeld naam@voorbeeld.nl.")
        ) from None
    return value


def invitations_batch_url() -> str | None:
    """The page where letters are printed, when that page exists."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("feedback:invitations_batch")
    except NoReverseMatch:
        return None


# --- The form: one case at a time -----------------------------------------------------------


class MonthInput(forms.DateInput):
    """A month picker; browsers without one show a text box that takes YYYY-MM."""

    input_type = "month"

    def __init__(self, attrs: dict | None = None) -> None:
        super().__init__(attrs={"placeholder": "2025-03", **(attrs or {})}, format="%Y-%m")


class MonthField(forms.DateField):
    """A month, stored as the first day of that month."""

    widget = MonthInput
    input_formats = ["%Y-%m"]
    default_error_messages = {
        "invalid": _("Schrijf de maand als jaar-maand. Bijvoorbeeld 2025-03."),
    }


class CaseForm(forms.ModelForm):
    """Register one closed case; asks for contact details only when e-mail or SMS is chosen."""

    youth_contact = forms.CharField(
        label=_("E-mailadres of mobiel nummer van de jongere"),
        required=False,
        max_length=254,
        help_text=_("Alleen nodig bij e-mail of sms, als de jongere een uitnodiging krijgt."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    parent_contact = forms.CharField(
        label=_("E-mailadres of mobiel nummer van de ouder"),
        required=False,
        max_length=254,
        help_text=_("Alleen nodig bij e-mail of sms, als de ouder een uitnodiging krijgt."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    class Meta:
        model = Case
        fields = list(COLUMNS)
        field_classes = {"start_month": MonthField, "end_month": MonthField}
        labels = {
            "reference": _("Casusnummer"),
            "help_type": _("Soort hulp"),
            "end_reason": _("Waarom is de hulp gestopt?"),
            "age_band": _("Leeftijd van de jongere toen de hulp stopte"),
            "channel": _("Hoe sturen we de uitnodiging?"),
            "youth_agreed_parent_invite": _(
                "De jongere (16 jaar of ouder) vindt het goed dat de ouder ook een "
                "uitnodiging krijgt"
            ),
            "no_invite": _("Niemand uitnodigen voor deze casus"),
            "no_invite_reason": _("Waarom nodigen we niemand uit?"),
        }
        help_texts = {
            "reference": _(
                "Laat leeg, dan maken wij een willekeurig nummer. Nooit een naam, BSN of adres."
            ),
            "start_month": _("Bijvoorbeeld 2025-03."),
            "end_month": _("Bijvoorbeeld 2025-09. Niet later dan deze maand."),
            "youth_agreed_parent_invite": _("Alleen voor jongeren van 16 jaar of ouder."),
            "no_invite_reason": _("Verplicht als je niemand uitnodigt."),
        }
        error_messages = {"reference": {"unique": _("Dit casusnummer bestaat al.")}}

    def __init__(self, *args, providers: QuerySet[Provider], **kwargs) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields["provider"].queryset = providers
        self.fields["provider"].empty_label = gettext("Kies een aanbieder")
        self.fields["provider"].error_messages["invalid_choice"] = _(
            "Voor deze aanbieder mag je geen casussen invoeren."
        )
        if len(providers) == 1 and not self.is_bound:
            self.initial.setdefault("provider", providers[0].pk)
        reference = self.fields["reference"]
        reference.required = False
        reference.error_messages["max_length"] = _REFERENCE_RULE
        reference.widget.attrs.update({"autocomplete": "off", "spellcheck": "false"})
        for name in ("help_type", "referrer", "end_reason", "district", "age_band", "channel"):
            choices = _CODE_COLUMNS[name].choices
            self.fields[name].choices = [("", gettext("Kies een antwoord")), *choices]
        self.fields["no_invite_reason"].choices = [
            ("", gettext("Geen: we nodigen wel uit")),
            *NoInviteReason.choices,
        ]
        latest = this_month().strftime("%Y-%m")
        for name in ("start_month", "end_month"):
            self.fields[name].widget.attrs["max"] = latest
        self.fields["end_month"].widget.attrs["min"] = earliest_end_month().strftime("%Y-%m")

    def clean_reference(self) -> str:
        """A chosen reference follows the privacy rules; an empty one is made later."""
        reference = self.cleaned_data.get("reference", "").strip()
        if reference and (problem := reference_problem(reference)):
            raise ValidationError(problem)
        return reference

    def clean(self) -> dict:
        """Months in order, not in the future, not past retention; no-invite; contacts."""
        data = super().clean()
        latest = this_month()
        start, end = data.get("start_month"), data.get("end_month")
        for name in ("start_month", "end_month"):
            if data.get(name) and data[name] > latest:
                self.add_error(name, _("Deze maand ligt in de toekomst."))
        earliest = earliest_end_month()
        if end and end < earliest:
            self.add_error("end_month", too_old_message(earliest))
        if start and end and end < start and "end_month" not in self.errors:
            self.add_error("end_month", _("De eindmaand ligt voor de startmaand."))
        no_invite, reason = data.get("no_invite"), data.get("no_invite_reason")
        if no_invite and not reason:
            self.add_error("no_invite_reason", _("Kies waarom we niemand uitnodigen."))
        if reason and not no_invite:
            self.add_error(
                "no_invite",
                _("Je koos een reden om niemand uit te nodigen. Zet dan ook dit vinkje aan."),
            )
        if data.get("age_band") not in YOUTH_CAN_CHOOSE:
            data["youth_agreed_parent_invite"] = False
        self._clean_contacts(data)
        return data

    def _clean_contacts(self, data: dict) -> None:
        self.contacts: dict[str, str] = {}
        channel, age_band = data.get("channel"), data.get("age_band")
        if data.get("no_invite") or channel not in INVITE_CHANNELS_WITH_CONTACT or not age_band:
            return
        probe = Case(
            age_band=age_band, youth_agreed_parent_invite=data["youth_agreed_parent_invite"]
        )
        for respondent in respondents_for(probe):
            name = f"{respondent}_contact"
            value = data.get(name, "").strip()
            if not value:
                self.add_error(name, self._missing_contact(channel, respondent))
                continue
            try:
                self.contacts[respondent] = clean_contact(channel, value)
            except ValidationError as error:
                self.add_error(name, error)

    @staticmethod
    def _missing_contact(channel: str, respondent: str) -> Promise:
        if channel == Channel.SMS:
            if respondent == Respondent.YOUTH:
                return _("Vul het mobiele nummer van de jongere in.")
            return _("Vul het mobiele nummer van de ouder in.")
        if respondent == Respondent.YOUTH:
            return _("Vul het e-mailadres van de jongere in.")
        return _("Vul het e-mailadres van de ouder in.")


def register_case(form: CaseForm, user) -> tuple[Case, list[IssuedInvitation]]:
    """Save a valid form as a case and make its invitations (none when no-invite is set)."""
    with transaction.atomic():
        case = form.save(commit=False)
        if not case.reference:
            case.reference = new_reference()
        case.created_by = user if user.is_authenticated else None
        case.save()
        issued = [] if case.no_invite else issue_invitations(case, form.contacts)
    return case, issued


# --- The CSV: template, checking every row, importing all or nothing -------------------------


@dataclass(frozen=True)
class ColumnHelp:
    """What goes in one column of the CSV, for the help text on the upload page."""

    name: str
    text: Promise
    codes: list[tuple[str, str]] = field(default_factory=list)


def column_help() -> list[ColumnHelp]:
    """Every column with what it takes, and the allowed codes where there is a list."""
    texts = {
        "reference": _(
            "Casusnummer: 4 tot 32 letters, cijfers of streepjes. Leeg laten mag: dan maken "
            "wij een nummer. Nooit een naam, BSN of adres."
        ),
        "provider": _("De naam van de aanbieder, precies zoals hieronder."),
        "help_type": _("Soort hulp."),
        "referrer": _("Wie heeft verwezen."),
        "start_month": _("Maand waarin de hulp begon: jaar-maand, bijvoorbeeld 2025-03."),
        "end_month": _(
            "Maand waarin de hulp stopte: jaar-maand. Niet voor de startmaand en niet in de "
            "toekomst."
        ),
        "end_reason": _("Waarom de hulp stopte."),
        "district": _("Wijk of dorp."),
        "age_band": _("Leeftijd toen de hulp stopte."),
        "channel": _(
            "Hoe de uitnodiging gaat. In een bestand kan alleen letter (brief). Voor e-mail of "
            "sms gebruik je het formulier."
        ),
        "youth_agreed_parent_invite": _(
            "ja of nee: de jongere (16+) vindt het goed dat de ouder ook een uitnodiging krijgt."
        ),
        "no_invite": _("ja of nee: niemand uitnodigen."),
        "no_invite_reason": _("Verplicht als no_invite ja is. Anders leeg laten."),
    }
    return [
        ColumnHelp(
            name,
            texts[name],
            [(code, str(label)) for code, label in _CODE_COLUMNS[name].choices]
            if name in _CODE_COLUMNS
            else [],
        )
        for name in COLUMNS
    ]


def template_csv(providers: Iterable[Provider], today: datetime.date | None = None) -> str:
    """The CSV template: a BOM so Excel reads UTF-8, a header row and one example row."""
    end = this_month(today) - datetime.timedelta(days=1)
    start = end.replace(day=1) - datetime.timedelta(days=150)
    provider = next(iter(providers), None)
    example = {
        "reference": EXAMPLE_REFERENCE,
        "provider": provider.name if provider else "",
        "help_type": HelpType.AMBULANT,
        "referrer": Referrer.GP,
        "start_month": start.strftime("%Y-%m"),
        "end_month": end.strftime("%Y-%m"),
        "end_reason": EndReason.AS_PLANNED,
        "district": District.CENTRUM,
        "age_band": AgeBand.AGE_12_15,
        "channel": Channel.LETTER,
        "youth_agreed_parent_invite": "nee",
        "no_invite": "nee",
        "no_invite_reason": "",
    }
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(safe_csv_row(COLUMNS))
    writer.writerow(safe_csv_row(example[name] for name in COLUMNS))
    return out.getvalue()


@dataclass(frozen=True)
class RowError:
    """One thing wrong in one row of the uploaded file."""

    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    """What an upload did: a file-level problem, per-row errors, or what was saved."""

    rows: int = 0
    cases: int = 0
    invitations: int = 0
    no_invite: int = 0
    seconds: float = 0.0
    file_error: str | None = None
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every row was imported."""
        return self.file_error is None and not self.errors

    @property
    def rows_with_errors(self) -> int:
        """How many rows have at least one error."""
        return len({error.row for error in self.errors})

    @property
    def shown_errors(self) -> list[RowError]:
        """The errors shown on the page, so that a broken large file keeps the page small."""
        return self.errors[:MAX_REPORTED_ERRORS]

    def summary(self) -> dict:
        """The counts, to keep in the session for the result page."""
        return {
            "rows": self.rows,
            "cases": self.cases,
            "invitations": self.invitations,
            "no_invite": self.no_invite,
            "seconds": round(self.seconds, 1),
        }


def file_digest(upload) -> str:
    """A fingerprint of an uploaded file, to notice the same file sent twice."""
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def _read_text(upload) -> tuple[str | None, str | None]:
    if upload.size > MAX_UPLOAD_BYTES:
        return None, gettext("Het bestand is groter dan 5 MB. Splits het in kleinere bestanden.")
    data = upload.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        return None, gettext("Het bestand is groter dan 5 MB. Splits het in kleinere bestanden.")
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return None, gettext(
            "We kunnen het bestand niet lezen. Sla het op als 'CSV UTF-8' en probeer het opnieuw."
        )


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """Rows of the file with their number as a spreadsheet shows it (the header is row 1)."""
    lines = text.splitlines(keepends=True)
    first = lines[0] if lines else ""
    if first.lower().startswith("sep=") and len(first.strip()) == 5:
        # Excel's own hint line; Excel hides it, so the header still counts as row 1.
        delimiter, lines = first.strip()[4], lines[1:]
        first = lines[0] if lines else ""
    else:
        delimiter = ";" if first.count(";") >= first.count(",") else ","
    for number, cells in enumerate(csv.reader(lines, delimiter=delimiter), start=1):
        yield number, [cell.strip() for cell in cells]


def _column_positions(header: list[str]) -> tuple[list[int] | None, str | None]:
    """Where each expected column is in the file (any order), or what is wrong with the header."""
    names = [name.strip().lower() for name in header]
    while names and not names[-1]:
        names.pop()  # spreadsheets sometimes add empty columns at the end
    if sorted(names) == sorted(COLUMNS):
        return [names.index(name) for name in COLUMNS], None
    missing = [name for name in COLUMNS if name not in names]
    unknown = [name or gettext("(leeg)") for name in names if name not in COLUMNS]
    parts = [gettext("De kolommen in de eerste rij kloppen niet.")]
    if missing:
        parts.append(gettext("Deze kolommen missen: %s.") % ", ".join(missing))
    if unknown:
        parts.append(gettext("Deze kolommen kennen we niet: %s.") % ", ".join(unknown))
    if not missing and not unknown:
        parts.append(gettext("Er staat een kolom dubbel in."))
    parts.append(gettext("De eerste rij moet deze kolommen hebben: %s.") % ";".join(COLUMNS))
    parts.append(gettext("Download het voorbeeldbestand en gebruik dat."))
    return None, " ".join(parts)


def _yes_no(value: str) -> bool | None:
    value = value.lower()
    if value in _YES:
        return True
    if value in _NO:
        return False
    return None


@dataclass
class _Row:
    """One row of the file while it is checked."""

    number: int
    cells: dict[str, str]
    errors: list[RowError] = field(default_factory=list)

    def problem(self, column: str, message: str) -> None:
        """Note one thing wrong in this row."""
        self.errors.append(RowError(self.number, column, message))


class _RowChecker:
    """Turns one row into an unsaved Case, collecting every problem it finds."""

    def __init__(
        self, providers: Iterable[Provider], latest: datetime.date, earliest_end: datetime.date
    ) -> None:
        providers = list(providers)
        self.providers = {provider.name.strip().casefold(): provider for provider in providers}
        self.provider_names = ", ".join(provider.name for provider in providers)
        self.latest = latest
        self.earliest_end = earliest_end
        self.codes = {
            column: {code.lower(): code for code in choices.values}
            for column, choices in _CODE_COLUMNS.items()
        }

    def check(self, number: int, cells: dict[str, str]) -> tuple[Case | None, list[RowError]]:
        """The case this row describes, or the problems that stop it."""
        row = _Row(number, cells)
        self._check_reference(row)
        provider = self._provider(row)
        codes = {column: self._code(row, column) for column in _CODE_COLUMNS}
        start, end = self._month(row, "start_month"), self._month(row, "end_month")
        if start and end and end < start:
            row.problem("end_month", gettext("De eindmaand ligt voor de startmaand."))
        if end and end < self.earliest_end:
            row.problem("end_month", too_old_message(self.earliest_end))
        agreed = self._yes_no(row, "youth_agreed_parent_invite")
        no_invite = self._yes_no(row, "no_invite")
        self._check_invitation(row, codes["channel"], no_invite)
        if row.errors:
            return None, row.errors
        case = Case(
            reference=cells["reference"],
            provider=provider,
            start_month=start,
            end_month=end,
            youth_agreed_parent_invite=bool(agreed) and codes["age_band"] in YOUTH_CAN_CHOOSE,
            no_invite=bool(no_invite),
            **codes,
        )
        return case, []

    def _check_reference(self, row: _Row) -> None:
        reference = row.cells["reference"]
        if reference == EXAMPLE_REFERENCE:
            row.problem(
                "reference",
                gettext(
                    "Dit is de voorbeeldrij. Vervang hem door een echte casus of haal hem weg."
                ),
            )
        elif reference and (message := reference_problem(reference)):
            row.problem("reference", message)

    def _provider(self, row: _Row) -> Provider | None:
        name = row.cells["provider"]
        provider = self.providers.get(name.casefold())
        if not name:
            row.problem(
                "provider", gettext("Vul de aanbieder in. Kies uit: %s.") % self.provider_names
            )
        elif provider is None:
            row.problem(
                "provider",
                gettext("Voor '%(name)s' mag je geen casussen invoeren. Kies uit: %(names)s.")
                % {"name": name, "names": self.provider_names},
            )
        return provider

    def _code(self, row: _Row, column: str) -> str:
        value = row.cells[column]
        allowed = self.codes[column]
        if value.lower() in allowed:
            return allowed[value.lower()]
        if value:
            message = gettext("'%(value)s' kennen we niet. Kies uit: %(codes)s.")
        elif column == "no_invite_reason":
            return ""  # required only with no_invite, see _check_invitation
        else:
            message = gettext("Dit vak is leeg. Kies uit: %(codes)s.")
        row.problem(column, message % {"value": value, "codes": ", ".join(allowed.values())})
        return ""

    def _month(self, row: _Row, column: str) -> datetime.date | None:
        value = row.cells[column]
        month = parse_month(value)
        if not value:
            row.problem(
                column, gettext("Dit vak is leeg. Schrijf jaar-maand, bijvoorbeeld 2025-03.")
            )
        elif month is None:
            row.problem(
                column,
                gettext(
                    "'%s' is geen goede maand. Schrijf jaar-maand, bijvoorbeeld 2025-03. "
                    "Zet de kolom in Excel op Tekst, anders maakt Excel er een datum van."
                )
                % value,
            )
        elif month > self.latest:
            row.problem(column, gettext("Deze maand ligt in de toekomst."))
            return None
        return month

    @staticmethod
    def _yes_no(row: _Row, column: str) -> bool | None:
        value = _yes_no(row.cells[column])
        if value is None:
            row.problem(column, gettext("Schrijf ja of nee."))
        return value

    @staticmethod
    def _check_invitation(row: _Row, channel: str, no_invite: bool | None) -> None:
        reason = row.cells["no_invite_reason"]
        if no_invite and not reason:
            row.problem(
                "no_invite_reason",
                gettext("Geef een reden waarom we niemand uitnodigen. Kies uit: %s.")
                % ", ".join(NoInviteReason.values),
            )
        if reason and no_invite is False:
            row.problem(
                "no_invite",
                gettext(
                    "Er staat een reden om niemand uit te nodigen. Zet no_invite dan op ja, "
                    "of maak de reden leeg."
                ),
            )
        if channel in INVITE_CHANNELS_WITH_CONTACT and no_invite is False:
            row.problem(
                "channel",
                gettext(
                    "Voor e-mail of sms hebben we een e-mailadres of telefoonnummer nodig. Dat "
                    "kan alleen met het formulier. Kies hier letter, of voer deze casus in met "
                    "het formulier."
                ),
            )


def _chunks(items: list, size: int = CHUNK_ROWS) -> Iterator[list]:
    for index in range(0, len(items), size):
        yield items[index : index + size]


def check_csv(
    upload, providers: Iterable[Provider], today: datetime.date | None = None
) -> tuple[list[Case], ImportResult]:
    """Read and check the whole file; return the unsaved cases and every problem found."""
    result = ImportResult()
    text, problem = _read_text(upload)
    if problem:
        result.file_error = problem
        return [], result
    cases: list[Case] = []
    first_row: dict[str, int] = {}
    try:
        records = _records(text)
        positions, problem = _column_positions(next(records, (1, []))[1])
        if problem:
            result.file_error = problem
            return [], result
        checker = _RowChecker(list(providers), this_month(today), earliest_end_month(today))
        for number, cells in records:
            if not any(cells):
                continue  # spreadsheets often leave empty rows at the end
            result.rows += 1
            if result.rows > MAX_ROWS:
                result.file_error = gettext(
                    "Het bestand heeft meer dan %s rijen. Splits het in kleinere bestanden."
                ) % f"{MAX_ROWS:,}".replace(",", ".")
                return [], result
            while len(cells) > len(COLUMNS) and not cells[-1]:
                cells.pop()
            if len(cells) != len(COLUMNS):
                result.errors.append(
                    RowError(
                        number,
                        "",
                        gettext(
                            "Deze rij heeft %(found)s vakken, maar er horen %(wanted)s te zijn."
                        )
                        % {"found": len(cells), "wanted": len(COLUMNS)},
                    )
                )
                continue
            row = {
                name: csv_cell_text(cells[position])
                for name, position in zip(COLUMNS, positions, strict=True)
            }
            case, errors = checker.check(number, row)
            reference = row["reference"]
            if reference in first_row:
                errors.append(
                    RowError(
                        number,
                        "reference",
                        gettext("Dit casusnummer staat ook in rij %s.") % first_row[reference],
                    )
                )
                case = None
            elif reference:
                first_row[reference] = number
            result.errors.extend(errors)
            if case is not None:
                cases.append(case)
    except csv.Error:
        result.file_error = gettext(
            "We kunnen het bestand niet lezen. Is het een CSV-bestand? "
            "Gebruik het voorbeeldbestand."
        )
        return [], result
    if result.rows == 0:
        result.file_error = gettext("Er staan geen casussen in het bestand.")
        return [], result
    _check_existing_references(first_row, result)
    result.errors.sort(key=_error_order)
    return cases, result


def _error_order(error: RowError) -> tuple[int, int]:
    return error.row, COLUMNS.index(error.column) if error.column else -1


def _check_existing_references(first_row: dict[str, int], result: ImportResult) -> None:
    for chunk in _chunks(list(first_row)):
        existing = Case.objects.filter(reference__in=chunk).values_list("reference", flat=True)
        for reference in existing:
            result.errors.append(
                RowError(first_row[reference], "reference", gettext("Dit casusnummer bestaat al."))
            )


def import_csv(upload, user, providers: Iterable[Provider]) -> ImportResult:
    """Check the whole file, then save every case and its letters, or save nothing at all."""
    started = time.monotonic()
    cases, result = check_csv(upload, providers)
    if result.ok:
        taken = {case.reference for case in cases if case.reference}
        for case in cases:
            if not case.reference:
                case.reference = new_reference(taken, check_database=False)
                taken.add(case.reference)
            case.created_by = user
        try:
            with transaction.atomic():
                for chunk in _chunks(cases):
                    Case.objects.bulk_create(chunk)
                    tally.add_cases(chunk)
                for case in cases:
                    if case.no_invite:
                        result.no_invite += 1
                    else:
                        result.invitations += len(issue_invitations(case))
        except IntegrityError:
            # Someone saved one of these references a moment ago (or a random one collided).
            result.file_error = gettext(
                "Een casusnummer uit het bestand is net door iemand anders gebruikt. Er is niets "
                "opgeslagen. Probeer het opnieuw."
            )
            result.invitations = result.no_invite = 0
        else:
            result.cases = len(cases)
    result.seconds = time.monotonic() - started
    return result
