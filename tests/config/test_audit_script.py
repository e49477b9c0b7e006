"""The dependency audit fails on fixable vulnerabilities, never on an unreachable database."""

import json
import re
import subprocess

import pytest

from scripts import audit_dependencies as audit

NETWORK_TRACEBACK = (
    "Traceback (most recent call last):\n"
    '  File "requests/adapters.py", line 729, in send\n'
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='advisories.example', "
    "port=443): Max retries exceeded with url: /v1/query (Caused by NameResolutionError)\n"
)


def report(*dependencies: dict) -> str:
    """A pip-audit JSON report as it prints it with --format json."""
    return json.dumps({"dependencies": list(dependencies), "fixes": []})


def clean(name: str, version: str) -> dict:
    return {"name": name, "version": version, "vulns": []}


def vulnerable(name: str, version: str, vuln_id: str, fix_versions: list[str]) -> dict:
    return {
        "name": name,
        "version": version,
        "vulns": [
            {
                "id": vuln_id,
                "fix_versions": fix_versions,
                "aliases": [f"CVE-2026-{vuln_id[-4:]}"],
                "description": "Something bad.",
            }
        ],
    }


def skipped(name: str, version: str) -> dict:
    return {
        "name": name,
        "skip_reason": (
            f"Dependency not found on PyPI and could not be audited: {name} ({version})"
        ),
    }


class FakePipAudit:
    """Stands in for subprocess.run: one scripted outcome per advisory service, calls recorded."""

    def __init__(self, outcomes: dict):
        self.outcomes = outcomes
        self.calls = []

    def __call__(self, command, **kwargs):
        service = command[command.index("--vulnerability-service") + 1]
        self.calls.append((service, kwargs["timeout"]))
        outcome = self.outcomes[service]
        if isinstance(outcome, Exception):
            raise outcome
        returncode, stdout, stderr = outcome
        return subprocess.CompletedProcess(command, returncode, stdout, stderr)


@pytest.fixture
def pip_audit(monkeypatch):
    """Install a FakePipAudit with the given outcomes and return it."""

    def install(**outcomes):
        fake = FakePipAudit(outcomes)
        monkeypatch.setattr(audit.subprocess, "run", fake)
        return fake

    return install


def test_no_known_vulnerabilities_passes(pip_audit, capsys):
    fake = pip_audit(pypi=(0, report(clean("django", "5.2.19"), clean("wagtail", "8.0.1")), ""))

    assert audit.audit() == 0

    out = capsys.readouterr().out
    assert "pip-audit (pypi): 2 pinned packages in requirements.lock checked" in out
    assert "0 fixable and 0 unfixable known vulnerabilities" in out
    assert [service for service, _ in fake.calls] == ["pypi"]


def test_a_fixable_vulnerability_fails_and_names_the_fixed_version(pip_audit, capsys):
    pip_audit(
        pypi=(
            1,
            report(
                clean("wagtail", "8.0.1"),
                vulnerable("django", "5.2.19", "PYSEC-2026-1234", ["5.2.20", "6.0.9"]),
            ),
            "Found 1 known vulnerability in 1 package\n",
        )
    )

    assert audit.audit() == 1

    out = capsys.readouterr().out
    assert "1 fixable and 0 unfixable" in out
    assert "FAIL: upgrade these pins in requirements.lock:" in out
    assert "  django==5.2.19  PYSEC-2026-1234, CVE-2026-1234  (fixed in 5.2.20, 6.0.9)" in out


def test_a_vulnerability_without_a_fix_is_a_warning_only(pip_audit, capsys):
    pip_audit(
        pypi=(1, report(vulnerable("ujson", "6.1.0", "GHSA-aaaa-bbbb-0042", [])), "Found 1 ...")
    )

    assert audit.audit() == 0

    out = capsys.readouterr().out
    assert "0 fixable and 1 unfixable" in out
    assert "warning: known vulnerabilities without a released fix:" in out
    assert "  ujson==6.1.0  GHSA-aaaa-bbbb-0042, CVE-2026-0042  (no fix released)" in out
    assert "FAIL" not in out


def test_fixable_and_unfixable_together_fail_and_list_both(pip_audit, capsys):
    pip_audit(
        pypi=(
            1,
            report(
                vulnerable("ujson", "6.1.0", "GHSA-aaaa-bbbb-0042", []),
                vulnerable("pillow", "13.0.0", "PYSEC-2026-0007", ["13.0.1"]),
            ),
            "",
        )
    )

    assert audit.audit() == 1

    out = capsys.readouterr().out
    assert "1 fixable and 1 unfixable" in out
    assert "ujson==6.1.0" in out
    assert "pillow==13.0.0  PYSEC-2026-0007, CVE-2026-0007  (fixed in 13.0.1)" in out


def test_unreachable_advisory_databases_are_reported_not_fatal(pip_audit, capsys):
    fake = pip_audit(pypi=(1, "", NETWORK_TRACEBACK), osv=(1, "", NETWORK_TRACEBACK))

    assert audit.audit() == 0

    out = capsys.readouterr().out
    assert out.startswith("could not reach the advisory database: not checked\n")
    assert "  pypi: requests.exceptions.ConnectionError: " in out
    assert "  osv: requests.exceptions.ConnectionError: " in out
    assert [service for service, _ in fake.calls] == ["pypi", "osv"]


def test_a_timeout_is_reported_not_fatal(pip_audit, capsys):
    pip_audit(
        pypi=subprocess.TimeoutExpired(["pip-audit"], 120),
        osv=subprocess.TimeoutExpired(["pip-audit"], 120),
    )

    assert audit.audit(total_timeout=120) == 0

    out = capsys.readouterr().out
    assert "could not reach the advisory database: not checked" in out
    assert "  pypi: no answer within 120 s" in out


def test_the_services_share_one_time_budget(pip_audit):
    fake = pip_audit(pypi=(1, "", NETWORK_TRACEBACK), osv=(1, "", NETWORK_TRACEBACK))

    audit.audit(total_timeout=120)

    assert len(fake.calls) == 2
    assert all(0 < timeout <= 120 for _, timeout in fake.calls)
    # The second service gets what the first one left, never a fresh 120 s.
    assert fake.calls[1][1] <= fake.calls[0][1]


def test_a_spent_time_budget_skips_the_remaining_services(pip_audit, capsys):
    fake = pip_audit()

    assert audit.audit(total_timeout=0) == 0

    assert fake.calls == []
    out = capsys.readouterr().out
    assert "  pypi: not tried, time is up" in out
    assert "  osv: not tried, time is up" in out


def test_a_registry_without_advisory_data_does_not_count_as_a_pass(pip_audit, capsys):
    # pip-audit itself says "No known vulnerabilities found" (exit 0) when every package 404s.
    everything_skipped = report(skipped("django", "5.2.19"), skipped("wagtail", "8.0.1"))
    fake = pip_audit(
        pypi=(0, everything_skipped, "No known vulnerabilities found\n"),
        osv=(1, "", NETWORK_TRACEBACK),
    )

    assert audit.audit() == 0

    out = capsys.readouterr().out
    assert out.startswith("could not reach the advisory database: not checked\n")
    assert "  pypi: no advisory data for any package (django: " in out
    assert [service for service, _ in fake.calls] == ["pypi", "osv"]


def test_the_second_service_answers_when_the_first_is_unreachable(pip_audit, capsys):
    pip_audit(
        pypi=(0, report(skipped("django", "5.2.19")), ""),
        osv=(1, report(vulnerable("django", "5.2.19", "GHSA-dddd-eeee-1111", ["5.2.20"])), ""),
    )

    assert audit.audit() == 1

    out = capsys.readouterr().out
    assert "pip-audit (osv): 1 pinned packages in requirements.lock checked" in out
    assert "could not reach" not in out


def test_a_few_unaudited_packages_are_listed_as_a_warning(pip_audit, capsys):
    pip_audit(pypi=(0, report(clean("django", "5.2.19"), skipped("in-house-lib", "1.0")), ""))

    assert audit.audit() == 0

    out = capsys.readouterr().out
    assert "1 pinned packages in requirements.lock checked" in out
    assert "warning: 1 packages not checked:" in out
    assert "  in-house-lib: Dependency not found on PyPI" in out


def test_pip_audit_failing_for_another_reason_fails_the_check(pip_audit, capsys):
    pip_audit(pypi=(1, "", "ERROR:pip_audit._cli:invalid requirements input: requirements.lock\n"))

    assert audit.audit() == 2

    out = capsys.readouterr().out
    assert out.startswith("audit failed: pip-audit (pypi) exited 1: ERROR:pip_audit._cli:invalid")


def test_the_audit_reads_the_lock_file_without_resolving():
    command = audit.pip_audit_command("pypi")

    assert command[1:3] == ["-m", "pip_audit"]
    assert command[command.index("--requirement") + 1] == str(audit.ROOT / "requirements.lock")
    assert "--no-deps" in command
    assert "--disable-pip" in command
    assert command[command.index("--format") + 1] == "json"


def test_every_line_of_the_lock_file_is_an_exact_pin():
    # --no-deps audits only what is pinned exactly; a loose line would go unchecked.
    lines = audit.LOCK_FILE.read_text().splitlines()

    loose = [line for line in lines if not re.fullmatch(r"[A-Za-z0-9._-]+==[A-Za-z0-9.+!-]+", line)]
    assert loose == []
    assert any(line.startswith("pip_audit==") for line in lines)
