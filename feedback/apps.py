"""The post-case survey and the learning loop."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    """Post-case survey and learning loop (filled by the survey and learning-loop issues)."""

    name = "feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        """Admin hooks kept in their own module (Wagtail only finds wagtail_hooks.py itself),
        and the signals that keep the pre-counted indicator tallies up to date."""
        from django.db.models.signals import post_delete, post_save, pre_save

        from feedback import tally, wagtail_hooks_learning, wagtail_hooks_reports  # noqa: F401
        from feedback.models import Case, Invitation, Provider, SurveyResponse

        uid = "feedback.tally."
        post_save.connect(tally.answer_saved, SurveyResponse, dispatch_uid=uid + "answer")
        post_delete.connect(tally.answer_deleted, SurveyResponse, dispatch_uid=uid + "answer")
        pre_save.connect(tally.case_saving, Case, dispatch_uid=uid + "case")
        post_save.connect(tally.case_saved, Case, dispatch_uid=uid + "case")
        post_delete.connect(tally.case_deleted, Case, dispatch_uid=uid + "case")
        pre_save.connect(tally.invitation_saving, Invitation, dispatch_uid=uid + "invitation")
        post_save.connect(tally.invitation_saved, Invitation, dispatch_uid=uid + "invitation")
        post_delete.connect(tally.invitation_deleted, Invitation, dispatch_uid=uid + "invitation")
        post_delete.connect(tally.provider_deleted, Provider, dispatch_uid=uid + "provider")
