"""Build the demo site from the content files: pages, snippets, updates, groups, staff login.

`seed` checks every file first and writes nothing when one is broken; it then writes in one
transaction. Each piece of content carries a fingerprint of its source (SeedRecord), so a
second run with unchanged files changes nothing.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.utils.text import slugify
from wagtail.models import Page, Site, Workflow, WorkflowPage

from home.content import ContentFile, load_directory, to_html
from home.models import (
    ChapterPage,
    CoreTask,
    CoreTaskPage,
    GlossaryPage,
    GlossaryTerm,
    HomePage,
    ParticipationTrailPage,
    SeedRecord,
    UpdateIndexPage,
    UpdatePage,
    VisionPage,
)

HOME_INTRO = (
    "<p>Jeugdstem is de plek waar jongeren, ouders en partners meepraten over het jeugdbeleid "
    "in Alkmaar. Lees wat de gemeente wil, zeg wat jij ervan vindt en zie wat er met jouw "
    "mening gebeurt.</p>"
)
EDITORS_GROUP = "Beleidsmedewerkers"
SIGNALS_GROUP = "Signalen"  # feedback.rules.SAFEGUARDING_GROUP: designated professionals


@dataclass
class SeedReport:
    """What a run created and updated."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    staff_created: bool = False

    @property
    def changed(self) -> bool:
        """Whether the run wrote anything."""
        return bool(self.created or self.updated or self.staff_created)


def _fingerprint(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def _needs_write(key: str, data: Any) -> bool:
    record = SeedRecord.objects.filter(key=key).first()
    return record is None or record.fingerprint != _fingerprint(data)


def _remember(key: str, data: Any) -> None:
    SeedRecord.objects.update_or_create(key=key, defaults={"fingerprint": _fingerprint(data)})


def _section(block_type: str, section: dict) -> dict:
    number = section.get("number")
    return {
        "type": block_type,
        "value": {
            "number": "" if number is None else str(number),
            "heading": section["heading"].strip(),
            "text": to_html(section["text"]),
        },
    }


def _notes(data: dict) -> list[dict]:
    return [{"type": "note", "value": to_html(note)} for note in data.get("notes") or []]


def _publish(
    parent: Page,
    model: type[Page],
    slug: str,
    fields: dict,
    key: str,
    data: Any,
    report: SeedReport,
) -> Page:
    """Create or update one page below `parent` and publish it when its source changed."""
    existing = parent.get_children().filter(slug=slug).specific().first()
    if existing is not None and not isinstance(existing, model):
        raise RuntimeError(f"page {existing.url_path} exists but is a {type(existing).__name__}")
    if existing is not None and not _needs_write(key, data):
        return existing
    page = existing or model(slug=slug)
    for name, value in fields.items():
        setattr(page, name, value)
    if existing is None:
        parent.add_child(instance=page)
        report.created.append(page.url_path)
    else:
        report.updated.append(page.url_path)
    page.save_revision().publish()
    _remember(key, data)
    return page


def _chapter_fields(data: dict) -> dict:
    return {
        "title": data["title"].strip(),
        # Appendices (glossary, participation trail) have no chapter number of their own.
        "number": data.get("number")
        if data["type"] in {"chapter", "mission", "core_task"}
        else None,
        "summary": data["summary"].strip(),
        "intro": to_html(data.get("intro")),
        "notes": _notes(data),
        "show_in_menus": False,
    }


def _chapter_body(data: dict) -> list[dict]:
    body: list[dict] = []
    if data.get("key_figures"):
        figures = [
            {"value": str(figure["value"]), "label": figure["label"]}
            for figure in data["key_figures"]
        ]
        body.append({"type": "key_figures", "value": {"figures": figures}})
    body.extend(_section("section", section) for section in data.get("sections") or [])
    return body


def _mission_body(data: dict) -> list[dict]:
    body = [_section("section", {"heading": "Onze missie", "text": data["mission"]})]
    if data.get("intro"):
        body.append({"type": "paragraph", "value": to_html(data["intro"])})
    body.append({"type": "heading", "value": {"text": "Kernwaarden", "level": "h2"}})
    body.extend(
        {"type": "core_value", "value": _core_value(value)} for value in data["core_values"]
    )
    body.append({"type": "heading", "value": {"text": "Leidende principes", "level": "h2"}})
    if data.get("principles_intro"):
        body.append({"type": "paragraph", "value": to_html(data["principles_intro"])})
    body.extend({"type": "principle", "value": _principle(p)} for p in data["leading_principles"])
    return body


def _core_value(value: dict) -> dict:
    items = [{"letter": item["letter"], "text": to_html(item["text"])} for item in value["items"]]
    return {"number": value["number"], "title": value["title"], "items": items}


def _principle(principle: dict) -> dict:
    return {
        "number": principle["number"],
        "title": principle["title"],
        "text": to_html(principle["text"]),
    }


def _core_task_body(data: dict) -> list[dict]:
    body: list[dict] = []
    number = data["number"]
    if data.get("understanding"):
        body.append(_section("understanding", {"number": f"{number}.1", **data["understanding"]}))
    if data.get("goals"):
        body.append(_section("goals", {"number": f"{number}.2", **data["goals"]}))
    body.extend(_section("section", section) for section in data.get("sections") or [])
    activities = data["activities"]
    items = [
        {
            "letter": str(item.get("letter") or ""),
            "title": item["title"].strip(),
            "text": to_html(item.get("text")),
        }
        for item in activities["items"]
    ]
    has_numbered_parts = bool(data.get("understanding") or data.get("goals"))
    body.append(
        {
            "type": "activities",
            "value": {
                "number": f"{number}.3" if has_numbered_parts else "",
                "heading": activities["heading"].strip(),
                "intro": to_html(activities.get("intro")),
                "items": items,
            },
        }
    )
    return body


def _seed_core_tasks(pages: list[ContentFile], report: SeedReport) -> dict[int, CoreTask]:
    for cf in pages:
        for task in cf.data.get("core_tasks") or []:
            key = f"core_task:{task['number']}"
            if _needs_write(key, task):
                _, created = CoreTask.objects.update_or_create(
                    number=task["number"],
                    defaults={
                        "title": task["title"],
                        "short_title": task["short_title"],
                        "slug": task["slug"],
                    },
                )
                (report.created if created else report.updated).append(
                    f"kernopgave {task['number']}"
                )
                _remember(key, task)
    return {task.number: task for task in CoreTask.objects.all()}


def _seed_glossary(data: dict, report: SeedReport) -> None:
    for entry in data["terms"]:
        term = entry["term"].strip()
        slug = slugify(term)[:200]
        key = f"term:{slug}"
        if not _needs_write(key, entry):
            continue
        _, created = GlossaryTerm.objects.update_or_create(
            slug=slug, defaults={"term": term, "definition": to_html(entry["definition"])}
        )
        (report.created if created else report.updated).append(f"begrip {term}")
        _remember(key, entry)


def _home_page() -> HomePage:
    """The default site's home page, which the home app's data migration made."""
    site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
    if site is None or not isinstance(site.root_page.specific, HomePage):
        raise RuntimeError("the default site has no Jeugdstem home page; run `migrate` first")
    return site.root_page.specific


def _seed_pages(pages: list[ContentFile], updates: list[ContentFile], report: SeedReport) -> None:
    home = _home_page()
    if _needs_write("page:home", HOME_INTRO):
        home.title = "Jouw stem telt"
        home.intro = HOME_INTRO
        home.save_revision().publish()
        report.updated.append("/")
        _remember("page:home", HOME_INTRO)

    core_tasks = _seed_core_tasks(pages, report)
    vision_data = next(cf.data for cf in pages if cf.data["type"] == "vision")
    mission_data = next((cf.data for cf in pages if cf.data["type"] == "mission"), None)
    vision_source = {"vision": vision_data, "mission": mission_data}
    vision = _publish(
        home,
        VisionPage,
        vision_data["slug"],
        {
            "title": vision_data["title"],
            "summary": vision_data["summary"].strip(),
            "foreword": to_html(vision_data["foreword"]["text"]),
            "foreword_signed_by": vision_data["foreword"].get("signed_by") or "",
            "executive_summary": [
                _section("section", s) for s in vision_data.get("executive_summary") or []
            ],
            "mission": to_html(mission_data["mission"]) if mission_data else "",
            "core_values": [
                {"type": "core_value", "value": _core_value(v)}
                for v in (mission_data or {}).get("core_values", [])
            ],
            "leading_principles": [
                {"type": "principle", "value": _principle(p)}
                for p in (mission_data or {}).get("leading_principles", [])
            ],
            "show_in_menus": True,
        },
        f"page:{vision_data['slug']}",
        vision_source,
        report,
    )

    for cf in pages:
        data = cf.data
        key = f"page:{data['slug']}"
        page_type = data["type"]
        if page_type == "vision":
            continue
        fields = _chapter_fields(data)
        if page_type == "chapter":
            _publish(
                vision,
                ChapterPage,
                data["slug"],
                {**fields, "body": _chapter_body(data)},
                key,
                data,
                report,
            )
        elif page_type == "mission":
            _publish(
                vision,
                ChapterPage,
                data["slug"],
                {**fields, "intro": "", "body": _mission_body(data)},
                key,
                data,
                report,
            )
        elif page_type == "core_task":
            task = core_tasks.get(data["core_task"])
            if task is None:
                raise RuntimeError(f"{cf.path}: core task {data['core_task']} is not defined")
            _publish(
                vision,
                CoreTaskPage,
                data["slug"],
                {**fields, "core_task": task, "body": _core_task_body(data)},
                key,
                {"data": data, "task": task.pk},
                report,
            )
        elif page_type == "glossary":
            _seed_glossary(data, report)
            _publish(vision, GlossaryPage, data["slug"], fields, key, data, report)
        elif page_type == "participation":
            steps = [
                {
                    "type": "step",
                    "value": {
                        "title": step["title"],
                        "date": step["date"].isoformat() if step.get("date") else None,
                        "text": to_html(step["text"]),
                    },
                }
                for step in data["steps"]
            ]
            _publish(
                vision,
                ParticipationTrailPage,
                data["slug"],
                {**fields, "steps": steps},
                key,
                data,
                report,
            )

    index_source = {"title": "Nieuws", "intro": "Wat er gebeurt met het jeugdbeleid."}
    index = _publish(
        home,
        UpdateIndexPage,
        "nieuws",
        {
            "title": index_source["title"],
            "intro": f"<p>{index_source['intro']} En wat we doen met wat jullie zeiden.</p>",
            "show_in_menus": True,
        },
        "page:nieuws",
        index_source,
        report,
    )
    for cf in updates:
        data = cf.data
        page = _publish(
            index,
            UpdatePage,
            data["slug"],
            {
                "title": data["title"],
                "date": data["date"],
                "summary": data["summary"].strip(),
                "body": [{"type": "paragraph", "value": to_html(data["body"])}],
            },
            f"update:{data['slug']}",
            data,
            report,
        )
        wanted = {core_tasks[number].pk for number in data.get("core_tasks") or []}
        if set(page.core_tasks.values_list("pk", flat=True)) != wanted:
            page.core_tasks.set(wanted)
            page.save_revision().publish()


def _seed_staff(report: SeedReport) -> tuple[str, str]:
    """The editors' group, moderation on every page, and the demo staff login."""
    editors, _ = Group.objects.get_or_create(name=EDITORS_GROUP)
    wanted = Permission.objects.filter(
        content_type__app_label__in=["home", "wagtailadmin", "wagtailimages", "wagtaildocs"],
        codename__in=[
            "access_admin",
            "add_glossaryterm",
            "change_glossaryterm",
            "view_glossaryterm",
            "view_coretask",
            "add_image",
            "change_image",
            "choose_image",
            "add_document",
            "change_document",
            "choose_document",
        ],
    )
    # Only add: other apps (consultations) give this group rights of their own.
    missing = set(wanted) - set(editors.permissions.all())
    if missing:
        editors.permissions.add(*missing)
    home = _home_page()
    from wagtail.models import GroupPagePermission

    # Policy officers write and submit; publishing goes through the moderators' approval.
    for codename in ("add_page", "change_page"):
        permission = Permission.objects.get(
            content_type__app_label="wagtailcore", codename=codename
        )
        GroupPagePermission.objects.get_or_create(group=editors, page=home, permission=permission)

    # Every page change goes through Wagtail's default moderation workflow.
    if home.get_workflow() is None:
        workflow = Workflow.objects.filter(active=True).order_by("pk").first()
        if workflow is not None:
            WorkflowPage.objects.create(workflow=workflow, page=home)

    email = settings.DEMO_STAFF_EMAIL
    username = "beheer"
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User.objects.create_user(
            username=username,
            email=email,
            password=settings.DEMO_STAFF_PASSWORD,
            first_name="Demo",
            last_name="Beleidsmedewerker",
            is_staff=True,
        )
        report.staff_created = True
    signals, _ = Group.objects.get_or_create(name=SIGNALS_GROUP)
    signals.permissions.add(
        *Permission.objects.filter(
            content_type__app_label__in=["feedback", "wagtailadmin"],
            codename__in=["access_admin", "view_safeguardingflag", "change_safeguardingflag"],
        )
    )
    moderators = Group.objects.filter(name="Moderators").first()
    if moderators is not None:
        # Moderators decide which consented stories may be quoted.
        moderators.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="feedback",
                codename__in=["view_surveyresponse", "change_surveyresponse", "moderate_story"],
            )
        )
        # Moderators also keep the glossary and the core tasks in order.
        moderators.permissions.add(
            *Permission.objects.filter(
                content_type__app_label="home",
                codename__in=[
                    "add_glossaryterm",
                    "change_glossaryterm",
                    "delete_glossaryterm",
                    "view_glossaryterm",
                    "change_coretask",
                    "view_coretask",
                ],
            )
        )
    groups = [editors, signals, *([moderators] if moderators else [])]
    if set(user.groups.all()) != set(groups):
        user.groups.set(groups)
    return username, settings.DEMO_STAFF_PASSWORD


def seed(directory: Path | None = None) -> tuple[SeedReport, tuple[str, str]]:
    """Check all content, then build the demo site in one transaction."""
    directory = Path(directory or settings.DEMO_CONTENT_DIR)
    pages, updates = load_directory(directory)
    report = SeedReport()
    with transaction.atomic():
        _seed_pages(pages, updates, report)
        login = _seed_staff(report)
    return report, login
