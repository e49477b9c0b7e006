"""The staff groups' rights on consultations, granted after every `migrate`.

Rights are only added, never taken away, so what an administrator adds by hand stays.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from consultations.rules import MODERATORS_GROUP, POLICY_GROUP

GROUP_PERMISSIONS = {
    # Policy staff answer comments, keep the list of organisations, confirm members and read
    # the results of youth rounds.
    POLICY_GROUP: [
        ("wagtailadmin", "access_admin"),
        ("consultations", "view_comment"),
        ("consultations", "change_comment"),
        ("consultations", "answer_comment"),
        ("consultations", "view_organisation"),
        ("consultations", "add_organisation"),
        ("consultations", "change_organisation"),
        ("consultations", "view_membership"),
        ("consultations", "change_membership"),
        ("consultations", "delete_membership"),
        ("consultations", "view_youth_results"),
    ],
    # Moderators publish or hide comments; they read memberships to know who wrote.
    MODERATORS_GROUP: [
        ("wagtailadmin", "access_admin"),
        ("consultations", "view_comment"),
        ("consultations", "change_comment"),
        ("consultations", "moderate_comment"),
    ],
}


def ensure_groups(**_kwargs) -> None:
    """Create the groups when missing and give them their consultation rights."""
    for name, wanted in GROUP_PERMISSIONS.items():
        permissions = [
            permission
            for app_label, codename in wanted
            for permission in Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            )
        ]
        if len(permissions) < len(wanted):
            return  # permissions are made after the last app migrated; try again then
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(*permissions)
