"""Read and check the structured demo content files (YAML with Markdown texts).

Every problem is reported with the file and the line it is on, before anything is written.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import markdown
import yaml

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PAGE_TYPES = {"vision", "chapter", "mission", "core_task", "glossary", "participation"}


class ContentError(Exception):
    """A content file is broken; the message names the file and the line."""


class LineDict(dict):
    """A mapping from YAML that remembers on which line it and each of its keys started."""

    line: int = 0
    key_lines: dict[str, int]


class _Loader(yaml.SafeLoader):
    """A safe loader whose mappings know their line numbers."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


@dataclass
class ContentFile:
    """One loaded and checked file."""

    path: Path
    data: LineDict
    errors: list[str] = field(default_factory=list)

    def where(self, mapping: LineDict | None = None, key: str | None = None) -> str:
        """'file, line N' for a mapping or one of its keys."""
        line = 1
        if mapping is not None:
            line = mapping.key_lines.get(key, mapping.line) if key else mapping.line
        return f"{self.path}, line {line}"


def load_file(path: Path) -> ContentFile:
    """Parse one YAML file; syntax errors name the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ContentError(f"{path}: not valid UTF-8 ({exc.reason} at byte {exc.start})") from exc
    try:
        data = yaml.load(text, Loader=_Loader)  # noqa: S506 - _Loader is a SafeLoader
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        raise ContentError(f"{path}, line {line}: {exc.problem or exc.context}") from exc
    except yaml.YAMLError as exc:
        raise ContentError(f"{path}: {exc}") from exc
    if not isinstance(data, LineDict):
        raise ContentError(f"{path}, line 1: the file must be a mapping of keys to values")
    return ContentFile(path, data)


def _require(cf: ContentFile, mapping: Any, key: str, kind: type | tuple, where: LineDict) -> Any:
    if not isinstance(mapping, LineDict):
        cf.errors.append(f"{cf.where(where)}: expected a mapping with {key!r}")
        return None
    if key not in mapping or mapping[key] is None:
        cf.errors.append(f"{cf.where(mapping)}: missing required key {key!r}")
        return None
    value = mapping[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        cf.errors.append(f"{cf.where(mapping, key)}: {key!r} must be {names}")
        return None
    if isinstance(value, str) and not value.strip() and key not in {"text"}:
        cf.errors.append(f"{cf.where(mapping, key)}: {key!r} is empty")
    return value


def _optional(cf: ContentFile, mapping: LineDict, key: str, kind: type | tuple) -> Any:
    if key not in mapping or mapping[key] is None:
        return None
    return _require(cf, mapping, key, kind, mapping)


def _check_sections(cf: ContentFile, data: LineDict, key: str) -> None:
    sections = _optional(cf, data, key, list)
    for section in sections or []:
        if not isinstance(section, LineDict):
            cf.errors.append(f"{cf.where(data, key)}: each item of {key!r} must be a mapping")
            continue
        _require(cf, section, "heading", str, data)
        _require(cf, section, "text", str, data)
        number = section.get("number")
        if number is not None and not isinstance(number, (str, int, float)):
            cf.errors.append(f"{cf.where(section, 'number')}: 'number' must be text")


def check_page_file(cf: ContentFile) -> None:
    """Check one vision page file against the format in content/README.md."""
    data = cf.data
    page_type = _require(cf, data, "type", str, data)
    if page_type and page_type not in PAGE_TYPES:
        cf.errors.append(
            f"{cf.where(data, 'type')}: unknown type {page_type!r}; use one of {sorted(PAGE_TYPES)}"
        )
        return
    slug = _require(cf, data, "slug", str, data)
    if slug and not _SLUG.match(slug):
        cf.errors.append(f"{cf.where(data, 'slug')}: slug {slug!r} may hold only a-z, 0-9 and '-'")
    _require(cf, data, "title", str, data)
    _require(cf, data, "summary", str, data)
    notes = _optional(cf, data, "notes", list)
    for index, note in enumerate(notes or [], start=1):
        if not isinstance(note, str) or not note.strip():
            cf.errors.append(f"{cf.where(data, 'notes')}: note {index} must be non-empty text")
    if page_type != "vision":
        number = data.get("number")
        if page_type in {"chapter", "mission", "core_task"} and not isinstance(number, int):
            cf.errors.append(f"{cf.where(data, 'number')}: 'number' must be a whole number")
    for key in ("intro",):
        _optional(cf, data, key, str)

    if page_type == "vision":
        foreword = _require(cf, data, "foreword", dict, data)
        if foreword:
            _require(cf, foreword, "text", str, data)
        _check_sections(cf, data, "executive_summary")
    elif page_type == "chapter":
        _check_sections(cf, data, "sections")
        for figure in _optional(cf, data, "key_figures", list) or []:
            if isinstance(figure, LineDict):
                _require(cf, figure, "value", (str, int, float), data)
                _require(cf, figure, "label", str, data)
            else:
                cf.errors.append(f"{cf.where(data, 'key_figures')}: each figure must be a mapping")
        for task in _optional(cf, data, "core_tasks", list) or []:
            if isinstance(task, LineDict):
                _require(cf, task, "number", int, data)
                _require(cf, task, "title", str, data)
                _require(cf, task, "short_title", str, data)
                task_slug = _require(cf, task, "slug", str, data)
                if task_slug and not _SLUG.match(task_slug):
                    cf.errors.append(f"{cf.where(task, 'slug')}: invalid slug {task_slug!r}")
            else:
                cf.errors.append(
                    f"{cf.where(data, 'core_tasks')}: each core task must be a mapping"
                )
    elif page_type == "mission":
        _require(cf, data, "mission", str, data)
        for value in _require(cf, data, "core_values", list, data) or []:
            _require(cf, value, "number", int, data)
            _require(cf, value, "title", str, data)
            for item in _require(cf, value, "items", list, data) or []:
                _require(cf, item, "letter", str, data)
                _require(cf, item, "text", str, data)
        for principle in _require(cf, data, "leading_principles", list, data) or []:
            _require(cf, principle, "number", int, data)
            _require(cf, principle, "title", str, data)
            _require(cf, principle, "text", str, data)
    elif page_type == "core_task":
        task = data.get("core_task")
        if not isinstance(task, int) or not 1 <= task <= 4:
            cf.errors.append(f"{cf.where(data, 'core_task')}: 'core_task' must be 1, 2, 3 or 4")
        for key in ("understanding", "goals"):
            block = _optional(cf, data, key, dict)
            if block:
                _require(cf, block, "heading", str, data)
                _require(cf, block, "text", str, data)
        _check_sections(cf, data, "sections")
        activities = _require(cf, data, "activities", dict, data)
        if activities:
            _require(cf, activities, "heading", str, data)
            items = _require(cf, activities, "items", list, data) or []
            if not items:
                cf.errors.append(f"{cf.where(activities)}: 'activities' has no items")
            for item in items:
                _require(cf, item, "title", str, activities)
                if (
                    isinstance(item, LineDict)
                    and "text" in item
                    and not isinstance(item["text"], str)
                ):
                    cf.errors.append(f"{cf.where(item, 'text')}: 'text' must be text")
    elif page_type == "glossary":
        terms = _require(cf, data, "terms", list, data) or []
        seen: set[str] = set()
        for term in terms:
            name = _require(cf, term, "term", str, data)
            _require(cf, term, "definition", str, data)
            if name and name.lower() in seen:
                cf.errors.append(f"{cf.where(term, 'term')}: the term {name!r} appears twice")
            if name:
                seen.add(name.lower())
    elif page_type == "participation":
        for step in _require(cf, data, "steps", list, data) or []:
            _require(cf, step, "title", str, data)
            _require(cf, step, "text", str, data)
            if (
                isinstance(step, LineDict)
                and step.get("date") is not None
                and not isinstance(step["date"], datetime.date)
            ):
                cf.errors.append(f"{cf.where(step, 'date')}: 'date' must be a date like 2024-11-19")


def check_update_file(cf: ContentFile) -> None:
    """Check one demo update file."""
    data = cf.data
    _require(cf, data, "title", str, data)
    slug = _require(cf, data, "slug", str, data)
    if slug and not _SLUG.match(slug):
        cf.errors.append(f"{cf.where(data, 'slug')}: slug {slug!r} may hold only a-z, 0-9 and '-'")
    _require(cf, data, "date", datetime.date, data)
    _require(cf, data, "summary", str, data)
    _require(cf, data, "body", str, data)
    tasks = _optional(cf, data, "core_tasks", list) or []
    if any(not isinstance(task, int) or not 1 <= task <= 4 for task in tasks):
        cf.errors.append(f"{cf.where(data, 'core_tasks')}: core tasks are numbers 1 to 4")


def load_directory(directory: Path) -> tuple[list[ContentFile], list[ContentFile]]:
    """Load and check every vision and update file; raise one error listing all problems."""
    vision_files = sorted((directory / "vision").glob("*.yaml"))
    update_files = sorted((directory / "updates").glob("*.yaml"))
    if not vision_files:
        raise ContentError(f"{directory / 'vision'}: no content files found")
    pages = [load_file(path) for path in vision_files]
    updates = [load_file(path) for path in update_files]
    for cf in pages:
        check_page_file(cf)
    for cf in updates:
        check_update_file(cf)
    errors = [error for cf in [*pages, *updates] for error in cf.errors]
    types = [cf.data.get("type") for cf in pages]
    for required in ("vision", "glossary"):
        if required not in types:
            errors.append(f"{directory / 'vision'}: no file with type {required!r}")
    slugs: dict[str, Path] = {}
    for cf in pages:
        slug = cf.data.get("slug")
        if slug in slugs:
            errors.append(
                f"{cf.where(cf.data, 'slug')}: slug {slug!r} is also used in {slugs[slug]}"
            )
        slugs[slug] = cf.path
    if errors:
        raise ContentError("\n".join(errors))
    return pages, updates


def to_html(text: str | None) -> str:
    """Markdown to the HTML that Wagtail's rich text stores (<b>/<i> for bold/italic)."""
    if not text or not text.strip():
        return ""
    html = markdown.markdown(text.strip(), extensions=["sane_lists"], output_format="html")
    html = re.sub(r"<(/?)strong>", r"<\1b>", html)
    html = re.sub(r"<(/?)em>", r"<\1i>", html)
    html = re.sub(r">\s*\n\s*<", "><", html)
    return html.replace("\n", " ")
