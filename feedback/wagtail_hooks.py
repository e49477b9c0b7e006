"""Wagtail admin wiring for the feedback app."""

from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet

from feedback.models import Provider


class ProviderViewSet(ModelViewSet):
    """The list of providers and CJG teams that staff keep, with who works for them."""

    model = Provider
    icon = "group"
    menu_label = _("Aanbieders")
    add_to_admin_menu = True
    menu_order = 400
    list_display = ["name", "is_cjg", "active"]
    form_fields = ["name", "is_cjg", "active", "members"]
    search_fields = ["name"]


@hooks.register("register_admin_viewset")
def register_provider_viewset():
    """Aanbieders in the admin menu."""
    return ProviderViewSet("providers")
