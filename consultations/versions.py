"""What changed between two versions of a draft text, per paragraph and word by word.

Paragraphs are matched by their number label (7.3 in one version is compared with 7.3 in the
other), because that is how readers and comments cite them. The word diff comes from difflib on
word, punctuation and space tokens; the template escapes every piece of text it shows.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from consultations.models import Chapter, DraftVersion

_TOKEN = re.compile(r"\w+|[^\w\s]|\s+")

EQUAL = "equal"
INSERT = "insert"
DELETE = "delete"

SAME = "same"
CHANGED = "changed"
ADDED = "added"
REMOVED = "removed"


@dataclass(frozen=True)
class Segment:
    """A piece of text that stayed, was added or was taken out."""

    op: str
    text: str


def tokens(text: str) -> list[str]:
    """Split `text` into words, single punctuation marks and runs of white space."""
    return _TOKEN.findall(text or "")


def word_diff(old: str, new: str) -> list[Segment]:
    """The changes from `old` to `new` as segments; joining the non-inserted ones gives `old`.

    Each run of changes becomes at most one deletion followed by one insertion, so that a
    reader sees "old words, new words" rather than a word-by-word zigzag.
    """
    before, after = tokens(old), tokens(new)
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    raw: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            raw.append(Segment(EQUAL, "".join(before[i1:i2])))
            continue
        if i2 > i1:
            raw.append(Segment(DELETE, "".join(before[i1:i2])))
        if j2 > j1:
            raw.append(Segment(INSERT, "".join(after[j1:j2])))
    # A lone space between two changes belongs to the change: "<del>a b</del>", not "a" " " "b".
    for index in range(1, len(raw) - 1):
        segment = raw[index]
        if (
            segment.op == EQUAL
            and not segment.text.strip()
            and raw[index - 1].op != EQUAL
            and raw[index + 1].op != EQUAL
        ):
            raw[index] = Segment("space", segment.text)
    merged: list[Segment] = []
    deleted: list[str] = []
    inserted: list[str] = []

    def flush() -> None:
        if deleted:
            merged.append(Segment(DELETE, "".join(deleted)))
        if inserted:
            merged.append(Segment(INSERT, "".join(inserted)))
        deleted.clear()
        inserted.clear()

    for segment in raw:
        if segment.op == EQUAL:
            flush()
            merged.append(segment)
        elif segment.op == DELETE:
            deleted.append(segment.text)
        elif segment.op == INSERT:
            inserted.append(segment.text)
        else:
            deleted.append(segment.text)
            inserted.append(segment.text)
    flush()
    return _spaces_outside(merged)


def _spaces_outside(segments: list[Segment]) -> list[Segment]:
    """Slide a lone insertion or deletion that starts with a space one space to the right.

    "Een[ heel] sterke" and "Een [heel ]sterke" are the same change; the second one does not
    underline or strike through a space.
    """
    result = list(segments)
    for index in range(1, len(result) - 1):
        before, change, after = result[index - 1], result[index], result[index + 1]
        if before.op != EQUAL or after.op != EQUAL or change.op == EQUAL:
            continue
        space = change.text[: len(change.text) - len(change.text.lstrip())]
        if space and after.text.startswith(space):
            result[index - 1] = Segment(EQUAL, before.text + space)
            result[index] = Segment(change.op, change.text[len(space) :] + space)
            result[index + 1] = Segment(EQUAL, after.text[len(space) :])
    return [segment for segment in result if segment.text]


@dataclass
class ParagraphChange:
    """One paragraph label in the comparison of two versions."""

    chapter_number: int
    number: int
    status: str
    old_text: str = ""
    new_text: str = ""
    segments: list[Segment] = field(default_factory=list)
    comment_count: int = 0

    @property
    def label(self) -> str:
        """The paragraph number as readers cite it, such as 7.3."""
        return f"{self.chapter_number}.{self.number}"

    @property
    def anchor(self) -> str:
        """The id of this paragraph on the consultation page and the comparison page."""
        return f"alinea-{self.chapter_number}-{self.number}"


@dataclass
class ChapterChange:
    """One chapter number in the comparison: its title(s) and its paragraphs."""

    number: int
    status: str
    old_title: str = ""
    new_title: str = ""
    paragraphs: list[ParagraphChange] = field(default_factory=list)

    @property
    def title(self) -> str:
        """The newest title of the chapter."""
        return self.new_title or self.old_title

    @property
    def anchor(self) -> str:
        """The id of this chapter on the comparison page."""
        return f"hoofdstuk-{self.number}"

    @property
    def title_segments(self) -> list[Segment]:
        """The word diff of the title, when the title changed."""
        if self.status == CHANGED and self.old_title != self.new_title:
            return word_diff(self.old_title, self.new_title)
        return []

    @property
    def changed(self) -> list[ParagraphChange]:
        """The paragraphs that changed, were added or were removed."""
        return [p for p in self.paragraphs if p.status != SAME]

    @property
    def unchanged_labels(self) -> list[str]:
        """The labels of the paragraphs that stayed the same."""
        return [p.label for p in self.paragraphs if p.status == SAME]


def _texts(version: DraftVersion | None) -> dict[int, tuple[str, dict[int, str]]]:
    if version is None:
        return {}
    chapters: dict[int, tuple[str, dict[int, str]]] = {}
    for chapter in Chapter.objects.filter(version=version).prefetch_related("paragraphs"):
        chapters[chapter.number] = (
            chapter.title,
            {p.number: p.text for p in chapter.paragraphs.all()},
        )
    return chapters


def compare_texts(
    old: dict[int, tuple[str, dict[int, str]]], new: dict[int, tuple[str, dict[int, str]]]
) -> list[ChapterChange]:
    """Compare two drafts given as {chapter number: (title, {paragraph number: text})}."""
    result = []
    for number in sorted(old.keys() | new.keys()):
        old_title, old_paragraphs = old.get(number, ("", {}))
        new_title, new_paragraphs = new.get(number, ("", {}))
        if number not in old:
            status = ADDED
        elif number not in new:
            status = REMOVED
        else:
            status = CHANGED if old_title != new_title else SAME
        chapter = ChapterChange(number, status, old_title, new_title)
        for paragraph in sorted(old_paragraphs.keys() | new_paragraphs.keys()):
            before = old_paragraphs.get(paragraph)
            after = new_paragraphs.get(paragraph)
            if before is None:
                change = ParagraphChange(number, paragraph, ADDED, new_text=after or "")
            elif after is None:
                change = ParagraphChange(number, paragraph, REMOVED, old_text=before)
            elif before == after:
                change = ParagraphChange(number, paragraph, SAME, before, after)
            else:
                change = ParagraphChange(
                    number, paragraph, CHANGED, before, after, word_diff(before, after)
                )
            chapter.paragraphs.append(change)
        if chapter.status == SAME and chapter.changed:
            chapter.status = CHANGED
        result.append(chapter)
    return result


def compare_versions(old: DraftVersion | None, new: DraftVersion) -> list[ChapterChange]:
    """Compare two stored versions of the same draft, chapter by chapter."""
    return compare_texts(_texts(old), _texts(new))


def paragraph_status(old: DraftVersion | None, new: DraftVersion) -> dict[str, str]:
    """For each paragraph label of `new`: whether it is the same, changed or added since `old`."""
    old_texts = _texts(old)
    statuses = {}
    for number, (_title, paragraphs) in _texts(new).items():
        before = old_texts.get(number, ("", {}))[1]
        for paragraph, text in paragraphs.items():
            if paragraph not in before:
                statuses[f"{number}.{paragraph}"] = ADDED
            else:
                statuses[f"{number}.{paragraph}"] = SAME if before[paragraph] == text else CHANGED
    return statuses


def label_status(old: DraftVersion, new: DraftVersion) -> dict[str, str]:
    """For each paragraph label of `old`: same, changed or removed in `new`."""
    new_texts = _texts(new)
    statuses = {}
    for number, (_title, paragraphs) in _texts(old).items():
        after = new_texts.get(number, ("", {}))[1]
        for paragraph, text in paragraphs.items():
            if paragraph not in after:
                statuses[f"{number}.{paragraph}"] = REMOVED
            else:
                statuses[f"{number}.{paragraph}"] = SAME if after[paragraph] == text else CHANGED
    return statuses
