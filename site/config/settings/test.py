"""Test settings: fast hashing, in-memory defaults, 'testserver' allowed."""

from .base import *  # noqa: F403
from .base import ALLOWED_HOSTS

DEBUG = False
SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdefghijklmnopqrstuvwxyz"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ACCOUNT_RATE_LIMITS = False
# Most tests log staff in with force_login; tests/security turns these back on.
STAFF_REQUIRE_MFA = False
# Tests serve static files from the app folders; nothing is collected.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# A file, not memory, for the SQLite test database: threads in concurrency tests then share it
# the way server processes do (WAL, busy timeout) instead of failing with "table is locked".
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    import os
    import tempfile

    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(tempfile.gettempdir(), f"jeugdstem-test-{os.getpid()}.sqlite3")
    }

# Tests release each submitted answer at once; the batching has its own test.
SURVEY_RELEASE_BATCH = 1
