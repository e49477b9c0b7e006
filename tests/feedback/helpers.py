"""Test helpers for the survey pages."""

from feedback.views_survey import TOKEN_KEY


def survey_post(client, url: str, data: dict | None = None):
    """POST a survey form the way the browser does: with the session's form token."""
    token = client.session.get(TOKEN_KEY)
    if not token:
        client.get(url)
        token = client.session.get(TOKEN_KEY, "")
    return client.post(url, {**(data or {}), "formtoken": token})
