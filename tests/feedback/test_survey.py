"""The survey as a respondent meets it: code in, steps saved, submit once, nothing traceable."""

import re
import threading

import pytest
from django.db import connection

from feedback.choices import AgeBand, Respondent
from feedback.invitations import format_code, issue_invitations
from feedback.models import Invitation, SafeguardingFlag, SurveyDraft, SurveyResponse
from feedback.survey import STEPS, release_answers, submit
from tests.feedback.helpers import survey_post

CARE_WORDS = re.compile(r"jeugdhulp|jeugdzorg|\bzorg\b|\bhulp\b|CJG|Zorgaanbieder", re.I)


@pytest.fixture
def parent_code(make_case):
    """A parent's code for a 4-11 case (parents only)."""
    return issue_invitations(make_case(age_band=AgeBand.AGE_4_11))[0].code


def _answer_all(client, answers: dict[int, dict]):
    response = None
    for number in range(1, len(STEPS) + 1):
        response = survey_post(client, f"/m/vragen/{number}/", answers.get(number, {}))
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
    response = survey_post(client, "/m/", {"code": f"  {format_code(parent_code).lower()} "})
    assert response.status_code == 302 and response.url == "/m/vragen/1/"


def test_every_step_is_saved_and_the_same_code_resumes_on_another_device(client, parent_code):
    client.get(f"/m/{parent_code}/")
    survey_post(client, "/m/vragen/1/", {"usefulness": "8"})
    survey_post(client, "/m/vragen/2/", {"further_help": "none"})
    draft = SurveyDraft.objects.get()
    assert draft.answers == {"usefulness": "8", "further_help": "none"}
    own = client.get("/m/vragen/1/").content.decode()
    assert re.search(r'value="8"[^>]*checked|checked[^>]*value="8"', own)

    other_device = type(client)()
    response = other_device.get(f"/m/{parent_code}/")
    assert response.url == "/m/vragen/3/"
    page = other_device.get("/m/vragen/1/").content.decode()
    assert "checked" not in page, "answers saved earlier are not shown to whoever holds the code"
    assert "Je hebt eerder al antwoorden bewaard." in page
    survey_post(other_device, "/m/vragen/1/", {})
    assert SurveyDraft.objects.get().answers["usefulness"] == "8", "an empty field keeps it"
    survey_post(other_device, "/m/vragen/1/", {"usefulness": "9"})
    assert SurveyDraft.objects.get().answers["usefulness"] == "9"


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
        "story_text",
        "story_indicator",
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
    assert submit(invitation) is True
    assert submit(invitation) is False
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
    assert results.count(True) == 1


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
        survey_post(client, f"/m/vragen/{number}/", {})
    response = survey_post(
        client, "/m/vragen/5/", {"what_should_change": "Mijn vader slaat me nog steeds."}
    )
    page = client.get(response.url).content.decode()
    assert "Wil je nu met iemand praten?" in page and "0800-2000" in page
    done = client.get(survey_post(client, f"/m/vragen/{len(STEPS)}/", {}).url).content.decode()
    assert "0800-0432" in done and "113" in done
    flag = SafeguardingFlag.objects.get()
    assert "slaat me" in flag.matched
    assert flag.response.what_should_change == "Mijn vader slaat me nog steeds."


def test_oversized_open_answer_is_refused_with_a_message_and_earlier_steps_are_kept(
    client, parent_code
):
    client.get(f"/m/{parent_code}/")
    survey_post(client, "/m/vragen/1/", {"usefulness": "6"})
    response = survey_post(client, "/m/vragen/5/", {"most_important_change": "x" * 5000})
    assert response.status_code == 200
    assert 'class="field-error"' in response.content.decode()
    assert SurveyDraft.objects.get().answers == {"usefulness": "6"}


def test_unknown_option_is_refused_and_nothing_is_saved(client, parent_code):
    client.get(f"/m/{parent_code}/")
    response = survey_post(client, "/m/vragen/1/", {"usefulness": "11"})
    assert response.status_code == 200
    assert not SurveyDraft.objects.exists()


def test_steps_without_a_code_go_back_to_the_start(client):
    response = client.get("/m/vragen/2/")
    assert response.status_code == 302 and response.url == "/m/"


def test_session_cookie_is_same_site_so_other_sites_cannot_post_answers(settings):
    assert settings.SESSION_COOKIE_SAMESITE in ("Lax", "Strict")


def test_answers_are_released_together_in_batches(make_case, settings):
    settings.SURVEY_RELEASE_BATCH = 3
    invitations = [
        issue_invitations(make_case(age_band=AgeBand.AGE_0_3))[0].invitation for _ in range(3)
    ]
    assert submit(invitations[0]) and submit(invitations[1])
    assert not SurveyResponse.objects.exists()
    assert SurveyDraft.objects.filter(submitted=True).count() == 2
    assert submit(invitations[2])
    assert SurveyResponse.objects.count() == 3
    assert not SurveyDraft.objects.exists()
    assert release_answers() == 0


def test_the_release_command_writes_answers_that_waited_too_long(make_case, settings):
    import datetime

    from django.core.management import call_command

    settings.SURVEY_RELEASE_BATCH = 10
    invitation = issue_invitations(make_case(age_band=AgeBand.AGE_0_3))[0].invitation
    submit(invitation)
    call_command("release_answers", stdout=__import__("io").StringIO())
    assert not SurveyResponse.objects.exists()
    SurveyDraft.objects.update(updated_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC))
    call_command("release_answers", stdout=__import__("io").StringIO())
    assert SurveyResponse.objects.count() == 1


def test_a_renewed_code_closes_a_session_that_the_old_code_opened(client, make_case):
    from feedback.invitations import renew_code

    issued = issue_invitations(make_case(age_band=AgeBand.AGE_4_11))[0]
    client.get(f"/m/{issued.code}/")
    assert client.get("/m/vragen/1/").status_code == 200
    renew_code(issued.invitation)
    assert client.get("/m/vragen/1/").url == "/m/"


def test_an_expired_code_closes_its_session(client, parent_code):
    client.get(f"/m/{parent_code}/")
    Invitation.objects.update(expires_at="2020-01-01T00:00Z")
    response = survey_post(client, "/m/vragen/1/", {"usefulness": "5"})
    assert response.url == "/m/"
    assert not SurveyDraft.objects.exists()


def test_an_idle_session_needs_the_code_again(client, parent_code, settings):
    client.get(f"/m/{parent_code}/")
    session = client.session
    session["survey_seen"] -= settings.SURVEY_IDLE_MINUTES * 60 + 1
    session.save()
    assert client.get("/m/vragen/1/").url == "/m/"


def test_the_survey_session_ends_with_the_browser(client, parent_code):
    client.get(f"/m/{parent_code}/")
    assert client.session.get_expire_at_browser_close()


def test_a_post_without_the_form_token_saves_nothing(client, parent_code):
    client.get(f"/m/{parent_code}/")
    response = client.post("/m/vragen/1/", {"usefulness": "4"})
    assert response.status_code == 200
    assert "De pagina was verlopen" in response.content.decode()
    assert not SurveyDraft.objects.exists()


def test_a_step_posted_after_submit_leaves_no_draft(client, parent_code):
    client.get(f"/m/{parent_code}/")
    survey_post(client, "/m/vragen/1/", {"usefulness": "8"})
    submit(Invitation.objects.get())
    from feedback.survey import save_step

    assert save_step(Invitation.objects.get(), 0, {"usefulness": "3"}) is None
    assert not SurveyDraft.objects.exists()


def test_nothing_of_the_survey_stays_in_the_session_after_submit(client, parent_code):
    client.get(f"/m/{parent_code}/")
    for number in range(1, len(STEPS) + 1):
        survey_post(client, f"/m/vragen/{number}/", {})
    from feedback import views_survey as views

    session = client.session
    for key in (
        views.SESSION_KEY,
        views.CODE_KEY,
        views.PREFILL_KEY,
        views.SEEN_KEY,
        views.TOKEN_KEY,
    ):
        assert key not in session, key


def test_the_language_switch_never_repeats_a_code(client, parent_code):
    html = client.get("/m/ONBEKENDECODE12345/").content.decode()
    assert "ONBEKENDECODE12345" not in html.split("<main")[0]
    assert "next=/m/" in html


def test_a_signal_keeps_only_a_date_and_a_random_key(client, parent_code):
    from feedback.models import SafeguardingFlag

    fields = {
        field.name: field.get_internal_type() for field in SafeguardingFlag._meta.concrete_fields
    }
    assert fields["id"] == "UUIDField"
    assert not any(
        kind == "DateTimeField" and name != "handled_at" for name, kind in fields.items()
    )


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("Er is kindermishandeling bij ons thuis.", True),
        ("Ik word thuis geslagen.", True),
        ("Ik wil er niet meer zijn.", True),
        ("Ik heb suïcidale gedachten.", True),
        ("Partnergeweld tussen mijn ouders.", True),
        ("I want to die.", True),
        ("De wachtlijst was verschrikkelijk slecht.", False),
        ("The waiting list was terrible.", False),
        ("Het was fijn, ik werd gehoord.", False),
    ],
)
def test_safeguarding_finds_danger_and_leaves_complaints_alone(text, flagged):
    from feedback.safeguarding import check

    assert check(text).flagged is flagged
