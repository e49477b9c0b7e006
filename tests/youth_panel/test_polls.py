"""Live poll rules: answers are checked, votes count once, hosts steer the session."""

import threading
import uuid

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection

from tests.youth_panel.conftest import make_running_poll
from youth_panel.demo import DEMO_CODE, seed_demo_poll
from youth_panel.models import JOIN_ALPHABET, PollQuestion, PollSession, Vote, Word, new_join_code
from youth_panel.polls import VoteError, cast_vote, clean_answer, control, is_blocked, tally
from youth_panel.rules import can_host, can_see_results

Kind = PollQuestion.Kind


@pytest.fixture
def session(db):
    """A running session whose current question is single choice A/B/C."""
    options = {
        Kind.SINGLE: "A\nB\nC",
        Kind.MULTIPLE: "A\nB\nC\nD",
        Kind.RANKING: "Eerste\nTweede\nDerde",
    }
    return make_running_poll("Testpeiling", options)


def _question(session, kind):
    return session.questions.get(kind=kind)


def _go_to(session, kind):
    while session.current_question.kind != kind:
        session = control(session, "next")
    return session


def test_join_codes_have_six_unambiguous_characters():
    codes = {new_join_code() for _ in range(500)}
    assert all(len(code) == 6 and set(code) <= set(JOIN_ALPHABET) for code in codes)
    assert not set("0O1IL") & set(JOIN_ALPHABET)


def test_a_vote_counts_once_however_often_it_is_sent(session):
    question = session.current_question
    vote_id = uuid.uuid4()
    first, changed = cast_vote(session, question, "p1", vote_id, "1")
    again, changed_again = cast_vote(session, question, "p1", vote_id, "2")
    assert changed and not changed_again and again.pk == first.pk
    assert Vote.objects.get().answer == 1
    assert tally(question)["options"][1]["count"] == 1


def test_changing_a_single_choice_vote_replaces_it(session):
    question = session.current_question
    cast_vote(session, question, "p1", uuid.uuid4(), "0")
    cast_vote(session, question, "p1", uuid.uuid4(), "2")
    counts = [option["count"] for option in tally(question)["options"]]
    assert counts == [0, 0, 1]


@pytest.mark.parametrize("answer", ["9", "-1", "x", None, ["0", "1"]])
def test_unknown_options_are_refused_and_nothing_is_stored(session, answer):
    with pytest.raises(VoteError) as error:
        cast_vote(session, session.current_question, "p1", uuid.uuid4(), answer)
    assert error.value.code == "unknown_option"
    assert not Vote.objects.exists()


def test_a_vote_on_a_closed_or_other_question_is_refused(session):
    question = session.current_question
    session = control(session, "close")
    with pytest.raises(VoteError, match="gesloten"):
        cast_vote(session, question, "p1", uuid.uuid4(), "0")
    session = control(session, "next")
    with pytest.raises(VoteError) as error:
        cast_vote(session, question, "p1", uuid.uuid4(), "0")
    assert error.value.code == "not_current"
    assert not Vote.objects.exists()


def test_multiple_choice_respects_the_maximum(session):
    session = _go_to(session, Kind.MULTIPLE)
    question = session.current_question
    with pytest.raises(VoteError, match="hoogstens 2"):
        cast_vote(session, question, "p1", uuid.uuid4(), ["0", "1", "2"])
    cast_vote(session, question, "p1", uuid.uuid4(), ["0", "3"])
    assert [o["count"] for o in tally(question)["options"]] == [1, 0, 0, 1]


def test_scale_has_emoji_labels_and_ranking_shows_the_average_rank(session):
    scale = _question(session, Kind.SCALE)
    assert len(tally(scale)["options"]) == 5 and tally(scale)["options"][0]["emoji"] == "😡"
    session = _go_to(session, Kind.RANKING)
    ranking = session.current_question
    cast_vote(session, ranking, "p1", uuid.uuid4(), ["2", "0", "1"])
    cast_vote(session, ranking, "p2", uuid.uuid4(), ["2", "1", "0"])
    result = tally(ranking)["options"]
    assert result[0] == {"label": "Derde", "average_rank": 1.0}
    with pytest.raises(VoteError, match="volgorde"):
        cast_vote(session, ranking, "p3", uuid.uuid4(), ["0", "0", "1"])


def test_words_are_counted_filtered_and_can_wait_for_moderation(session):
    session = _go_to(session, Kind.WORDS)
    question = session.current_question
    cast_vote(session, question, "p1", uuid.uuid4(), ["Eng", "spannend"])
    cast_vote(session, question, "p2", uuid.uuid4(), ["eng"])
    assert {w["text"]: w["count"] for w in tally(question)["words"]} == {"eng": 2, "spannend": 1}
    cast_vote(session, question, "p2", uuid.uuid4(), ["fijn"])
    assert {w["text"]: w["count"] for w in tally(question)["words"]}["eng"] == 1
    with pytest.raises(VoteError, match="mag niet"):
        cast_vote(session, question, "p3", uuid.uuid4(), ["kankerzooi"])
    question.moderate_words = True
    question.save()
    cast_vote(session, question, "p4", uuid.uuid4(), ["nieuw"])
    assert Word.objects.get(text="nieuw").status == Word.Status.WAITING
    assert "nieuw" not in [w["text"] for w in tally(question)["words"]]


def test_control_and_invisible_characters_never_reach_the_cloud(session):
    # NUL is refused by PostgreSQL; zero-width and direction marks can hide or reorder a word.
    session = _go_to(session, Kind.WORDS)
    question = session.current_question
    cast_vote(session, question, "p1", uuid.uuid4(), ["bl\x00ij", "\u202egnaB", "z\u200bot"])
    assert {w["text"] for w in tally(question)["words"]} == {"blij", "gnab", "zot"}
    with pytest.raises(VoteError, match="minstens"):
        cast_vote(session, question, "p2", uuid.uuid4(), ["\x00\u200b"])


@pytest.mark.parametrize(
    ("word", "blocked"), [("Fuck", True), ("k*t", False), ("tering", True), ("blij", False)]
)
def test_the_word_filter_knows_dutch_and_english(word, blocked):
    assert is_blocked(word) is blocked


def test_host_actions_steer_the_session(session):
    assert session.status == PollSession.Status.RUNNING and session.voting_open
    session = control(session, "show")
    assert session.results_visible
    session = control(session, "next")
    assert session.current_question.sort_order == 1 and not session.results_visible
    session = control(session, "previous")
    assert session.current_question.sort_order == 0
    with pytest.raises(VoteError):
        control(session, "previous")
    with pytest.raises(VoteError):
        control(session, "dansen")
    session = control(session, "end")
    assert session.status == PollSession.Status.ENDED and not session.voting_open


def test_only_hosts_control_and_results_are_public_after_the_end(session):
    user_model = get_user_model()
    host = user_model.objects.create_user("gastheer")
    other = user_model.objects.create_user("iemand")
    session.hosts.add(host)
    assert can_host(host, session) and not can_host(other, session)
    assert can_see_results(host, session) and not can_see_results(other, session)
    session = control(session, "end")
    assert can_see_results(other, session)
    session.results_public = False
    assert not can_see_results(other, session)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_identical_votes_count_once():
    poll = PollSession.objects.create(title="Gelijktijdig")
    PollQuestion.objects.create(session=poll, sort_order=0, text="?", kind=Kind.YES_NO)
    poll = control(poll, "start")
    question = poll.current_question
    errors: list = []
    for _round in range(5):
        vote_id = uuid.uuid4()

        def worker(vote_id=vote_id):
            try:
                cast_vote(poll, question, "p1", vote_id, "0")
            except Exception as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
            finally:
                connection.close()

        threads = [threading.Thread(target=worker) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert Vote.objects.count() == 1


def test_clean_answer_for_yes_no_has_three_options(session):
    assert clean_answer(_question(session, Kind.YES_NO), "2") == 2


def test_seed_demo_adds_a_ready_poll_once(seeded):
    call_command("seed_demo", stdout=__import__("io").StringIO())
    poll = PollSession.objects.get(join_code=DEMO_CODE)
    assert poll.questions.count() == 6 and poll.hosts.filter(username="beheer").exists()
    assert "already present" in seed_demo_poll()
