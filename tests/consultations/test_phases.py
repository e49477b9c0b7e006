"""Phases follow the dates on the page, with frozen time; only the open phase takes comments."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from consultations.models import ConsultationPage
from consultations.phases import Phase
from tests.consultations.conftest import START

DAY = datetime.timedelta(days=1)


@pytest.fixture
def planned(make_consultation):
    return make_consultation(
        opens_at=START + DAY, closes_at=START + 3 * DAY, answered_at=START + 5 * DAY
    )


def test_each_phase_starts_at_its_date(planned, clock):
    seen = []
    for moment in (START, START + DAY, START + 3 * DAY, START + 5 * DAY):
        clock.now = moment
        seen.append(planned.phase)
    assert seen == [Phase.ANNOUNCED, Phase.OPEN, Phase.CLOSED, Phase.ANSWERED]


def test_a_second_before_closing_is_still_open(planned, clock):
    clock.now = START + 3 * DAY - datetime.timedelta(seconds=1)
    assert planned.phase == Phase.OPEN and planned.allows("comment")
    clock.move(seconds=1)
    assert planned.phase == Phase.CLOSED and not planned.allows("comment")


def test_without_an_answer_date_a_closed_consultation_stays_closed(make_consultation, clock):
    page = make_consultation(closes_at=START + DAY)
    clock.move(days=400)
    assert page.phase == Phase.CLOSED


def test_only_the_open_phase_allows_comments(planned, clock):
    for moment, allowed in ((START, False), (START + DAY, True), (START + 4 * DAY, False)):
        clock.now = moment
        assert planned.allows("comment") is allowed


def test_open_at_lists_the_consultations_that_take_comments(planned, consultation):
    open_now = ConsultationPage.objects.open_at(START)
    assert list(open_now) == [consultation]
    assert set(ConsultationPage.objects.open_at(START + 2 * DAY)) == {planned, consultation}


def test_the_editor_refuses_phases_in_the_wrong_order(consultation):
    consultation.closes_at = consultation.opens_at - DAY
    consultation.answered_at = consultation.opens_at - 2 * DAY
    with pytest.raises(ValidationError) as caught:
        consultation.full_clean()
    assert {"closes_at", "answered_at"} <= set(caught.value.message_dict)


def test_the_phase_banner_shows_the_current_phase_and_every_date(planned, client, clock):
    clock.now = START + DAY
    html = client.get(planned.url).content.decode()
    assert 'aria-current="step"' in html
    assert "Nu: Open voor reacties" in html
    for label in ("Aangekondigd", "Gesloten", "Beantwoord"):
        assert label in html


def test_the_page_is_not_cached_when_the_phase_changes_soon(planned, clock, rf):
    clock.now = START + DAY - datetime.timedelta(minutes=1)
    request = rf.get(planned.url)
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    planned.serve(request)
    assert not getattr(request, "_page_cacheable", False)
    clock.now = START + 2 * DAY
    request = rf.get(planned.url)
    request.user = AnonymousUser()
    planned.serve(request)
    assert request._page_cacheable


def test_the_steps_never_go_back_in_time_when_a_round_is_published_after_it_opened(
    make_consultation,
):
    page = make_consultation()
    page.first_published_at = page.opens_at + datetime.timedelta(days=7)
    steps = [step["starts_at"] for step in page.phase_steps() if step["starts_at"]]
    assert page.announced_at == page.opens_at
    assert steps == sorted(steps)
