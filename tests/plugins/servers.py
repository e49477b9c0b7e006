"""Throwaway PostgreSQL and Redis servers started from the installed binaries.

PostgreSQL refuses to run as root, and CI runs as root: then the server is initialised and
started as the `postgres` system user (created by Debian's package) in a folder it owns.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class ServiceUnavailable(RuntimeError):
    """A server binary is missing or the server did not start."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    """Wait until something accepts connections on 127.0.0.1:port."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            sock.settimeout(0.5)
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise ServiceUnavailable(f"nothing answered on port {port} within {timeout:.0f} s")


def stop_process(process: subprocess.Popen, timeout: float = 10.0) -> None:
    """Ask a process to stop; kill it when it has not stopped in time."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def _pg_bindir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if found:
        return Path(found[0]).parent
    pg_ctl = shutil.which("pg_ctl")
    if pg_ctl:
        return Path(pg_ctl).parent
    raise ServiceUnavailable("PostgreSQL is not installed (apt-get install postgresql)")


@dataclass
class PostgresServer:
    """A running throwaway PostgreSQL cluster."""

    url: str
    datadir: Path
    bindir: Path
    run_as: str | None

    def stop(self) -> None:
        """Stop the server and remove its files."""
        _run_as(
            self.run_as,
            [str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop"],
            check=False,
        )
        shutil.rmtree(self.datadir.parent, ignore_errors=True)


def _run_as(user: str | None, args: list[str], check: bool = True) -> subprocess.CompletedProcess:
    if user:
        args = ["runuser", "-u", user, "--", *args]
    return subprocess.run(args, check=check, capture_output=True, text=True, timeout=120)


def start_postgres() -> PostgresServer:
    """Initialise and start a cluster on a free port with a superuser `jeugdstem`."""
    bindir = _pg_bindir()
    run_as = None
    base = Path(tempfile.mkdtemp(prefix="jeugdstem-pg-"))
    if os.geteuid() == 0:
        try:
            pw = pwd.getpwnam("postgres")
        except KeyError:
            raise ServiceUnavailable("running as root, but there is no 'postgres' user") from None
        run_as = "postgres"
        os.chown(base, pw.pw_uid, pw.pw_gid)
        base.chmod(0o700)
    datadir = base / "data"
    port = free_port()
    try:
        _run_as(
            run_as,
            [
                str(bindir / "initdb"),
                "-D",
                str(datadir),
                "-U",
                "jeugdstem",
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        )
        options = (
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        _run_as(
            run_as,
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(datadir),
                "-o",
                options,
                "-l",
                str(base / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
    except subprocess.CalledProcessError as exc:
        log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
        shutil.rmtree(base, ignore_errors=True)
        raise ServiceUnavailable(f"PostgreSQL did not start: {exc.stderr}\n{log}") from exc
    wait_for_port(port)
    url = f"postgresql://jeugdstem@127.0.0.1:{port}/postgres"
    return PostgresServer(url=url, datadir=datadir, bindir=bindir, run_as=run_as)


@dataclass
class RedisServer:
    """A running throwaway Redis."""

    url: str
    process: subprocess.Popen
    workdir: Path

    def stop(self) -> None:
        """Stop Redis and remove its folder."""
        stop_process(self.process)
        shutil.rmtree(self.workdir, ignore_errors=True)


def start_redis() -> RedisServer:
    """Start redis-server on a free port without persistence."""
    binary = shutil.which("redis-server")
    if not binary:
        raise ServiceUnavailable("Redis is not installed (apt-get install redis-server)")
    workdir = Path(tempfile.mkdtemp(prefix="jeugdstem-redis-"))
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--maxclients",
            "10000",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
    except ServiceUnavailable:
        process.kill()
        raise
    return RedisServer(url=f"redis://127.0.0.1:{port}/0", process=process, workdir=workdir)
