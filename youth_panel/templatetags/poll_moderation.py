"""Template tags for the poll host pages: `{% word_moderation session as words %}`."""

from django import template

from youth_panel.models import PollSession
from youth_panel.moderation import moderation_summary

register = template.Library()


@register.simple_tag
def word_moderation(session: PollSession) -> dict:
    """moderation_summary() for the control page, without a change to its view."""
    return moderation_summary(session)
