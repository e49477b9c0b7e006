"""Audit the pinned dependencies in requirements.lock for known vulnerabilities (pip-audit).

Run by `make audit` (part of `make test`). Exit codes:

- 0: no known vulnerability with a fix; vulnerabilities without a fix are listed as warnings.
  Also 0 when no advisory database could be reached: the run says so plainly ("not checked").
- 1: at least one known vulnerability has a fixed version: upgrade that pin in requirements.lock.
- 2: pip-audit could not run for another reason (a broken lock file, pip-audit missing).

The lock file is audited, not the virtualenv: it is exactly what production installs, it does not
depend on what else happens to be installed in a developer's .venv, and with every line pinned
(`--no-deps --disable-pip`) no resolver or package index is needed, only the advisory database.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK_FILE = ROOT / "requirements.lock"
# Tried in order. PyPI's JSON API is pip-audit's default and lives next to the package index;
# OSV is the same advisory data through another host, for networks that reach one but not the other.
SERVICES = ("pypi", "osv")
TOTAL_TIMEOUT = 120  # seconds for all attempts together
SOCKET_TIMEOUT = 15  # seconds for one HTTP request inside pip-audit

EXIT_OK = 0
EXIT_FIXABLE = 1
EXIT_ERROR = 2

# Signs in pip-audit's stderr that the advisory service was unreachable or failing,
# as opposed to a problem on our side.
NETWORK_MARKERS = (
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "NameResolutionError",
    "Max retries exceeded",
    "Could not connect",
    "network may be blocking",
    "ProxyError",
    "SSLError",
    "ServiceError",
    "Temporary failure in name resolution",
)


@dataclass
class Vulnerability:
    """One advisory against one pinned package."""

    package: str
    version: str
    id: str
    fix_versions: list[str]
    aliases: list[str] = field(default_factory=list)

    @property
    def fixable(self) -> bool:
        """True when a released version fixes it."""
        return bool(self.fix_versions)

    def line(self) -> str:
        """One readable line for the report."""
        ids = ", ".join([self.id, *self.aliases])
        fix = f"fixed in {', '.join(self.fix_versions)}" if self.fixable else "no fix released"
        return f"  {self.package}=={self.version}  {ids}  ({fix})"


@dataclass
class AuditResult:
    """What one pip-audit run against one service found."""

    service: str
    checked: int
    skipped: list[str]
    vulnerabilities: list[Vulnerability]


class Unreachable(Exception):
    """The advisory service could not be reached, or it answered for none of our packages."""


class AuditFailed(Exception):
    """pip-audit failed for a reason that is not the network."""


def pip_audit_command(service: str, lock_file: Path = LOCK_FILE) -> list[str]:
    """The pip-audit invocation for one service."""
    return [
        sys.executable,
        "-m",
        "pip_audit",
        "--requirement",
        str(lock_file),
        "--no-deps",
        "--disable-pip",
        "--vulnerability-service",
        service,
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--timeout",
        str(SOCKET_TIMEOUT),
    ]


def parse_report(service: str, stdout: str) -> AuditResult:
    """Turn pip-audit's JSON report into an AuditResult."""
    report = json.loads(stdout)
    checked, skipped, vulnerabilities = 0, [], []
    for dep in report["dependencies"]:
        if "skip_reason" in dep:
            skipped.append(f"{dep['name']}: {dep['skip_reason']}")
            continue
        checked += 1
        for vuln in dep.get("vulns", []):
            vulnerabilities.append(
                Vulnerability(
                    package=dep["name"],
                    version=dep["version"],
                    id=vuln["id"],
                    fix_versions=list(vuln.get("fix_versions", [])),
                    aliases=list(vuln.get("aliases", [])),
                )
            )
    return AuditResult(service, checked, skipped, vulnerabilities)


def run_service(service: str, timeout: float) -> AuditResult:
    """Audit the lock file against one advisory service."""
    try:
        proc = subprocess.run(
            pip_audit_command(service),
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=ROOT,
        )
    except subprocess.TimeoutExpired as exc:
        raise Unreachable(f"{service}: no answer within {timeout:.0f} s") from exc
    # pip-audit exits 1 both when it found vulnerabilities (with a JSON report) and when it
    # crashed (without one), so the report decides, not the exit code.
    try:
        result = parse_report(service, proc.stdout)
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        if any(marker in proc.stderr for marker in NETWORK_MARKERS):
            raise Unreachable(f"{service}: {last_line(proc.stderr)}") from exc
        raise AuditFailed(
            f"pip-audit ({service}) exited {proc.returncode}: {proc.stderr.strip()[-2000:]}"
        ) from exc
    if result.checked == 0 and result.skipped:
        # A mirror of PyPI without the per-version JSON answers 404 for every package, which
        # pip-audit reports as "No known vulnerabilities found": that is not a check.
        raise Unreachable(f"{service}: no advisory data for any package ({result.skipped[0]})")
    return result


def last_line(text: str) -> str:
    """The last non-empty line, which is where a traceback names its exception."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else "no output"


def audit(services: tuple[str, ...] = SERVICES, total_timeout: float = TOTAL_TIMEOUT) -> int:
    """Audit the lock file, print the outcome and return the exit code."""
    deadline = time.monotonic() + total_timeout
    failures = []
    for service in services:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            failures.append(f"{service}: not tried, time is up")
            continue
        try:
            result = run_service(service, remaining)
        except Unreachable as exc:
            failures.append(str(exc))
            continue
        except AuditFailed as exc:
            print(f"audit failed: {exc}")
            return EXIT_ERROR
        return report(result)
    print("could not reach the advisory database: not checked")
    for failure in failures:
        print(f"  {failure}")
    return EXIT_OK


def report(result: AuditResult) -> int:
    """Print the findings of one completed audit and return the exit code."""
    fixable = [v for v in result.vulnerabilities if v.fixable]
    unfixable = [v for v in result.vulnerabilities if not v.fixable]
    print(
        f"pip-audit ({result.service}): {result.checked} pinned packages in "
        f"{LOCK_FILE.name} checked, {len(fixable)} fixable and "
        f"{len(unfixable)} unfixable known vulnerabilities"
    )
    if result.skipped:
        print(f"warning: {len(result.skipped)} packages not checked:")
        for line in result.skipped:
            print(f"  {line}")
    if unfixable:
        print("warning: known vulnerabilities without a released fix:")
        for vuln in unfixable:
            print(vuln.line())
    if fixable:
        print("FAIL: upgrade these pins in requirements.lock:")
        for vuln in fixable:
            print(vuln.line())
        return EXIT_FIXABLE
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(audit())
