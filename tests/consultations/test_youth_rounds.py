"""Youth rounds: a question set answered on a phone, once, in the open phase, never linked to a
person; results only as counts, with small counts hidden in public.

Personas (besides those in conftest): `panel_member` is signed in with a youth panel profile
and answers once by the unique constraint; an anonymous `client` answers once per browser.
"""

from __future__ import annotations

import datetime
import threading
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from wagtail.test.utils.form_data import inline_formset, nested_form_data, rich_text

from config.pagecache import MARKER
from consultations import youth
from consultations.models import (
    ConsultationPage,
    YouthAnswer,
    YouthParticipation,
    YouthQuestion,
    YouthResponse,
)
from youth_panel.models import PanelMember

from .conftest import START

Kind = YouthQuestion.Kind


@pytest.fixture
def make_round(make_consultation):
    """A youth-panel consultation with one question of each kind (the first one required)."""

    def make(**fields) -> ConsultationPage:
        page = make_consultation(
            audience=ConsultationPage.Audience.YOUTH_PANEL, draft_text="", **fields
        )
        questions = [
            YouthQuestion(
                kind=Kind.SINGLE,
                text="Vind je je weg naar hulp?",
                options_text="Ja\nNee",
                required=True,
            ),
            YouthQuestion(
                kind=Kind.MULTIPLE,
                text="Waar ga je naartoe?",
                options_text="Huisarts\nJongerenpunt\nSchool",
                max_choices=2,
            ),
            YouthQuestion(kind=Kind.SCALE, text="Hoe belangrijk zijn vrienden?"),
            YouthQuestion(kind=Kind.OPEN, text="Wat wil je ons meegeven?"),
            YouthQuestion(kind=Kind.STORY, text="Vertel je verhaal"),
        ]
        for position, question in enumerate(questions):
            question.page = page
            question.sort_order = position
            question.save()
        return page

    return make


@pytest.fixture
def youth_round(make_round) -> ConsultationPage:
    """An open youth round (opened a day before START, closes two weeks after)."""
    return make_round()


def q(page: ConsultationPage, kind: str) -> YouthQuestion:
    return page.youth_questions.get(kind=kind)


def answers_for(page: ConsultationPage, token=None, **values) -> dict:
    """POST data: values by question kind, such as single="1" or multiple=["1", "2"]."""
    data = {"token": str(token or uuid.uuid4())}
    for kind, value in values.items():
        if kind == "consent":
            data[youth.consent_name(q(page, Kind.STORY))] = "on"
        else:
            data[youth.field_name(q(page, kind))] = value
    return data


def url(page: ConsultationPage) -> str:
    return page.subpage_url("questions")


@pytest.fixture
def panel_member(db):
    """Signed up for the youth panel (16-17, a district)."""
    user = get_user_model().objects.create_user(username="jongere", email="jongere@example.org")
    PanelMember.objects.create(
        user=user,
        age_band=PanelMember.AgeBand.AGE_16_17,
        district="Overdie",
        consent_version="1",
        consented_at=timezone.now(),
    )
    return user


# --- the page -----------------------------------------------------------------------------


def test_the_question_page_has_a_fieldset_and_legend_per_question(client, youth_round):
    response = client.get(url(youth_round))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("<fieldset") == 5 and html.count("<legend>") == 5
    assert "Mijn verhaal mag anoniem gebruikt worden op de website" in html
    assert "(verplicht)" in html
    assert "cookie" in html  # says honestly how "once per browser" works


def test_the_question_page_is_never_cached(client, youth_round):
    response = client.get(url(youth_round))
    assert response.get(MARKER) is None
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_a_consultation_without_questions_has_no_question_page(client, consultation):
    assert client.get(url(consultation)).status_code == 404


def test_the_consultation_page_links_to_the_questions_while_open(client, youth_round):
    html = client.get(youth_round.url).content.decode()
    assert url(youth_round) in html and "Naar de vragen" in html
    assert "De tekst staat hier binnenkort." not in html


# --- once per browser, once per member ----------------------------------------------------


def test_an_anonymous_answer_is_saved_once_per_browser(client, youth_round):
    response = client.post(url(youth_round), answers_for(youth_round, single="1"))
    assert response.status_code == 303
    assert youth.cookie_name(youth_round) in response.cookies
    page = client.get(url(youth_round)).content.decode()
    assert "Je hebt de vragen ingevuld" in page and "<fieldset" not in page

    client.post(url(youth_round), answers_for(youth_round, single="2"))
    assert YouthResponse.objects.count() == 1
    assert YouthAnswer.objects.get().choice == "Ja"


def test_another_browser_can_answer_again_which_the_page_says_honestly(client, youth_round):
    client.post(url(youth_round), answers_for(youth_round, single="1"))
    client.cookies.clear()
    client.post(url(youth_round), answers_for(youth_round, single="1"))
    assert YouthResponse.objects.count() == 2


def test_a_forged_cookie_does_not_count(client, youth_round):
    client.cookies[youth.cookie_name(youth_round)] = "1"
    assert "<fieldset" in client.get(url(youth_round)).content.decode()


def test_a_double_submit_of_the_same_form_counts_once(client, youth_round):
    data = answers_for(youth_round, single="1")
    client.post(url(youth_round), data)
    client.cookies.clear()  # the second post left before the first answer came back
    response = client.post(url(youth_round), data, follow=True)
    assert "al opgeslagen" in response.content.decode()
    assert YouthResponse.objects.count() == 1 and YouthAnswer.objects.count() == 1


def test_a_panel_member_answers_once_and_the_answers_do_not_name_them(
    client, youth_round, panel_member
):
    client.force_login(panel_member)
    assert "lid van het jongerenpanel" in client.get(url(youth_round)).content.decode()
    client.post(url(youth_round), answers_for(youth_round, single="1", open="Meer info"))
    response = client.post(url(youth_round), answers_for(youth_round, single="2"), follow=True)
    assert "al ingevuld" in response.content.decode()
    assert YouthParticipation.objects.get().user == panel_member
    assert YouthResponse.objects.count() == 1
    # Nothing on a response or an answer points at a person, an age or a moment.
    for model in (YouthResponse, YouthAnswer):
        names = {f.name for f in model._meta.get_fields()}
        assert not names & {"user", "author", "member", "age_band", "district", "created_at"}
        assert model._meta.pk.get_internal_type() == "UUIDField"
    assert not any(
        f.is_relation and f.related_model is get_user_model()
        for model in (YouthResponse, YouthAnswer)
        for f in model._meta.get_fields()
    )


def test_a_member_is_not_remembered_by_cookie_but_by_the_participation_record(
    client, youth_round, panel_member
):
    client.force_login(panel_member)
    response = client.post(url(youth_round), answers_for(youth_round, single="1"))
    assert youth.cookie_name(youth_round) not in response.cookies
    assert "Je hebt de vragen ingevuld" in client.get(url(youth_round)).content.decode()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_ten_parallel_posts_of_one_member_store_one_response(make_round, panel_member):
    page = make_round()
    question = q(page, Kind.SINGLE)
    threads_count = 10
    barrier = threading.Barrier(threads_count)
    results: list = [None] * threads_count

    def work(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            answer = YouthAnswer(question=question, choice="Ja")
            results[index] = youth.save_response(page, [answer], uuid.uuid4(), panel_member)
        except Exception as exc:  # noqa: BLE001 - kept and asserted below
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [r for r in results if isinstance(r, Exception)] == []
    assert results.count(youth.Saved.SAVED) == 1
    assert results.count(youth.Saved.TOOK_PART) == threads_count - 1
    assert YouthParticipation.objects.count() == 1
    assert YouthResponse.objects.count() == 1 and YouthAnswer.objects.count() == 1


# --- phases -------------------------------------------------------------------------------


def test_before_the_open_phase_the_page_says_when_it_opens(client, make_round):
    page = make_round(opens_at=START + datetime.timedelta(days=2))
    html = client.get(url(page)).content.decode()
    assert "De vragen zijn nog niet open" in html and "<fieldset" not in html


def test_after_the_phase_the_page_says_it_is_closed(client, youth_round, clock):
    clock.move(days=15)
    html = client.get(url(youth_round)).content.decode()
    assert "De vragen zijn gesloten sinds" in html and "<fieldset" not in html


def test_an_answer_sent_after_closing_keeps_the_text_with_a_message(client, youth_round, clock):
    client.get(url(youth_round))
    clock.move(days=15)
    data = answers_for(youth_round, single="1", open="Mijn lange verhaal over school")
    response = client.post(url(youth_round), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "De vragen zijn gesloten sinds" in html and "Er is niets verloren" in html
    assert "Mijn lange verhaal over school</textarea>" in html
    assert YouthResponse.objects.count() == 0


# --- bad input ----------------------------------------------------------------------------


def test_an_empty_required_answer_is_refused_and_linked_to_its_question(client, youth_round):
    response = client.post(url(youth_round), answers_for(youth_round, open="Iets"))
    html = response.content.decode()
    field = youth.field_name(q(youth_round, Kind.SINGLE))
    assert "Geef een antwoord op deze vraag." in html
    assert f'aria-describedby="id_{field}-fout"' in html and f'href="#id_{field}_0"' in html
    assert "Iets</textarea>" in html  # the rest stays
    assert YouthResponse.objects.count() == 0


def test_a_form_with_nothing_filled_in_is_refused(client, make_round):
    page = make_round()
    page.youth_questions.update(required=False)
    html = client.post(url(page), answers_for(page)).content.decode()
    assert "Je hebt nog niets ingevuld" in html
    assert YouthResponse.objects.count() == 0


def test_a_too_long_answer_is_refused_and_kept(client, youth_round):
    text = "a" * 2001
    html = client.post(url(youth_round), answers_for(youth_round, single="1", open=text))
    html = html.content.decode()
    assert "Je tekst is te lang" in html and "2001" in html and text in html
    assert YouthResponse.objects.count() == 0


def test_too_many_choices_and_unknown_choices_are_refused(client, youth_round):
    html = client.post(
        url(youth_round), answers_for(youth_round, single="7", multiple=["1", "2", "3"])
    ).content.decode()
    assert "Kies er hoogstens 2." in html and "Geef een antwoord op deze vraag." in html
    assert YouthResponse.objects.count() == 0


def test_script_in_an_answer_is_shown_as_text(client, youth_round):
    script = "<script>alert(1)</script>"
    html = client.post(url(youth_round), answers_for(youth_round, open=script)).content.decode()
    assert script not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_story_keeps_consent_and_waits_for_moderation(client, youth_round):
    client.post(
        url(youth_round), answers_for(youth_round, single="1", story="Zo ging het", consent=1)
    )
    client.cookies.clear()
    client.post(url(youth_round), answers_for(youth_round, single="1", story="Zonder vinkje"))
    with_consent = YouthAnswer.objects.get(text="Zo ging het")
    without = YouthAnswer.objects.get(text="Zonder vinkje")
    assert with_consent.story_consent and with_consent.story_status == "pending"
    assert not without.story_consent and without.story_status == ""


def test_choice_questions_need_two_answers_in_the_editor(youth_round):
    from django.core.exceptions import ValidationError

    question = YouthQuestion(page=youth_round, kind=Kind.SINGLE, text="?", options_text="Ja")
    with pytest.raises(ValidationError):
        question.clean()
    question = YouthQuestion(
        page=youth_round, kind=Kind.MULTIPLE, text="?", options_text="A\nB", max_choices=3
    )
    with pytest.raises(ValidationError):
        question.clean()


# --- results ------------------------------------------------------------------------------


def _fill(page: ConsultationPage, count: int, **values) -> None:
    """Save `count` responses with the same answers, straight through save_response."""
    for _ in range(count):
        form = youth.QuestionSetForm(
            answers_for(page, **values), questions=page.youth_question_list()
        )
        assert form.is_valid(), form.errors
        youth.save_response(page, form.answers(), form.cleaned_data["token"])


def test_staff_results_are_exact_counts_percentages_and_the_mean(youth_round):
    _fill(youth_round, 3, single="1", multiple=["1", "2"], scale="4", open="Meer uitleg")
    _fill(youth_round, 1, single="2", multiple=["3"], scale="2")
    by_kind = {r.question.kind: r for r in youth.results(youth_round, with_texts=True)}
    single = by_kind[Kind.SINGLE]
    assert [(o.label, o.count, o.percent) for o in single.options] == [
        ("Ja", 3, 75.0),
        ("Nee", 1, 25.0),
    ]
    assert [o.count for o in by_kind[Kind.MULTIPLE].options] == [3, 3, 1]
    assert by_kind[Kind.SCALE].mean == 3.5
    assert [o.count for o in by_kind[Kind.SCALE].options] == [0, 1, 0, 3, 0]
    assert by_kind[Kind.OPEN].respondents == 3 and by_kind[Kind.OPEN].texts == ["Meer uitleg"] * 3


def test_public_results_hide_counts_under_ten_and_their_percentages(youth_round):
    _fill(youth_round, 10, single="1", scale="5")
    _fill(youth_round, 2, single="2", scale="5")
    shown = {r.question.kind: youth.public_question(r) for r in youth.results(youth_round)}
    single = shown[Kind.SINGLE]
    # The 2 is small; with the total shown, the 10 would give it away, so it is hidden too.
    assert [(row.label, row.count, row.percent) for row in single.rows] == [
        ("Ja", "te weinig reacties", ""),
        ("Nee", "te weinig reacties", ""),
    ]
    assert single.hidden and single.respondents == "10"  # 12, rounded like every public count
    assert shown[Kind.SCALE].mean == ""  # a mean could give hidden counts away


def test_public_results_show_percentages_and_the_mean_when_no_count_is_small(youth_round):
    _fill(youth_round, 15, single="1", scale="1", multiple=["1", "2"])
    _fill(youth_round, 15, single="2", scale="2", multiple=["1", "3"])
    shown = {r.question.kind: youth.public_question(r) for r in youth.results(youth_round)}
    assert [(row.count, row.percent) for row in shown[Kind.SINGLE].rows] == [
        ("15", "50%"),
        ("15", "50%"),
    ]
    assert shown[Kind.SINGLE].respondents == "30"
    assert shown[Kind.SCALE].hidden  # nobody chose 3, 4 or 5: those are small counts too
    multiple = shown[Kind.MULTIPLE]
    # "All 30 chose it" says as much about each of them as "2 did not": hidden as well.
    assert [row.count for row in multiple.rows] == ["te weinig reacties", "15", "15"]
    assert multiple.hidden and [row.percent for row in multiple.rows] == ["", "", ""]


def test_multiple_choice_shows_percentages_when_choosing_and_not_choosing_are_both_large(
    youth_round,
):
    _fill(youth_round, 20, single="1", multiple=["1", "2"])
    _fill(youth_round, 12, single="1", multiple=["1", "3"])
    _fill(youth_round, 10, single="1", multiple=["2", "3"])
    shown = {r.question.kind: youth.public_question(r) for r in youth.results(youth_round)}
    rows = shown[Kind.MULTIPLE].rows
    assert [(row.count, row.percent) for row in rows] == [
        ("30", "76%"),  # 32 of 42, rounded to 30 on the page; the percentage is exact
        ("30", "71%"),
        ("20", "52%"),
    ]


def test_trail_and_report_show_what_young_people_said_only_after_closing(
    client, youth_round, clock
):
    _fill(youth_round, 11, single="1", open="Geheime tekst", story="Mijn verhaal", consent=1)
    for name in ("trail", "report"):
        html = client.get(youth_round.subpage_url(name)).content.decode()
        assert "Wat zeiden jongeren?" in html and "als de vragen gesloten zijn" in html
    clock.move(days=15)
    for name in ("trail", "report"):
        html = client.get(youth_round.subpage_url(name)).content.decode()
        assert "Wat zeiden jongeren?" in html and "Vind je je weg naar hulp?" in html
        # 11 answered "Ja", nobody "Nee": both hidden, the total rounded.
        assert '<td class="num-col">10</td>' in html and "te weinig reacties" in html
        assert "Geheime tekst" not in html and "Mijn verhaal" not in html


def test_a_consultation_without_questions_has_no_youth_section(client, consultation):
    html = client.get(consultation.subpage_url("trail")).content.decode()
    assert "Wat zeiden jongeren?" not in html


def test_policy_staff_read_the_exact_results_in_the_admin(client, youth_round, policy_officer):
    _fill(youth_round, 2, single="1", open="<b>Meer</b> uitleg")
    admin_url = reverse("consultations_youth_results", args=(youth_round.pk,))
    client.force_login(policy_officer)
    html = client.get(admin_url).content.decode()
    assert "Vind je je weg naar hulp?" in html and "100%" in html
    assert "&lt;b&gt;Meer&lt;/b&gt; uitleg" in html


def test_the_page_editor_links_to_the_youth_results(client, youth_round):
    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "x")
    client.force_login(admin)
    edit = client.get(reverse("wagtailadmin_pages:edit", args=(youth_round.pk,)))
    assert reverse("consultations_youth_results", args=(youth_round.pk,)) in edit.content.decode()


def test_others_do_not_see_the_staff_results(client, youth_round, moderator):
    admin_url = reverse("consultations_youth_results", args=(youth_round.pk,))
    client.force_login(moderator)
    response = client.get(admin_url)
    assert response.status_code == 302  # Wagtail sends a refused admin page back to the start
    assert "Vind je je weg" not in response.content.decode()


def test_staff_add_questions_in_the_page_editor(client, index_page):
    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "x")
    client.force_login(admin)
    question = {
        "text": "Hoe gaat het?",
        "kind": "single",
        "explanation": "",
        "options_text": "Goed\nNiet goed",
        "max_choices": "2",
        "required": "on",
    }
    data = nested_form_data(
        {
            "title": "Vragen voor jongeren",
            "slug": "vragen-jongeren",
            "summary": "Kort.",
            "intro": rich_text(""),
            "audience": "youth_panel",
            "opens_at": "2026-03-01 09:00",
            "closes_at": "2026-03-20 17:00",
            "answered_at": "",
            "moderation": "before",
            "draft_text": "",
            "youth_questions": inline_formset([question]),
            "action-publish": "publish",
        }
    )
    response = client.post(
        reverse(
            "wagtailadmin_pages:add", args=("consultations", "consultationpage", index_page.pk)
        ),
        data,
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = ConsultationPage.objects.get(slug="vragen-jongeren")
    assert [question.options() for question in page.youth_question_list()] == [
        ["Goed", "Niet goed"]
    ]


# --- demo ---------------------------------------------------------------------------------


def test_the_demo_has_an_open_youth_round_with_the_jpra_questions(db, clock):
    from consultations.demo import seed_demo_consultation

    seed_demo_consultation()
    seed_demo_consultation()
    page = ConsultationPage.objects.get(slug="jongerenpanel-weg-naar-hulp")
    assert page.audience == ConsultationPage.Audience.YOUTH_PANEL and page.live
    assert page.allows("answer_questions")
    texts = [question.text for question in page.youth_question_list()]
    assert texts[0] == "Vind je je weg naar hulp of ondersteuning?" and len(texts) == 7
    assert {question.kind for question in page.youth_question_list()} == set(Kind.values)


def test_a_question_with_answers_cannot_be_removed_in_the_editor(client, youth_round):
    _fill(youth_round, 1, single="1")
    admin = get_user_model().objects.create_superuser("admin", "admin@example.org", "x")
    client.force_login(admin)
    questions = [
        {
            "id": str(question.pk),
            "text": question.text,
            "kind": question.kind,
            "explanation": "",
            "options_text": question.options_text,
            "max_choices": str(question.max_choices),
            "required": "on" if question.required else "",
            "ORDER": str(position),
            "DELETE": "1" if question.kind in (Kind.SINGLE, Kind.OPEN) else "",
        }
        for position, question in enumerate(youth_round.youth_question_list())
    ]
    data = nested_form_data(
        {
            "title": youth_round.title,
            "slug": youth_round.slug,
            "summary": youth_round.summary,
            "intro": rich_text(""),
            "audience": youth_round.audience,
            "opens_at": "2026-02-28 09:00",
            "closes_at": "2026-03-15 09:00",
            "answered_at": "",
            "moderation": "after",
            "draft_text": "",
            "youth_questions": inline_formset(questions, initial=len(questions)),
            "action-publish": "publish",
        }
    )
    response = client.post(reverse("wagtailadmin_pages:edit", args=(youth_round.pk,)), data)
    assert response.status_code == 200
    assert "heeft al antwoorden" in response.content.decode()
    assert youth_round.youth_questions.count() == 5

    # A question without answers may go.
    for question in questions:
        question["DELETE"] = "1" if question["kind"] == Kind.OPEN else ""
    data = nested_form_data(
        {
            **{k: v for k, v in data.items() if not k.startswith("youth_questions")},
            "youth_questions": inline_formset(questions, initial=len(questions)),
        }
    )
    response = client.post(reverse("wagtailadmin_pages:edit", args=(youth_round.pk,)), data)
    assert response.status_code == 302
    assert youth_round.youth_questions.count() == 4


# --- the suppression property on the youth round's public results --------------------------------


@hypothesis_settings(max_examples=200, deadline=None)
@given(
    kind=st.sampled_from([Kind.SINGLE, Kind.SCALE, Kind.MULTIPLE]),
    counts=st.lists(st.integers(min_value=0, max_value=60), min_size=2, max_size=5),
    extra=st.integers(min_value=0, max_value=40),
)
def test_no_public_youth_count_is_small_or_recoverable_for_random_results(kind, counts, extra):
    question = YouthQuestion(text="Vraag", kind=kind)
    respondents = sum(counts) if kind != Kind.MULTIPLE else max(counts) + extra
    result = youth.QuestionResult(
        question=question,
        respondents=respondents,
        options=[youth.OptionResult(f"Antwoord {i}", count) for i, count in enumerate(counts)],
    )

    shown = youth.public_question(result)

    hidden = [row for row in shown.rows if row.count == "te weinig reacties"]
    for row, count in zip(shown.rows, counts, strict=True):
        if row in hidden:
            assert row.percent == ""
        else:
            assert count >= 10 and int(row.count) % 5 == 0
            if kind == Kind.MULTIPLE:
                assert respondents - count >= 10  # "did not choose it" is protected too
    if kind != Kind.MULTIPLE and shown.respondents not in ("te weinig reacties",):
        # One hidden option beside a shown total could be worked out by subtraction.
        assert len(hidden) != 1
    if hidden:
        assert shown.mean == "" and all(row.percent == "" for row in shown.rows)
