"""Link glossary terms in rendered rich text to their explanation on the glossary page."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from html import escape

from django.core.cache import cache
from django.utils.translation import gettext

_TAG = re.compile(r"(<[^>]+>)")
_OPEN_OR_CLOSE = re.compile(r"<\s*(/)?\s*([a-zA-Z0-9]+)")
_VERSION_KEY = "glossary:version"
# Text inside these elements is never linked: links, headings, the glossary's own markup.
_SKIP_ELEMENTS = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "dfn", "abbr", "button", "code"}
# The compiled glossary of this process, valid while the shared version key is unchanged.
_local: dict[str, object] = {}


@dataclass(frozen=True)
class Entry:
    """A glossary term as the linker needs it."""

    slug: str
    term: str
    url: str


@dataclass(frozen=True)
class Glossary:
    """All terms and one pattern that finds any of them in a single pass."""

    entries: tuple[Entry, ...]
    pattern: re.Pattern | None


def match_forms(term: str, also_matches: str = "") -> list[str]:
    """Spellings to recognise: the term, each part around ' / ', an abbreviation in brackets."""
    forms: list[str] = []
    abbreviation = re.search(r"\(([^)]+)\)", term)
    if abbreviation:
        forms.append(abbreviation.group(1).strip())
    base = re.sub(r"\s*\([^)]*\)", "", term)
    forms.extend(part.strip(" ,") for part in re.split(r"\s*/\s*", base))
    forms.extend(part.strip() for part in also_matches.split(","))
    return sorted({form for form in forms if len(form) >= 2}, key=len, reverse=True)


def _alternation(forms: list[str]) -> str:
    # Abbreviations (GI, OTS) match only in capitals; words in any case.
    words = "|".join(re.escape(form) for form in forms if not form.isupper())
    abbreviations = "|".join(re.escape(form) for form in forms if form.isupper())
    return "|".join(part for part in (f"(?i:{words})" if words else "", abbreviations) if part)


def _build() -> Glossary:
    from home.models import GlossaryTerm

    found: list[tuple[int, Entry, str]] = []
    for term in GlossaryTerm.objects.all():
        url = term.get_absolute_url()
        forms = match_forms(term.term, term.also_matches)
        if url and forms:
            found.append((len(forms[0]), Entry(term.slug, term.term, url), _alternation(forms)))
    # Longer terms first, so that at one position the longest term wins.
    found.sort(key=lambda item: -item[0])
    if not found:
        return Glossary((), None)
    groups = "|".join(
        f"(?P<t{index}>{alternation})" for index, (_, _, alternation) in enumerate(found)
    )
    pattern = re.compile(rf"(?<![\w-])(?:{groups})(?![\w-])")
    return Glossary(tuple(entry for _, entry, _ in found), pattern)


def load_entries() -> Glossary:
    """The compiled glossary; rebuilt in each process after a term changed."""
    version = cache.get(_VERSION_KEY)
    if version is None:
        cache.add(_VERSION_KEY, uuid.uuid4().hex, timeout=None)
        version = cache.get(_VERSION_KEY)
    if _local.get("version") != version or "glossary" not in _local:
        _local["glossary"] = _build()
        _local["version"] = version
    return _local["glossary"]  # type: ignore[return-value]


def forget_entries(**_: object) -> None:
    """Make every process rebuild its glossary (after a term or page changed)."""
    cache.set(_VERSION_KEY, uuid.uuid4().hex, timeout=None)


def link_terms(html: str, seen: set[str], glossary: Glossary | None = None) -> str:
    """Link the first use of each term (on the page: `seen` is shared) to the glossary."""
    glossary = load_entries() if glossary is None else glossary
    if glossary.pattern is None or not html:
        return html
    parts = _TAG.split(str(html))
    stack: list[str] = []
    for index, part in enumerate(parts):
        if part.startswith("<"):
            match = _OPEN_OR_CLOSE.match(part)
            if match:
                closing, name = match.group(1), match.group(2).lower()
                if closing:
                    if name in stack:
                        while stack and stack.pop() != name:
                            pass
                elif not part.endswith("/>"):
                    stack.append(name)
            continue
        if not part.strip() or _SKIP_ELEMENTS.intersection(stack):
            continue
        parts[index] = _link_segment(part, seen, glossary)
    return "".join(parts)


def _link_segment(text: str, seen: set[str], glossary: Glossary) -> str:
    pieces: list[str] = []
    position = 0
    for match in glossary.pattern.finditer(text):
        entry = glossary.entries[int(match.lastgroup[1:])]
        if entry.slug in seen:
            continue
        seen.add(entry.slug)
        found = match.group(0)
        hint = gettext("%(term)s: zie de begrippenlijst") % {"term": entry.term}
        pieces.append(text[position : match.start()])
        pieces.append(
            f'<a class="term" href="{escape(entry.url)}" title="{escape(hint)}">{found}</a>'
        )
        position = match.end()
    if not pieces:
        return text
    pieces.append(text[position:])
    return "".join(pieces)
