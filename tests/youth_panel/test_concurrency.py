"""Votes and codes under real parallel threads: nothing counts twice, nothing errors.

Runs on SQLite (a file database, as the test settings configure) and, in the services pass,
on PostgreSQL. A pool of 50 threads is released together with a Barrier for every round; each
thread keeps its own database connection for all rounds and closes it at the end.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection

from youth_panel import counted
from youth_panel.models import PollCode, PollQuestion, PollSession, Vote
from youth_panel.polls import VoteError, cast_vote, control, tally

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
Kind = PollQuestion.Kind
THREADS = 50


def run_in_parallel(rounds: int, work: Callable[[int, int], object]) -> list[list]:
    """Call work(round, thread) on THREADS threads, all released together, for every round.

    Returns the results per round; an exception is kept as the result, so tests can see it.
    """
    barrier = threading.Barrier(THREADS)
    results: list[list] = [[None] * THREADS for _ in range(rounds)]

    def worker(thread: int) -> None:
        try:
            for round_ in range(rounds):
                barrier.wait(timeout=60)
                try:
                    results[round_][thread] = work(round_, thread)
                except Exception as exc:  # noqa: BLE001 - kept and asserted by the test
                    results[round_][thread] = exc
        except threading.BrokenBarrierError as exc:
            results[-1][thread] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _errors(results: list[list]) -> list[BaseException]:
    return [r for row in results for r in row if isinstance(r, BaseException)]


@pytest.fixture
def poll():
    """A running session whose current question is single choice A/B/C."""
    session = PollSession.objects.create(title="Gelijktijdig")
    PollQuestion.objects.create(
        session=session, sort_order=0, text="Welke?", kind=Kind.SINGLE, options_text="A\nB\nC"
    )
    return control(session, "start")


def test_parallel_identical_votes_leave_one_vote_per_participant(poll):
    question = poll.current_question
    rounds = 100

    # Every round: one new participant whose vote arrives 50 times at once (say, a phone that
    # double-taps and retries), each time with a new vote id.
    def vote(round_: int, thread: int):
        return cast_vote(poll, question, f"ronde-{round_}", uuid.uuid4(), "1")

    results = run_in_parallel(rounds, vote)

    assert _errors(results) == []
    per_participant = Counter(
        Vote.objects.filter(question=question).values_list("participant", flat=True)
    )
    assert len(per_participant) == rounds
    assert set(per_participant.values()) == {1}  # nobody counted twice
    assert tally(question)["total"] == rounds
    assert tally(question)["options"][1]["count"] == rounds


def test_a_replayed_vote_id_counts_once_and_every_replay_gets_the_stored_vote(poll):
    question = poll.current_question
    rounds = 20
    vote_ids = [uuid.uuid4() for _ in range(rounds)]

    def replay(round_: int, thread: int):
        return cast_vote(poll, question, f"telefoon-{round_}", vote_ids[round_], "2")

    results = run_in_parallel(rounds, replay)

    assert _errors(results) == []
    for round_, row in enumerate(results):
        stored = Vote.objects.get(vote_id=vote_ids[round_])
        assert {vote.pk for vote, _changed in row} == {stored.pk}
        assert {vote.vote_id for vote, _changed in row} == {vote_ids[round_]}
        # Exactly one of the 50 stored it; the 49 replays changed nothing.
        assert [changed for _vote, changed in row].count(True) == 1
    assert Vote.objects.filter(question=question).count() == rounds
    assert tally(question)["total"] == rounds


def test_fifty_different_participants_at_once_make_fifty_votes(poll):
    question = poll.current_question

    def vote(round_: int, thread: int):
        return cast_vote(poll, question, f"deelnemer-{thread}", uuid.uuid4(), str(thread % 3))

    results = run_in_parallel(1, vote)

    assert _errors(results) == []
    assert Vote.objects.filter(question=question).count() == THREADS
    result = tally(question)
    assert result["total"] == THREADS
    assert [row["count"] for row in result["options"]] == [17, 17, 16]


def test_fifty_phones_typing_one_code_at_once_bind_it_to_exactly_one(poll):
    poll.mode = PollSession.Mode.COUNTED
    poll.save(update_fields=["mode"])
    rounds = 5
    codes = counted.issue_codes(poll, rounds)

    def redeem(round_: int, thread: int):
        return counted.redeem(poll, codes[round_].lower())

    results = run_in_parallel(rounds, redeem)

    for row in results:
        winners = [r for r in row if isinstance(r, PollCode)]
        refused = [r for r in row if isinstance(r, VoteError)]
        assert len(winners) == 1
        assert len(refused) == THREADS - 1
        assert {error.code for error in refused} == {"used_code"}
    assert PollCode.objects.filter(session=poll, used_at__isnull=False).count() == rounds


def test_one_vote_id_sent_by_fifty_participants_at_once_is_stored_for_one_only(poll):
    question = poll.current_question
    for thread in range(THREADS):
        cast_vote(poll, question, f"deelnemer-{thread}", uuid.uuid4(), "0")
    shared_id = uuid.uuid4()

    def vote(round_: int, thread: int):
        return cast_vote(poll, question, f"deelnemer-{thread}", shared_id, "2")

    results = run_in_parallel(1, vote)

    accepted = [r for r in results[0] if isinstance(r, tuple)]
    refused = [r for r in results[0] if not isinstance(r, tuple)]
    assert len(accepted) == 1
    assert all(isinstance(r, VoteError) and r.code == "bad_message" for r in refused)
    assert Vote.objects.filter(question=question).count() == THREADS
    assert Vote.objects.filter(question=question, answer=2).count() == 1
