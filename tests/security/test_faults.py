"""Faults, small: kill -9 during a vote, many writers at once, Redis gone mid-poll.

The full-size runs are `make bench-faults` (bench/faults.py, results in bench/README.md). These
tests start real daphne processes on a database of their own: SQLite in the embedded pass,
PostgreSQL (and the pass's Redis) in the services pass. The Redis outage needs a Redis that
may be stopped, so it runs in the services pass only, on a Redis of its own.
"""

from __future__ import annotations

import os

import pytest

from bench import faults
from tests.plugins.appserver import prepare_database


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    """A migrated database for this module's servers, and its work folder."""
    workdir = tmp_path_factory.mktemp("faults")
    # A copy of the test run's migrated, seeded database (faults.prepare migrates a new one, as
    # the bench does, which costs 15-30 s here); the servers read the static files from workdir.
    env = prepare_database(workdir)
    (workdir / "static").symlink_to(env["STATIC_ROOT"])
    return env["DATABASE_URL"], workdir


def test_kill_9_during_voting_loses_no_acknowledged_vote_and_counts_none_twice(database):
    database_url, workdir = database
    result = faults.kill_scenario(
        database_url,
        workdir,
        phones=30,
        spread_s=3.0,
        deadline_s=60.0,
        redis_url=os.environ.get("REDIS_URL"),
    )
    # The kill hit the load: some votes acked before it, some on their way at that moment.
    assert 0 < result.acked_before_kill < 30
    assert result.in_flight_at_kill > 0
    # Every phone got its ack in the end, over the socket or as a form post ...
    assert result.acked == 30
    assert result.acked_via_socket + result.acked_via_form == 30
    assert result.acked_via_form >= 7  # the 7 phones without a socket (every fourth of 30)
    # ... and the database holds each of those votes exactly once.
    assert result.lost == 0
    assert result.duplicated == 0
    assert result.rows == result.tally_total == 30
    assert result.rows_not_acked == 0


def test_twenty_writers_at_once_get_no_server_error_and_lose_nothing(database):
    """On SQLite (embedded pass) this is the 'database is locked' test."""
    database_url, workdir = database
    result = faults.writers_scenario(database_url, workdir, writers=20, writes_each=6)
    # 20 writers x 6 writes, each writer taking turns: vote, comment, survey answer.
    assert result.writes_offered == 120
    assert result.failures == []
    assert result.server_errors == 0
    assert result.locked_messages == 0
    assert result.writes_acked == {"vote": 40, "comment": 40, "survey": 40}
    assert result.stored == {"vote": 40, "comment": 40, "survey": 40}
    assert result.missing == {"vote": 0, "comment": 0, "survey": 0}


@pytest.mark.services
def test_votes_go_on_while_redis_is_down_and_screens_catch_up_when_it_returns(database):
    database_url, workdir = database
    result = faults.redis_scenario(
        database_url,
        workdir,
        outage_s=5.0,
        voters_before=6,
        voters_during=20,
        screens=6,
        settle_s=12.0,
    )
    assert result.votes_before == 6
    # Every vote during the outage was accepted: half over the socket, half as form posts.
    assert result.votes_during_acked == result.votes_during_offered == 20
    assert result.during_via_form >= 10
    assert result.lost == 0
    assert result.duplicated == 0
    assert result.db_total == 6 + 20 + 1  # and the probe vote after Redis returned
    # Every screen shows the database count within 10 s of Redis coming back ...
    assert result.screens_on_db_total == 6
    assert result.converge_after_return_s is not None
    assert result.converge_after_return_s <= 10.0
    # ... and news crosses processes through Redis again (not only the 5 s re-read).
    assert result.probe_all_screens_ms is not None
    assert result.probe_all_screens_ms < 2000
    assert result.processes_alive
