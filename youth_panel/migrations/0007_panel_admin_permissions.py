"""The right to invite the youth panel, and the policy staff's rights on the panel screen.

Django makes permissions only after the last migration (post_migrate), so the two that the
group needs are made here first; Django then finds them and leaves them alone.
"""

from django.db import migrations

POLICY_GROUP = "Beleidsmedewerkers"  # consultations.rules.POLICY_GROUP, frozen for this migration
RIGHTS = [
    ("view_panelmember", "Can view panellid"),
    ("invite_panelmember", "Mag het jongerenpanel uitnodigen"),
]


def grant_panel_rights(apps, schema_editor):
    """Give Beleidsmedewerkers the panel list and the invitations (rights are only added)."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    db = schema_editor.connection.alias
    content_type, _ = ContentType.objects.using(db).get_or_create(
        app_label="youth_panel", model="panelmember"
    )
    permissions = [
        Permission.objects.using(db).get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )[0]
        for codename, name in RIGHTS
    ]
    group, _ = Group.objects.using(db).get_or_create(name=POLICY_GROUP)
    group.permissions.add(*permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("youth_panel", "0006_help_text_spelling"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="panelmember",
            options={
                "ordering": ["-joined_at"],
                "permissions": [("invite_panelmember", "Mag het jongerenpanel uitnodigen")],
                "verbose_name": "panellid",
                "verbose_name_plural": "panelleden",
            },
        ),
        # Taking the rights away again is left to an administrator.
        migrations.RunPython(grant_panel_rights, migrations.RunPython.noop),
    ]
