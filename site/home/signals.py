"""Purge the anonymous page cache whenever what a visitor sees may have changed."""

from django.conf import settings
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


@receiver(post_delete, sender=settings.AUTH_USER_MODEL, dispatch_uid="forget-deleted-account")
def forget_deleted_account(sender, instance, **kwargs) -> None:
    """A deleted account leaves no login and no link behind (privacy register, issue 7).

    Its sessions on other devices are ended (the deleting request only ends its own), and
    Wagtail's audit logs and saved page versions keep what happened but no longer point to the
    account: their user columns have no foreign key constraint, so the id would stay, and a
    later account could get the same id (after a restore, a sequence restarts at the highest id).
    """
    from importlib import import_module

    from django.contrib.admin.models import LogEntry
    from django.contrib.contenttypes.models import ContentType
    from django.utils.translation import gettext as _
    from wagtail.models import ModelLogEntry, PageLogEntry, Revision

    store = import_module(settings.SESSION_ENGINE).SessionStore
    if hasattr(store, "get_model_class"):
        for session in store.get_model_class().objects.iterator():
            if session.get_decoded().get("_auth_user_id") == str(instance.pk):
                store(session_key=session.session_key).delete()
    for log in (PageLogEntry, ModelLogEntry):
        log.objects.filter(user_id=instance.pk).update(user=None)
    # Log entries about the account itself (edited, deleted) keep the act, not the name.
    account_type = ContentType.objects.get_for_model(sender)
    ModelLogEntry.objects.filter(content_type=account_type, object_id=str(instance.pk)).update(
        label=str(_("gewist account")), object_id=""
    )
    LogEntry.objects.filter(content_type=account_type, object_id=str(instance.pk)).update(
        object_repr=str(_("gewist account")), object_id=None
    )
    for key in ("owner", "locked_by"):
        for revision in Revision.objects.filter(**{f"content__{key}": instance.pk}):
            revision.content[key] = None
            revision.save(update_fields=["content"])
