"""The half-year report: staff words beside the published figures, ready to print.

Personas:
- `client` without login: the public, who reads published reports only.
- `policy_officer` (tests/consultations/conftest.py): group Beleidsmedewerkers; writes reports in
  the admin and previews a draft with ?voorbeeld=1.
- `participant` (tests/conftest.py): signed in, but without rights on reports.

The answers below are made by hand, so every number on the page can be worked out:
- 2025-H1: 5 answers with marks 9, 9, 9, 10, 10 (mean 9.4, but n = 5 < 10: hidden).
- 2025-H2: 12 answers for Lokaal team with mark 8, 12 for Ambulante hulp with mark 6 and 3 for
  Daghulp with marks 1, 2, 2. Overall: n = 27, mean (96 + 72 + 5) / 27 = 6.41 -> "6,4", shown
  with n rounded to 25. Shares need n >= 30, so "Rapportcijfer 7 of hoger" is hidden.
  Daghulp (n = 3, mean 1.67 -> "1,7") is hidden; so is one more help type, or Daghulp could be
  worked out from the total.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.utils import timezone

from feedback import reports
from feedback.choices import AgeBand, District, EndReason, HelpType, Respondent
from feedback.models import Action, HalfYearReport, StoryOfHalfYear, SurveyResponse
from tests.consultations import conftest as consultation_fixtures

policy_officer = consultation_fixtures.policy_officer

LIST_URL = "/cijfers/rapport/"
URL = "/cijfers/rapport/2025-H2/"
TOO_FEW = "te weinig reacties"


def answer(mark: int, period: str, help_type=HelpType.LOCAL_TEAM, **fields) -> SurveyResponse:
    """One real (not synthetic) answer whose help ended in `period`."""
    month = "2025-03" if period.endswith("H1") else "2025-09"
    defaults = {
        "respondent": Respondent.PARENT,
        "period": month,
        "help_type": help_type,
        "end_reason": EndReason.AS_PLANNED,
        "district": District.OUDORP,
        "age_band": AgeBand.AGE_12_15,
        "end_period": period,
        "usefulness": mark,
    }
    return SurveyResponse.objects.create(**{**defaults, **fields})


@pytest.fixture
def answers(db) -> None:
    """The answers of the module docstring."""
    for mark in (9, 9, 9, 10, 10):
        answer(mark, "2025-H1")
    for _ in range(12):
        answer(8, "2025-H2", HelpType.LOCAL_TEAM)
        answer(6, "2025-H2", HelpType.AMBULANT)
    for mark in (1, 2, 2):
        answer(mark, "2025-H2", HelpType.DAY_TREATMENT)


def make_report(period="2025-H2", published=True, **fields) -> HalfYearReport:
    defaults = {
        "title": "Wat vonden jongeren en ouders van de hulp?",
        "summary": "Het cijfer is een 6,4.",
        "analysis": "We zien een voldoende.",
        "implications": "We praten met de aanbieders.",
    }
    return HalfYearReport.objects.create(
        period=period, published=published, **{**defaults, **fields}
    )


def section(html: str, anchor: str) -> str:
    """The HTML of one indicator's section on the report."""
    start = html.index(f'<h3 id="{anchor}">')
    end = html.find('<section class="report-indicator"', start)
    return html[start : end if end != -1 else len(html)]


def row(html: str, label: str) -> str:
    """The cells of the table row whose header is `label`, as plain text."""
    match = re.search(rf'<th scope="row">{re.escape(label)}</th>(.*?)</tr>', html, re.S)
    assert match, f"no row {label!r}"
    return " | ".join(re.findall(r"<td[^>]*>(.*?)</td>", match.group(1), re.S))


# --- figures ----------------------------------------------------------------------------------


def test_report_shows_the_mean_mark_with_a_rounded_count(client, answers):
    make_report()
    html = client.get(URL).content.decode()
    mark = section(html, "cijfer-mark-mean")
    assert "<strong>6,4</strong>" in mark
    assert "25 reacties" in mark  # 27 rounded to 5
    assert row(mark, "2025-H2").startswith("6,4 | 25 | ")


def test_a_period_with_too_few_answers_reads_te_weinig_reacties_and_never_its_mean(client, answers):
    make_report()
    html = client.get(URL).content.decode()
    assert row(section(html, "cijfer-mark-mean"), "2025-H1") == f"{TOO_FEW} |  | -"
    assert "9,4" not in html


def test_a_share_under_thirty_answers_is_hidden_on_the_report(client, answers):
    make_report()
    html = client.get(URL).content.decode()
    seven = section(html, "cijfer-mark-7-plus")
    assert f"<strong>{TOO_FEW}</strong>" in seven
    assert "%</strong>" not in seven


def test_a_small_help_type_is_hidden_and_cannot_be_worked_out_from_the_others(client, answers):
    make_report()
    mark = section(client.get(URL).content.decode(), "cijfer-mark-mean")
    assert row(mark, "Daghulp").startswith(TOO_FEW)
    hidden = [
        label
        for label in ("Lokaal team / CJG", "Ambulante hulp")
        if row(mark, label).startswith(TOO_FEW)
    ]
    assert len(hidden) == 1  # the one that would give Daghulp away
    assert "1,7" not in mark


def test_a_report_without_figures_for_its_half_year_says_so(client, answers):
    make_report(period="2024-H1", summary="Samenvatting.")
    html = client.get("/cijfers/rapport/2024-H1/").content.decode()
    assert "Over dit half jaar zijn er nog geen cijfers" in html
    assert "cijfer-mark-mean" not in html and "6,4" not in html  # not another half-year's


def test_the_trend_stops_at_the_half_year_of_the_report(client, answers):
    for _ in range(12):
        answer(7, "2026-H1")
    make_report(period="2025-H2")
    html = client.get(URL).content.decode()
    assert "2026-H1" not in html


# --- stories --------------------------------------------------------------------------------


def test_an_approved_story_stands_beside_its_indicator_without_the_open_answer(client, answers):
    story = answer(
        8,
        "2025-H2",
        consent_to_quote=True,
        story_status=SurveyResponse.StoryStatus.APPROVED,
        story_text="Ik werd eindelijk gehoord.",
        story_indicator="mark_mean",
        most_important_change="Mijn mentor Jan op het Murmellius hielp.",
    )
    answer(
        8,
        "2025-H2",
        consent_to_quote=True,
        story_status=SurveyResponse.StoryStatus.PENDING,
        story_text="Nog niet gecontroleerd.",
        story_indicator="mark_mean",
    )
    StoryOfHalfYear.objects.create(
        half_year="2025-H2", story=story, why="Het laat zien wat luisteren doet.", published=True
    )
    make_report()
    html = client.get(URL).content.decode()
    mark = section(html, "cijfer-mark-mean")
    assert "Ik werd eindelijk gehoord." in mark
    assert "Een ouder · tweede helft van 2025" in mark
    assert "Nog niet gecontroleerd." not in html
    assert "Murmellius" not in html
    highlight = section(html, "verhaal-van-het-halfjaar")
    assert "Het laat zien wat luisteren doet." in highlight


# --- who sees what --------------------------------------------------------------------------


def test_a_draft_is_not_found_for_the_public_even_with_voorbeeld(client, answers):
    make_report(published=False)
    assert client.get(URL).status_code == 404
    assert client.get(URL + "?voorbeeld=1").status_code == 404


@pytest.mark.parametrize("period", ["2025-H3", "2025", "onzin", "2030-H1"])
def test_an_unknown_half_year_is_not_found(client, answers, period):
    make_report()
    assert client.get(f"/cijfers/rapport/{period}/").status_code == 404


def test_a_policy_officer_previews_a_draft_with_a_concept_banner(client, answers, policy_officer):
    make_report(published=False)
    client.force_login(policy_officer)
    assert client.get(URL).status_code == 404  # only when asked for a preview
    response = client.get(URL + "?voorbeeld=1")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<div class="report-draft" role="note">' in html
    assert "Dit rapport is nog niet openbaar" in html
    assert '<meta name="robots" content="noindex">' in html
    assert "no-store" in response["Cache-Control"]


def test_a_signed_in_user_without_rights_cannot_preview_a_draft(client, answers, participant):
    make_report(published=False)
    client.force_login(participant)
    assert client.get(URL + "?voorbeeld=1").status_code == 404


def test_a_published_report_has_no_concept_banner(client, answers, policy_officer):
    make_report()
    client.force_login(policy_officer)
    html = client.get(URL + "?voorbeeld=1").content.decode()
    assert "report-draft" not in html


def test_staff_texts_are_escaped_and_kept_in_paragraphs(client, answers):
    make_report(
        summary="<script>alert(1)</script>",
        analysis="Eerste alinea.\n\nTweede <b>alinea</b>.",
        implications='<a href="https://kwaad.example">klik</a>',
    )
    html = client.get(URL).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<p>Eerste alinea.</p>\n\n<p>Tweede &lt;b&gt;alinea&lt;/b&gt;.</p>" in html
    assert 'href="https://kwaad.example"' not in html


def test_the_list_shows_published_reports_newest_first(client, answers):
    make_report(period="2025-H1", title="Rapport voorjaar")
    make_report(period="2025-H2", title="Rapport najaar")
    make_report(period="2026-H1", title="Rapport in de maak", published=False)
    html = client.get(LIST_URL).content.decode()
    assert "Rapport in de maak" not in html
    assert html.index("Rapport najaar") < html.index("Rapport voorjaar")
    assert 'href="/cijfers/rapport/2025-H2/"' in html
    assert "Tweede helft van 2025" in html


def test_the_list_without_reports_says_there_are_none_yet(client, db):
    html = client.get(LIST_URL).content.decode()
    assert "Er zijn nog geen halfjaarrapporten" in html


# --- printing ---------------------------------------------------------------------------------


def test_the_report_links_the_print_stylesheet_and_an_external_print_script(client, answers):
    make_report()
    html = client.get(URL).content.decode()
    assert 'href="/static/feedback/report.css"' in html
    assert 'href="/static/feedback/charts.css"' in html
    assert '<script src="/static/feedback/print.js" defer></script>' in html
    assert "<script>" not in html  # nothing inline: the CSP forbids it
    assert "Ctrl+P" in html  # how to print without JavaScript
    assert "<button" in html and "data-print hidden" in html


def test_the_print_stylesheet_hides_the_site_around_the_report_on_a4():
    from django.contrib.staticfiles import finders

    css = Path(finders.find("feedback/report.css")).read_text(encoding="utf-8")
    print_rules = css[css.index("@media print") :]
    assert "size: A4" in css
    for selector in (".site-header", ".site-footer", ".skip-link", "wagtail-userbar"):
        assert selector in print_rules
    assert "break-before: page" in print_rules
    assert 'content: " (" attr(href) ")"' in print_rules


# --- actions ----------------------------------------------------------------------------------


def test_wat_deden_we_lists_published_actions_up_to_the_report(client, answers):
    report = make_report()
    report.published_at = timezone.make_aware(datetime.datetime(2026, 2, 1))
    report.save()
    in_half_year = timezone.make_aware(datetime.datetime(2025, 10, 1))
    before_report = timezone.make_aware(datetime.datetime(2026, 1, 15))
    after_report = timezone.make_aware(datetime.datetime(2026, 3, 1))
    Action.objects.create(
        title="Inloop op woensdag", description="x", published=True, first_published_at=in_half_year
    )
    Action.objects.create(
        title="Kortere wachttijd", description="x", published=True, first_published_at=before_report
    )
    Action.objects.create(
        title="Later besloten", description="x", published=True, first_published_at=after_report
    )
    Action.objects.create(title="Nog geheim", description="x", published=False)
    html = client.get(URL).content.decode()
    assert "Inloop op woensdag" in html
    assert "Kortere wachttijd" in html
    assert "Later besloten" not in html
    assert "Nog geheim" not in html


# --- the model and rights -------------------------------------------------------------------


def test_the_first_publication_is_stamped_once(db):
    report = make_report(published=False)
    assert report.published_at is None
    report.published = True
    report.save()
    first = report.published_at
    assert first is not None
    report.title = "Nieuwe titel"
    report.save()
    assert report.published_at == first


@pytest.mark.parametrize("period", ["2025-H3", "2025-h2", "25-H1", ""])
def test_a_period_that_is_not_a_half_year_is_refused(db, period):
    report = HalfYearReport(period=period, title="t", summary="s", analysis="a", implications="i")
    with pytest.raises(ValidationError) as error:
        report.full_clean()
    assert "period" in error.value.message_dict


def test_policy_officers_may_add_change_and_view_reports_but_not_delete(policy_officer):
    group = Group.objects.get(name="Beleidsmedewerkers")
    codenames = set(
        group.permissions.filter(content_type__model="halfyearreport").values_list(
            "codename", flat=True
        )
    )
    assert codenames == {"add_halfyearreport", "change_halfyearreport", "view_halfyearreport"}
    assert reports.can_preview(policy_officer)


def test_a_policy_officer_finds_halfjaarrapporten_in_the_admin(client, policy_officer):
    make_report(title="Rapport voor de raad")
    client.force_login(policy_officer)
    response = client.get("/beheer/halfjaarrapporten/")
    assert response.status_code == 200
    assert "Rapport voor de raad" in response.content.decode()
    assert "Halfjaarrapporten" in client.get("/beheer/").content.decode()


def test_the_admin_edit_page_links_to_a_preview_of_the_report(client, policy_officer):
    report = make_report(published=False)
    client.force_login(policy_officer)
    response = client.get(f"/beheer/halfjaarrapporten/edit/{report.pk}/")
    assert response.status_code == 200
    assert 'href="/cijfers/rapport/2025-H2/?voorbeeld=1"' in response.content.decode()


def test_a_user_without_rights_does_not_get_the_admin_list(client, participant):
    participant.is_staff = True
    participant.save()
    client.force_login(participant)
    assert client.get("/beheer/halfjaarrapporten/").status_code in (302, 403)


# --- the demo -------------------------------------------------------------------------------


def test_the_demo_report_describes_the_figures_and_is_made_once(answers):
    assert reports.seed_demo_report().endswith("created.")
    report = HalfYearReport.objects.get()
    assert report.period == "2025-H2"
    assert report.published
    assert "gemiddeld een 6,4" in report.summary
    # 2025-H1 is hidden, so there is nothing to compare with; no help type has a shown mark
    # beside another one, so none is named.
    assert "hoger" not in report.analysis and "lager" not in report.analysis
    assert "Daghulp" not in report.analysis
    assert reports.seed_demo_report().endswith("already there.")
    assert HalfYearReport.objects.count() == 1


def test_the_demo_report_names_the_highest_and_lowest_help_type_when_both_are_shown(db):
    for _ in range(12):
        answer(8, "2025-H2", HelpType.LOCAL_TEAM)
        answer(6, "2025-H2", HelpType.AMBULANT)
        answer(7, "2025-H2", HelpType.DAY_TREATMENT)
    reports.seed_demo_report()
    analysis = HalfYearReport.objects.get().analysis
    # Overall (96 + 72 + 84) / 36 = 7,0; per help type 8,0, 6,0 and 7,0, all n = 12.
    assert "Het hoogst is 'Lokaal team / CJG' (8,0), het laagst 'Ambulante hulp' (6,0)." in analysis


def test_period_labels_are_in_words():
    assert reports.period_label("2025-H2") == "tweede helft van 2025"
    assert reports.period_label("2026-H1") == "eerste helft van 2026"
    assert reports.period_label("2026-Q1") == "2026-Q1"
