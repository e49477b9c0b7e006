"""Local development and the one-command demo (SQLite, in-memory channel layer)."""

from config.env import env_bool, env_str

from .base import *  # noqa: F403

DEBUG = env_bool("DEBUG", True)

# The demo staff login (DEMO_STAFF_EMAIL) works with a password only; production asks staff
# for a second factor (config/security.py). STAFF_REQUIRE_MFA=1 tries that locally.
STAFF_REQUIRE_MFA = env_bool("STAFF_REQUIRE_MFA", False)

# Mails go to the console, or to files when EMAIL_FILE_PATH is set (the demo uses var/mail).
EMAIL_FILE_PATH = env_str("EMAIL_FILE_PATH")
if EMAIL_FILE_PATH:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# The demo serves collected files through WhiteNoise without the manifest step being required.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = DEBUG
