"""Settings shared by every environment; the others start from here."""

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from config.env import env_bool, env_int, env_list, env_str

SITE_DIR = Path(__file__).resolve().parent.parent.parent
BASE_DIR = SITE_DIR.parent

SECRET_KEY = env_str(
    "SECRET_KEY", "insecure-dev-key-change-me-0123456789abcdefghijklmnopqrstuvwxyz"
)
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "daphne",
    "home",
    "consultations",
    "youth_panel",
    "feedback",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "channels",
    "allauth",
    "allauth.account",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but one, so it sees the cookies every inner middleware set.
    "config.pagecache.MarkCacheableMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.language.CookieLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "config.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "home.context_processors.site_navigation",
            ],
        },
    },
]

ASGI_APPLICATION = "config.asgi.application"
WSGI_APPLICATION = "config.wsgi.application"

# --- Database -------------------------------------------------------------------------------
# Embedded default: one SQLite file in var/. With SQLite, WAL lets readers work while one
# writer writes, and BEGIN IMMEDIATE makes concurrent writers wait (busy timeout) instead of
# failing with "database is locked" when they upgrade a read transaction.
DATABASE_URL = env_str("DATABASE_URL")
if not DATABASE_URL:
    (BASE_DIR / "var").mkdir(exist_ok=True)
    DATABASE_URL = f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
        ),
    }
else:
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer and cache ---------------------------------------------------------
REDIS_URL = env_str("REDIS_URL")
REDIS_MAX_CONNECTIONS = env_int("REDIS_MAX_CONNECTIONS", 1000)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {
                # redis-py's default pool of 100 connections failed under a connect storm
                # (PITFALLS.md #8): size it explicitly.
                "hosts": [{"address": REDIS_URL, "max_connections": REDIS_MAX_CONNECTIONS}],
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "jeugdstem"),
            "OPTIONS": {"max_connections": REDIS_MAX_CONNECTIONS},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "jeugdstem",
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }

# Seconds an anonymous page stays in the page cache; publishing purges it earlier.
PAGE_CACHE_SECONDS = env_int("PAGE_CACHE_SECONDS", 600)

# --- Authentication -------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Participants sign in with a code sent by e-mail; they never set a password.
ACCOUNT_ADAPTER = "home.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_EMAIL_VERIFICATION_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_ON_GET = False
# Young people often share devices: a session ends when the browser closes.
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "Jeugdstem: "
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"

# --- Language -------------------------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "taal"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "Europe/Amsterdam"
USE_I18N = True
USE_TZ = True
WAGTAIL_I18N_ENABLED = False
WAGTAILADMIN_PERMITTED_LANGUAGES = [("nl", "Nederlands"), ("en", "English")]

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "var" / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = BASE_DIR / "var" / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- E-mail ---------------------------------------------------------------------------------
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Jeugdstem <noreply@jeugdstem.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# --- Wagtail --------------------------------------------------------------------------------
WAGTAIL_SITE_NAME = "Jeugdstem"
WAGTAILADMIN_BASE_URL = env_str("WAGTAILADMIN_BASE_URL", "http://localhost:8000")
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "key", "odt", "pdf", "pptx", "rtf", "txt", "xlsx", "zip"]
WAGTAIL_ENABLE_UPDATE_CHECK = False
WAGTAIL_ENABLE_WHATS_NEW_BANNER = False
WAGTAILADMIN_COMMENTS_ENABLED = True

# --- Security defaults that hold everywhere -------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "WARNING")},
}

# The structured demo content that `seed_demo` imports (never ../shared at run time).
DEMO_CONTENT_DIR = SITE_DIR / "home" / "content"
DEMO_STAFF_EMAIL = env_str("DEMO_STAFF_EMAIL", "beheer@jeugdstem.localhost")
DEMO_STAFF_PASSWORD = env_str("DEMO_STAFF_PASSWORD", "jeugdstem-demo")

# --- Post-case survey -----------------------------------------------------------------------
# Survey codes are stored as an HMAC with this key (defaults to SECRET_KEY).
SURVEY_CODE_KEY = env_str("SURVEY_CODE_KEY")
SURVEY_CODE_VALID_DAYS = env_int("SURVEY_CODE_VALID_DAYS", 30)
SURVEY_REMINDER_AFTER_DAYS = env_int("SURVEY_REMINDER_AFTER_DAYS", 10)
SURVEY_RETENTION_MONTHS = env_int("SURVEY_RETENTION_MONTHS", 24)
# Submitted answers are written together, this many at a time (or after SURVEY_RELEASE_MAX_HOURS),
# so that nothing in the database ties an answer to the moment its code was used.
SURVEY_RELEASE_BATCH = env_int("SURVEY_RELEASE_BATCH", 10)
SURVEY_RELEASE_MAX_HOURS = env_int("SURVEY_RELEASE_MAX_HOURS", 24)
# A survey session ends when the browser closes, or after this many idle minutes.
SURVEY_IDLE_MINUTES = env_int("SURVEY_IDLE_MINUTES", 30)

# --- Live poll rate limits ------------------------------------------------------------------
# Open poll sockets per client IP. A school hall can be 300 phones behind one public IP.
POLL_MAX_SOCKETS_PER_IP = env_int("POLL_MAX_SOCKETS_PER_IP", 300)
# Per client IP: {scope: (requests, seconds)}; 0 requests switches a scope off. A whole school
# class can share one IP, so these fit 300 phones (see youth_panel/ratelimit.py). Behind a
# proxy, the server must set REMOTE_ADDR from X-Forwarded-For (uvicorn --proxy-headers).
POLL_RATE_LIMITS = {
    "votes": (env_int("POLL_RATE_VOTES", 600), 60),
    "snapshot": (env_int("POLL_RATE_SNAPSHOT", 12000), 60),
    "code_misses": (env_int("POLL_RATE_CODE_MISSES", 120), 60),
}

# --- Youth panel (JPRA) ---------------------------------------------------------------------
# A parent confirms before an under-16 gets invitations: needed where consent is the legal basis
# (AVG art. 8 and UAVG art. 5: under 16). Switch off where another legal basis applies.
YOUTH_PANEL_PARENTAL_CONSENT_UNDER_16 = env_bool("YOUTH_PANEL_PARENTAL_CONSENT_UNDER_16", True)
# The parent's link works this many days; then purge_panel deletes the parent's address.
YOUTH_PANEL_PARENT_LINK_DAYS = env_int("YOUTH_PANEL_PARENT_LINK_DAYS", 14)

# --- Small-cell suppression (feedback/suppression.py) ---------------------------------------
# Every aggregate that leaves the database passes feedback/suppression.py. A cell with fewer
# respondents than this shows "te weinig reacties" (and cells that would give it away are hidden).
SUPPRESSION_MIN_N = env_int("SUPPRESSION_MIN_N", 10)
# A percentage is shown only when the number it is taken of is at least this.
SUPPRESSION_MIN_N_PERCENT = env_int("SUPPRESSION_MIN_N_PERCENT", 30)
# Counts on public pages are rounded to a multiple of this (1 switches rounding off).
PUBLIC_COUNT_ROUNDING = env_int("PUBLIC_COUNT_ROUNDING", 5)
# A type of help at a provider needs this many answers in a half-year before it can be
# flagged for a learning conversation (feedback/learning.py).
SIGNAL_MIN_N = env_int("SIGNAL_MIN_N", 30)
# Indicators read the pre-counted tallies (feedback/tally.py) where they can; False counts the
# raw answers every time (for the benchmark's baseline and for checking the tallies).
INDICATOR_TALLIES = True
