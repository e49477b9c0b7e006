"""Stories: moderation, the story wall, stories beside an indicator, and the panel's vote.

Personas (who can do what):
- `client` without login: the public; reads the wall, cannot vote.
- `participant` (tests/conftest.py): signed in, not in the youth panel; cannot vote.
- `member`: an active youth panel member; votes and changes the vote until staff publish.
- `waiting_member`: in the panel, but the parent has not confirmed yet; cannot vote.
- `moderator`: has feedback.moderate_story only; may vote, no admin access needed for that.
- `staff` (tests/conftest.py): the demo policy officer, a story moderator in the admin; moderates,
  chooses and publishes the story of the half-year.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from feedback import stories
from feedback.choices import AgeBand, District, EndReason, HelpType, Respondent
from feedback.invitations import issue_invitations
from feedback.models import StoryOfHalfYear, StoryVote, SurveyDraft, SurveyResponse
from feedback.survey import submit
from feedback.synthetic import seed_synthetic_feedback
from youth_panel.models import CONSENT_VERSION, PanelMember

Status = SurveyResponse.StoryStatus
WALL = "/verhalen/"
VOTE = "/verhalen/kiezen/"


def make_story(
    text: str = "",
    *,
    status: str = Status.APPROVED,
    half_year: str = "2026-H1",
    respondent: str = Respondent.YOUTH,
    indicator: str = "",
    consent: bool = True,
    raw: str = "Ik werd gehoord.",
    month: str = "",
) -> SurveyResponse:
    """An answer with a story; the raw answer and the rewrite are different texts on purpose."""
    return SurveyResponse.objects.create(
        respondent=respondent,
        period=month or ("2026-05" if half_year.endswith("H1") else "2026-10"),
        help_type=HelpType.AMBULANT,
        end_reason=EndReason.AS_PLANNED,
        district=District.OUDORP,
        age_band=AgeBand.AGE_16_17,
        end_period=half_year,
        most_important_change=raw,
        what_should_change="",
        consent_to_quote=consent,
        story_status=status,
        story_text=text,
        story_indicator=indicator,
    )


def _user(username: str, **fields):
    return get_user_model().objects.create_user(username=username, **fields)


def _panel_member(user, *, waiting: bool = False) -> PanelMember:
    return PanelMember.objects.create(
        user=user,
        age_band="16-17",
        district="Centrum",
        consent_version=CONSENT_VERSION,
        consented_at=timezone.now(),
        needs_parent=waiting,
    )


@pytest.fixture
def member(db):
    """An active youth panel member, with a name that must never show up anywhere public."""
    user = _user("sanne", first_name="Sanne", last_name="Verhoeven", email="sanne@example.org")
    _panel_member(user)
    return user


@pytest.fixture
def waiting_member(db):
    """A 12-15 member whose parent has not yet confirmed."""
    user = _user("wacht", email="wacht@example.org")
    _panel_member(user, waiting=True)
    return user


@pytest.fixture
def moderator(db):
    """Someone with only the right to moderate stories."""
    user = _user("moderator", email="mod@example.org")
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="feedback", codename="moderate_story")
    )
    return user


@pytest.fixture
def half_year_stories(db):
    """Two public stories of 2026-H1, one of 2025-H2, and a pending one of 2026-H1."""
    return {
        "heard": make_story("Iemand luisterde echt naar mij.", indicator="agree_taken_seriously"),
        "school": make_story(
            "Ik ga weer naar school.", respondent=Respondent.PARENT, indicator="carry_on"
        ),
        "old": make_story("Het duurde lang.", half_year="2025-H2"),
        "pending": make_story("Nog niet gecontroleerd.", status=Status.PENDING),
    }


# --- moderation: what may be public -------------------------------------------------------------


def test_only_approved_consented_stories_with_a_rewrite_are_public(db):
    public = make_story("Mag op de website.")
    make_story("Wacht nog.", status=Status.PENDING)
    make_story("Afgekeurd.", status=Status.REJECTED)
    make_story("", raw="Goedgekeurd maar zonder herschreven tekst.")
    make_story("Geen toestemming gegeven.", consent=False)
    make_story("Nooit aangevraagd.", status=Status.NONE)

    assert [s.pk for s in stories.public_stories()] == [str(public.pk)]
    assert [s.text for s in stories.public_stories()] == ["Mag op de website."]


def test_the_wall_shows_the_rewrite_and_never_the_raw_answer(client, db):
    make_story("Mijn begeleider luisterde echt.", raw="Mijn begeleider Jan uit Oudorp luisterde.")
    make_story("Wacht nog op controle.", status=Status.PENDING, raw="Pending ruwe tekst.")
    make_story("Is afgekeurd.", status=Status.REJECTED, raw="Afgekeurde ruwe tekst.")

    html = client.get(WALL).content.decode()

    assert "Mijn begeleider luisterde echt." in html
    for hidden in ("Jan", "Oudorp", "Wacht nog op controle.", "Is afgekeurd.", "ruwe tekst"):
        assert hidden not in html


def test_an_answer_without_consent_never_becomes_a_story(client, staff, make_case):
    invitation = issue_invitations(make_case(age_band=AgeBand.AGE_4_11))[0].invitation
    SurveyDraft.objects.create(
        invitation=invitation, answers={"most_important_change": "Zonder toestemming geschreven."}
    )
    submit(invitation)
    answer = SurveyResponse.objects.get()
    assert answer.story_status == Status.NONE

    client.force_login(staff)
    assert client.get(f"/beheer/verhalen/edit/{answer.pk}/").status_code == 404
    assert "Zonder toestemming" not in client.get("/beheer/verhalen/").content.decode()
    # Even when someone set the fields by hand, an answer without consent is never public.
    SurveyResponse.objects.filter(pk=answer.pk).update(
        story_status=Status.APPROVED, story_text="Zonder toestemming geschreven."
    )
    assert stories.public_stories() == []
    assert "Zonder toestemming" not in client.get(WALL).content.decode()


def test_approving_without_consent_is_refused_in_the_admin(client, staff):
    story = make_story("", status=Status.PENDING, consent=False)
    client.force_login(staff)
    response = client.post(
        f"/beheer/verhalen/edit/{story.pk}/",
        {"story_status": Status.APPROVED, "story_text": "Een tekst.", "story_indicator": ""},
    )
    assert response.status_code == 200
    assert "gaf geen toestemming" in response.content.decode()
    assert SurveyResponse.objects.get(pk=story.pk).story_status == Status.PENDING


def test_the_moderation_form_starts_from_both_open_answers(client, staff):
    story = make_story("", status=Status.PENDING, raw="We praten weer.")
    SurveyResponse.objects.filter(pk=story.pk).update(what_should_change="Sneller beginnen.")
    client.force_login(staff)
    html = client.get(f"/beheer/verhalen/edit/{story.pk}/").content.decode()
    assert "We praten weer.\n\nSneller beginnen.</textarea>" in html
    assert "Haal namen, plaatsen, scholen en andere herkenbare dingen weg." in html


def test_approving_without_a_rewrite_is_refused_with_a_clear_error(client, staff):
    story = make_story("", status=Status.PENDING)
    client.force_login(staff)
    response = client.post(
        f"/beheer/verhalen/edit/{story.pk}/",
        {"story_status": Status.APPROVED, "story_text": "   ", "story_indicator": ""},
    )
    assert response.status_code == 200
    assert "heeft een tekst voor de website nodig" in response.content.decode()
    assert SurveyResponse.objects.get(pk=story.pk).story_status == Status.PENDING


def test_approving_with_a_rewrite_and_an_indicator_publishes_the_rewrite(client, staff):
    story = make_story("", status=Status.PENDING, raw="Mijn mentor Piet hielp mij.")
    client.force_login(staff)
    response = client.post(
        f"/beheer/verhalen/edit/{story.pk}/",
        {
            "story_status": Status.APPROVED,
            "story_text": "Mijn mentor hielp mij.",
            "story_indicator": "carry_on",
        },
    )
    assert response.status_code == 302
    story.refresh_from_db()
    assert (story.story_status, story.story_text, story.story_indicator) == (
        Status.APPROVED,
        "Mijn mentor hielp mij.",
        "carry_on",
    )
    assert [s.text for s in stories.for_indicator("carry_on")] == ["Mijn mentor hielp mij."]


def test_an_unknown_indicator_is_refused(client, staff):
    story = make_story("", status=Status.PENDING)
    client.force_login(staff)
    response = client.post(
        f"/beheer/verhalen/edit/{story.pk}/",
        {
            "story_status": Status.APPROVED,
            "story_text": "Tekst.",
            "story_indicator": "bestaat_niet",
        },
    )
    assert response.status_code == 200
    assert SurveyResponse.objects.get(pk=story.pk).story_indicator == ""


# --- stories beside an indicator ----------------------------------------------------------------


def test_for_indicator_gives_the_newest_half_years_first_and_respects_the_limit(db):
    make_story("Oudste.", half_year="2025-H1", month="2025-03", indicator="carry_on")
    make_story("Nieuwste.", half_year="2026-H1", month="2026-05", indicator="carry_on")
    make_story("Middelste.", half_year="2025-H2", month="2025-11", indicator="carry_on")
    make_story("Ander cijfer.", half_year="2026-H1", indicator="mark_mean")
    make_story("Wacht nog.", status=Status.PENDING, half_year="2026-H1", indicator="carry_on")

    assert [s.text for s in stories.for_indicator("carry_on")] == ["Nieuwste.", "Middelste."]
    assert [s.text for s in stories.for_indicator("carry_on", limit=5)] == [
        "Nieuwste.",
        "Middelste.",
        "Oudste.",
    ]
    assert stories.for_indicator("carry_on", limit=0) == []
    assert stories.for_indicator("bestaat_niet") == []


def test_the_beside_include_renders_short_quotes_of_the_rewrite_only(db):
    make_story(
        "Iemand luisterde echt naar mij.",
        raw="Mevrouw Jansen luisterde.",
        indicator="agree_taken_seriously",
    )
    html = render_to_string(
        "feedback/stories/_beside.html",
        {"stories": stories.for_indicator("agree_taken_seriously")},
    )
    assert "<blockquote><p>Iemand luisterde echt naar mij.</p></blockquote>" in html
    assert "Een jongere · eerste helft van 2026" in html
    assert "Jansen" not in html
    assert 'href="/verhalen/"' in html
    assert render_to_string("feedback/stories/_beside.html", {"stories": []}).strip() == ""


def test_the_wall_shows_who_wrote_it_the_half_year_and_the_indicator(client, half_year_stories):
    html = client.get(WALL).content.decode()
    assert "Verhalen uit de eerste helft van 2026" in html
    assert "Verhalen uit de tweede helft van 2025" in html
    assert html.index("eerste helft van 2026") < html.index("tweede helft van 2025")
    assert "Een ouder · eerste helft van 2026 · Gaat over: Kan verder zonder (zwaardere) hulp" in (
        html
    )
    assert "Nog niet gecontroleerd." not in html


# --- voting -------------------------------------------------------------------------------------


def test_a_member_votes_for_a_story_of_the_newest_half_year(client, member, half_year_stories):
    client.force_login(member)
    page = client.get(VOTE).content.decode()
    assert "Iemand luisterde echt naar mij." in page
    assert "Het duurde lang." not in page  # an older half-year
    assert "Nog niet gecontroleerd." not in page

    heard = half_year_stories["heard"]
    response = client.post(VOTE, {"story": heard.pk, "why": "Luisteren helpt echt."})
    assert response.status_code == 302
    vote = StoryVote.objects.get()
    assert (vote.half_year, vote.story_id, vote.voter, vote.why) == (
        "2026-H1",
        heard.pk,
        member,
        "Luisteren helpt echt.",
    )


def test_a_member_changes_the_vote_and_keeps_one_vote(client, member, half_year_stories):
    client.force_login(member)
    client.post(VOTE, {"story": half_year_stories["heard"].pk, "why": "Eerst dit."})
    page = client.get(VOTE).content.decode()
    assert "Je hebt al gekozen." in page and "Eerst dit.</textarea>" in page

    client.post(VOTE, {"story": half_year_stories["school"].pk, "why": "Toch dit."})

    vote = StoryVote.objects.get()
    assert (vote.story_id, vote.why) == (half_year_stories["school"].pk, "Toch dit.")


def test_the_database_allows_one_vote_per_half_year_per_voter(member, half_year_stories):
    StoryVote.objects.create(
        half_year="2026-H1", story=half_year_stories["heard"], voter=member, why="a"
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        StoryVote.objects.create(
            half_year="2026-H1", story=half_year_stories["school"], voter=member, why="b"
        )
    # Another half-year is another vote.
    StoryVote.objects.create(
        half_year="2025-H2", story=half_year_stories["old"], voter=member, why="c"
    )
    assert StoryVote.objects.filter(voter=member).count() == 2


def test_an_anonymous_visitor_is_told_how_to_join_and_cannot_vote(client, half_year_stories):
    page = client.get(VOTE)
    html = page.content.decode()
    assert page.status_code == 200
    assert 'href="/jongerenpanel/aanmelden/"' in html
    assert "Log in om te kiezen" in html
    assert 'name="why"' not in html

    response = client.post(VOTE, {"story": half_year_stories["heard"].pk, "why": "Zomaar."})
    assert response.status_code == 403
    assert not StoryVote.objects.exists()


@pytest.mark.parametrize("who", ["participant", "waiting_member"])
def test_someone_outside_the_active_panel_cannot_vote(client, request, who, half_year_stories):
    user = request.getfixturevalue(who)
    client.force_login(user)
    page = client.get(VOTE).content.decode()
    assert 'href="/jongerenpanel/aanmelden/"' in page and 'name="why"' not in page

    response = client.post(VOTE, {"story": half_year_stories["heard"].pk, "why": "Ik wil ook."})
    assert response.status_code == 403
    assert not StoryVote.objects.exists()
    with pytest.raises(stories.VoteRefused):
        stories.cast_vote(user, "2026-H1", half_year_stories["heard"], "Ik wil ook.")


def test_a_story_moderator_may_vote_too(client, moderator, half_year_stories):
    client.force_login(moderator)
    client.post(VOTE, {"story": half_year_stories["school"].pk, "why": "Sterk verhaal."})
    assert StoryVote.objects.get().voter == moderator


@pytest.mark.parametrize(
    ("story_key", "why", "error"),
    [
        ("old", "Uit een ander half jaar.", "Kies een verhaal uit de lijst."),
        ("pending", "Niet goedgekeurd.", "Kies een verhaal uit de lijst."),
        ("heard", "", "Schrijf op waarom je dit verhaal kiest."),
        ("heard", "x" * 501, "Gebruik hoogstens 500 tekens."),
    ],
)
def test_a_vote_needs_a_story_of_the_list_and_a_short_reason(
    client, member, half_year_stories, story_key, why, error
):
    client.force_login(member)
    response = client.post(VOTE, {"story": half_year_stories[story_key].pk, "why": why})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert not StoryVote.objects.exists()


def test_a_reason_of_exactly_500_characters_is_accepted(client, member, half_year_stories):
    client.force_login(member)
    client.post(VOTE, {"story": half_year_stories["heard"].pk, "why": "x" * 500})
    assert len(StoryVote.objects.get().why) == 500


def test_after_publication_the_vote_is_closed(client, member, half_year_stories):
    client.force_login(member)
    client.post(VOTE, {"story": half_year_stories["heard"].pk, "why": "Eerst."})
    stories.choose("2026-H1", half_year_stories["heard"], "Het panel koos dit.", published=True)

    page = client.get(VOTE).content.decode()
    assert "Het kiezen voor de eerste helft van 2026 is voorbij." in page
    assert "Het panel koos dit." in page and 'name="why"' not in page

    response = client.post(VOTE, {"story": half_year_stories["school"].pk, "why": "Later."})
    assert response.status_code == 409
    assert StoryVote.objects.get().why == "Eerst."


def test_an_unpublished_choice_keeps_the_vote_open_and_stays_off_the_wall(
    client, member, half_year_stories
):
    stories.choose("2026-H1", half_year_stories["heard"], "Nog geheim.", published=False)
    assert stories.voting_open("2026-H1")
    assert "Nog geheim." not in client.get(WALL).content.decode()
    client.force_login(member)
    response = client.post(VOTE, {"story": half_year_stories["school"].pk, "why": "Kan nog."})
    assert response.status_code == 302


# --- choosing and publishing the story of the half-year -----------------------------------------


def test_staff_see_the_votes_and_reasons_without_names_and_publish_the_choice(
    client, staff, member, moderator, half_year_stories
):
    heard = half_year_stories["heard"]
    stories.cast_vote(member, "2026-H1", heard, "Luisteren is het belangrijkst.")
    stories.cast_vote(moderator, "2026-H1", half_year_stories["school"], "School telt.")
    client.force_login(staff)

    overview = client.get("/beheer/verhaal-van-het-halfjaar/").content.decode()
    assert "eerste helft van 2026" in overview and "Nog niet gekozen" in overview

    url = "/beheer/verhaal-van-het-halfjaar/2026-H1/"
    page = client.get(url).content.decode()
    assert "Luisteren is het belangrijkst." in page and "School telt." in page
    for name in ("Sanne", "Verhoeven", "sanne", "moderator"):
        assert name not in page

    response = client.post(
        url,
        {"story": heard.pk, "why": "Het panel vond luisteren het belangrijkst.", "published": "on"},
    )
    assert response.status_code == 302
    chosen = StoryOfHalfYear.objects.get()
    assert (chosen.half_year, chosen.story_id, chosen.published) == ("2026-H1", heard.pk, True)
    assert chosen.published_at is not None


def test_the_results_count_votes_per_story_most_chosen_first(
    member, moderator, staff, half_year_stories
):
    heard, school = half_year_stories["heard"], half_year_stories["school"]
    stories.cast_vote(member, "2026-H1", school, "Een.")
    stories.cast_vote(moderator, "2026-H1", heard, "Twee.")
    stories.cast_vote(staff, "2026-H1", heard, "Drie.")

    found = [(r.story.text, r.votes, r.reasons) for r in stories.results("2026-H1")]
    assert found == [
        ("Iemand luisterde echt naar mij.", 2, ["Twee.", "Drie."]),
        ("Ik ga weer naar school.", 1, ["Een."]),
    ]


@pytest.mark.parametrize("who", ["member", "moderator_without_admin", "editor"])
def test_only_story_moderators_in_the_admin_may_choose(client, request, who, half_year_stories):
    if who == "member":
        user = request.getfixturevalue("member")
    elif who == "moderator_without_admin":
        user = request.getfixturevalue("moderator")
    else:
        request.getfixturevalue("seeded")
        user = _user("redacteur")
        user.groups.add(Group.objects.get(name="Beleidsmedewerkers"))
    client.force_login(user)
    url = "/beheer/verhaal-van-het-halfjaar/2026-H1/"
    assert client.get(url).status_code in (302, 403)
    response = client.post(url, {"story": half_year_stories["heard"].pk, "why": "Ik kies."})
    assert response.status_code in (302, 403)
    assert not StoryOfHalfYear.objects.exists()


def test_an_unknown_or_empty_half_year_is_not_found(client, staff, half_year_stories):
    client.force_login(staff)
    assert client.get("/beheer/verhaal-van-het-halfjaar/2030-H1/").status_code == 404
    assert client.get("/beheer/verhaal-van-het-halfjaar/gisteren/").status_code == 404


def test_a_choice_must_be_a_public_story_of_that_half_year(half_year_stories):
    for story in (half_year_stories["old"], half_year_stories["pending"]):
        with pytest.raises(stories.ChoiceRefused):
            stories.choose("2026-H1", story, "Waarom.", published=True)
    assert not StoryOfHalfYear.objects.exists()


def test_the_wall_shows_the_story_of_the_half_year_on_top_with_its_why_and_no_voter(
    client, member, half_year_stories
):
    school = half_year_stories["school"]
    stories.cast_vote(member, "2026-H1", school, "Reden van Sanne.")
    stories.choose("2026-H1", school, "Het panel koos dit omdat school telt.", published=True)

    html = client.get(WALL).content.decode()
    section = html[html.index("Verhalen uit de eerste helft van 2026") :]
    assert section.index("Verhaal van het halfjaar") < section.index("Ik ga weer naar school.")
    assert section.index("Ik ga weer naar school.") < section.index("Iemand luisterde echt")
    assert "Het panel koos dit omdat school telt." in html
    assert html.count("Ik ga weer naar school.") == 1
    for private in ("Sanne", "Verhoeven", "sanne@example.org", "Reden van Sanne."):
        assert private not in html


def test_an_empty_wall_and_vote_page_say_so(client, member):
    assert "Er staan nog geen verhalen" in client.get(WALL).content.decode()
    client.force_login(member)
    assert "Er zijn nog geen verhalen om uit te kiezen." in client.get(VOTE).content.decode()


def test_deleting_a_member_deletes_their_votes(member, half_year_stories):
    stories.cast_vote(member, "2026-H1", half_year_stories["heard"], "Weg ermee.")
    member.delete()
    assert not StoryVote.objects.exists()


# --- demo ---------------------------------------------------------------------------------------


def test_the_demo_stories_are_complete_and_seeding_twice_changes_nothing(db):
    seed_synthetic_feedback(cases=1200)
    first = stories.seed_demo_stories()

    approved = SurveyResponse.objects.filter(synthetic=True, story_status=Status.APPROVED)
    assert approved.exists()
    assert not approved.filter(story_text="").exists()
    assert set(approved.values_list("story_indicator", flat=True)) <= set(stories.INDICATORS.keys())
    newest, older = stories.half_years()[:2]
    chosen = StoryOfHalfYear.objects.get()
    assert (chosen.half_year, chosen.published) == (older, True)
    assert stories.highlight(older) is not None
    assert stories.voting_open(newest)
    assert StoryVote.objects.filter(half_year=older).count() == 3
    assert StoryVote.objects.filter(half_year=newest).count() == 2
    assert first == (
        f"Demo stories: {approved.count()} texts written, 5 votes, "
        "1 story of the half-year published."
    )

    counts = (
        StoryVote.objects.count(),
        StoryOfHalfYear.objects.count(),
        PanelMember.objects.count(),
    )
    again = stories.seed_demo_stories()
    assert again == "Demo stories: 0 texts written, 0 votes, 0 story of the half-year published."
    assert counts == (
        StoryVote.objects.count(),
        StoryOfHalfYear.objects.count(),
        PanelMember.objects.count(),
    )


def test_a_members_story_votes_are_in_their_data_download_and_page(
    client, member, half_year_stories
):
    from youth_panel.panel import collect_data

    StoryVote.objects.create(
        half_year="2026-H1", story=half_year_stories["heard"], voter=member, why="Dit herken ik."
    )

    votes = collect_data(member)["story_votes"]

    assert [(v["half_year"], v["story"], v["why"]) for v in votes] == [
        ("2026-H1", "Iemand luisterde echt naar mij.", "Dit herken ik.")
    ]
    client.force_login(member)
    html = client.get(reverse("panel:my_data")).content.decode()
    assert "Dit herken ik." in html
