"""The participation trail: rounds and dates, who took part (never young people's names, small
counts of young people hidden), what came in per chapter, and what was done with it."""

import pytest

from consultations.models import Comment, Organisation
from consultations.report import participation_trail, youth_count, youth_total
from tests.consultations.test_report import add_comment
from youth_panel.models import PollQuestion, PollSession, Vote


def poll(consultation, title, voters, **fields):
    """An ended poll linked to the consultation, with `voters` different phones."""
    session = PollSession.objects.create(
        title=title, consultation=consultation, status=PollSession.Status.ENDED, **fields
    )
    question = PollQuestion.objects.create(
        session=session, text="Vind je je weg naar hulp?", kind=PollQuestion.Kind.YES_NO
    )
    Vote.objects.bulk_create(
        Vote(question=question, participant=f"telefoon-{i}", answer="ja") for i in range(voters)
    )
    return session


@pytest.mark.parametrize(
    "count, shown",
    [(0, "minder dan 10"), (9, "minder dan 10"), (10, "10"), (12, "10"), (13, "15"), (250, "250")],
)
def test_counts_about_young_people_under_ten_are_hidden(count, shown):
    assert youth_count(count) == shown


@pytest.mark.parametrize(
    "counts, shown",
    [
        ([12, 30], "40"),  # rounded, as every public count
        ([3, 4], "minder dan 10"),
        ([12, 5], "minstens 10"),  # 17 would give away the 5; 12 rounded down stays true
        ([6, 6], "minstens 10"),
        ([33, 5], "minstens 30"),
    ],
)
def test_a_total_never_gives_away_a_hidden_part(counts, shown):
    assert youth_total(counts) == shown


def test_the_trail_counts_organisations_and_comments_per_chapter(consultation, org_a, org_b):
    ggd = Organisation.objects.create(name="GGD Noord", kind=Organisation.Kind.GGD)
    add_comment(consultation, org_a, 7, 1, answer_outcome=Comment.Outcome.TAKEN_OVER)
    add_comment(consultation, org_a, 7, 2, answer_text_change="Zin erbij.", answer_outcome="partly")
    add_comment(consultation, org_b, 8)
    add_comment(consultation, ggd, 7, visibility=Comment.Visibility.STAFF_ONLY)
    add_comment(consultation, org_b, 7, 3, status=Comment.Status.HIDDEN)
    trail = participation_trail(consultation)
    assert trail["organisation_total"] == 2
    assert trail["named_organisations"] == ["School B", "Zorg A"]
    assert {r.label: (r.count, r.extra) for r in trail["kind_rows"]} == {
        "Zorgaanbieder": (1, 2),
        "School": (1, 1),
    }
    per_chapter = [(c.number, c.public_count, c.staff_only_count) for c in trail["chapters"]]
    assert per_chapter == [(7, 2, 1), (8, 1, 0)]
    assert (trail["total"], trail["public_total"], trail["staff_only_total"]) == (4, 3, 1)
    outcomes = {r.label: r.count for r in trail["outcome_rows"]}
    assert outcomes["Overgenomen"] == 1 and outcomes["Nog geen antwoord"] == 2
    assert trail["text_changes"] == 1


def test_the_trail_page_lists_rounds_dates_and_polls(client, consultation, org_a):
    add_comment(consultation, org_a, 7, 1, text="Openbaar.")
    poll(consultation, "JPRA-avond", 14)
    poll(consultation, "Klas 3b", 4)
    PollSession.objects.create(title="Andere inspraak")  # not linked: not listed
    response = client.get(consultation.subpage_url("trail"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Verloop van de inspraak" in html
    assert "Reageren op de concepttekst" in html
    assert "van 28 februari 2026 tot 15 maart 2026" in html
    assert "Versie 1 van de tekst" in html
    assert "Peiling met jongeren: JPRA-avond" in html and "Aantal deelnemers: 15." in html
    assert "Peiling met jongeren: Klas 3b" in html and "Aantal deelnemers: minder dan 10." in html
    assert "Andere inspraak" not in html
    assert "Uitslag van JPRA-avond" in html and "/uitslag/" in html
    assert '<td class="num-col">minstens 10</td>' in html  # 14 + a hidden 4, rounded down
    assert "Deze organisaties reageerden openbaar: <bdi>Zorg A</bdi>." in html
    assert html.count("<caption ") == 4
    for number in range(1, 5):
        assert f'<h2 id="{["rondes", "wie", "binnen", "gedaan"][number - 1]}">{number}.' in html


def test_the_trail_never_names_staff_only_organisations_or_young_people(
    client, consultation, member_a, org_a
):
    add_comment(
        consultation,
        org_a,
        7,
        1,
        author=member_a,
        text="Alleen voor de gemeente.",
        visibility=Comment.Visibility.STAFF_ONLY,
    )
    html = client.get(consultation.subpage_url("trail")).content.decode()
    assert "Zorg A" not in html and "lid-a" not in html and "Alleen voor de gemeente." not in html
    assert "Daarnaast kwam er 1 reactie die alleen voor de gemeente is." in html


def test_the_trail_escapes_titles(client, consultation):
    poll(consultation, "<script>x</script>", 12)
    html = client.get(consultation.subpage_url("trail")).content.decode()
    assert "<script>x" not in html and "&lt;script&gt;x&lt;/script&gt;" in html


def test_an_empty_trail_still_shows_the_rounds(client, consultation):
    html = client.get(consultation.subpage_url("trail")).content.decode()
    assert "Er zijn nog geen reacties op de tekst." in html
    assert "Antwoorden van de gemeente" in html and "datum volgt" in html


def test_sub_pages_are_cacheable_for_anonymous_readers_unless_the_phase_changes_soon(
    client, consultation, clock
):
    from config.pagecache import MARKER

    for name in ("report", "versions", "trail"):
        assert client.get(consultation.subpage_url(name)).get(MARKER) == "1"
    clock.move(days=14, seconds=-30)  # closes in 30 seconds
    assert client.get(consultation.subpage_url("report")).get(MARKER) is None
