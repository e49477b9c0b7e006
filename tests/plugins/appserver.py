"""Run the real site in its own server process (daphne), with its own prepared database."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from tests.plugins.servers import free_port, stop_process, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def _manage(env: dict[str, str], *args: str, timeout: int = 300) -> str:
    """Run a manage.py command against the server's database; its standard output."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    ).stdout


def prepare_database(workdir: Path) -> dict[str, str]:
    """Environment for a fresh, migrated and seeded database (SQLite or a new PostgreSQL db)."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": str(workdir / "static"),
        "PYTHONPATH": str(ROOT / "site"),
    }
    base_url = os.environ.get("DATABASE_URL")
    if base_url and base_url.startswith("postgres"):
        import psycopg

        name = f"jeugdstem_app_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(base_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = base_url.rsplit("/", 1)[0] + f"/{name}"
    else:
        env["DATABASE_URL"] = f"sqlite:///{workdir / 'db.sqlite3'}"
    _manage(env, "migrate", "--noinput")
    _manage(env, "collectstatic", "--noinput")
    _manage(env, "seed_demo")
    return env


@dataclass
class AppServer:
    """One daphne process serving the site."""

    port: int
    process: subprocess.Popen
    log: Path
    env: dict[str, str] = field(repr=False)

    @property
    def url(self) -> str:
        """The base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def shell(self, code: str) -> str:
        """Run Python in `manage.py shell` on the server's database (to prepare test data)."""
        return _manage(self.env, "shell", "-c", code, timeout=60)

    def stop(self) -> None:
        """Stop the server."""
        stop_process(self.process)


def start_server(env: dict[str, str], log_dir: Path | None = None) -> AppServer:
    """Start daphne on a free port and wait until it answers."""
    port = free_port()
    log = (log_dir or Path(tempfile.mkdtemp())) / f"server-{port}.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "daphne",
            "-b",
            "127.0.0.1",
            "-p",
            str(port),
            "config.asgi:application",
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, timeout=30)
    except Exception:
        process.kill()
        raise RuntimeError(f"the site did not start:\n{log.read_text()}") from None
    return AppServer(port=port, process=process, log=log, env=env)
