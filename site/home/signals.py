"""Purge the anonymous page cache whenever what a visitor sees may have changed."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Page, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from config import pagecache
from home.glossary import forget_entries
from home.models import CoreTask, GlossaryTerm

page_published.connect(pagecache.purge, dispatch_uid="pagecache-published")
page_unpublished.connect(pagecache.purge, dispatch_uid="pagecache-unpublished")
post_page_move.connect(pagecache.purge, dispatch_uid="pagecache-moved")

for model in (GlossaryTerm, CoreTask, Site):
    post_save.connect(
        pagecache.purge, sender=model, dispatch_uid=f"pagecache-save-{model.__name__}"
    )
    post_delete.connect(
        pagecache.purge, sender=model, dispatch_uid=f"pagecache-delete-{model.__name__}"
    )

post_save.connect(forget_entries, sender=GlossaryTerm, dispatch_uid="glossary-forget-save")
post_delete.connect(forget_entries, sender=GlossaryTerm, dispatch_uid="glossary-forget-delete")
page_published.connect(forget_entries, dispatch_uid="glossary-forget-published")


@receiver(post_delete, dispatch_uid="pagecache-page-deleted")
def purge_on_page_delete(sender, instance, **kwargs) -> None:
    """A deleted page disappears from menus and listings: purge."""
    if isinstance(instance, Page):
        pagecache.purge()
