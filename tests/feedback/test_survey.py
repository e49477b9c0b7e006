"""The survey as a respondent meets it: code in, steps saved, submit once, nothing traceable."""

import re
import threading

import pytest
from django.db import connection

from feedback.choices import AgeBand, Respondent
from feedback.invitations import format_code, issue_invitations
from feedback.models import Invitation, SafeguardingFlag, SurveyDraft, SurveyResponse
from feedback.survey import STEPS, submit

CARE_WORDS = re.compile(r"jeugdhulp|jeugdzorg|\bzorg\b|\bhulp\b|CJG|Zorgaanbieder", re.I)


@pytest.fixture
def parent_code(make_case):
    """A parent's code for a 4-11 case (parents only)."""
    return issue_invitations(make_case(age_band=AgeBand.AGE_4_11))[0].code


def _answer_all(client, answers: dict[int, dict]):
    response = None
    for number in range(1, len(STEPS) + 1):
        response = client.post(f"/m/vragen/{number}/", answers.get(number, {}))
    return response


def test_the_code_link_opens_a_session_and_leaves_the_address_bar(client, parent_code):
    response = client.get(f"/m/{parent_code}/")
    assert response.status_code == 302
    assert response.url == "/m/vragen/1/"
    assert parent_code not in response.url
    page = client.get(response.url)
    assert page.status_code == 200
    assert "Welk rapportcijfer geeft u de hulp?" in page.content.decode()


def test_survey_pages_send_no_referrer_and_are_not_stored(client, parent_code):
    for response in (
        client.get(f"/m/{parent_code}/"),
        client.get("/m/vragen/1/"),
        client.get("/m/"),
    ):
        assert response["Referrer-Policy"] == "no-referrer"
        assert "no-store" in response["Cache-Control"]


def test_landing_and_code_pages_never_mention_care(db, client):
    for url in ("/m/", "/m/ONBEKEND/"):
        html = client.get(url).content.decode()
        body = html.split("<body", 1)[1]
        text = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S))
        assert not CARE_WORDS.search(text), CARE_WORDS.search(text).group(0)


def test_used_expired_and_unknown_codes_get_the_same_page(client, make_case, settings):
    used, expired = issue_invitations(make_case(age_band=AgeBand.AGE_12_15))
    Invitation.objects.filter(pk=used.invitation.pk).update(used=True)
    Invitation.objects.filter(pk=expired.invitation.pk).update(expires_at="2020-01-01T00:00Z")
    pages = [
        client.get(f"/m/{code}/").content.decode().replace(code, "")
        for code in (used.code, expired.code, "AAAAABBBBBCCCCCDDDDDEEEEEFFF")
    ]
    assert pages[0] == pages[1] == pages[2]
    assert "Deze code werkt niet" in pages[0]


def test_typed_code_with_dashes_and_spaces_opens_the_survey(client, parent_code):
    response = client.post("/m/", {"code": f"  {format_code(parent_code).lower()} "})
    assert response.status_code == 302 and response.url == "/m/vragen/1/"


def test_every_step_is_saved_and_the_same_code_resumes_on_another_device(client, parent_code):
    client.get(f"/m/{parent_code}/")
    client.post("/m/vragen/1/", {"usefulness": "8"})
    client.post("/m/vragen/2/", {"further_help": "none"})
    draft = SurveyDraft.objects.get()
    assert draft.answers == {"usefulness": "8", "further_help": "none"}

    other_device = type(client)()
    response = other_device.get(f"/m/{parent_code}/")
    assert response.url == "/m/vragen/3/"
    page = other_device.get("/m/vragen/1/").content.decode()
    assert re.search(r'value="8"[^>]*checked|checked[^>]*value="8"', page)


def test_every_question_may_be_skipped(client, parent_code):
    client.get(f"/m/{parent_code}/")
    response = _answer_all(client, {})
    assert response.url == "/m/klaar/"
    answer = SurveyResponse.objects.get()
    assert answer.usefulness is None and answer.further_help == ""


def test_submitting_burns_the_code_and_stores_an_anonymous_answer(client, parent_code, provider):
    client.get(f"/m/{parent_code}/")
    _answer_all(
        client,
        {
            1: {"usefulness": "7"},
            3: {"problems_reduced": "4", "feels_safer": "x"},
            5: {"most_important_change": "We praten weer met elkaar."},
            6: {"consent_to_quote": "on"},
        },
    )
    answer = SurveyResponse.objects.get()
    assert answer.respondent == Respondent.PARENT
    assert answer.usefulness == 7 and answer.problems_reduced == "4" and answer.feels_safer == "x"
    assert answer.provider == provider and answer.end_period == "2026-H2"
    assert answer.story_status == SurveyResponse.StoryStatus.PENDING
    invitation = Invitation.objects.get()
    assert invitation.used and invitation.contact == ""
    assert not SurveyDraft.objects.exists()
    assert "Deze code werkt niet" in client.get(f"/m/{parent_code}/").content.decode()


def test_no_field_of_an_answer_leads_back_to_a_code_case_or_contact():
    allowed = {
        "id",
        "respondent",
        "period",
        "provider",
        "help_type",
        "end_reason",
        "district",
        "age_band",
        "end_period",
        "usefulness",
        "further_help",
        "goals_reached",
        "problems_reduced",
        "better_at_home",
        "better_at_school",
        "feels_safer",
        "taken_seriously",
        "decided_together",
        "started_fast",
        "ended_right_moment",
        "most_important_change",
        "what_should_change",
        "consent_to_quote",
        "parent_consent",
        "story_status",
        "synthetic",
    }
    fields = {field.name for field in SurveyResponse._meta.get_fields() if field.concrete}
    assert fields == allowed
    for field in SurveyResponse._meta.get_fields():
        if field.is_relation and field.concrete:
            assert field.related_model.__name__ == "Provider"
    assert not any(
        "time" in f.get_internal_type().lower() for f in SurveyResponse._meta.concrete_fields
    )
    assert SurveyResponse._meta.pk.get_internal_type() == "UUIDField"


def test_double_submit_counts_once(make_case):
    invitation = issue_invitations(make_case(age_band=AgeBand.AGE_0_3))[0].invitation
    assert submit(invitation) is not None
    assert submit(invitation) is None
    assert SurveyResponse.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_submits_of_one_code_count_once(make_case):
    invitation = issue_invitations(make_case(age_band=AgeBand.AGE_0_3))[0].invitation
    results: list = []
    errors: list = []

    def worker():
        try:
            results.append(submit(invitation))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert SurveyResponse.objects.count() == 1
    assert sum(result is not None for result in results) == 1


def test_youth_under_16_quote_needs_parent_consent_too(client, make_case):
    youth = issue_invitations(make_case(age_band=AgeBand.AGE_12_15))[0]
    assert youth.invitation.respondent == Respondent.YOUTH
    client.get(f"/m/{youth.code}/")
    page = client.get(f"/m/vragen/{len(STEPS)}/").content.decode()
    assert "Mijn ouder of verzorger vindt dit ook goed." in page
    _answer_all(client, {5: {"most_important_change": "Beter."}, 6: {"consent_to_quote": "on"}})
    answer = SurveyResponse.objects.get()
    assert not answer.consent_to_quote
    assert answer.story_status == SurveyResponse.StoryStatus.NONE


def test_a_danger_signal_is_flagged_and_help_is_shown_at_once(client, parent_code):
    client.get(f"/m/{parent_code}/")
    for number in range(1, 5):
        client.post(f"/m/vragen/{number}/", {})
    response = client.post(
        "/m/vragen/5/", {"what_should_change": "Mijn vader slaat me nog steeds."}
    )
    page = client.get(response.url).content.decode()
    assert "Wil je nu met iemand praten?" in page and "0800-2000" in page
    done = client.get(client.post(f"/m/vragen/{len(STEPS)}/", {}).url).content.decode()
    assert "0800-0432" in done and "113" in done
    flag = SafeguardingFlag.objects.get()
    assert "slaat me" in flag.matched
    assert flag.response.what_should_change == "Mijn vader slaat me nog steeds."


def test_oversized_open_answer_is_refused_with_a_message_and_earlier_steps_are_kept(
    client, parent_code
):
    client.get(f"/m/{parent_code}/")
    client.post("/m/vragen/1/", {"usefulness": "6"})
    response = client.post("/m/vragen/5/", {"most_important_change": "x" * 5000})
    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()
    assert SurveyDraft.objects.get().answers == {"usefulness": "6"}


def test_unknown_option_is_refused_and_nothing_is_saved(client, parent_code):
    client.get(f"/m/{parent_code}/")
    response = client.post("/m/vragen/1/", {"usefulness": "11"})
    assert response.status_code == 200
    assert not SurveyDraft.objects.exists()


def test_steps_without_a_code_go_back_to_the_start(client):
    response = client.get("/m/vragen/2/")
    assert response.status_code == 302 and response.url == "/m/"


def test_session_cookie_is_same_site_so_other_sites_cannot_post_answers(settings):
    assert settings.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")
