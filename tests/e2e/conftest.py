"""Browser rig: the real site in its own server process, driven by Debian's Chromium."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

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


class NetworkLog:
    """Every request and WebSocket of every browser page, and those that left the live site.

    A young person's page may load nothing from another host (privacy register, issue 7): no
    fonts, scripts, images or counters from a CDN or tracker. The `browser` fixture hands out
    contexts that report here; after each test, one outside request fails it.
    """

    ALWAYS_ALLOWED = {"data", "blob", "about"}

    def __init__(self) -> None:
        self.allowed: set[str] = set()
        self.outside: list[str] = []
        self.requests = 0
        self.pages = 0
        self.documents: set[str] = set()
        self.proven = False

    def check(self, url: str) -> None:
        """Note one request (or WebSocket) by its URL."""
        self.requests += 1
        parts = urlsplit(url)
        if parts.scheme in self.ALWAYS_ALLOWED:
            return
        if parts.scheme in {"http", "https", "ws", "wss"} and parts.netloc in self.allowed:
            return
        self.outside.append(url)

    def _request(self, request) -> None:
        self.check(request.url)
        if request.is_navigation_request() and request.frame.parent_frame is None:
            self.documents.add(urlsplit(request.url).path)

    def _page(self, page) -> None:
        self.pages += 1
        page.on("websocket", lambda socket: self.check(socket.url))

    def watch(self, context):
        """Report the context's requests, pages and sockets here; the context."""
        context.on("request", self._request)
        context.on("page", self._page)
        return context

    def take(self) -> list[str]:
        """The outside requests since the last call."""
        outside, self.outside = self.outside, []
        return outside


NETWORK = NetworkLog()


def _prove_the_log_works(browser) -> None:
    """Once per run: a request to another host must show up in the log, or the rig is broken."""
    from playwright.sync_api import Error

    context = browser.new_context()
    try:
        page = context.new_page()
        with contextlib.suppress(Error):
            page.goto("http://fonts.googleapis.com.invalid/css", timeout=5000)
    finally:
        context.close()
    caught = NETWORK.take()
    if caught != ["http://fonts.googleapis.com.invalid/css"]:
        pytest.fail(f"the network log did not see an outside request: {caught}")
    NETWORK.proven = True
    # The figures count the tests' own pages only.
    NETWORK.pages = NETWORK.requests = 0
    NETWORK.documents.clear()


@pytest.fixture(scope="module")
def browser(live_site):
    """Headless Chromium; a missing browser is a failure, not a skip.

    Module-scoped: Playwright's sync API keeps an event loop running while it is open, and
    the async tests of other modules need the thread's loop to themselves. Every context and
    page it makes reports to the network log (NETWORK), whichever way the test makes it.
    """
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    NETWORK.allowed = {f"127.0.0.1:{live_site.port}", f"localhost:{live_site.port}"}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        new_context, new_page = browser.new_context, browser.new_page
        browser.new_context = lambda *args, **kwargs: NETWORK.watch(new_context(*args, **kwargs))

        def watched_page(*args, **kwargs):
            page = new_page(*args, **kwargs)
            NETWORK.watch(page.context)
            NETWORK._page(page)
            return page

        browser.new_page = watched_page
        if not NETWORK.proven:
            _prove_the_log_works(browser)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A browser test fails when one of its pages asked another host for anything."""
    NETWORK.take()
    result = yield
    outside = NETWORK.take()
    if outside:
        raise AssertionError(
            f"{len(outside)} request(s) to another host than the live site: {outside[:10]}"
        )
    return result


def pytest_terminal_summary(terminalreporter) -> None:
    """The figures of the network log, when browser tests ran."""
    if NETWORK.requests:
        terminalreporter.write_line(
            f"network log: {NETWORK.pages} browser pages, {len(NETWORK.documents)} distinct "
            f"page addresses, {NETWORK.requests} requests and sockets checked; "
            "outside requests fail their test"
        )


@pytest.fixture(scope="session")
def artifacts() -> Path:
    """Where screenshots go (git-ignored)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
