"""Posters and short URLs per channel: an arrival counts once, without cookies, and leads on.

Personas: `policy_officer` has Wagtail admin access and makes posters; `reader` is signed in
without admin access; an anonymous visitor only follows short URLs.
"""

from __future__ import annotations

import datetime
import re
import threading

import pytest
import qrcode
import zxingcpp
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageDraw

from consultations.models import ArrivalCount
from consultations.posters import count_arrival, find_poster_target
from youth_panel.models import PollSession

Channel = ArrivalCount.Channel
POSTER_URL = "/inspraak-acties/poster/"


def counts() -> dict[tuple[str, int, str], int]:
    """Every counter, summed over days, by (kind, target id, channel)."""
    totals: dict[tuple[str, int, str], int] = {}
    for row in ArrivalCount.objects.all():
        key = (row.target_kind, row.target_id, row.channel)
        totals[key] = totals.get(key, 0) + row.count
    return totals


def qr_cells(svg: str) -> set[tuple[int, int]]:
    """The dark modules of a QR code drawn by qrcode's SvgPathImage (one square per module)."""
    return {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)H", svg)}


def expected_cells(data: str) -> set[tuple[int, int]]:
    """The dark modules qrcode draws for `data`, with the same defaults as the poster."""
    code = qrcode.QRCode()
    code.add_data(data)
    code.make(fit=True)
    return {(x, y) for y, row in enumerate(code.get_matrix()) for x, dark in enumerate(row) if dark}


def poster_qr(html: str) -> str:
    """The QR code's SVG on a poster page."""
    match = re.search(r'<div class="poster-qr"[^>]*>(<svg.*?</svg>)</div>', html, re.S)
    assert match, "no QR code on the poster"
    return match.group(1)


@pytest.fixture
def poll(db) -> PollSession:
    return PollSession.objects.create(title="Wat vind jij van het jongerencentrum?")


# --- arriving through a short URL -----------------------------------------------------------


def test_a_school_poster_arrival_counts_once_and_leads_to_the_consultation(client, consultation):
    response = client.get(f"/k/i{consultation.pk}/school/")

    assert response.status_code == 302
    assert response["Location"] == consultation.url
    assert "?" not in response["Location"]  # the page cache keeps working
    assert counts() == {("consultation", consultation.pk, "school"): 1}


def test_every_get_counts_and_the_printed_address_without_slash_works(client, consultation):
    client.get(f"/k/i{consultation.pk}/bushokje/")
    response = client.get(f"/k/I{consultation.pk}/Bushokje")

    assert response.status_code == 302
    assert counts() == {("consultation", consultation.pk, "bushokje"): 2}


def test_a_head_request_is_not_counted(client, consultation):
    response = client.head(f"/k/i{consultation.pk}/spandoek/")

    assert response.status_code == 302
    assert ArrivalCount.objects.count() == 0


def test_a_link_preview_in_a_chat_app_is_not_counted(client, consultation):
    response = client.get(f"/k/i{consultation.pk}/social/", HTTP_USER_AGENT="WhatsApp/2.24")

    assert response.status_code == 302
    assert ArrivalCount.objects.count() == 0


def test_an_arrival_sets_no_cookie_and_is_never_cached(client, consultation):
    response = client.get(f"/k/i{consultation.pk}/cjg/")

    assert response.cookies == {}
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]
    assert "X-Page-Cacheable" not in response


def test_an_unknown_channel_still_leads_on_and_counts_as_anders(client, consultation):
    response = client.get(f"/k/i{consultation.pk}/flyer-markt/")

    assert response.status_code == 302
    assert response["Location"] == consultation.url
    assert counts() == {("consultation", consultation.pk, "anders"): 1}


def test_an_unknown_target_gets_the_friendly_404_and_counts_nothing(client, consultation):
    response = client.get("/k/i999999/school/")
    poll_response = client.get("/k/ZZZZZZ/school/")

    assert response.status_code == 404
    assert poll_response.status_code == 404
    assert "Deze pagina bestaat niet" in response.content.decode()
    assert ArrivalCount.objects.count() == 0


def test_an_unpublished_consultation_is_not_found(client, consultation):
    consultation.unpublish()

    assert client.get(f"/k/i{consultation.pk}/school/").status_code == 404


def test_a_poll_arrival_leads_to_the_phone_page_however_the_code_is_typed(client, poll):
    response = client.get(f"/k/{poll.join_code.lower()}/school/")

    assert response.status_code == 302
    assert response["Location"] == f"/p/{poll.join_code}/"
    assert counts() == {("poll", poll.pk, "school"): 1}


def test_arrivals_are_counted_per_day(consultation):
    target = find_poster_target(f"i{consultation.pk}")
    monday, tuesday = datetime.date(2026, 3, 2), datetime.date(2026, 3, 3)

    count_arrival(target, Channel.SCHOOL, monday)
    count_arrival(target, Channel.SCHOOL, monday)
    count_arrival(target, Channel.SCHOOL, tuesday)

    rows = ArrivalCount.objects.order_by("date").values_list("date", "count")
    assert list(rows) == [(monday, 2), (tuesday, 1)]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_twenty_phones_arriving_at_once_count_twenty():
    session = PollSession.objects.create(title="Tegelijk")
    threads_count = 20
    barrier = threading.Barrier(threads_count)
    statuses: list[object] = [None] * threads_count

    def arrive(number: int) -> None:
        try:
            barrier.wait(timeout=60)
            statuses[number] = Client().get(f"/k/{session.join_code}/school/").status_code
        except Exception as exc:  # noqa: BLE001 - kept and asserted below
            statuses[number] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=arrive, args=(i,)) for i in range(threads_count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert statuses == [302] * threads_count
    assert ArrivalCount.objects.count() == 1
    assert ArrivalCount.objects.get().count == threads_count


# --- the poster page ------------------------------------------------------------------------


def test_the_poster_page_sends_an_anonymous_visitor_to_the_login_page(client, consultation):
    response = client.get(POSTER_URL, {"doel": f"i{consultation.pk}"})

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_the_poster_page_is_refused_to_someone_without_admin_access(client, reader):
    client.force_login(reader)

    assert client.get(POSTER_URL).status_code == 403


def test_staff_choose_target_channel_and_size_in_a_plain_form(client, policy_officer, poll):
    client.force_login(policy_officer)

    html = client.get(POSTER_URL).content.decode()

    assert '<form method="get"' in html
    for name in ("doel", "kanaal", "formaat"):
        assert f'<label for="id_{name}">' in html
    assert f'value="{poll.join_code}"' in html
    assert 'class="poster ' not in html  # no target chosen yet, so no poster


def test_the_poster_shows_the_short_url_with_its_channel_and_an_svg_qr_code(
    client, policy_officer, consultation
):
    client.force_login(policy_officer)

    response = client.get(POSTER_URL, {"doel": f"i{consultation.pk}", "kanaal": "bushokje"})
    html = response.content.decode()

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "Praat mee over" in html
    assert consultation.title in html
    assert f'<p class="poster-url">testserver/k/i{consultation.pk}/bushokje</p>' in html
    assert f'role="img" aria-label="QR-code naar testserver/k/i{consultation.pk}/bushokje"' in html
    assert poster_qr(html).startswith("<svg")
    assert "size: A4 portrait" in html
    assert ArrivalCount.objects.count() == 0  # making a poster is not an arrival


def test_the_qr_code_holds_the_short_url_with_the_channel_tag(client, policy_officer, consultation):
    client.force_login(policy_officer)

    html = client.get(POSTER_URL, {"doel": f"i{consultation.pk}", "kanaal": "cjg"}).content
    svg = poster_qr(html.decode())

    assert qr_cells(svg) == expected_cells(f"http://testserver/k/i{consultation.pk}/cjg")


def test_the_qr_code_decodes_to_the_short_url_with_the_channel_tag(
    client, policy_officer, consultation
):
    client.force_login(policy_officer)
    html = client.get(POSTER_URL, {"doel": f"i{consultation.pk}", "kanaal": "school"}).content
    cells = qr_cells(poster_qr(html.decode()))
    # Draw the modules as a bitmap with a white quiet zone, then read it with a real decoder.
    size = max(max(x for x, _ in cells), max(y for _, y in cells)) + 5
    scale = 8
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for x, y in cells:
        draw.rectangle([x * scale, y * scale, (x + 1) * scale - 1, (y + 1) * scale - 1], fill=0)

    decoded = [barcode.text for barcode in zxingcpp.read_barcodes(image)]

    assert decoded == [f"http://testserver/k/i{consultation.pk}/school"]
    # ... and that address counts and leads to the consultation.
    response = Client().get(decoded[0])
    assert response["Location"] == consultation.url
    assert counts() == {("consultation", consultation.pk, "school"): 1}


def test_a_poll_poster_shows_the_join_code_and_prints_on_a3(client, policy_officer, poll):
    client.force_login(policy_officer)

    html = client.get(POSTER_URL, {"doel": poll.join_code, "formaat": "a3"}).content.decode()

    assert "Doe mee met de peiling" in html
    assert f'<p class="poster-code">{poll.join_code}</p>' in html
    assert f"testserver/k/{poll.join_code}/school" in html  # school is the first channel
    assert "size: A3 portrait" in html


def test_an_unknown_target_on_the_poster_form_is_an_error_not_a_crash(client, policy_officer):
    client.force_login(policy_officer)

    response = client.get(POSTER_URL, {"doel": "i999999"})

    assert response.status_code == 200
    assert 'class="error-summary"' in response.content.decode()


def test_staff_see_the_arrivals_per_channel(client, policy_officer, consultation):
    target = find_poster_target(f"i{consultation.pk}")
    today = timezone.localdate()
    for _ in range(3):
        count_arrival(target, Channel.SCHOOL, today)
    count_arrival(target, Channel.CJG, today)
    count_arrival(target, Channel.CJG, today - datetime.timedelta(days=30))
    client.force_login(policy_officer)

    response = client.get(POSTER_URL, {"doel": f"i{consultation.pk}"})
    rows = {row["channel"]: row for row in response.context["arrivals"]["rows"]}

    assert (rows["school"]["recent"], rows["school"]["total"]) == (3, 3)
    assert (rows["cjg"]["recent"], rows["cjg"]["total"]) == (1, 2)
    assert (rows["spandoek"]["recent"], rows["spandoek"]["total"]) == (0, 0)
    assert response.context["arrivals"]["total"] == 5
    html = response.content.decode()
    assert '<th scope="row">CJG</th>' in html
    assert f"testserver/k/i{consultation.pk}/spandoek" in html


# --- links to the poster page ---------------------------------------------------------------


def test_the_consultation_page_links_to_its_poster_for_staff_only(
    client, policy_officer, consultation
):
    poster_link = f"{POSTER_URL}?doel=i{consultation.pk}"

    assert poster_link not in client.get(consultation.url).content.decode()
    client.force_login(policy_officer)
    assert poster_link in client.get(consultation.url).content.decode()


def test_the_poll_control_page_links_to_its_poster(client, policy_officer, poll):
    poll.hosts.add(policy_officer)
    client.force_login(policy_officer)

    html = client.get(f"/p/{poll.join_code}/bediening/").content.decode()

    assert f"{POSTER_URL}?doel={poll.join_code}" in html
