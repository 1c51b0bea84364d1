"""Acuclinic settings: everything that differs between machines comes from the environment.

With nothing set, the app runs on an embedded default: SQLite, a Celery broker on the
filesystem (no server needed) and e-mail written to files under ``var/mail``.
"""

import datetime as dt
import os
from email.utils import parseaddr
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("ACUCLINIC_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", default=False)

_DEV_SECRET_KEY = "insecure-dev-key-only-for-debug-runs"
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not DEBUG and (len(SECRET_KEY) < 40 or SECRET_KEY == _DEV_SECRET_KEY):
    # Production must never run on a missing, short or published key.
    raise ImproperlyConfigured("SECRET_KEY must be set (40+ random characters) when DEBUG is off.")
SECRET_KEY = SECRET_KEY or _DEV_SECRET_KEY

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "crispy_forms",
    "crispy_bootstrap5",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "staff",
    "patients",
    "scheduling",
    "treatments",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files straight from the app process (compressed, cache-busting names); see STORAGES.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # ClinicSettings.load() reads the row once per request (never cached across requests).
    "scheduling.middleware.clinic_settings_per_request",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "staff.authentication.IdleLogoffMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After the password, a user with an authenticator app reaches only the code page (staff.two_factor).
    "staff.two_factor.TwoFactorMiddleware",
    # Last, as django-axes asks: it turns a refused login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clinic.urls"
WSGI_APPLICATION = "clinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "staff.context_processors.roles",
                "scheduling.context_processors.reminder_sweep",
                "scheduling.context_processors.pending_decisions",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
if os.environ.get("DATABASE_URL"):
    DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=60)}
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "acuclinic.sqlite3",
            # IMMEDIATE takes the write lock at BEGIN, so a check-then-insert inside
            # transaction.atomic() is serialized against other writers (no double booking).
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20},
        }
    }
# The owner of the tables, which `manage.py migrate` runs as (staff.db_roles): same server and
# database as DATABASE_URL, whose role is then neither superuser nor owner. Unset: one role.
DATABASE_OWNER = DATABASE_APP = None
if os.environ.get("DATABASE_OWNER_URL") and os.environ.get("DATABASE_URL"):
    _owner = dj_database_url.parse(os.environ["DATABASE_OWNER_URL"])
    DATABASE_OWNER = {key: _owner[key] for key in ("USER", "PASSWORD", "HOST", "PORT")}
    DATABASE_APP = {key: DATABASES["default"][key] for key in ("USER", "PASSWORD", "HOST", "PORT")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Auth -----------------------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# Sessions end with the browser, after IDLE_LOGOFF_MINUTES without a request, and at the latest
# after a working day.
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_AGE = 12 * 60 * 60
IDLE_LOGOFF_MINUTES = int(os.environ.get("IDLE_LOGOFF_MINUTES", "15"))
# Two-factor sign-in (TOTP, django-otp) is optional for every staff member; with this on, clinic
# admins must set it up before they reach any other page (staff.two_factor).
ACUCLINIC_REQUIRE_2FA_FOR_ADMINS = os.environ.get("ACUCLINIC_REQUIRE_2FA_FOR_ADMINS", "0") == "1"
OTP_TOTP_ISSUER = "Acuclinic"
# Password reset e-mails to one address within an hour (counted in the database).
PASSWORD_RESET_PER_HOUR = int(os.environ.get("PASSWORD_RESET_PER_HOUR", "3"))

# --- Login throttling (django-axes) -----------------------------------------------------------
# Failed logins are rows in the database (not the cache), so logins work with Redis down, and the
# clinic admin sees and releases lockouts under Clinic settings → Axes.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out login before checking it
    # ModelBackend, reading permissions and roles in one query per request.
    "staff.backends.RoleBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_MAX_FAILURES", "5"))
AXES_COOLOFF_TIME = dt.timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
# Locked per username (guesses spread over many addresses), per address (one guess against each
# of many accounts) and per username+address.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address", ["username", "ip_address"]]
# A success does not wipe the failures: with lockout by address, one insider's login would
# otherwise clear the guesses made from their address against everybody else.
AXES_RESET_ON_SUCCESS = False
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "staff.lockout.lockout_response"
# The client address: REMOTE_ADDR, unless the app runs behind a reverse proxy that sets a header
# (e.g. CLIENT_IP_HEADER=HTTP_X_FORWARDED_FOR with TRUSTED_PROXY_COUNT=1 behind one nginx). Only
# the entries the trusted proxies appended are believed, so a client cannot choose its address.
_client_ip_header = os.environ.get("CLIENT_IP_HEADER", "").strip()
AXES_IPWARE_META_PRECEDENCE_ORDER = (_client_ip_header, "REMOTE_ADDR") if _client_ip_header else ("REMOTE_ADDR",)
AXES_IPWARE_PROXY_COUNT = int(os.environ["TRUSTED_PROXY_COUNT"]) if os.environ.get("TRUSTED_PROXY_COUNT") else None
AXES_IPWARE_PROXY_ORDER = "right-most"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Files, not process memory: the web process must see what the worker writes (the reminder
    # sweep's heartbeat, scheduling.reminders.heartbeat).
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": VAR_DIR / "cache"}}

# --- Time -----------------------------------------------------------------------------------
LANGUAGE_CODE = "en-gb"
USE_I18N = True
USE_TZ = True
# The clinic's local zone: everything a person reads, and every rule that counts days or
# hours of the day, is in this zone. The database stores UTC.
TIME_ZONE = os.environ.get("CLINIC_TIME_ZONE", "Europe/London")
# Phone numbers typed without a country code are read as numbers of this region (ISO 3166 code).
PHONE_REGION = os.environ.get("PHONE_REGION", "GB")

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "staticfiles"))
# WhiteNoise serves STATIC_ROOT (filled by collectstatic) from the web process, compressed and
# under content-hashed names it may cache forever. With DEBUG on, runserver serves the sources.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
# Clinical photos: never under STATIC_ROOT and never served by URL; views stream them after a
# permission check.
PRIVATE_MEDIA_ROOT = Path(os.environ.get("PRIVATE_MEDIA_ROOT", VAR_DIR / "private-media"))

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# --- E-mail ---------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
# Production talks to the mail relay over TLS unless told otherwise: STARTTLS by default, or
# implicit TLS with EMAIL_USE_SSL=1 (port 465). The two are exclusive in Django.
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=not DEBUG and not EMAIL_USE_SSL)
EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "20"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "Acuclinic <reception@acuclinic.example>")
# Absolute base for links in e-mails (patients open them outside the app). In production it
# must be given, over https: a default would send patients links to somebody's laptop.
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000" if DEBUG else "")
if not DEBUG and not SITE_URL.startswith("https://"):
    raise ImproperlyConfigured("SITE_URL must be set to the https:// address patients reach when DEBUG is off.")
# Who gets an e-mail with the traceback of a server error (Django's mail_admins, DEBUG off):
# ADMINS="Lin Wei <lin@clinic.example>, ops@clinic.example".
ADMINS = [parseaddr(entry) for entry in env_list("ADMINS")]
SERVER_EMAIL = os.environ.get("SERVER_EMAIL", DEFAULT_FROM_EMAIL)

# --- Celery ---------------------------------------------------------------------------------
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
else:
    # No server needed: messages are files. A worker started with -B runs beat embedded.
    _broker_dir = VAR_DIR / "celery-broker"
    for _sub in ("out", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    # kombu's filesystem transport with atomic writes (see clinic/broker.py).
    CELERY_BROKER_TRANSPORT = "clinic.broker:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
# Safety: a task is acknowledged only after it ran, goes back to the queue if the worker dies,
# and a worker holds one message at a time.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 120
CELERY_TASK_SOFT_TIME_LIMIT = 90
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Beat keeps when each entry last ran in this file; its folder is made here so that
# `celery -A clinic beat` starts on a fresh machine (beat itself does not create it).
_beat_schedule = Path(os.environ.get("CELERY_BEAT_SCHEDULE_FILENAME", VAR_DIR / "celery-beat" / "schedule"))
_beat_schedule.parent.mkdir(parents=True, exist_ok=True)
CELERY_BEAT_SCHEDULE_FILENAME = str(_beat_schedule)
# A static schedule: beat only says "look for due reminders"; each reminder's due time lives in
# its database row (scheduling.reminders), never in a Celery eta/countdown.
CELERY_BEAT_SCHEDULE: dict = {
    # A sweep not started within the minute is dropped: the next one does the same work.
    "dispatch-reminders": {"task": "scheduling.dispatch_reminders", "schedule": 60.0, "options": {"expires": 50}},
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}
