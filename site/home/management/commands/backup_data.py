"""`manage.py backup_data FILE`: one consistent, compressed and checked backup of the database
and the uploaded files, restored with `manage.py restore_data FILE` (see docs/backup.md).

The archive is a ZIP file (deflate) with:
- manifest.json: format and version, when and from which database it was made, the applied
  migrations, the row count of every model, and the SHA-256 of every other member;
- data/<app_label.model>.jsonl: the rows of one model (Django's JSON-lines serializer, ordered by
  primary key; content types and permissions by natural key, because `migrate` makes those);
- media/...: the files under MEDIA_ROOT.
A sidecar FILE.sha256 (the `sha256sum` format) holds the hash of the archive itself.

Not backed up, on purpose: content types and permissions (`migrate` makes them), sessions
(everyone logs in again after a restore) and the search index (rebuilt by restore_data).

The shared helpers below are used by restore_data too.
"""

from __future__ import annotations

import contextlib
import datetime
import hashlib
import io
import json
import os
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import django
from django.apps import apps
from django.conf import settings
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "jeugdstem-backup"
VERSION = 1
MANIFEST = "manifest.json"
# Made by `migrate` in every database; rows elsewhere point to them by natural key.
MADE_BY_MIGRATE = {"contenttypes.ContentType", "auth.Permission"}
# Not worth keeping: logins end with a restore, and the index is rebuilt from the content.
NOT_KEPT = {"sessions.Session"}
NOT_KEPT_APPS = {"wagtailsearch"}
CHUNK = 2000


def label(model) -> str:
    """'app_label.ModelName', as in the manifest."""
    return model._meta.label


def backed_up_models() -> list:
    """Every model whose rows go into a backup, in an order that loads (natural keys first)."""
    chosen = {}
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        if label(model) in MADE_BY_MIGRATE | NOT_KEPT or meta.app_label in NOT_KEPT_APPS:
            continue
        chosen.setdefault(meta.app_config, []).append(model)
    return serializers.sort_dependencies(list(chosen.items()), allow_cycles=True)


def not_kept_models() -> list:
    """The models a backup leaves out (made by migrate, sessions, the search index)."""
    kept = set(backed_up_models())
    return [
        model
        for model in apps.get_models()
        if model not in kept and not model._meta.proxy and model._meta.managed
    ]


def member_name(model) -> str:
    """Where a model's rows live in the archive."""
    return f"data/{model._meta.label_lower}.jsonl"


class ExactJSONEncoder(DjangoJSONEncoder):
    """Django's encoder, but times keep their microseconds (Django's cuts them to milliseconds,
    so a restored row would differ from the original)."""

    def default(self, o):
        if isinstance(o, datetime.datetime):
            text = o.isoformat()
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        if isinstance(o, datetime.time):
            return o.isoformat()
        return super().default(o)


class HashingWriter(io.TextIOBase):
    """A text stream that hashes what is written (as UTF-8) and passes it on, if it has a target."""

    def __init__(self, target=None):
        self._target = target
        self._digest = hashlib.sha256()

    def write(self, text: str) -> int:
        data = text.encode("utf-8")
        self._digest.update(data)
        if self._target is not None:
            self._target.write(data)
        return len(text)

    def hexdigest(self) -> str:
        """SHA-256 of everything written so far."""
        return self._digest.hexdigest()


# Field types whose values Django's serializer writes as they come from the database.
FLAT_TYPES = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "IntegerField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
}


def _is_flat(model) -> bool:
    """Whether the model has only plain text, number and yes/no columns (no relations)."""
    meta = model._meta
    return (
        meta.concrete_model is model
        and not meta.parents
        and not meta.many_to_many
        and all(
            field.remote_field is None and field.get_internal_type() in FLAT_TYPES
            for field in meta.local_fields
        )
    )


def _serialize_flat(model, queryset, stream) -> int:
    """Django's JSON-lines output for a flat model, without building model instances (the
    feedback tallies have tens of thousands of rows)."""
    meta = model._meta
    fields = [field for field in meta.local_fields if field.serialize]
    name = str(meta)
    count = 0
    columns = [meta.pk.attname, *(field.attname for field in fields)]
    for row in queryset.values_list(*columns).iterator(chunk_size=CHUNK):
        values = {
            field.name: value if value is None or isinstance(value, int) else str(value)
            for field, value in zip(fields, row[1:], strict=True)
        }
        stream.write(
            json.dumps(
                {"model": name, "pk": row[0], "fields": values},
                separators=(",", ": "),
                ensure_ascii=False,
            )
            + "\n"
        )
        count += 1
    return count


def serialize_rows(model, stream, using: str = DEFAULT_DB_ALIAS) -> int:
    """Write every row of the model as JSON lines, by primary key; the number of rows."""
    queryset = model._base_manager.using(using).order_by("pk")
    count = 0

    def rows():
        nonlocal count
        for obj in queryset.iterator(chunk_size=CHUNK):
            count += 1
            yield obj

    if _is_flat(model):
        return _serialize_flat(model, queryset, stream)
    serializers.serialize(
        "jsonl",
        rows(),
        stream=stream,
        cls=ExactJSONEncoder,
        use_natural_foreign_keys=True,
        use_natural_primary_keys=False,
    )
    return count


def rows_digest(model, using: str = DEFAULT_DB_ALIAS) -> tuple[int, str]:
    """Row count and SHA-256 of the model's rows as a backup writes them (to compare content)."""
    writer = HashingWriter()
    count = serialize_rows(model, writer, using)
    return count, writer.hexdigest()


def applied_migrations(using: str = DEFAULT_DB_ALIAS) -> list[str]:
    """The applied migrations as sorted 'app.name' strings."""
    recorder = MigrationRecorder(connections[using])
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


@contextlib.contextmanager
def snapshot(using: str = DEFAULT_DB_ALIAS) -> Iterator[None]:
    """Read everything from one consistent state of the database, without blocking writers.

    PostgreSQL: a read-only REPEATABLE READ transaction. SQLite (WAL): a deferred transaction,
    which reads one snapshot while others keep writing (Django's own atomic() would take the
    write lock, because the settings ask for BEGIN IMMEDIATE).
    """
    connection = connections[using]
    if connection.in_atomic_block:
        # Already in a transaction (a test, or a caller's atomic block): that is the snapshot.
        yield
        return
    if connection.vendor == "postgresql":
        from django.db import transaction

        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            yield
        return
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
        return
    raise CommandError(f"backup_data supports PostgreSQL and SQLite, not {connection.vendor}")


def media_files(root: Path) -> list[Path]:
    """Every file under the media folder, sorted (none when the folder does not exist)."""
    if not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file())


def file_sha256(path: Path) -> str:
    """SHA-256 of a file on disk."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    import wagtail

    return {"django": django.get_version(), "wagtail": wagtail.__version__}


def write_backup(path: Path, media_root: Path, using: str = DEFAULT_DB_ALIAS) -> dict:
    """Write the archive (and its .sha256 sidecar); the manifest."""
    connection = connections[using]
    manifest = {
        "format": FORMAT,
        "version": VERSION,
        "created_at": timezone.now().isoformat(),
        "database": connection.vendor,
        "software": _versions(),
        "migrations": [],
        "models": {},
        "not_kept": sorted(label(model) for model in not_kept_models()),
        "files": {},
        "media": {"files": 0, "bytes": 0},
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    # Personal data: readable by the owner only, from the first byte on.
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as raw:
            _write_members(raw, manifest, media_root, using)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)
    Path(str(path) + ".sha256").write_text(f"{file_sha256(path)}  {path.name}\n")
    return manifest


def _write_members(raw, manifest: dict, media_root: Path, using: str) -> None:
    with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        with snapshot(using):
            manifest["migrations"] = applied_migrations(using)
            for model in backed_up_models():
                name = member_name(model)
                with archive.open(name, "w", force_zip64=True) as member:
                    writer = HashingWriter(member)
                    count = serialize_rows(model, writer, using)
                manifest["models"][label(model)] = count
                manifest["files"][name] = writer.hexdigest()
        for file in media_files(media_root):
            name = "media/" + file.relative_to(media_root).as_posix()
            archive.write(file, name)
            manifest["files"][name] = file_sha256(file)
            manifest["media"]["files"] += 1
            manifest["media"]["bytes"] += file.stat().st_size
        archive.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True))


def default_name() -> str:
    """jeugdstem-backup-YYYYMMDD-HHMMSS.zip, in the server's time."""
    return timezone.localtime().strftime("jeugdstem-backup-%Y%m%d-%H%M%S.zip")


class Command(BaseCommand):
    """`manage.py backup_data [FILE] [--media-root DIR]`."""

    help = "Back up the database and the uploaded files to one checked ZIP archive."

    def add_arguments(self, parser):
        parser.add_argument(
            "file",
            nargs="?",
            type=Path,
            help="the archive to write (default: jeugdstem-backup-<date>-<time>.zip here)",
        )
        parser.add_argument(
            "--media-root",
            type=Path,
            help="folder with the uploaded files (default: the MEDIA_ROOT setting)",
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS, help="database alias")

    def handle(self, *args, **options):
        path = options["file"] or Path(default_name())
        if path.exists():
            raise CommandError(f"{path} exists already; choose another name.")
        media_root = Path(options["media_root"] or settings.MEDIA_ROOT)
        started = time.monotonic()
        manifest = write_backup(path, media_root, options["database"])
        seconds = time.monotonic() - started
        rows = sum(manifest["models"].values())
        self.stdout.write(
            f"{path}: {len(manifest['models'])} models, {rows} rows, "
            f"{manifest['media']['files']} media files, {path.stat().st_size} bytes, "
            f"{seconds:.1f} s"
        )
        self.stdout.write(
            "It holds personal data: encrypt it and keep it 30 days at most (docs/backup.md)."
        )
