"""Single-use survey codes: who is invited for a case, making codes, finding them back."""

from __future__ import annotations

import base64
import datetime
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from feedback.choices import AgeBand, Respondent
from feedback.models import Case, Invitation

CODE_BYTES = 17  # 136 random bits, more than the 128 the privacy rules ask for
_HMAC_SALT = "jeugdstem.feedback.invitation-code"
# Spaces and dashes do not matter; digits that base32 never uses are read as the letters
# people confuse them with (0/O, 1/I, 8/B).
_TYPING = str.maketrans({"0": "O", "1": "I", "8": "B", " ": None, "-": None, "_": None, ".": None})


@dataclass(frozen=True)
class IssuedInvitation:
    """An invitation together with its code: the only moment the plain code exists."""

    invitation: Invitation
    code: str

    @property
    def display_code(self) -> str:
        """The code in groups of five, easier to type from a letter."""
        return format_code(self.code)


def new_code() -> str:
    """A random code in base32 (letters A-Z and digits 2-7, no 0/O or 1/I confusion)."""
    return base64.b32encode(secrets.token_bytes(CODE_BYTES)).decode().rstrip("=")


def normalise_code(raw: str) -> str:
    """What the respondent typed or scanned, without spaces or dashes, in capitals."""
    return raw.upper().translate(_TYPING)


def format_code(code: str) -> str:
    """ABCDE-FGHIJ-... for letters and the code form."""
    return "-".join(code[i : i + 5] for i in range(0, len(code), 5))


def hash_code(code: str) -> str:
    """The keyed hash that is stored instead of the code."""
    key = getattr(settings, "SURVEY_CODE_KEY", None) or settings.SECRET_KEY
    return salted_hmac(_HMAC_SALT, normalise_code(code), secret=key, algorithm="sha256").hexdigest()


def respondents_for(case: Case) -> list[str]:
    """Who is asked, by the age band at the end of the help (and never when no-invite is set)."""
    if case.no_invite:
        return []
    if case.age_band in (AgeBand.AGE_0_3, AgeBand.AGE_4_11):
        return [Respondent.PARENT]
    if case.age_band == AgeBand.AGE_12_15:
        return [Respondent.YOUTH, Respondent.PARENT]
    if case.youth_agreed_parent_invite:
        return [Respondent.YOUTH, Respondent.PARENT]
    return [Respondent.YOUTH]


def issue_invitations(
    case: Case, contacts: dict[str, str] | None = None, now: datetime.datetime | None = None
) -> list[IssuedInvitation]:
    """Make the invitations a case still lacks; return them with their plain codes, once."""
    now = now or timezone.now()
    contacts = contacts or {}
    expires_at = now + datetime.timedelta(days=settings.SURVEY_CODE_VALID_DAYS)
    issued: list[IssuedInvitation] = []
    existing = set(case.invitations.values_list("respondent", flat=True))
    for respondent in respondents_for(case):
        if respondent in existing:
            continue
        code = new_code()
        try:
            with transaction.atomic():
                invitation = Invitation.objects.create(
                    case=case,
                    respondent=respondent,
                    code_hash=hash_code(code),
                    channel=case.channel,
                    contact=contacts.get(respondent, ""),
                    expires_at=expires_at,
                )
        except IntegrityError:
            continue  # made at the same moment by another request
        issued.append(IssuedInvitation(invitation, code))
    return issued


def renew_code(invitation: Invitation, now: datetime.datetime | None = None) -> IssuedInvitation:
    """Give an unused invitation a new code (a lost letter, a reminder); the old code stops."""
    code = new_code()
    invitation.code_hash = hash_code(code)
    invitation.expires_at = (now or timezone.now()) + datetime.timedelta(
        days=settings.SURVEY_CODE_VALID_DAYS
    )
    invitation.save(update_fields=["code_hash", "expires_at"])
    return IssuedInvitation(invitation, code)


def find_open_invitation(code: str, now: datetime.datetime | None = None) -> Invitation | None:
    """The invitation a code opens, or None when it is unknown, used, expired or stopped.

    The caller shows the same page for all of these, so nothing tells whether a code exists.
    """
    if not code or len(normalise_code(code)) > 64:
        return None
    invitation = (
        Invitation.objects.select_related("case")
        .filter(code_hash=hash_code(code), used=False, case__no_invite=False)
        .first()
    )
    if invitation is None or invitation.expires_at <= (now or timezone.now()):
        return None
    return invitation
