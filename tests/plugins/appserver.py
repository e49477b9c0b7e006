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


# One migrated, seeded database and one set of collected static files per test process: every
# server that asks for a fresh database gets a copy of it (a file copy on SQLite, a template on
# PostgreSQL) instead of migrating and seeding again, which took 30-40 s each on two cores.
_golden: dict[str, str] = {}


def server_env(static_root: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.dev",
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "STATIC_ROOT": str(static_root),
        "PYTHONPATH": str(ROOT / "site"),
    }


def _postgres_url(base_url: str, name: str) -> str:
    return base_url.rsplit("/", 1)[0] + f"/{name}"


def _golden_database() -> dict[str, str]:
    """Make the process's golden database and static files once; their environment."""
    if not _golden:
        folder = Path(tempfile.mkdtemp(prefix="jeugdstem-golden-"))
        env = server_env(folder / "static")
        base_url = os.environ.get("DATABASE_URL")
        if base_url and base_url.startswith("postgres"):
            import psycopg

            name = f"jeugdstem_golden_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(base_url, autocommit=True) as connection:
                connection.execute(f'CREATE DATABASE "{name}"')
            env["DATABASE_URL"] = _postgres_url(base_url, name)
            _golden["postgres"] = name
        else:
            env["DATABASE_URL"] = f"sqlite:///{folder / 'db.sqlite3'}"
            _golden["sqlite"] = str(folder / "db.sqlite3")
        _manage(env, "migrate", "--noinput")
        _manage(env, "collectstatic", "--noinput")
        _manage(env, "seed_demo")
        _golden["static"] = str(folder / "static")
    return _golden


def prepare_database(workdir: Path) -> dict[str, str]:
    """Environment for a fresh, migrated and seeded database (SQLite or a new PostgreSQL db).

    Each call gets its own copy of the golden database, so servers never share data.
    """
    golden = _golden_database()
    env = server_env(Path(golden["static"]))
    if "postgres" in golden:
        import psycopg

        base_url = os.environ["DATABASE_URL"]
        name = f"jeugdstem_app_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(base_url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{golden["postgres"]}"')
        env["DATABASE_URL"] = _postgres_url(base_url, name)
    else:
        import sqlite3

        target = workdir / "db.sqlite3"
        # The backup API copies a WAL database consistently, unlike a file copy.
        source, copy = sqlite3.connect(golden["sqlite"]), sqlite3.connect(target)
        try:
            source.backup(copy)
        finally:
            source.close()
            copy.close()
        env["DATABASE_URL"] = f"sqlite:///{target}"
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


def start_server(
    env: dict[str, str], log_dir: Path | None = None, *, uvicorn_flags: list[str] | None = None
) -> AppServer:
    """Start daphne (or uvicorn, given its flags) on a free port and wait until it answers."""
    port = free_port()
    log = (log_dir or Path(tempfile.mkdtemp())) / f"server-{port}.log"
    if uvicorn_flags is None:
        command = ["daphne", "-b", "127.0.0.1", "-p", str(port)]
    else:
        command = ["uvicorn", "--host", "127.0.0.1", "--port", str(port), *uvicorn_flags]
    process = subprocess.Popen(
        [sys.executable, "-m", *command, "config.asgi:application"],
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
