"""Counted mode: one vote per single-use paper code or per signed-in panel member.

Who a voter is, as the string stored in Vote.participant:
- live mode: the random id in the signed `deelnemer` cookie (views.participant_id);
- counted mode: "user:<pk>" for a signed-in account, else "code:<pk>" for the paper code that
  this phone typed in (kept in a signed, httpOnly cookie per session), else None.
The unique constraint on (question, participant) then allows one vote per code or account.

A signed-in account counts only when it belongs to a confirmed youth panel member: otherwise
anyone could sign up with several e-mail addresses and vote once with each. That is one query;
the signed code cookie needs none (it is only ever set after redeem() bound the code to this
phone). The WebSocket consumer calls participant_for_scope() through database_sync_to_async.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

# Module import, not `from youth_panel.views import ...`: views may import this module too, and
# attribute access at call time keeps that cycle harmless.
from youth_panel import views
from youth_panel.models import JOIN_ALPHABET, PanelMember, PollCode, PollSession
from youth_panel.polls import VoteError

Mode = PollSession.Mode
CODE_LENGTH = 8
MAX_CODES_AT_ONCE = 2000
CODE_COOKIE_PREFIX = "stemcode-"
# Distinct from views.PARTICIPANT_SALT: a participant cookie can never pass as a code cookie.
CODE_COOKIE_SALT = "youth_panel.poll-code"
# Longer than a participant cookie: a used code cannot be typed in again on another day.
CODE_COOKIE_MAX_AGE = 14 * 24 * 60 * 60
_HMAC_SALT = "jeugdstem.youth_panel.poll-code"


def new_code() -> str:
    """A random 8-character code from the unambiguous alphabet (no 0/O, 1/I/L)."""
    return "".join(secrets.choice(JOIN_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    """What a participant typed, without spaces, dashes or other marks, in capitals."""
    return "".join(ch for ch in typed if ch.isalnum()).upper()


def format_code(code: str) -> str:
    """ABCD-EFGH: two groups of four, easier to read from a slip of paper."""
    return f"{code[:4]}-{code[4:]}"


def hash_code(code: str) -> str:
    """The keyed hash that is stored instead of the code."""
    return salted_hmac(_HMAC_SALT, normalise_code(code), algorithm="sha256").hexdigest()


def issue_codes(session: PollSession, n: int) -> list[str]:
    """Make n new codes for a session; the plain codes are returned here, once, and never stored."""
    if not 1 <= n <= MAX_CODES_AT_ONCE:
        raise ValueError(f"between 1 and {MAX_CODES_AT_ONCE} codes at once, not {n}")
    taken = set(PollCode.objects.filter(session=session).values_list("code_hash", flat=True))
    fresh: dict[str, str] = {}
    while len(fresh) < n:
        code = new_code()
        digest = hash_code(code)
        if digest not in taken and digest not in fresh:
            fresh[digest] = code
    PollCode.objects.bulk_create(
        [PollCode(session=session, code_hash=digest) for digest in fresh], batch_size=500
    )
    return list(fresh.values())


def redeem(session: PollSession, typed_code: str, *, bound_pk: int | None = None) -> PollCode:
    """The code a participant typed, now bound to their phone; VoteError when it cannot be used.

    bound_pk is the code this phone already holds (from its cookie): typing that code again is
    fine. Any other code must be unused; of several phones typing it at once, exactly one wins.
    """
    if session.mode != Mode.COUNTED:
        raise VoteError("not_counted", _("Bij deze peiling heb je geen code nodig."))
    if session.status == PollSession.Status.ENDED:
        raise VoteError("ended", _("Deze peiling is klaar. Stemmen kan niet meer."))
    code = normalise_code(typed_code)
    if len(code) != CODE_LENGTH:
        raise VoteError(
            "bad_code",
            _("Een code heeft 8 letters en cijfers, zoals ABCD-EFGH. Kijk nog een keer."),
        )
    poll_code = PollCode.objects.filter(session=session, code_hash=hash_code(code)).first()
    if poll_code is None:
        raise VoteError(
            "unknown_code",
            _("We kennen deze code niet. Kijk goed op je papiertje en typ hem nog een keer."),
        )
    if poll_code.pk == bound_pk:
        return poll_code
    now = timezone.now()
    # One conditional UPDATE: the database lets exactly one of several parallel phones claim it.
    claimed = PollCode.objects.filter(pk=poll_code.pk, used_at__isnull=True).update(used_at=now)
    if not claimed:
        raise VoteError(
            "used_code",
            _(
                "Deze code is al gebruikt op een andere telefoon. Een code werkt maar op één "
                "telefoon. Vraag de gespreksleider om hulp."
            ),
        )
    poll_code.used_at = now
    return poll_code


# --- the code cookie ------------------------------------------------------------------------


def code_cookie_name(session: PollSession) -> str:
    """One cookie per session, so a phone can hold codes for two sessions."""
    return f"{CODE_COOKIE_PREFIX}{session.pk}"


def set_code_cookie(
    response: HttpResponse, request: HttpRequest, session: PollSession, poll_code: PollCode
) -> None:
    """Bind a redeemed code to this phone."""
    response.set_signed_cookie(
        code_cookie_name(session),
        f"{session.pk}:{poll_code.pk}",
        salt=CODE_COOKIE_SALT,
        max_age=CODE_COOKIE_MAX_AGE,
        httponly=True,
        samesite="Lax",
        secure=request.is_secure(),
    )


def bound_code_pk(cookies: Mapping[str, str], session: PollSession) -> int | None:
    """The pk of the code this phone redeemed for this session; None when missing or forged."""
    name = code_cookie_name(session)
    # Through HttpRequest.get_signed_cookie(), so reading follows Django's signing scheme exactly.
    request = HttpRequest()
    if cookies.get(name):
        request.COOKIES[name] = cookies[name]
    value = request.get_signed_cookie(
        name, default=None, salt=CODE_COOKIE_SALT, max_age=CODE_COOKIE_MAX_AGE
    )
    session_pk, _sep, code_pk = (value or "").partition(":")
    if session_pk != str(session.pk) or not code_pk.isdigit():
        return None
    return int(code_pk)


# --- who is voting --------------------------------------------------------------------------


def _counted_participant(user, cookies: Mapping[str, str], session: PollSession) -> str | None:
    if is_panel_voter(user):
        return f"user:{user.pk}"
    code_pk = bound_code_pk(cookies, session)
    return f"code:{code_pk}" if code_pk is not None else None


def is_panel_voter(user) -> bool:
    """A signed-in, active youth panel member who no longer waits for a parent."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return PanelMember.objects.confirmed().filter(user=user).exists()


def participant_for_request(request: HttpRequest, session: PollSession) -> str | None:
    """The voter behind an HTTP request in this session's mode; None when not known (yet).

    Live mode: None means a new phone (the caller makes a participant id). Counted mode: None
    means no account and no code yet (send the phone to the code page).
    """
    if session.mode != Mode.COUNTED:
        return views.participant_id(request)
    return _counted_participant(getattr(request, "user", None), request.COOKIES, session)


def participant_for_scope(scope: Mapping, session: PollSession) -> str | None:
    """The voter behind a WebSocket (Channels scope with cookies and user), by the same rules."""
    cookies = scope.get("cookies") or {}
    if session.mode != Mode.COUNTED:
        return views.participant_from_cookie(cookies.get(views.PARTICIPANT_COOKIE))
    return _counted_participant(scope.get("user"), cookies, session)
