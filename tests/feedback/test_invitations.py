"""Invitations: who is asked, codes with enough randomness, stored only as a keyed hash."""

import datetime

import pytest
from django.utils import timezone

from feedback.choices import AgeBand, NoInviteReason, Respondent
from feedback.invitations import (
    find_open_invitation,
    format_code,
    hash_code,
    issue_invitations,
    new_code,
    renew_code,
    respondents_for,
)
from feedback.models import Invitation


@pytest.mark.parametrize(
    ("age_band", "agreed", "expected"),
    [
        (AgeBand.AGE_0_3, False, [Respondent.PARENT]),
        (AgeBand.AGE_4_11, True, [Respondent.PARENT]),
        (AgeBand.AGE_12_15, False, [Respondent.YOUTH, Respondent.PARENT]),
        (AgeBand.AGE_16_17, False, [Respondent.YOUTH]),
        (AgeBand.AGE_16_17, True, [Respondent.YOUTH, Respondent.PARENT]),
        (AgeBand.AGE_18_22, False, [Respondent.YOUTH]),
        (AgeBand.AGE_18_22, True, [Respondent.YOUTH, Respondent.PARENT]),
    ],
)
def test_age_band_decides_who_is_invited(make_case, age_band, agreed, expected):
    case = make_case(age_band=age_band, youth_agreed_parent_invite=agreed)
    assert respondents_for(case) == expected
    issued = issue_invitations(case)
    assert sorted(i.invitation.respondent for i in issued) == sorted(expected)
    assert len({i.code for i in issued}) == len(expected), "each respondent has their own code"


@pytest.mark.parametrize("reason", [choice for choice, _ in NoInviteReason.choices])
def test_no_invite_stops_every_invitation(make_case, reason):
    case = make_case(no_invite=True, no_invite_reason=reason)
    assert issue_invitations(case) == []
    assert not Invitation.objects.exists()


def test_no_invite_set_later_stops_an_existing_code(make_case):
    case = make_case()
    code = issue_invitations(case)[0].code
    case.no_invite, case.no_invite_reason = True, NoInviteReason.SAFETY
    case.save()
    assert find_open_invitation(code) is None


def test_codes_have_at_least_128_random_bits_and_only_the_hash_is_stored(make_case):
    code = new_code()
    assert len(code) * 5 >= 128
    assert set(code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    issued = issue_invitations(make_case())[0]
    stored = Invitation.objects.get(pk=issued.invitation.pk)
    values = [str(getattr(stored, f.attname)) for f in Invitation._meta.concrete_fields]
    assert not any(issued.code in value for value in values)
    assert stored.code_hash == hash_code(issued.code) != hash_code(new_code())


def test_a_code_is_found_whatever_the_dashes_spaces_and_case(make_case):
    issued = issue_invitations(make_case())[0]
    typed = format_code(issued.code).lower().replace("-", " ")
    assert find_open_invitation(typed) == issued.invitation
    confusable = issued.code.replace("O", "0").replace("I", "1").replace("B", "8")
    assert find_open_invitation(confusable) == issued.invitation


def test_expired_used_and_unknown_codes_are_refused_alike(make_case, settings):
    settings.SURVEY_CODE_VALID_DAYS = 30
    used, expired = issue_invitations(make_case(age_band=AgeBand.AGE_12_15))
    Invitation.objects.filter(pk=used.invitation.pk).update(used=True)
    later = timezone.now() + datetime.timedelta(days=31)
    assert find_open_invitation(used.code) is None
    assert find_open_invitation(expired.code, now=later) is None
    assert find_open_invitation(new_code()) is None
    assert find_open_invitation("") is None
    assert find_open_invitation("X" * 500) is None
    assert find_open_invitation(expired.code) == expired.invitation


def test_issuing_twice_makes_no_second_code(make_case):
    case = make_case()
    assert len(issue_invitations(case)) == 2
    assert issue_invitations(case) == []


def test_a_renewed_code_replaces_the_old_one(make_case):
    issued = issue_invitations(make_case())[0]
    renewed = renew_code(issued.invitation)
    assert find_open_invitation(issued.code) is None
    assert find_open_invitation(renewed.code) == issued.invitation
