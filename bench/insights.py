#!/usr/bin/env python3
"""Benchmark the indicator dashboards on 1,000,000 synthetic answers, SQLite and PostgreSQL.

Per backend, in a child process of its own (Django is configured once per process):

1. a fresh database: SQLite in a temporary folder; PostgreSQL as database ``jeugdstem_bench``
   on the server in ``DATABASE_URL`` (a postgresql:// URL), or else on a throwaway cluster
   that this script starts (as the tests do, tests/plugins/servers.py) and stops again;
2. ``migrate``, then a fast generator: ``--answers`` closed cases (one answer each), their
   invitations (one per respondent the age band allows, all sent) and the answers, from a
   seeded ``random.Random`` in chunks of 20,000 rows (SQLite: ``executemany`` in one
   transaction with ``PRAGMA synchronous=OFF``; PostgreSQL: ``COPY``), then ``ANALYZE`` and
   ``feedback.tally.rebuild()`` once (timed: the cost of a full recount);
3. the pages, end to end in-process with Django's test ``Client`` (URL resolving, middleware,
   view, queries, template rendering): the public dashboard ``/cijfers/`` for every public
   split and the staff dashboard ``/beheer/cijfers/`` (overall and per provider, as a
   superuser), each in three ways:
   - **tallies**: the product (pre-counted IndicatorTally), 3 warm-ups then ``--repeat`` (30);
   - **raw GROUP BY**: ``INDICATOR_TALLIES=False``, one GROUP BY with conditional counts
     over the raw rows per source, 1 warm-up (none from 500,000 answers up) then
     ``--raw-repeat`` (3);
   - **naive**: ``feedback.indicators.figures`` and ``periods`` replaced by
     bench/insights_baseline.py (one query per period x group x indicator), no warm-up,
     ``--naive-repeat`` runs (3; 1 from 500,000 answers up). The figures the naive
     baseline produced on its first run are compared with the product's, cell by cell.
   When the dashboard views do not exist yet, ``feedback.publish.build`` is timed instead
   (data only, no rendering) and the report says so.

It prints a table per backend, PASS/MISS per target, and writes
``bench/results/insights-<timestamp>.json``. It is a report, not a test: exit status 0 when
the report was produced, 1 when a set-up step or a check failed, 130 when interrupted::

    .venv/bin/python bench/insights.py [--quick] [--answers 1000000] [--backend both]

``--tallies-only`` skips the raw and naive runs; ``--story-index`` (an experiment, not the
product) adds a partial index for the public stories before the data is loaded.
"""

from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from datetime import datetime as DateTime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
PYTHON = ROOT / ".venv" / "bin" / "python"

TARGET_P95_MS = 150.0
TARGET_SPEEDUP = 20.0
QUICK_ANSWERS = 100_000
LARGE = 500_000  # from here on: 1 naive run per page and no raw warm-up
CHUNK = 20_000
BENCH_DB = "jeugdstem_bench"
SEED = 20261122
PROVIDERS = 20
FIRST_MONTH = datetime.date(2022, 7, 1)  # eight half-years: 2022-H2 .. 2026-H1
MONTHS = 48
CHILD_TIMEOUT_S = 4 * 3600


# --- the child: one backend ----------------------------------------------------------------


def _setup_django(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    for path in (str(ROOT / "site"), str(ROOT), str(BENCH_DIR)):
        if path not in sys.path:
            sys.path.insert(0, path)
    import django

    django.setup()


def _weighted(rng: random.Random, weights: dict) -> list:
    """A long list to draw from with rng.choice (faster than rng.choices per row)."""
    pool = []
    for value, weight in weights.items():
        pool += [value] * int(weight)
    rng.shuffle(pool)
    return pool


class Generator:
    """Rows for cases, invitations and answers, valid choice values only (feedback.choices)."""

    def __init__(self, providers: list[tuple[int, float, tuple[str, ...]]], seed: int) -> None:
        from feedback import choices as c

        self.c = c
        self.rng = random.Random(seed)
        self.providers = providers
        self.help_types = _weighted(
            self.rng,
            {
                c.HelpType.LOCAL_TEAM: 30,
                c.HelpType.AMBULANT: 35,
                c.HelpType.DAY_TREATMENT: 8,
                c.HelpType.OWN_NETWORK: 7,
                c.HelpType.FOSTER_CARE: 6,
                c.HelpType.FAMILY_HOME: 4,
                c.HelpType.SECURE_RESIDENTIAL: 2,
                c.HelpType.OTHER_RESIDENTIAL: 8,
            },
        )
        self.by_help_type = {
            help_type: [p for p in providers if help_type in p[2]] or providers
            for help_type in c.HelpType.values
        }
        self.end_reasons = _weighted(
            self.rng,
            {
                c.EndReason.AS_PLANNED: 62,
                c.EndReason.EARLY_AGREED: 14,
                c.EndReason.EARLY_CLIENT: 12,
                c.EndReason.EARLY_PROVIDER: 5,
                c.EndReason.EXTERNAL: 7,
            },
        )
        self.districts = _weighted(self.rng, {d: 10 - i // 3 for i, d in enumerate(c.District)})
        self.age_bands = _weighted(
            self.rng,
            {"0-3": 8, "4-11": 30, "12-15": 30, "16-17": 20, "18-22": 12},
        )
        self.referrers = list(c.Referrer.values)
        self.channels = list(c.Channel.values)
        self.months = [
            datetime.date(
                FIRST_MONTH.year + (FIRST_MONTH.month - 1 + i) // 12,
                (FIRST_MONTH.month - 1 + i) % 12 + 1,
                1,
            )
            for i in range(MONTHS)
        ]
        self.further = _weighted(
            self.rng,
            {"same_or_heavier": 25, "lighter": 30, "none_expected": 15, "none": 30, "": 3},
        )
        self.goals = ["1", "2", "3", "4", "5", "none", ""]
        self.agree = ["1", "2", "3", "4", "5", "x", ""]
        self.right_moment = ["yes", "yes", "partly", "no", ""]
        self.items = (
            "problems_reduced",
            "better_at_home",
            "better_at_school",
            "feels_safer",
            "taken_seriously",
            "decided_together",
            "started_fast",
        )

    def respondents(self, age_band: str) -> tuple[str, ...]:
        if age_band in ("0-3", "4-11"):
            return ("parent",)
        if age_band == "18-22":
            return ("youth",)
        return ("youth", "parent")

    def case(self, pk: int) -> dict:
        rng = self.rng
        help_type = rng.choice(self.help_types)
        provider = rng.choice(self.by_help_type[help_type])
        month_index = rng.randrange(MONTHS)
        end_month = self.months[month_index]
        start_month = self.months[max(0, month_index - rng.randrange(12))]
        return {
            "pk": pk,
            "provider": provider,
            "help_type": help_type,
            "end_month": end_month,
            "start_month": start_month,
            "month_index": month_index,
            "end_reason": rng.choice(self.end_reasons),
            "district": rng.choice(self.districts),
            "age_band": rng.choice(self.age_bands),
            "referrer": rng.choice(self.referrers),
            "channel": rng.choice(self.channels),
        }

    def answer(self, case: dict, respondent: str) -> dict:
        """An answer with a mark around the provider's mean; the rest loosely follows it."""
        rng = self.rng
        _pk, mean, _types = case["provider"]
        shift = 0.3 if respondent == "parent" else 0.0
        shift += -1.0 if case["end_reason"] == "early_client" else 0.0
        shift += case["month_index"] / MONTHS * 0.4  # a mild upward trend
        mark = None if rng.random() < 0.03 else min(10, max(1, round(rng.gauss(mean + shift, 1.6))))
        good = (mark or 6) >= 7
        answer = {
            "usefulness": mark,
            "further_help": rng.choice(self.further),
            "goals_reached": rng.choice(self.goals[2:] if good else self.goals),
            "ended_right_moment": rng.choice(self.right_moment),
        }
        for item in self.items:
            answer[item] = rng.choice(self.agree[2:] if good else self.agree)
        answer_month = self.months[min(MONTHS - 1, case["month_index"] + rng.randrange(3))]
        answer["period"] = f"{answer_month.year}-{answer_month.month:02d}"
        return answer


def _columns(model) -> list[str]:
    return [field.column for field in model._meta.concrete_fields]


class Writer:
    """Inserts rows with executemany (SQLite) or COPY (PostgreSQL)."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor

    def value(self, value):
        if self.vendor == "sqlite":
            if isinstance(value, bool):
                return int(value)
            if isinstance(value, DateTime):
                return value.strftime("%Y-%m-%d %H:%M:%S")
            if isinstance(value, datetime.date):
                return value.isoformat()
        return value

    def write(self, cursor, table: str, columns: list[str], rows: list[tuple]) -> None:
        if self.vendor == "sqlite":
            placeholders = ", ".join("?" * len(columns))
            sql = f'INSERT INTO "{table}" ({", ".join(columns)}) VALUES ({placeholders})'
            raw = cursor.connection if hasattr(cursor, "connection") else cursor
            raw.executemany(sql, [tuple(self.value(v) for v in row) for row in rows])
        else:
            sql = f'COPY "{table}" ({", ".join(columns)}) FROM STDIN'
            with cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)


def fill(answers: int, seed: int, timings: dict) -> dict:
    """Providers, cases, invitations and answers; returns the row counts."""
    from django.db import connection

    from feedback.models import Case, Invitation, Provider, SurveyResponse
    from feedback.survey import half_year

    rng = random.Random(seed)
    help_types = [
        ("local_team",),
        ("ambulant", "day_treatment", "own_network"),
        ("ambulant", "day_treatment"),
        ("ambulant", "own_network", "foster_care", "family_home"),
        ("foster_care", "family_home", "secure_residential", "other_residential", "day_treatment"),
    ]
    providers = []
    for i in range(PROVIDERS):
        provider = Provider.objects.create(name=f"Bench aanbieder {i + 1:02d}", is_cjg=i < 4)
        types = help_types[0] if i < 4 else help_types[1 + i % 4]
        providers.append((provider.pk, rng.uniform(6.0, 7.8), types))
    generator = Generator(providers, seed)
    vendor = connection.vendor
    writer = Writer(vendor)
    now = DateTime(2026, 7, 1, tzinfo=datetime.UTC)
    expires = now + datetime.timedelta(days=60)
    case_columns = [
        "id",
        "reference",
        "provider_id",
        "help_type",
        "referrer",
        "start_month",
        "end_month",
        "end_reason",
        "district",
        "age_band",
        "channel",
        "youth_agreed_parent_invite",
        "no_invite",
        "no_invite_reason",
        "synthetic",
        "created_at",
        "created_by_id",
    ]
    invitation_columns = [
        "id",
        "case_id",
        "respondent",
        "code_hash",
        "channel",
        "contact",
        "created_at",
        "expires_at",
        "sent_at",
        "reminded_at",
        "used",
    ]
    answer_fields = [
        "id",
        "respondent",
        "period",
        "provider_id",
        "help_type",
        "end_reason",
        "district",
        "age_band",
        "end_period",
        "usefulness",
        "further_help",
        "goals_reached",
        "problems_reduced",
        "better_at_home",
        "better_at_school",
        "feels_safer",
        "taken_seriously",
        "decided_together",
        "started_fast",
        "ended_right_moment",
        "most_important_change",
        "what_should_change",
        "consent_to_quote",
        "parent_consent",
        "story_status",
        "story_text",
        "story_indicator",
        "synthetic",
    ]
    for model, columns in (
        (Case, case_columns),
        (Invitation, invitation_columns),
        (SurveyResponse, answer_fields),
    ):
        missing = set(_columns(model)) - set(columns)
        if missing:
            raise RuntimeError(f"{model.__name__} has columns the bench does not fill: {missing}")
    counts = {"cases": 0, "invitations": 0, "answers": 0}
    started = time.perf_counter()
    invitation_pk = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor if vendor == "sqlite" else cursor
        if vendor == "sqlite":
            raw.execute("PRAGMA synchronous=OFF")
            raw.execute("BEGIN")
        for first in range(1, answers + 1, CHUNK):
            cases, invitations, responses = [], [], []
            for pk in range(first, min(answers + 1, first + CHUNK)):
                case = generator.case(pk)
                provider_pk = case["provider"][0]
                cases.append(
                    (
                        pk,
                        f"B{pk:09d}",
                        provider_pk,
                        case["help_type"],
                        case["referrer"],
                        case["start_month"],
                        case["end_month"],
                        case["end_reason"],
                        case["district"],
                        case["age_band"],
                        case["channel"],
                        False,
                        False,
                        "",
                        True,
                        now,
                        None,
                    )
                )
                respondents = generator.respondents(case["age_band"])
                answering = generator.rng.choice(respondents)
                for respondent in respondents:
                    invitation_pk += 1
                    invitations.append(
                        (
                            invitation_pk,
                            pk,
                            respondent,
                            f"{invitation_pk:064x}",
                            case["channel"],
                            "",
                            now,
                            expires,
                            now,
                            None,
                            respondent == answering,
                        )
                    )
                a = generator.answer(case, answering)
                responses.append(
                    (
                        f"{generator.rng.getrandbits(128):032x}",
                        answering,
                        a["period"],
                        provider_pk,
                        case["help_type"],
                        case["end_reason"],
                        case["district"],
                        case["age_band"],
                        half_year(case["end_month"]),
                        a["usefulness"],
                        a["further_help"],
                        a["goals_reached"],
                        a["problems_reduced"],
                        a["better_at_home"],
                        a["better_at_school"],
                        a["feels_safer"],
                        a["taken_seriously"],
                        a["decided_together"],
                        a["started_fast"],
                        a["ended_right_moment"],
                        "",
                        "",
                        False,
                        False,
                        "",
                        "",
                        "",
                        True,
                    )
                )
            writer.write(raw, Case._meta.db_table, case_columns, cases)
            writer.write(raw, Invitation._meta.db_table, invitation_columns, invitations)
            writer.write(raw, SurveyResponse._meta.db_table, answer_fields, responses)
            counts["cases"] += len(cases)
            counts["invitations"] += len(invitations)
            counts["answers"] += len(responses)
        if vendor == "sqlite":
            raw.execute("COMMIT")
            raw.execute("PRAGMA synchronous=NORMAL")
    if vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in (Case, Invitation):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                    f'(SELECT MAX(id) FROM "{table}"))'
                )
    timings["fill_s"] = time.perf_counter() - started
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    timings["analyze_s"] = time.perf_counter() - started
    return counts


def _pct(values: list[float], q: float) -> float:
    """The q-th percentile (nearest rank, as the other bench scripts read p95)."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def _stats(samples: list[float]) -> dict:
    if not samples:
        return {}
    return {
        "n": len(samples),
        "p50": statistics.median(samples),
        "p95": _pct(samples, 95),
        "max": max(samples),
        "min": min(samples),
    }


def _compare(label: str, mine: list, theirs: list) -> list[str]:
    """Cell-by-cell differences between two lists of indicators.Figure."""

    def key(f):
        return (f.period, str(f.group), f.key)

    problems = []
    a, b = {key(f): f for f in mine}, {key(f): f for f in theirs}
    if set(a) != set(b):
        only = sorted(set(a) ^ set(b))[:5]
        problems.append(f"{label}: different cells ({len(set(a) ^ set(b))}, e.g. {only})")
    for k in sorted(set(a) & set(b)):
        x, y = a[k], b[k]
        if x.n != y.n or x.count != y.count:
            problems.append(f"{label} {k}: n/count {x.n}/{x.count} != {y.n}/{y.count}")
            continue
        for name in ("value", "low", "high"):
            u, v = getattr(x, name), getattr(y, name)
            if (u is None) != (v is None) or (
                u is not None and not math.isclose(u, v, rel_tol=1e-9, abs_tol=1e-12)
            ):
                problems.append(f"{label} {k}: {name} {u} != {v}")
    return problems


def _add_story_index() -> None:
    """An experiment, not the product: a partial index for stories.for_indicator, which the
    public dashboard runs once per headline chart."""
    from django.db import connection
    from django.db.models import Index, Q

    from feedback.models import SurveyResponse

    index = Index(
        fields=["story_indicator", "-end_period", "-period"],
        name="bench_public_story",
        condition=Q(story_status="approved", consent_to_quote=True),
    )
    with connection.schema_editor() as editor:
        editor.add_index(SurveyResponse, index)


def _recorder(function, calls: list):
    """The function, writing each call's arguments and result into `calls`."""

    def recording(*a, **kw):
        result = function(*a, **kw)
        calls.append(((a, kw), result))
        return result

    return recording


def run_child(args: argparse.Namespace) -> int:
    """Set up one backend's database, fill it and measure the pages; write JSON to --out."""
    _setup_django(args.db_url)
    from unittest import mock

    import insights_baseline as naive
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client, override_settings
    from django.urls import Resolver404, resolve

    from feedback import indicators, publish, tally
    from feedback.models import Provider

    result: dict[str, Any] = {"backend": args.worker, "timings": {}, "pages": [], "notes": []}
    timings = result["timings"]
    out = Path(args.out)

    def save() -> None:
        out.write_text(json.dumps(result, indent=2, default=str))

    started = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    timings["migrate_s"] = time.perf_counter() - started
    if args.story_index:
        _add_story_index()
        result["notes"].append("experiment: partial index on the public stories (--story-index)")
    with tally.paused():
        result["rows"] = fill(args.answers, args.seed, timings)
    print(f"  [{args.worker}] filled {result['rows']} in {timings['fill_s']:.0f} s", flush=True)
    started = time.perf_counter()
    result["tally_cells"] = tally.rebuild()
    timings["rebuild_s"] = time.perf_counter() - started
    print(
        f"  [{args.worker}] tally.rebuild(): {result['tally_cells']} cells in "
        f"{timings['rebuild_s']:.0f} s",
        flush=True,
    )
    save()

    user = get_user_model().objects.create_superuser("bench", "bench@example.invalid", "x")
    periods = indicators.periods(indicators.HALF_YEAR, {"synthetic": True})
    period = periods[-1]
    result["period"] = period
    result["periods"] = periods

    def has_view(path: str) -> bool:
        try:
            resolve(path)
            return True
        except Resolver404:
            return False

    pages = []
    for split in publish.PUBLIC_SPLITS:
        pages.append(("public", split, f"/cijfers/?indeling={split}&periode={period}"))
    for split in ("overall", "provider"):
        pages.append(("staff", split, f"/beheer/cijfers/?indeling={split}&periode={period}"))
    # One provider's figures beside all providers' (the provider scope of the tallies).
    first_provider = Provider.objects.order_by("name").first()
    pages.append(
        (
            "staff",
            f"provider {first_provider.pk}",
            f"/beheer/cijfers/?aanbieder={first_provider.pk}&periode={period}",
        )
    )
    public_view, staff_view = has_view("/cijfers/"), has_view("/beheer/cijfers/")
    result["views"] = {"public": public_view, "staff": staff_view}
    clients = {"public": Client(), "staff": Client()}
    clients["staff"].force_login(user)

    def request(audience: str, split: str, url: str) -> int:
        """One page, end to end; returns the response size (or figures built)."""
        if public_view if audience == "public" else staff_view:
            response = clients[audience].get(url)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: HTTP {response.status_code}")
            return len(response.content)
        return len(build(audience, split).blocks)

    def build(audience: str, split: str):
        """The page's data only: feedback.publish.build as the view calls it."""
        if split.startswith("provider "):
            provider = Provider.objects.get(pk=int(split.split()[1]))
            return publish.build(
                public=False, split="overall", period=period, provider=provider, reference=True
            )
        return publish.build(public=audience == "public", split=split, period=period)

    def measure(audience, split, url, warmups, repeat) -> tuple[list[float], int, int]:
        # The queries are counted on the first warm-up (or an extra request without one).
        # An execute wrapper, since every request starts by resetting connection.queries.
        counted = [0]

        def count(execute, sql, params, many, context):
            counted[0] += 1
            return execute(sql, params, many, context)

        samples = []
        if warmups:
            with connection.execute_wrapper(count):
                request(audience, split, url)
            for _ in range(warmups - 1):
                request(audience, split, url)
        else:  # the first timed request is counted (the wrapper costs microseconds)
            with connection.execute_wrapper(count):
                t0 = time.perf_counter()
                size = request(audience, split, url)
                samples.append((time.perf_counter() - t0) * 1000)
        while len(samples) < repeat:
            t0 = time.perf_counter()
            size = request(audience, split, url)
            samples.append((time.perf_counter() - t0) * 1000)
        return samples, counted[0], size

    naive_repeat = args.naive_repeat
    if naive_repeat is None:
        naive_repeat = 1 if args.answers >= LARGE else 3
    raw_warmups = 0 if args.answers >= LARGE else 1
    real_figures = indicators.figures
    result["repeats"] = {
        "tallies": args.repeat,
        "tallies_warmups": 3,
        "raw": args.raw_repeat,
        "raw_warmups": raw_warmups,
        "naive": naive_repeat,
        "naive_warmups": 0,
    }
    for audience, split, url in pages:
        name = f"{audience} {split}"
        page: dict[str, Any] = {"page": name, "url": url}
        print(f"  [{args.worker}] {name}: tallies", flush=True)
        samples, queries, size = measure(audience, split, url, 3, args.repeat)
        page["tallies"] = {**_stats(samples), "queries": queries, "size": size, "ms": samples}
        build_ms = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            build(audience, split)
            build_ms.append((time.perf_counter() - t0) * 1000)
        page["build_only"] = _stats(build_ms)
        if args.tallies_only:
            result["pages"].append(page)
            save()
            print(
                f"  [{args.worker}] {name}: tallies p95 {page['tallies']['p95']:.1f} ms", flush=True
            )
            continue
        print(f"  [{args.worker}] {name}: raw GROUP BY", flush=True)
        raw_calls: list = []
        with (
            override_settings(INDICATOR_TALLIES=False),
            mock.patch.object(indicators, "figures", _recorder(real_figures, raw_calls)),
        ):
            samples, queries, size_raw = measure(audience, split, url, raw_warmups, args.raw_repeat)
        page["raw"] = {**_stats(samples), "queries": queries, "size": size_raw, "ms": samples}
        print(f"  [{args.worker}] {name}: naive", flush=True)
        recorded: list = []
        recording_figures = _recorder(naive.naive_figures, recorded)

        naive.queries = 0
        with (
            mock.patch.object(indicators, "figures", recording_figures),
            mock.patch.object(indicators, "periods", naive.naive_periods),
        ):
            samples = []
            for _ in range(naive_repeat):
                recorded.clear()
                before = naive.queries
                t0 = time.perf_counter()
                size_naive = request(audience, split, url)
                samples.append((time.perf_counter() - t0) * 1000)
                cell_queries = naive.queries - before
        page["naive"] = {
            **_stats(samples),
            "cell_queries": cell_queries,
            "size": size_naive,
            "ms": samples,
        }
        # The naive figures must equal the product's (tallies) and the raw GROUP BY's.
        problems = []
        raw_by_call = {repr(call): figures for call, figures in raw_calls}
        for (a, kw), figures in recorded:
            product = indicators.figures(*a, **kw)
            problems += _compare(f"naive vs tallies {a} {kw}", figures, product)
            raw = raw_by_call.get(repr((a, kw)))
            if raw is None:
                problems.append(f"raw GROUP BY run made no call {a} {kw}")
            else:
                problems += _compare(f"raw vs tallies {a} {kw}", raw, product)
        page["agreement"] = {
            "figure_calls_compared": len(recorded),
            "figures_compared": sum(len(f) for _c, f in recorded),
            "problems": problems[:20],
            "ok": not problems and bool(recorded),
        }
        if not recorded:
            problems.append("the page did not call indicators.figures")
        tallies_p95 = page["tallies"]["p95"]
        page["speedup_vs_naive"] = page["naive"]["min"] / tallies_p95 if tallies_p95 else None
        page["speedup_vs_raw"] = page["raw"]["p50"] / tallies_p95 if tallies_p95 else None
        result["pages"].append(page)
        save()
        print(
            f"  [{args.worker}] {name}: tallies p95 {tallies_p95:.1f} ms, raw p95 "
            f"{page['raw']['p95']:.0f} ms, naive {page['naive']['p50']:.0f} ms "
            f"({cell_queries} cell queries), agreement "
            f"{'ok' if page['agreement']['ok'] else 'MISMATCH'}",
            flush=True,
        )
    if not (public_view and staff_view):
        result["notes"].append(
            "dashboard view missing ("
            + ", ".join(k for k, v in result["views"].items() if not v)
            + "): publish.build() timed instead (data only, no rendering)"
        )
    save()
    return 0


# --- PostgreSQL ----------------------------------------------------------------------------


class Postgres:
    """The bench database on a given server, or a throwaway cluster started for the run."""

    def __init__(self) -> None:
        self.server = None
        self.admin_url = None

    def start(self) -> str:
        """Create the bench database; return its URL."""
        given = os.environ.get("DATABASE_URL", "")
        if given.startswith(("postgres://", "postgresql://")):
            self.admin_url = given
        else:
            sys.path.insert(0, str(ROOT))
            from tests.plugins.servers import start_postgres

            self.server = start_postgres()
            self.admin_url = self.server.url
        self._admin(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        self._admin(f'CREATE DATABASE "{BENCH_DB}"')
        parts = urlsplit(self.admin_url)
        return urlunsplit(parts._replace(path=f"/{BENCH_DB}"))

    def _admin(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            conn.execute(sql)

    def stop(self) -> None:
        """Drop the bench database; stop the throwaway cluster."""
        if self.admin_url:
            try:
                self._admin(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
            except Exception as exc:  # noqa: BLE001  (report, keep cleaning up)
                print(f"could not drop {BENCH_DB}: {exc}", file=sys.stderr)
        if self.server is not None:
            self.server.stop()
            self.server = None

    @property
    def where(self) -> str:
        if self.server is not None:
            return "throwaway cluster (tests/plugins/servers.py: fsync off)"
        return "server from DATABASE_URL"


# --- the parent ----------------------------------------------------------------------------


def run_backend(backend: str, args: argparse.Namespace, workdir: Path) -> dict:
    """Run one backend in a child process; return its result (or the failure)."""
    postgres = Postgres() if backend == "postgresql" else None
    out = workdir / f"{backend}.json"
    try:
        url = postgres.start() if postgres else f"sqlite:///{workdir / 'bench.sqlite3'}"
        env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
        env.update(
            DJANGO_SETTINGS_MODULE="config.settings.dev",
            DEBUG="0",
            ALLOWED_HOSTS="testserver,localhost",
            PYTHONPATH=os.pathsep.join([str(BENCH_DIR), str(ROOT), str(ROOT / "site")]),
        )
        command = [
            str(PYTHON if PYTHON.exists() else sys.executable),
            str(Path(__file__).resolve()),
            "--worker",
            backend,
            "--db-url",
            url,
            "--out",
            str(out),
            "--answers",
            str(args.answers),
            "--repeat",
            str(args.repeat),
            "--raw-repeat",
            str(args.raw_repeat),
            "--seed",
            str(args.seed),
        ]
        command += ["--story-index"] if args.story_index else []
        command += ["--tallies-only"] if args.tallies_only else []
        if args.naive_repeat is not None:
            command += ["--naive-repeat", str(args.naive_repeat)]
        started = time.perf_counter()
        completed = subprocess.run(command, env=env, cwd=ROOT, timeout=CHILD_TIMEOUT_S)
        result = json.loads(out.read_text()) if out.exists() else {"backend": backend}
        result["child_s"] = time.perf_counter() - started
        if postgres:
            result["postgres"] = postgres.where
        if completed.returncode != 0:
            result["failed"] = f"child exited with {completed.returncode}"
        return result
    except Exception as exc:  # noqa: BLE001  (the report says what failed)
        traceback.print_exc()
        return {"backend": backend, "failed": f"{type(exc).__name__}: {exc}"}
    finally:
        if postgres:
            postgres.stop()


def _fmt(value, digits: int = 1) -> str:
    if value is None:
        return "–"
    return f"{value:,.{digits}f}"


def table(result: dict) -> str:
    """The markdown table of one backend."""
    lines = [
        "| page | tallies p50 | tallies p95 | queries | data only p50 | raw GROUP BY p95 "
        "| naive p50 (cell queries) | speed-up vs naive | agreement |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for page in result.get("pages", []):
        t = page["tallies"]
        if "naive" not in page:  # --tallies-only
            lines.append(
                f"| {page['page']} | {_fmt(t['p50'])} ms | {_fmt(t['p95'])} ms | {t['queries']} | "
                f"{_fmt(page.get('build_only', {}).get('p50'))} ms | – | – | – | – |"
            )
            continue
        r, n = page["raw"], page["naive"]
        lines.append(
            f"| {page['page']} | {_fmt(t['p50'])} ms | {_fmt(t['p95'])} ms | {t['queries']} | "
            f"{_fmt(page.get('build_only', {}).get('p50'))} ms | "
            f"{_fmt(r['p95'], 0)} ms | {_fmt(n['p50'], 0)} ms ({n['cell_queries']}) | "
            f"{_fmt(page['speedup_vs_naive'], 0)}× | "
            f"{'ok' if page['agreement']['ok'] else '**MISMATCH**'} |"
        )
    return "\n".join(lines)


def evaluate(report: dict) -> list[dict]:
    """PASS/MISS per target and backend."""
    targets = []
    for result in report["backends"]:
        pages = result.get("pages", [])
        if not pages:
            continue
        worst = max(pages, key=lambda p: p["tallies"]["p95"])
        compared = [p for p in pages if "naive" in p] or pages
        slowest = min(compared, key=lambda p: p.get("speedup_vs_naive") or 0)
        checks = (
            (
                f"[{result['backend']}] p95 of the slowest full page (ms)",
                worst["tallies"]["p95"],
                "<=",
                TARGET_P95_MS,
                worst["page"],
            ),
            (
                f"[{result['backend']}] smallest speed-up vs naive",
                slowest.get("speedup_vs_naive"),
                ">=",
                TARGET_SPEEDUP,
                slowest["page"],
            ),
            (
                f"[{result['backend']}] naive and raw figures equal the tallies",
                1.0 if all(p.get("agreement", {}).get("ok") for p in pages) else None,
                ">=",
                1.0,
                "",
            ),
        )
        if not any("naive" in p for p in pages):  # --tallies-only
            checks = checks[:1]
        for name, value, op, limit, note in checks:
            ok = value is not None and (value <= limit if op == "<=" else value >= limit)
            targets.append(
                {
                    "target": name,
                    "value": value,
                    "op": op,
                    "limit": limit,
                    "result": "PASS" if ok else "MISS",
                    "note": note,
                }
            )
    return targets


def print_report(report: dict) -> None:
    """Tables, targets and notes."""
    o = report["options"]
    print(f"\nInsights dashboards: {o['answers']:,} answers per backend")
    for result in report["backends"]:
        print(f"\n### {result['backend']}")
        if result.get("failed"):
            print(f"FAILED: {result['failed']}")
        rows = result.get("rows")
        if rows:
            t = result["timings"]
            print(
                f"rows: {rows['answers']:,} answers, {rows['cases']:,} cases, "
                f"{rows['invitations']:,} invitations; fill {t['fill_s']:.0f} s, "
                f"ANALYZE {t['analyze_s']:.1f} s, tally.rebuild() {_fmt(t.get('rebuild_s'))} s "
                f"({_fmt(result.get('tally_cells'), 0)} cells); period {result.get('period')}"
            )
        if result.get("repeats"):
            r = result["repeats"]
            print(
                f"repetitions: tallies {r['tallies']} (after {r['tallies_warmups']} warm-ups), "
                f"raw {r['raw']} (after {r['raw_warmups']}), naive {r['naive']} (no warm-up)"
            )
        print()
        print(table(result))
        for page in result.get("pages", []):
            for problem in page.get("agreement", {}).get("problems", [])[:3]:
                print(f"  mismatch {page['page']}: {problem}")
        for note in result.get("notes", []):
            print(f"  note: {note}")
    print()
    for t in report["targets"]:
        note = f"  ({t['note']})" if t["note"] else ""
        print(
            f"  {t['result']:<4}  {t['target']:<58} {_fmt(t['value'], 1):>9} {t['op']} "
            f"{t['limit']:g}{note}"
        )
    for note in report["notes"]:
        print(f"  note: {note}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--answers", type=int, default=1_000_000, help="answers (1,000,000)")
    parser.add_argument(
        "--backend", choices=("sqlite", "postgresql", "both"), default="both", help="(both)"
    )
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ANSWERS:,} answers")
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page (30)")
    parser.add_argument("--raw-repeat", type=int, default=3, help="raw GROUP BY requests (3)")
    parser.add_argument(
        "--naive-repeat",
        type=int,
        default=None,
        help="naive requests per page (3; 1 from 500,000 answers up)",
    )
    parser.add_argument("--seed", type=int, default=SEED, help="random seed")
    parser.add_argument(
        "--tallies-only", action="store_true", help="skip the raw GROUP BY and naive runs"
    )
    parser.add_argument(
        "--story-index",
        action="store_true",
        help="experiment: add a partial index on the public stories before filling",
    )
    parser.add_argument("--worker", choices=("sqlite", "postgresql"), help=argparse.SUPPRESS)
    parser.add_argument("--db-url", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.answers = QUICK_ANSWERS
    if args.answers < 1000 or args.repeat < 1 or args.raw_repeat < 1:
        parser.error("--answers must be at least 1000, repetitions at least 1")
    return args


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when the report was produced, 1 on failure, 130 interrupted."""
    args = parse_args(argv)
    if args.worker:
        return run_child(args)
    signal.signal(signal.SIGTERM, _interrupt)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    report: dict[str, Any] = {
        "started_at": DateTime.now().astimezone().isoformat(timespec="seconds"),
        "options": {k: v for k, v in vars(args).items() if k not in ("worker", "db_url", "out")},
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_1min_at_start": os.getloadavg()[0],
        },
        "backends": [],
        "notes": [],
    }
    load = report["machine"]["loadavg_1min_at_start"]
    if load > 0.5 * (os.cpu_count() or 1):
        report["notes"].append(f"load average was {load:.1f} at the start: figures may be noisy")
    started = time.perf_counter()
    workdir = Path(tempfile.mkdtemp(prefix="jeugdstem-insights-"))
    try:
        for backend in backends:
            print(f"{backend}: {args.answers:,} answers", flush=True)
            report["backends"].append(run_backend(backend, args, workdir))
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    report["notes"].append(f"whole run {time.perf_counter() - started:.0f} s")
    report["targets"] = evaluate(report)
    report["tables"] = {r["backend"]: table(r) for r in report["backends"]}
    print_report(report)
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"insights-{DateTime.now().strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(report, indent=2, default=str) + "\n")
    print(f"\nJSON: {path.relative_to(ROOT)}")
    failed = any(r.get("failed") for r in report["backends"])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
