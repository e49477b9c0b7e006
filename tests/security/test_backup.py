"""Backup and restore (issue 7, item 8): `backup_data` and `restore_data` give back every row.

The demo site (seed_demo) plus a row in every model that the demo leaves empty is backed up,
then restored into a new database that only `migrate` has touched (a second SQLite file; in the
services pass a new PostgreSQL database), in a separate process. Every model's row count must
be identical, and a sample of content (comments, poll votes, survey answers, tallies, the page
tree, accounts and their roles, the uploaded files) must read the same.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import os
import sqlite3
import stat
import subprocess
import sys
import time
import uuid
import zipfile
from contextlib import closing
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
MARK = "FINGERPRINT:"
MOMENT = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def database_fingerprint(media_root: str | None = None) -> dict:
    """Row counts of every table and a sample of content, comparable between two databases."""
    from django.contrib.auth import get_user_model
    from wagtail.models import Page, Revision

    from consultations.models import Comment, YouthAnswer
    from feedback.models import IndicatorTally, SurveyResponse
    from youth_panel.models import PollSession, Vote

    counts = {
        model._meta.label: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.managed
    }
    user_model = get_user_model()
    sample = {
        "comments": [
            [
                c.pk,
                c.text,
                c.author.username if c.author else None,
                c.organisation.name,
                _iso(c.created_at),
            ]
            for c in Comment.objects.select_related("author", "organisation").order_by("pk")
        ],
        "votes": [
            [v.question_id, v.participant, v.answer, _iso(v.updated_at)]
            for v in Vote.objects.order_by("pk")
        ],
        "poll_hosts": [
            [s.pk, sorted(s.hosts.values_list("username", flat=True))]
            for s in PollSession.objects.order_by("pk")
        ],
        "survey": [
            [str(r.pk), r.usefulness, r.most_important_change, r.story_text]
            for r in SurveyResponse.objects.order_by("pk")
        ],
        "youth_answers": sorted(YouthAnswer.objects.values_list("text", flat=True)),
        "tallies": [
            sum(IndicatorTally.objects.values_list("count", flat=True)),
            [
                list(row)
                for row in IndicatorTally.objects.order_by("pk").values_list(
                    "period", "dim", "value", "question", "answer", "count"
                )[:200]
            ],
        ],
        "pages": [
            [
                p.path,
                p.depth,
                p.numchild,
                p.title,
                p.url_path,
                p.live,
                list(p.content_type.natural_key()),
                _iso(p.last_published_at),
            ]
            for p in Page.objects.select_related("content_type").order_by("path")
        ],
        "revisions": [
            [r.object_id, list(r.content_type.natural_key()), _iso(r.created_at)]
            for r in Revision.objects.select_related("content_type").order_by("pk")
        ],
        "users": [
            [
                u.username,
                u.email,
                u.password,
                sorted(u.groups.values_list("name", flat=True)),
                _iso(u.date_joined),
            ]
            for u in user_model.objects.order_by("pk")
        ],
    }
    if media_root:
        root = Path(media_root)
        sample["media"] = {
            path.relative_to(root).as_posix(): path.read_text()
            for path in sorted(root.rglob("*"))
            if path.is_file()
        }
    return {"counts": counts, "sample": sample}


def _fill_empty_models() -> None:
    """A row in each model that seed_demo leaves empty (where one is cheap to make)."""
    from allauth.account.models import EmailAddress, EmailConfirmation
    from allauth.mfa.models import Authenticator
    from django.contrib.admin.models import ADDITION, LogEntry
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.contrib.contenttypes.models import ContentType
    from taggit.models import Tag, TaggedItem
    from wagtail.contrib.redirects.models import Redirect
    from wagtail.models import Comment as PageComment
    from wagtail.models import ModelLogEntry, Page, PageSubscription
    from wagtail.users.models import UserProfile

    from consultations.models import (
        ArrivalCount,
        Comment,
        Flag,
        Membership,
        Organisation,
        YouthAnswer,
        YouthParticipation,
        YouthQuestion,
        YouthResponse,
    )
    from feedback.models import (
        Action,
        ActionNotice,
        Invitation,
        Provider,
        ResponseAggregate,
        SafeguardingFlag,
        SurveyDraft,
        SurveyResponse,
    )
    from youth_panel.models import PanelInvitation, PanelMember, PollCode, PollQuestion, Vote, Word

    staff = get_user_model().objects.get(username="beheer")
    young = get_user_model().objects.create_user(username="deelnemer-backup", email="b@example.org")
    young.groups.add(Group.objects.order_by("pk").first())
    EmailAddress.objects.create(user=young, email=young.email, verified=True, primary=True)
    address = EmailAddress.objects.create(user=staff, email="beheer@example.org")
    EmailConfirmation.objects.create(email_address=address, key="k" * 64, sent=MOMENT)
    Authenticator.objects.create(user=staff, type="totp", data={"secret": "JBSWY3DPEHPK3PXP"})
    comment = Comment.objects.order_by("pk").first()
    organisation = Organisation.objects.order_by("pk").first()
    Membership.objects.create(user=young, organisation=organisation, confirmed_by=staff)
    Flag.objects.create(comment=comment, user=young)
    ArrivalCount.objects.create(
        date=datetime.date(2025, 3, 1),
        target_kind="consultation",
        target_id=1,
        channel="school",
        count=7,
    )
    question = YouthQuestion.objects.order_by("pk").first()
    response = YouthResponse.objects.create(
        consultation_id=question.page_id,
        submitted_on=datetime.date(2025, 3, 2),
        submission_token=uuid.uuid4(),
    )
    YouthAnswer.objects.create(
        response=response, question=question, text="Meer plekken om te chillen"
    )
    YouthParticipation.objects.create(
        consultation_id=question.page_id, user=young, took_part_on=datetime.date(2025, 3, 2)
    )
    poll_question = PollQuestion.objects.order_by("pk").first()
    Vote.objects.create(question=poll_question, participant="user:1", answer={"choice": "Ja"})
    Vote.objects.update(updated_at=MOMENT)  # auto_now: the restore must keep the old time
    PollCode.objects.create(session=poll_question.session, code_hash="c" * 64)
    Word.objects.create(question=poll_question, text="samen", count=3)
    poll_question.session.hosts.add(staff)
    member = PanelMember.objects.order_by("pk").first()
    PanelInvitation.objects.create(member=member, target="poll:1", title="Poll")
    invitation = Invitation.objects.filter(draft__isnull=True).order_by("pk").first()
    SurveyDraft.objects.create(invitation=invitation, answers={"usefulness": 8}, step=2)
    SafeguardingFlag.objects.create(
        response=SurveyResponse.objects.order_by("pk").first(), matched="bang", handled_by=staff
    )
    ResponseAggregate.objects.create(
        end_period="2023-H1",
        respondent="youth",
        help_type="ambulant",
        provider=Provider.objects.order_by("pk").first(),
        district="centrum",
        age_band="12-15",
        question="usefulness",
        answer="8",
        count=4,
    )
    ActionNotice.objects.create(action=Action.objects.order_by("pk").first(), comment=comment)
    user_type = ContentType.objects.get_for_model(get_user_model())
    LogEntry.objects.create(
        user=staff,
        content_type=user_type,
        object_id=str(young.pk),
        object_repr="x",
        action_flag=ADDITION,
    )
    ModelLogEntry.objects.create(
        content_type=user_type,
        label="x",
        action="wagtail.create",
        object_id=str(young.pk),
        timestamp=MOMENT,
        user=staff,
    )
    tag = Tag.objects.create(name="jeugd", slug="jeugd")
    TaggedItem.objects.create(tag=tag, content_type=user_type, object_id=young.pk)
    Redirect.objects.create(old_path="/oud", redirect_link="https://example.org/")
    UserProfile.objects.create(user=staff)
    page = Page.objects.filter(depth=2).first()
    PageComment.objects.create(page=page, user=staff, text="Klopt dit?", contentpath="title")
    PageSubscription.objects.create(page=page, user=staff, comment_notifications=True)


@pytest.fixture
def empty_database(django_db_setup, django_db_blocker, tmp_path):
    """A database only `migrate` has touched, made before the test's transaction begins: the
    URL and whether it still needs migrating.

    A copy of this session's freshly migrated test database (SQLite's backup API; PostgreSQL's
    CREATE DATABASE ... TEMPLATE), which saves a second full migrate; when PostgreSQL cannot
    copy (another connection is open), a new empty database that the restoring process migrates.
    """
    with django_db_blocker.unblock():
        settings = connection.settings_dict
        if connection.vendor != "postgresql":
            target = tmp_path / "restored.sqlite3"
            with (
                closing(sqlite3.connect(settings["NAME"])) as source,
                closing(sqlite3.connect(target)) as copy,
            ):
                source.backup(copy)
            yield f"sqlite:///{target}", False
            return
        import psycopg

        base_url = os.environ["DATABASE_URL"]
        name = f"jeugdstem_restore_{uuid.uuid4().hex[:8]}"
        connection.close()
        migrate = False
        with psycopg.connect(base_url, autocommit=True) as admin:
            try:
                admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{settings["NAME"]}"')
            except psycopg.errors.ObjectInUse:
                admin.execute(f'CREATE DATABASE "{name}"')
                migrate = True
        try:
            yield base_url.rsplit("/", 1)[0] + f"/{name}", migrate
        finally:
            with psycopg.connect(base_url, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


RESTORE_SCRIPT = """
import io, json
from django.core.management import call_command
from django.core.management.base import CommandError
from tests.security.test_backup import MARK, database_fingerprint
if {migrate!r}:
    call_command("migrate", interactive=False, verbosity=0)
out = io.StringIO()
call_command("restore_data", {archive!r}, media_root={media!r}, stdout=out)
try:
    call_command("restore_data", {archive!r}, media_root={media!r})
    again = "restored twice"
except CommandError as exc:
    again = str(exc)
result = database_fingerprint({media!r})
result["report"] = out.getvalue()
result["again"] = again
print(MARK + json.dumps(result))
"""


def test_a_backup_restored_into_an_empty_database_has_every_row_and_file_back(
    empty_database, db, tmp_path
):
    # `db` after `empty_database`: the copy is made before the test's transaction starts.
    started = time.monotonic()
    url, migrate = empty_database
    call_command("seed_demo", stdout=io.StringIO())
    _fill_empty_models()
    # The index is not backed up but rebuilt: compare with a freshly built one.
    call_command("update_index", verbosity=0)
    source_media = tmp_path / "media"
    (source_media / "documents").mkdir(parents=True)
    (source_media / "documents" / "verslag.txt").write_text("Verslag van de jongerenraad")
    (source_media / "original_images").mkdir()
    (source_media / "original_images" / "foto.svg").write_text("<svg></svg>")
    archive = tmp_path / "backup.zip"
    out = io.StringIO()
    call_command("backup_data", str(archive), media_root=str(source_media), stdout=out)
    backed_up = time.monotonic()
    before = database_fingerprint(str(source_media))

    target_media = tmp_path / "restored-media"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": url,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "site"), str(ROOT)]),
    }
    script = RESTORE_SCRIPT.format(archive=str(archive), media=str(target_media), migrate=migrate)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    after = json.loads(result.stdout.split(MARK, 1)[1])
    finished = time.monotonic()

    empty = sorted(label for label, count in before["counts"].items() if count == 0)
    print(
        f"\nbackup: {sum(before['counts'].values())} rows in {len(before['counts'])} tables "
        f"({len(empty)} empty: {empty}); archive {archive.stat().st_size} bytes; "
        f"backup {backed_up - started:.1f} s (with seeding), restore {finished - backed_up:.1f} s"
        f" ({'new database, migrated' if migrate else 'copy of the migrated test database'})"
        f"\n{out.getvalue()}{after['report']}"
    )
    assert after["counts"] == before["counts"]
    assert after["sample"] == before["sample"]
    # Hand-made rows read the same on the other side, old automatic dates included.
    assert after["sample"]["votes"][-1][2:] == [{"choice": "Ja"}, "2025-01-02T03:04:05+00:00"]
    assert "Meer plekken om te chillen" in after["sample"]["youth_answers"]
    assert after["sample"]["media"] == {
        "documents/verslag.txt": "Verslag van de jongerenraad",
        "original_images/foto.svg": "<svg></svg>",
    }
    # Only tables migrate fills by itself, and the link tables of empty models, stay empty.
    assert before["counts"]["feedback.IndicatorTally"] > 10_000
    assert before["counts"]["wagtailsearch.IndexEntry"] > 0
    # Once restored, the database is no longer empty: a second restore is refused.
    assert "The database is not empty" in after["again"]


# --- the checks that protect a restore, each on a small backup ---------------------------------


@pytest.fixture
def small_backup(participant, tmp_path) -> Path:
    """A backup of the test database with one participant."""
    archive = tmp_path / "small.zip"
    call_command(
        "backup_data", str(archive), media_root=str(tmp_path / "none"), stdout=io.StringIO()
    )
    return archive


def _rewrite(archive: Path, change) -> None:
    """Rewrite the archive with change(name, data) -> data applied to each member."""
    with zipfile.ZipFile(archive) as old:
        members = [(name, old.read(name)) for name in old.namelist()]
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as new:
        for name, data in members:
            new.writestr(name, change(name, data))


def test_the_archive_is_readable_by_its_owner_only_and_lists_what_it_holds(small_backup):
    with zipfile.ZipFile(small_backup) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        users = archive.read("data/auth.user.jsonl").decode().splitlines()

    assert stat.S_IMODE(small_backup.stat().st_mode) == 0o600
    assert manifest["format"] == "jeugdstem-backup" and manifest["version"] == 1
    assert manifest["models"]["auth.User"] == 1
    assert json.loads(users[0])["fields"]["email"] == "sam@example.org"
    assert "home.0001_initial" in manifest["migrations"]
    assert {"sessions.Session", "contenttypes.ContentType", "auth.Permission"} <= set(
        manifest["not_kept"]
    )
    assert Path(str(small_backup) + ".sha256").read_text().endswith("  small.zip\n")


def test_a_restore_into_a_database_with_accounts_is_refused(small_backup):
    with pytest.raises(CommandError, match=r"not empty \(1 accounts"):
        call_command("restore_data", str(small_backup), stdout=io.StringIO())


def test_a_changed_archive_is_refused_by_its_sha256_file(small_backup):
    _rewrite(small_backup, lambda name, data: data.replace(b"sam@", b"kim@"))

    with pytest.raises(CommandError, match="does not match small.zip.sha256"):
        call_command("restore_data", str(small_backup), stdout=io.StringIO())


def test_a_changed_member_is_refused_by_the_manifest_even_without_the_sha256_file(small_backup):
    _rewrite(small_backup, lambda name, data: data.replace(b"sam@", b"kim@"))
    Path(str(small_backup) + ".sha256").unlink()

    with pytest.raises(
        CommandError, match=r"data/account.emailaddress.jsonl in the archive is damaged"
    ):
        call_command("restore_data", str(small_backup), stdout=io.StringIO())


def test_a_backup_of_another_migration_state_is_refused(small_backup):
    def add_migration(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["migrations"].append("home.9999_future")
        return json.dumps(manifest).encode()

    _rewrite(small_backup, add_migration)
    Path(str(small_backup) + ".sha256").unlink()

    with pytest.raises(CommandError, match=r"Only in the backup: \['home.9999_future'\]"):
        call_command("restore_data", str(small_backup), stdout=io.StringIO())


def test_media_names_that_leave_the_media_folder_are_refused(small_backup, tmp_path):
    def add_escape(name, data):
        if name != "manifest.json":
            return data
        manifest = json.loads(data)
        manifest["files"]["media/../../evil.txt"] = hashlib.sha256(b"x").hexdigest()
        return json.dumps(manifest).encode()

    _rewrite(small_backup, add_escape)
    with zipfile.ZipFile(small_backup, "a") as archive:
        archive.writestr("media/../../evil.txt", "x")
    Path(str(small_backup) + ".sha256").unlink()

    with pytest.raises(CommandError, match=r"Refusing media/../../evil.txt: it points outside"):
        call_command(
            "restore_data", str(small_backup), media_root=str(tmp_path / "m"), stdout=io.StringIO()
        )
    assert not (tmp_path.parent / "evil.txt").exists()
