"""pytest plugin: with JEUGDSTEM_SERVICES=1 the whole suite runs on real PostgreSQL and Redis.

It starts throwaway servers before pytest-django reads the settings (the settings take
DATABASE_URL and REDIS_URL from the environment) and stops them at the end. With CI=true a
missing binary fails the run; elsewhere it ends the services pass with a clear message.
"""

from __future__ import annotations

import os

import pytest

from tests.plugins.servers import ServiceUnavailable, start_postgres, start_redis

_started: list = []


def services_wanted() -> bool:
    """Whether this run is the services pass."""
    return os.environ.get("JEUGDSTEM_SERVICES", "") in {"1", "true", "yes"}


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config, parser, args) -> None:
    """Start the servers and point the settings at them (before Django is set up)."""
    if not services_wanted():
        # The embedded pass: SQLite and the in-memory layer, whatever the shell exported.
        os.environ.pop("DATABASE_URL", None)
        os.environ.pop("REDIS_URL", None)
        return
    try:
        postgres = start_postgres()
        _started.append(postgres)
        redis = start_redis()
        _started.append(redis)
    except ServiceUnavailable as exc:
        _stop_all()
        if os.environ.get("CI", "").lower() == "true":
            raise pytest.UsageError(f"services pass: {exc}") from exc
        pytest.exit(f"services pass not run: {exc}", returncode=0)
    os.environ["DATABASE_URL"] = postgres.url
    os.environ["REDIS_URL"] = redis.url


def pytest_report_header(config) -> list[str]:
    """Say on which services this run is."""
    if services_wanted():
        database, redis = os.environ.get("DATABASE_URL"), os.environ.get("REDIS_URL")
        return [f"services: PostgreSQL {database}, Redis {redis}"]
    return ["services: embedded (SQLite, in-memory channel layer, local-memory cache)"]


def pytest_collection_modifyitems(config, items) -> None:
    """Tests marked `services` need the real servers: only the services pass runs them."""
    if services_wanted():
        return
    selected = [item for item in items if "services" not in item.keywords]
    deselected = [item for item in items if "services" in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = selected


def pytest_unconfigure(config) -> None:
    """Stop the servers."""
    _stop_all()


def _stop_all() -> None:
    while _started:
        _started.pop().stop()
