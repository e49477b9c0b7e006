"""All input per core task: counts by source and channel, sentiment, themes and the public pages.

Personas (from tests/consultations/conftest.py):
- `member_a`: writes the stakeholder comments for organisation A.
- `client` without login: the public, who reads /wat-jullie-zeiden/.
"""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.test import override_settings

from consultations.models import (
    ArrivalCount,
    Comment,
    ConsultationPage,
    YouthAnswer,
    YouthQuestion,
    YouthResponse,
)
from feedback import inputs
from feedback import text as text_analysis
from feedback.choices import AgeBand, District, EndReason, HelpType, Respondent
from feedback.inputs import COMMENTS, HELP_TYPE_CORE_TASK, POLLS, SURVEY, YOUTH
from feedback.models import Action, ResponseAggregate, SurveyResponse
from feedback.retention import RESPONSES
from home.models import CoreTask
from tests.consultations import conftest as consultation_fixtures
from youth_panel.models import PollQuestion, PollSession, Vote, Word

clock = consultation_fixtures.clock
index_page = consultation_fixtures.index_page
make_consultation = consultation_fixtures.make_consultation
consultation = consultation_fixtures.consultation
org_a = consultation_fixtures.org_a
org_b = consultation_fixtures.org_b
member_a = consultation_fixtures.member_a

EXACT = override_settings(PUBLIC_COUNT_ROUNDING=1)
SLUGS = [
    "sterke-sociale-basis",
    "stevig-lokaal-team",
    "specialistische-zorg",
    "duurzaam-betaalbaar-jeugdstelsel",
]
POSITIVE_TEXT = "Heel fijn, ik werd goed geholpen!"
NEGATIVE_TEXT = "Het was slecht, niemand luisterde naar mij."
NEUTRAL_TEXT = "De wachtlijst."


@pytest.fixture
def tasks(db) -> dict[str, CoreTask]:
    """The four core tasks with the slugs of the seed."""
    titles = ["Sterke sociale basis", "Stevig lokaal team", "Specialistische zorg", "Duurzaam"]
    return {
        slug: CoreTask.objects.create(number=i, title=title, short_title=title, slug=slug)
        for i, (slug, title) in enumerate(zip(SLUGS, titles, strict=True), start=1)
    }


@pytest.fixture
def team(tasks) -> CoreTask:
    return tasks["stevig-lokaal-team"]


@pytest.fixture
def tagged(consultation, team) -> ConsultationPage:
    """The open consultation, tagged with Stevig lokaal team."""
    consultation.core_tasks.set([team])
    consultation.save()  # a ParentalManyToManyField is written when the page is saved
    return consultation


def answer(help_type=HelpType.LOCAL_TEAM, **fields) -> SurveyResponse:
    defaults = {
        "respondent": Respondent.YOUTH,
        "period": "2026-03",
        "help_type": help_type,
        "end_reason": EndReason.AS_PLANNED,
        "district": District.OUDORP,
        "age_band": AgeBand.AGE_12_15,
        "end_period": "2026-H1",
    }
    return SurveyResponse.objects.create(**{**defaults, **fields})


def comment(consultation, org, author, text="Goed plan.", **fields) -> Comment:
    chapter = consultation.current_version().chapters.get(number=8)
    defaults = {
        "consultation": consultation,
        "version": chapter.version,
        "chapter": chapter,
        "organisation": org,
        "author": author,
        "text": text,
        "status": Comment.Status.PUBLISHED,
    }
    return Comment.objects.create(**{**defaults, **fields})


def poll(title, tasks=(), status=PollSession.Status.ENDED, public=True) -> PollSession:
    session = PollSession.objects.create(title=title, status=status, results_public=public)
    session.core_tasks.set(tasks)
    session.save()  # a ParentalManyToManyField is written on save
    return session


def words_question(session, sort_order=0) -> PollQuestion:
    return PollQuestion.objects.create(
        session=session, sort_order=sort_order, text="Eén woord?", kind=PollQuestion.Kind.WORDS
    )


def vote(question, participant, words) -> Vote:
    for word in words:
        row, created = Word.objects.get_or_create(
            question=question, text=word.lower(), defaults={"count": 1}
        )
        if not created:
            Word.objects.filter(pk=row.pk).update(count=row.count + 1)
    return Vote.objects.create(question=question, participant=participant, answer=words)


def youth_response(consultation, *texts) -> YouthResponse:
    question, _ = YouthQuestion.objects.get_or_create(
        page=consultation, kind=YouthQuestion.Kind.OPEN, defaults={"text": "Wat wil je zeggen?"}
    )
    response = YouthResponse.objects.create(
        consultation=consultation,
        submitted_on=datetime.date(2026, 3, 2),
        submission_token=uuid.uuid4(),
    )
    for text in texts:
        YouthAnswer.objects.create(response=response, question=question, text=text)
    return response


def page(client, slug="") -> str:
    response = client.get(f"/wat-jullie-zeiden/{slug + '/' if slug else ''}")
    assert response.status_code == 200
    return response.content.decode()


# --- the mapping ----------------------------------------------------------------------------


def test_every_type_of_help_belongs_to_one_of_the_four_core_tasks():
    assert set(HELP_TYPE_CORE_TASK) == set(HelpType.values)
    assert set(HELP_TYPE_CORE_TASK.values()) <= set(SLUGS)
    assert HELP_TYPE_CORE_TASK[HelpType.LOCAL_TEAM] == "stevig-lokaal-team"
    assert HELP_TYPE_CORE_TASK[HelpType.FOSTER_CARE] == "specialistische-zorg"


def test_help_types_for_a_core_task_follow_the_mapping(tasks):
    assert inputs.help_types_for(tasks["stevig-lokaal-team"]) == [HelpType.LOCAL_TEAM]
    assert inputs.help_types_for(tasks["sterke-sociale-basis"]) == []
    assert len(inputs.help_types_for(tasks["specialistische-zorg"])) == 7


# --- counts by source -----------------------------------------------------------------------


def test_counts_per_source_add_only_what_belongs_to_the_core_task(
    tasks, team, tagged, make_consultation, org_a, member_a
):
    for _ in range(3):
        answer(HelpType.LOCAL_TEAM)
    for _ in range(2):
        answer(HelpType.AMBULANT)
    ResponseAggregate.objects.create(
        end_period="2025-H2",
        respondent=Respondent.PARENT,
        help_type=HelpType.LOCAL_TEAM,
        district=District.OUDORP,
        age_band=AgeBand.AGE_4_11,
        question=RESPONSES,
        count=4,
    )
    public_poll = poll("Wat vind je van het CJG?", [team])
    first, second = words_question(public_poll), words_question(public_poll, 1)
    vote(first, "p1", ["snel"])
    vote(second, "p1", ["fijn"])
    vote(first, "p2", ["traag"])
    running = poll("Nog bezig", [team], status=PollSession.Status.RUNNING)
    vote(words_question(running), "p3", ["x"])
    private = poll("Niet openbaar", [team], public=False)
    vote(words_question(private), "p4", ["y"])
    youth_response(tagged, "Meer uitleg op school")
    youth_response(tagged)
    untagged = make_consultation(title="Andere inspraak")
    youth_response(untagged, "Niet hier")
    for _ in range(3):
        comment(tagged, org_a, member_a)
    comment(tagged, org_a, member_a, visibility=Comment.Visibility.STAFF_ONLY)
    comment(tagged, org_a, member_a, status=Comment.Status.PENDING)
    comment(tagged, org_a, member_a, status=Comment.Status.HIDDEN)
    comment(untagged, org_a, member_a)

    counts = inputs.source_counts()

    assert counts[team.pk] == {SURVEY: 3 + 4, POLLS: 2, YOUTH: 2, COMMENTS: 3}
    assert counts[tasks["specialistische-zorg"].pk][SURVEY] == 2
    assert tasks["sterke-sociale-basis"].pk not in counts


def test_an_unpublished_consultation_counts_for_nothing(team, tagged, org_a, member_a):
    comment(tagged, org_a, member_a)
    youth_response(tagged, "Tekst")
    tagged.unpublish()
    assert inputs.source_counts().get(team.pk, {}).get(COMMENTS, 0) == 0
    assert inputs.source_counts().get(team.pk, {}).get(YOUTH, 0) == 0


# --- counts by channel ----------------------------------------------------------------------


def test_channels_count_visits_to_the_core_tasks_consultations_and_polls(
    team, tagged, make_consultation
):
    other = make_consultation(title="Niet getagd")
    session = poll("Peiling", [team], status=PollSession.Status.RUNNING)
    untagged_poll = poll("Andere peiling")
    day = datetime.date(2026, 3, 1)
    Kind, Channel = ArrivalCount.TargetKind, ArrivalCount.Channel
    rows = [
        (day, Kind.CONSULTATION, tagged.pk, Channel.SCHOOL, 7),
        (day + datetime.timedelta(days=1), Kind.CONSULTATION, tagged.pk, Channel.SCHOOL, 5),
        (day, Kind.CONSULTATION, tagged.pk, Channel.BUS_SHELTER, 3),
        (day, Kind.POLL, session.pk, Channel.SOCIAL, 20),
        (day, Kind.POLL, tagged.pk, Channel.CJG, 50),  # a poll id that happens to match
        (day, Kind.CONSULTATION, other.pk, Channel.SCHOOL, 100),
        (day, Kind.POLL, untagged_poll.pk, Channel.SCHOOL, 100),
    ]
    for date, kind, target, channel, count in rows:
        ArrivalCount.objects.create(
            date=date, target_kind=kind, target_id=target, channel=channel, count=count
        )

    counts = inputs.channel_counts(team)

    assert counts[Channel.SCHOOL] == 12
    assert counts[Channel.BUS_SHELTER] == 3
    assert counts[Channel.SOCIAL] == 20
    assert counts[Channel.CJG] == (50 if session.pk == tagged.pk else 0)
    assert counts[Channel.BANNER] == 0


@EXACT
def test_the_page_shows_channels_in_a_table_with_small_ones_hidden(client, team, tagged):
    Channel = ArrivalCount.Channel
    for channel, count in [(Channel.SCHOOL, 40), (Channel.BANNER, 15), (Channel.SOCIAL, 4)]:
        ArrivalCount.objects.create(
            date=datetime.date(2026, 3, 1),
            target_kind=ArrivalCount.TargetKind.CONSULTATION,
            target_id=tagged.pk,
            channel=channel,
            count=count,
        )
    html = page(client, team.slug)
    assert "Bezoeken via posters en links, per plek" in html
    assert '<th scope="row">School</th><td class="num-col">40</td>' in html
    # Social media (4) is small; the next smallest non-zero cell hides with it, or the total
    # would give it away.
    assert '<th scope="row">Social media</th><td class="num-col">te weinig reacties</td>' in html
    assert ">4<" not in html.split("tabel-kanalen")[1].split("</table>")[0]


# --- the pages: suppression and what is never shown -----------------------------------------


@EXACT
def test_the_page_hides_a_small_source_and_one_that_would_give_it_away(
    client, team, tagged, org_a, member_a
):
    for _ in range(12):
        answer(HelpType.LOCAL_TEAM)
    for _ in range(3):
        comment(tagged, org_a, member_a)
    html = page(client, team.slug)
    table = html.split('id="tabel-bronnen"')[1].split("</table>")[0]
    rows = {row.split("</th>")[0]: row.split("</th>")[1] for row in table.split('scope="row">')[1:]}
    # The comments (3) are small. With the total (15) shown, the survey (12) would give them
    # away, so it is hidden too; the sources without any input show 0.
    assert "te weinig reacties" in rows["Reacties van partners bij inspraak"]
    assert "te weinig reacties" in rows["Vragenlijst na de hulp (jongeren en ouders)"]
    assert '<td class="num-col">0</td>' in rows["Peilingen (jongeren die meestemden)"]
    assert '<td class="num-col">15</td>' in rows["Alles samen"]


def test_public_pages_round_counts_to_five(client, team):
    for _ in range(12):
        answer(HelpType.LOCAL_TEAM)
    for _ in range(11):
        answer(HelpType.AMBULANT)
    html = page(client, team.slug)
    table = html.split('id="tabel-bronnen"')[1].split("</table>")[0]
    assert '<td class="num-col">10</td>' in table
    assert ">12<" not in table


def test_staff_only_waiting_and_hidden_comments_are_never_counted_or_shown(
    client, team, tagged, org_a, member_a, settings
):
    settings.PUBLIC_COUNT_ROUNDING = 1
    for _ in range(12):
        comment(tagged, org_a, member_a, text="Het wijkcontactpunt is dichtbij.")
    for status, visibility in [
        (Comment.Status.PUBLISHED, Comment.Visibility.STAFF_ONLY),
        (Comment.Status.PENDING, Comment.Visibility.PUBLIC),
        (Comment.Status.HIDDEN, Comment.Visibility.PUBLIC),
    ]:
        for _ in range(12):
            comment(
                tagged,
                org_a,
                member_a,
                text="Geheimgehouden vertrouwelijkheid",
                status=status,
                visibility=visibility,
            )
    html = page(client, team.slug)
    table = html.split('id="tabel-bronnen"')[1].split("</table>")[0]
    assert '<th scope="row">Reacties van partners bij inspraak</th><td class="num-col">12</td>' in (
        table
    )
    assert "wijkcontactpunt" in html  # a theme of 12 public comments
    assert "vertrouwelijkheid" not in html.lower()
    assert "geheimgehouden" not in html.lower()
    analysis = inputs.analyse_texts(team)
    assert sum(analysis.sentiment[COMMENTS]) == 12


def test_survey_texts_and_youth_answers_are_never_quoted(client, team, tagged, clock):
    for _ in range(12):
        answer(most_important_change="Mijn coach Priscilla luisterde echt naar mij.")
    for _ in range(12):
        youth_response(tagged, "Ik wil meer jongerenwerk in de wijk.")
    clock.move(days=30)  # the youth round closes
    html = page(client, team.slug)
    assert "luisterde echt naar mij" not in html
    assert "Priscilla" not in html and "priscilla" not in html
    assert "meer jongerenwerk in de wijk" not in html
    assert "jongerenwerk" in html  # as a theme


def test_an_unknown_core_task_gives_the_not_found_page(client, tasks):
    response = client.get("/wat-jullie-zeiden/bestaat-niet/")
    assert response.status_code == 404


def test_the_overview_lists_the_four_core_tasks_with_their_source_tables(client, tasks):
    html = page(client)
    for task in tasks.values():
        assert f'href="/wat-jullie-zeiden/{task.slug}/"' in html
        assert f'id="bronnen-{task.slug}"' in html
    assert html.count("<caption") == 4


# --- sentiment and themes -------------------------------------------------------------------


def test_sentiment_is_counted_per_person_and_shown_with_shares(client, team):
    for _ in range(30):
        answer(most_important_change=POSITIVE_TEXT)
    for _ in range(10):
        answer(what_should_change=NEGATIVE_TEXT)
    for _ in range(10):
        answer(most_important_change=NEUTRAL_TEXT, what_should_change="")
    for _ in range(5):
        answer()  # no open answer: no text to read

    analysis = inputs.analyse_texts(team)

    assert analysis.sentiment[SURVEY] == (30, 10, 10)
    html = page(client, team.slug)
    row = html.split("Hoe de reacties klinken, per bron")[1].split("</tr>")[1]
    assert "30 (60%)" in row and "10 (20%)" in row


def test_sentiment_of_a_hidden_source_is_not_shown(client, team, tagged, org_a, member_a):
    for _ in range(4):
        comment(tagged, org_a, member_a, text=POSITIVE_TEXT)
    html = page(client, team.slug)
    rows = html.split("Hoe de reacties klinken, per bron")[1].split("</table>")[0]
    comments_row = rows.split("Reacties van partners bij inspraak")[1].split("</tr>")[0]
    assert "te weinig reacties" in comments_row
    assert "4" not in comments_row


def test_poll_words_count_only_when_shown_and_results_are_public(team):
    session = poll("Woorden", [team])
    question = words_question(session)
    for i in range(12):
        vote(question, f"p{i}", ["Jongerenwerk", "lelijkwoord"])
    Word.objects.filter(text="lelijkwoord").update(status=Word.Status.HIDDEN)
    private = poll("Dicht", [team], public=False)
    private_question = words_question(private)
    for i in range(12):
        vote(private_question, f"q{i}", ["geheimwoord"])

    analysis = inputs.analyse_texts(team)

    assert [theme.phrase for theme in analysis.themes] == ["jongerenwerk"]
    assert sum(analysis.sentiment[POLLS]) == 12


def test_youth_answers_count_for_themes_only_after_the_round_closed(team, tagged, clock):
    for _ in range(10):
        youth_response(tagged, "Meer jongerenwerk graag")
    assert inputs.analyse_texts(team).themes == []
    clock.move(days=30)
    assert [t.phrase for t in inputs.analyse_texts(team).themes] == ["jongerenwerk graag"]


def test_text_analysis_is_cached_until_the_input_changes(team, monkeypatch):
    for _ in range(3):
        answer(most_important_change=POSITIVE_TEXT)
    calls = []
    real = text_analysis.sentiment
    monkeypatch.setattr(text_analysis, "sentiment", lambda t, **kw: calls.append(t) or real(t))

    inputs.analyse_texts(team)
    inputs.analyse_texts(team)
    assert len(calls) == 3

    answer(what_should_change=NEGATIVE_TEXT)
    assert inputs.analyse_texts(team).sentiment[SURVEY] == (3, 0, 1)
    assert len(calls) == 3 + 4


# --- survey figures, polls, consultations and actions ---------------------------------------


@EXACT
def test_the_survey_figures_of_the_mapped_types_of_help_are_shown(client, team):
    for _ in range(12):
        answer(usefulness=8)
    for _ in range(10):
        answer(HelpType.AMBULANT, usefulness=2)  # specialistische zorg: not in this mean
    html = page(client, team.slug)
    table = html.split('id="tabel-cijfers"')[1].split("</table>")[0]
    assert "2026-H1" in table
    assert "Gemiddeld rapportcijfer" in table
    assert "8,0" in table or "8.0" in table
    # The 12 marks: too few for a percentage (under 30).
    share_row = table.split("Rapportcijfer 7 of hoger")[1].split("</tr>")[0]
    assert "te weinig reacties" in share_row


@EXACT
def test_a_figure_is_hidden_when_the_other_core_tasks_one_would_follow_from_the_total(client, team):
    # The dashboard shows the overall mean of 13 answers; showing this core task's 12 would
    # give away the one answer of specialistische zorg.
    for _ in range(12):
        answer(usefulness=8)
    answer(HelpType.AMBULANT, usefulness=2)
    html = page(client, team.slug)
    table = html.split('id="tabel-cijfers"')[1].split("</table>")[0]
    mean_row = table.split("Gemiddeld rapportcijfer")[1].split("</tr>")[0]
    assert "te weinig reacties" in mean_row
    assert "8,0" not in table and "8.0" not in table


def test_a_core_task_without_survey_help_says_so(client, tasks):
    html = page(client, "sterke-sociale-basis")
    assert "Bij deze kernopgave hoort geen hulp met een vragenlijst na afloop." in html


def test_polls_consultations_and_actions_are_linked(client, team, tagged):
    public_poll = poll("Uitslag openbaar", [team])
    poll("Uitslag dicht", [team], public=False)
    Action.objects.create(title="Meer inloop", description="x", published=True).core_tasks.set(
        [team]
    )
    Action.objects.create(title="Nog geheim", description="x").core_tasks.set([team])
    html = page(client, team.slug)
    assert f'href="/p/{public_poll.join_code}/uitslag/"' in html
    assert "Uitslag dicht" not in html
    assert tagged.title in html and f'href="{tagged.url}"' in html
    assert 'href="/wij-deden/#kernopgave-2"' in html
    assert "Meer inloop" in html and "Nog geheim" not in html
