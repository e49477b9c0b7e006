"""Who may do what in the feedback app: named predicates, used by views and templates alike."""

from __future__ import annotations

from django.db.models import QuerySet

from feedback.models import Provider

SAFEGUARDING_GROUP = "Signalen"  # designated professionals who follow up danger signals


def providers_for(user) -> QuerySet[Provider]:
    """The providers whose cases this user may register and see (all, for policy staff)."""
    if not user.is_authenticated:
        return Provider.objects.none()
    if user.is_superuser or user.has_perm("feedback.view_case"):
        return Provider.objects.filter(active=True)
    return user.providers.filter(active=True)


def can_register_cases(user, provider: Provider | None = None) -> bool:
    """Provider and CJG staff register closed cases for their own organisation."""
    providers = providers_for(user)
    return providers.filter(pk=provider.pk).exists() if provider else providers.exists()


def can_follow_up_signals(user) -> bool:
    """Designated professionals see flagged open answers."""
    return user.is_authenticated and (
        user.is_superuser or user.has_perm("feedback.view_safeguardingflag")
    )


def can_moderate_stories(user) -> bool:
    """Staff who decide whether a consented story may be quoted."""
    return user.is_authenticated and (user.is_superuser or user.has_perm("feedback.moderate_story"))


def can_see_all_providers(user) -> bool:
    """Staff who may compare providers (dashboards with a provider split, learning signals)."""
    return user.is_authenticated and (user.is_superuser or user.has_perm("feedback.view_provider"))
