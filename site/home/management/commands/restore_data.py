"""`manage.py restore_data FILE`: put a `backup_data` archive back into an empty, migrated
database (see docs/backup.md).

Before anything is written: the archive's format, its hashes (the .sha256 sidecar when it is
there, and every member's hash in the manifest) and the migration state are checked, and the
database must be empty (no accounts, no content beyond Wagtail's first page) unless --force.
Then, in one transaction: the tables are emptied, every row goes back with its own primary key
(raw inserts: no signals, no automatic dates, the page tree's paths as they were), sequences
are reset, and every model's row count and content hash are compared with the manifest; a
difference rolls everything back. Afterwards the uploaded files are written and the search
index is rebuilt.
"""

from __future__ import annotations

import hashlib
import json
import time
import zipfile
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from home.management.commands.backup_data import (
    FORMAT,
    MANIFEST,
    VERSION,
    _is_flat,
    applied_migrations,
    backed_up_models,
    file_sha256,
    label,
    member_name,
    rows_digest,
)

OWN_APPS = {"home", "consultations", "youth_panel", "feedback"}
# Wagtail's first migrations make a root page and a welcome page.
PAGES_AFTER_MIGRATE = 2


def read_manifest(archive: zipfile.ZipFile) -> dict:
    """The archive's manifest, after checking that this code can read the format."""
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except KeyError:
        raise CommandError("Not a Jeugdstem backup: there is no manifest.json.") from None
    if manifest.get("format") != FORMAT:
        raise CommandError(f"Not a Jeugdstem backup (format {manifest.get('format')!r}).")
    if manifest.get("version") != VERSION:
        raise CommandError(
            f"Backup format version {manifest.get('version')} cannot be read by this version "
            f"(it reads version {VERSION})."
        )
    return manifest


def check_archive_hash(path: Path) -> bool:
    """Compare the archive with its .sha256 sidecar; False when there is no sidecar."""
    sidecar = Path(str(path) + ".sha256")
    if not sidecar.exists():
        return False
    expected = sidecar.read_text().split()[0]
    if file_sha256(path) != expected:
        raise CommandError(f"{path} does not match {sidecar.name}: the archive is damaged.")
    return True


def check_members(archive: zipfile.ZipFile, manifest: dict) -> None:
    """Every member the manifest names is there with its hash, and there are no others."""
    names = set(archive.namelist()) - {MANIFEST}
    listed = set(manifest["files"])
    if names != listed:
        raise CommandError(
            "The archive's files do not match its manifest: "
            f"missing {sorted(listed - names)}, unexpected {sorted(names - listed)}."
        )
    for name, expected in manifest["files"].items():
        digest = hashlib.sha256()
        with archive.open(name) as member:
            for block in iter(lambda member=member: member.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected:
            raise CommandError(f"{name} in the archive is damaged (SHA-256 differs).")


def check_migrations(manifest: dict, using: str) -> None:
    """The database must be migrated exactly as the one the backup came from."""
    here, there = set(applied_migrations(using)), set(manifest["migrations"])
    if here != there:
        raise CommandError(
            "The migrations of this database differ from the backup's. Run `manage.py migrate` "
            "with the code version the backup was made with.\n"
            f"Only in the backup: {sorted(there - here)}\nOnly here: {sorted(here - there)}"
        )


def check_models(manifest: dict) -> list:
    """The models to load: exactly the ones this code backs up."""
    models = backed_up_models()
    here = {label(model) for model in models}
    there = set(manifest["models"])
    if here != there:
        raise CommandError(
            "The backup's models differ from this code's: "
            f"only in the backup {sorted(there - here)}, only here {sorted(here - there)}."
        )
    return models


def occupied(using: str) -> list[str]:
    """What makes the database not empty (accounts, content beyond a fresh migrate)."""
    from wagtail.models import Page

    found = []
    users = get_user_model()._base_manager.using(using).count()
    if users:
        found.append(f"{users} accounts")
    pages = Page._base_manager.using(using).count()
    if pages > PAGES_AFTER_MIGRATE:
        found.append(f"{pages} pages")
    for model in backed_up_models():
        if model._meta.app_label in OWN_APPS and not issubclass(model, Page):
            count = model._base_manager.using(using).count()
            if count:
                found.append(f"{count} rows in {label(model)}")
    return found


def media_targets(archive: zipfile.ZipFile, media_root: Path) -> dict[str, Path]:
    """Where each media member goes; refuses names that would leave the media folder."""
    root = media_root.resolve()
    targets = {}
    for name in archive.namelist():
        if not name.startswith("media/"):
            continue
        relative = PurePosixPath(name[len("media/") :])
        target = (root / Path(*relative.parts)).resolve()
        if relative.is_absolute() or ".." in relative.parts or root not in target.parents:
            raise CommandError(f"Refusing {name}: it points outside the media folder.")
        targets[name] = target
    return targets


def _tables_to_empty(models: list) -> list:
    """The backed-up models and their many-to-many link tables, plus the sessions."""
    chosen = set(models)
    result = list(models)
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.auto_created and any(
            field.related_model in chosen for field in meta.fields if field.is_relation
        ):
            result.append(model)
    result.append(apps.get_model("sessions", "Session"))
    return result


def _load_flat(model, stream, using: str) -> int:
    """Insert a flat model's rows with one prepared statement (the tallies are many)."""
    meta = model._meta
    fields = [field for field in meta.local_fields if field.serialize]
    quote = connections[using].ops.quote_name
    columns = ", ".join(quote(field.column) for field in [meta.pk, *fields])
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) "
        f"VALUES ({', '.join(['%s'] * (len(fields) + 1))})"
    )
    count = 0
    rows = []
    with connections[using].cursor() as cursor:
        for line in stream:
            data = json.loads(line)
            rows.append([data["pk"], *(data["fields"][field.name] for field in fields)])
            if len(rows) >= 5000:
                cursor.executemany(sql, rows)
                count += len(rows)
                rows.clear()
        if rows:
            cursor.executemany(sql, rows)
            count += len(rows)
    return count


def _load_model(model, stream, using: str) -> tuple[int, list]:
    """Insert one model's rows as they were; the count and the many-to-many rows to add."""
    connection = connections[using]
    fields = [field for field in model._meta.local_concrete_fields if not field.generated]
    links = []
    batch = []
    count = 0

    def flush():
        if batch:
            size = connection.ops.bulk_batch_size(fields, batch) or len(batch)
            for start in range(0, len(batch), size):
                model._base_manager.using(using)._insert(
                    batch[start : start + size], fields=fields, using=using, raw=True
                )
            batch.clear()

    if _is_flat(model):
        return _load_flat(model, stream, using), links
    for item in serializers.deserialize(
        "jsonl", stream, using=using, handle_forward_references=False
    ):
        batch.append(item.object)
        count += 1
        for name, values in (item.m2m_data or {}).items():
            field = model._meta.get_field(name)
            links.append((field, item.object.pk, values))
        if len(batch) >= 2000:
            flush()
    flush()
    return count, links


def _add_links(links: list, using: str) -> int:
    """Fill the many-to-many link tables."""
    added = 0
    by_through: dict = {}
    for field, pk, values in links:
        through = field.remote_field.through
        source, target = field.m2m_field_name(), field.m2m_reverse_field_name()
        rows = by_through.setdefault(through, [])
        rows.extend(through(**{f"{source}_id": pk, f"{target}_id": value}) for value in values)
    for through, rows in by_through.items():
        through._base_manager.using(using).bulk_create(rows, batch_size=500)
        added += len(rows)
    return added


def restore(archive: zipfile.ZipFile, manifest: dict, models: list, using: str, verify: bool):
    """Empty the tables and load the archive, in one transaction; rows loaded per model."""
    connection = connections[using]
    loaded = {}
    with transaction.atomic(using=using):
        for model in reversed(_tables_to_empty(models)):
            model._base_manager.using(using).all()._raw_delete(using)
        links = []
        for model in models:
            with archive.open(member_name(model)) as raw:
                stream = (line.decode("utf-8") for line in raw)
                loaded[label(model)], model_links = _load_model(model, stream, using)
            links.extend(model_links)
        _add_links(links, using)
        with connection.cursor() as cursor:
            for statement in connection.ops.sequence_reset_sql(no_style(), models):
                cursor.execute(statement)
        # Deferred foreign keys are checked here, before the commit, with a clear message.
        connection.check_constraints()
        wrong = [
            f"{name}: {count} rows, backup has {manifest['models'][name]}"
            for name, count in loaded.items()
            if count != manifest["models"][name]
        ]
        if verify:
            for model in models:
                count, digest = rows_digest(model, using)
                if count != manifest["models"][label(model)]:
                    wrong.append(f"{label(model)}: {count} rows after loading")
                elif digest != manifest["files"][member_name(model)]:
                    wrong.append(f"{label(model)}: content differs after loading")
        if wrong:
            raise CommandError(
                "The restore did not match the backup; nothing was changed.\n" + "\n".join(wrong)
            )
    return loaded


class Command(BaseCommand):
    """`manage.py restore_data FILE [--force] [--media-root DIR] [--no-verify]`."""

    help = "Restore a backup_data archive into an empty, migrated database."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the archive made by backup_data")
        parser.add_argument(
            "--force",
            action="store_true",
            help="replace what the database holds now (ALL its data is deleted first)",
        )
        parser.add_argument(
            "--media-root",
            type=Path,
            help="folder for the uploaded files (default: the MEDIA_ROOT setting)",
        )
        parser.add_argument(
            "--no-verify",
            action="store_true",
            help="skip comparing every model's content with the backup after loading",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias")

    def handle(self, *args, **options):
        path, using = options["file"], options["database"]
        media_root = Path(options["media_root"] or settings.MEDIA_ROOT)
        started = time.monotonic()
        if not path.is_file():
            raise CommandError(f"{path} does not exist.")
        sidecar = check_archive_hash(path)
        with zipfile.ZipFile(path) as archive:
            manifest = read_manifest(archive)
            check_members(archive, manifest)
            check_migrations(manifest, using)
            models = check_models(manifest)
            targets = media_targets(archive, media_root)
            found = occupied(using)
            if found and not options["force"]:
                raise CommandError(
                    "The database is not empty ("
                    + ", ".join(found[:6])
                    + (", ..." if len(found) > 6 else "")
                    + "). Restore into a new, "
                    "migrated database, or use --force to delete everything in this one first."
                )
            clashes = [
                str(target)
                for name, target in targets.items()
                if target.exists() and file_sha256(target) != manifest["files"][name]
            ]
            if clashes and not options["force"]:
                raise CommandError(
                    "Files in the media folder would be overwritten: " + ", ".join(clashes[:5])
                )
            loaded = restore(archive, manifest, models, using, not options["no_verify"])
            for name, target in targets.items():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(name))
        # The search index is not in the backup: build it from the restored content.
        call_command("update_index", verbosity=0)
        seconds = time.monotonic() - started
        self.stdout.write(
            f"{path}: {len(loaded)} models, {sum(loaded.values())} rows, {len(targets)} media "
            f"files restored in {seconds:.1f} s"
            + ("" if sidecar else " (no .sha256 file next to it: only the inner hashes checked)")
        )
        self.stdout.write(f"Backup made at {manifest['created_at']} on {manifest['database']}.")
