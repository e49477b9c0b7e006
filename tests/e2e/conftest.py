"""Browser rig: the real site in its own server process, driven by Debian's Chromium."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.plugins.appserver import ROOT, prepare_database, start_server

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = ROOT / "artifacts" / "screenshots"


@pytest.fixture(scope="session")
def live_site(tmp_path_factory):
    """The seeded site served by daphne on a free port."""
    workdir = tmp_path_factory.mktemp("e2e")
    env = prepare_database(workdir)
    server = start_server(env, log_dir=workdir)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium; a missing browser is a failure, not a skip.

    Module-scoped: Playwright's sync API keeps an event loop running while it is open, and
    the async tests of other modules need the thread's loop to themselves.
    """
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
