"""seed_demo: the page tree, the structure of the core tasks, the glossary, idempotency."""

import re
import shutil
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from wagtail.models import Page, Revision

from home.content import ContentError, load_directory, to_html
from home.models import (
    ChapterPage,
    CoreTask,
    CoreTaskPage,
    GlossaryPage,
    GlossaryTerm,
    HomePage,
    ParticipationTrailPage,
    UpdatePage,
    VisionPage,
)

# Bijlage 1 of the policy document, in its own order.
BIJLAGE_1_TERMS = [
    "Ambulante hulp",
    "Burgervoogd",
    "Collectieve / vrij-toegankelijke voorzieningen",
    "Eigen kracht",
    "Gedwongen kader",
    "Gecertificeerde Instelling (GI)",
    "Gezinsvoogd",
    "Inclusie",
    "Jeugdbescherming",
    "Jeugdhulp",
    "Kansenongelijkheid",
    "Maatwerkvoorzieningen/ Niet vrij toegankelijke voorzieningen",
    "Normaliseren",
    "Ondertoezichtstelling (OTS)",
    "Ouderlijk gezag",
    "Pedagogische basis",
    "Pleegzorg",
    "Residentiele jeugdzorg",
    "Samenwerkingsverband",
    "Sociale basis",
    "Veerkracht",
]


def test_seed_builds_the_vision_tree(seeded):
    home = HomePage.objects.get()
    vision = VisionPage.objects.child_of(home).get()
    assert vision.live and vision.url == "/visie/"
    chapters = ChapterPage.objects.child_of(vision)
    assert sorted(chapters.values_list("number", flat=True)) == [1, 2, 3, 4, 5, 6]
    assert CoreTaskPage.objects.child_of(vision).count() == 4
    assert GlossaryPage.objects.child_of(vision).count() == 1
    assert ParticipationTrailPage.objects.child_of(vision).count() == 1
    assert UpdatePage.objects.live().count() == 3
    assert vision.foreword and vision.mission and len(vision.core_values) == 3
    assert len(vision.leading_principles) == 4


@pytest.mark.parametrize(
    ("number", "letters"),
    [(7, "abcdefghi"), (8, "abcdefg"), (9, "abcdefg")],
)
def test_core_task_chapter_keeps_each_lettered_activity_as_its_own_item(seeded, number, letters):
    page = CoreTaskPage.objects.get(number=number)
    block_types = [block.block_type for block in page.body]
    assert block_types[:2] == ["understanding", "goals"]
    assert "activities" in block_types
    items = page.activities()
    assert "".join(item["letter"] for item in items) == letters
    assert all(item["title"] for item in items)


def test_sustainable_system_chapter_keeps_its_own_structure(seeded):
    page = CoreTaskPage.objects.get(number=10)
    headings = [block.value["heading"] for block in page.body]
    assert headings == ["Wat speelt er?", "Hoe nu verder?", "Waar zetten we op in?"]
    assert len(page.activities()) == 4
    assert page.core_task.number == 4


def test_every_core_task_has_its_chapter(seeded):
    assert [task.page.number for task in CoreTask.objects.all()] == [7, 8, 9, 10]


def test_glossary_holds_every_term_of_bijlage_1(seeded):
    assert sorted(GlossaryTerm.objects.values_list("term", flat=True)) == sorted(BIJLAGE_1_TERMS)
    assert all(term.definition.startswith("<p>") for term in GlossaryTerm.objects.all())


def test_seed_twice_changes_nothing(seeded):
    # The fixture seeds the vision only; the first full run adds the demo poll and consultation.
    call_command("seed_demo", stdout=StringIO())
    revisions = Revision.objects.count()
    pages = Page.objects.count()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "Nothing to do" in out.getvalue()
    assert "username: beheer" in out.getvalue()
    assert Revision.objects.count() == revisions
    assert Page.objects.count() == pages


def test_seed_prints_the_staff_login_that_opens_the_admin(seeded, client):
    assert client.login(username="beheer", password=settings.DEMO_STAFF_PASSWORD)
    response = client.get("/beheer/")
    assert response.status_code == 200


@pytest.fixture
def broken_content(tmp_path: Path) -> Path:
    """A copy of the content with one broken file."""
    target = tmp_path / "content"
    shutil.copytree(settings.DEMO_CONTENT_DIR, target)
    return target


def test_broken_yaml_names_file_and_line_and_changes_nothing(db, broken_content):
    path = broken_content / "vision" / "03-context.yaml"
    lines = path.read_text().splitlines()
    lines.insert(4, "  this: is: not: valid")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CommandError) as excinfo:
        call_command("seed_demo", content=broken_content, stdout=StringIO())
    message = str(excinfo.value)
    assert "03-context.yaml, line 5" in message
    assert "nothing was changed" in message
    assert not VisionPage.objects.exists()
    assert not GlossaryTerm.objects.exists()


def test_missing_key_names_file_and_line(db, broken_content):
    path = broken_content / "vision" / "07-sterke-sociale-basis.yaml"
    text = path.read_text()
    text = re.sub(r"^title: .*\n", "", text, count=1, flags=re.MULTILINE)
    path.write_text(text)
    with pytest.raises(
        ContentError, match=r"07-sterke-sociale-basis.yaml, line 1: missing required key 'title'"
    ):
        load_directory(broken_content)


def test_broken_file_after_a_good_seed_leaves_the_site_as_it_was(seeded, broken_content):
    titles = list(Page.objects.order_by("path").values_list("title", flat=True))
    path = broken_content / "vision" / "11-begrippenlijst.yaml"
    path.write_text(path.read_text().replace("type: glossary", "type: woordenlijst"))
    with pytest.raises(CommandError, match="11-begrippenlijst.yaml, line 1: unknown type"):
        call_command("seed_demo", content=broken_content, stdout=StringIO())
    assert list(Page.objects.order_by("path").values_list("title", flat=True)) == titles


def test_changed_source_updates_only_that_page(seeded, broken_content):
    path = broken_content / "vision" / "04-jeugd-in-cijfers.yaml"
    path.write_text(path.read_text().replace("title: Jeugd in cijfers", "title: Jeugd in getallen"))
    out = StringIO()
    call_command("seed_demo", content=broken_content, stdout=out)
    assert out.getvalue().count("updated") == 1
    assert ChapterPage.objects.get(number=4).title == "Jeugd in getallen"


ARTEFACTS = [
    (re.compile(r"Een gezonde basis voor de toekomst\s*\|"), "running head"),
    (re.compile(r"[a-zà-ÿ]-\s*\n\s*[a-zà-ÿ]"), "word broken across lines"),
    (re.compile(r"^\s*\d{1,2}\s*$", re.MULTILINE), "page number on its own line"),
    (re.compile(r"[a-z]{3,}\d{1,2}(?=[\s.,;:]|$)"), "footnote number glued to a word"),
]


@pytest.mark.parametrize(
    "path", sorted((settings.DEMO_CONTENT_DIR / "vision").glob("*.yaml")), ids=lambda p: p.name
)
def test_content_has_no_pdf_artefacts(path):
    text = path.read_text(encoding="utf-8")
    for pattern, what in ARTEFACTS:
        match = pattern.search(text)
        assert match is None, f"{path.name}: {what}: {match.group(0)!r}"


def test_markdown_becomes_wagtail_rich_text():
    html = to_html("Een **vet** en *schuin*\nwoord.\n\n- een\n- twee")
    assert html == "<p>Een <b>vet</b> en <i>schuin</i> woord.</p><ul><li>een</li><li>twee</li></ul>"
