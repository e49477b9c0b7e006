"""Settings shared by every environment; the others start from here."""

from pathlib import Path

import dj_database_url
from csp.constants import NONCE, NONE, SELF
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
    "allauth.mfa",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    # Form widgets render through TEMPLATES (FORM_RENDERER), so templates/wagtailadmin/widgets/
    # can add the CSP nonce to Wagtail's inline date-picker scripts.
    "django.forms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Outermost but one, so it sees the cookies every inner middleware set.
    "config.pagecache.MarkCacheableMiddleware",
    # Content-Security-Policy on every response (config/security.py, CONTENT_SECURITY_POLICY).
    "config.security.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "config.language.CookieLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # The Wagtail admin login goes through allauth (second factor) and is rate-limited; staff
    # without a second factor in this session reach nothing but the MFA pages.
    "config.security.StaffLoginMiddleware",
    "config.security.StaffMFAMiddleware",
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
            # {% csp_nonce %} in every template, also in form widgets (no request there).
            "builtins": ["config.csp_tags"],
        },
    },
]

FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

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
# Explicit, so that a change of allauth's defaults shows up here. Counted in the default cache:
# Redis when REDIS_URL is set, so every server process shares the counts.
ACCOUNT_RATE_LIMITS = {
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reset_password": "20/m/ip,5/m/key",
    "reauthenticate": "10/m/user",
    "reset_password_from_key": "20/m/ip",
    "signup": "20/m/ip",
    "login": "30/m/ip",
    # Login codes: per address (the key) and per IP; a school shares one IP.
    "request_login_code": "20/m/ip,3/m/key",
    "login_failed": "10/m/ip,5/300s/key",
    "confirm_email": "1/10s/key",
}
# Never tell whether an address has an account: known and unknown addresses get the same answer.
ACCOUNT_PREVENT_ENUMERATION = True
# A login code works 3 times wrong, then the visitor must ask for a new one; it lasts 3 minutes.
ACCOUNT_LOGIN_BY_CODE_MAX_ATTEMPTS = 3
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 180
ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
ACCOUNT_LOGOUT_REDIRECT_URL = "/"

# --- Second factor for staff (allauth.mfa, config/security.py) -----------------------------
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Jeugdstem"
# Anyone with is_staff or access to /beheer/ must have used a second factor in the session
# before any page but the MFA pages works. The demo and the tests switch this off.
STAFF_REQUIRE_MFA = env_bool("STAFF_REQUIRE_MFA", True)
# Failed Wagtail admin logins: after this many per IP or per username within the window,
# /beheer/login/ answers 429 until the window has passed.
ADMIN_LOGIN_MAX_FAILURES = env_int("ADMIN_LOGIN_MAX_FAILURES", 10)
ADMIN_LOGIN_WINDOW_SECONDS = env_int("ADMIN_LOGIN_WINDOW_SECONDS", 15 * 60)

# --- Language -------------------------------------------------------------------------------
LANGUAGE_CODE = "nl"
LANGUAGES = [("nl", _("Nederlands")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_NAME = "taal"
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
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
# No avatars from gravatar.com: it would send a hash of each staff address to another host.
WAGTAIL_GRAVATAR_PROVIDER_URL = None

# --- Security defaults that hold everywhere -------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: Wagtail's admin takes the token from the page.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy (django-csp 4): scripts only from this site or with the per-response
# nonce; nothing from other hosts. config/security.py adds the socket address to connect-src
# and lets the Wagtail admin use inline styles (ADMIN_CSP_PREFIXES); the public site needs none.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "media-src": [SELF],
        "frame-src": [SELF],
        "worker-src": [SELF],
        "manifest-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}
ADMIN_CSP_PREFIXES = ("/beheer/",)

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
