"""Store a new draft version on publish, and purge the page cache when comments change."""

from django.db.models.signals import post_delete, post_save
from wagtail.signals import page_published

from config import pagecache
from consultations.drafts import sync_version
from consultations.models import Comment, ConsultationPage


def store_draft_version(sender, instance, **kwargs) -> None:
    """A published change of the draft text becomes the next version."""
    sync_version(instance)


page_published.connect(store_draft_version, sender=ConsultationPage, dispatch_uid="draft-version")

# Comments and answers appear on the cached public page.
post_save.connect(pagecache.purge, sender=Comment, dispatch_uid="pagecache-save-Comment")
post_delete.connect(pagecache.purge, sender=Comment, dispatch_uid="pagecache-delete-Comment")
