"""Test helpers for the survey pages and for answers behind the figures."""

from collections.abc import Callable

from feedback import tally
from feedback.choices import AgeBand, District, EndReason, HelpType, Respondent
from feedback.models import SurveyResponse
from feedback.views_survey import TOKEN_KEY


def survey_post(client, url: str, data: dict | None = None):
    """POST a survey form the way the browser does: with the session's form token."""
    token = client.session.get(TOKEN_KEY)
    if not token:
        client.get(url)
        token = client.session.get(TOKEN_KEY, "")
    return client.post(url, {**(data or {}), "formtoken": token})


def answers(
    marks: list[int],
    district: str = District.OUDORP,
    end_period: str = "2026-H1",
    *,
    provider=None,
    extra: Callable[[int], dict] | None = None,
    rebuild: bool = True,
) -> None:
    """Real (not synthetic) youth answers with a mark (and `extra(mark)` fields), then the
    tallies brought up to date unless `rebuild` is False."""
    SurveyResponse.objects.bulk_create(
        SurveyResponse(
            respondent=Respondent.YOUTH,
            period=f"{end_period[:4]}-{'03' if end_period.endswith('1') else '09'}",
            provider=provider,
            help_type=HelpType.AMBULANT,
            end_reason=EndReason.AS_PLANNED,
            district=district,
            age_band=AgeBand.AGE_16_17,
            end_period=end_period,
            usefulness=mark,
            **(extra(mark) if extra else {}),
        )
        for mark in marks
    )
    if rebuild:
        tally.rebuild()
