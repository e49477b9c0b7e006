"""Link glossary terms in rendered rich text to their explanation on the glossary page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape

from django.core.cache import cache
from django.utils.translation import gettext

_TAG = re.compile(r"(<[^>]+>)")
_CACHE_KEY = "glossary:terms"
# Text inside these elements is never linked: links, headings, the glossary's own markup.
_SKIP_ELEMENTS = {"a", "h1", "h2", "h3", "h4", "h5", "h6", "dfn", "abbr", "button", "code"}


@dataclass(frozen=True)
class Entry:
    """A glossary term as the linker needs it."""

    slug: str
    term: str
    url: str
    pattern: re.Pattern


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


def load_entries() -> list[Entry]:
    """All terms with their compiled patterns; cached until a term changes."""
    cached = cache.get(_CACHE_KEY)
    if cached is not None:
        return cached
    from home.models import GlossaryTerm

    entries: list[Entry] = []
    for term in GlossaryTerm.objects.all():
        url = term.get_absolute_url()
        if not url:
            continue
        forms = match_forms(term.term, term.also_matches)
        if not forms:
            continue
        # Abbreviations (GI, OTS) match only in capitals; words in any case; whole words only.
        words = "|".join(re.escape(form) for form in forms if not form.isupper())
        abbreviations = "|".join(re.escape(form) for form in forms if form.isupper())
        alternatives = [f"(?i:{words})" if words else "", abbreviations]
        alternation = "|".join(part for part in alternatives if part)
        pattern = re.compile(rf"(?<![\w-])({alternation})(?![\w-])")
        entries.append(Entry(term.slug, term.term, url, pattern))
    cache.set(_CACHE_KEY, entries, timeout=3600)
    return entries


def forget_entries(**_: object) -> None:
    """Drop the cached terms (after a term was saved or deleted)."""
    cache.delete(_CACHE_KEY)


def link_terms(html: str, seen: set[str], entries: list[Entry] | None = None) -> str:
    """Link the first use of each term (on the page: `seen` is shared) to the glossary."""
    entries = load_entries() if entries is None else entries
    if not entries or not html:
        return html
    parts = _TAG.split(str(html))
    stack: list[str] = []
    for index, part in enumerate(parts):
        if part.startswith("<"):
            match = re.match(r"<\s*(/)?\s*([a-zA-Z0-9]+)", part)
            if match:
                closing, name = match.group(1), match.group(2).lower()
                if closing:
                    if name in stack:
                        while stack and stack.pop() != name:
                            pass
                elif not part.endswith("/>"):
                    stack.append(name)
            continue
        if _SKIP_ELEMENTS.intersection(stack) or not part.strip():
            continue
        parts[index] = _link_segment(part, seen, entries)
    return "".join(parts)


def _link_segment(text: str, seen: set[str], entries: list[Entry]) -> str:
    for entry in entries:
        if entry.slug in seen:
            continue
        match = entry.pattern.search(text)
        if not match:
            continue
        found = match.group(1)
        seen.add(entry.slug)
        hint = gettext("%(term)s: zie de begrippenlijst") % {"term": entry.term}
        link = f'<a class="term" href="{escape(entry.url)}" title="{escape(hint)}">{found}</a>'

        text = text[: match.start(1)] + link + text[match.end(1) :]
        # Other terms are not searched inside the link we just made.
        head, _, tail = text.partition(link)
        return _link_segment(head, seen, entries) + link + _link_segment(tail, seen, entries)
    return text
