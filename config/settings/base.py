"""Settings shared by every environment; values come from the environment (django-environ)."""

import datetime as dt
import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
env = environ.Env()
# The deployer's `.env` beside manage.py (docs/deployment.md §3); DJANGO_ENV_FILE names another
# file, or none when set empty (the test settings do). The environment wins over the file.
ENV_FILE = os.environ.get("DJANGO_ENV_FILE", str(BASE_DIR / ".env"))
if ENV_FILE:
    environ.Env.read_env(ENV_FILE, overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    # Django's admin, its site asking staff for the second factor (core.adminsite, issue 14 §1).
    "core.apps.BureauAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "simple_history",
    "import_export",
    "django_celery_beat",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "core",
    "registry",
    "inspections",
    "publication",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before anything reads the body (issue 14 §5).
    "core.middleware.RequestSizeMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.ChineseFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    # After the language and CSRF middleware, so that its 400 page has both; before any view.
    "core.middleware.QueryStringMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether the session passed the second factor (core.twofactor).
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Identity (core.identity): sessions' idle and absolute limits, then the forced change of an
    # initial password; axes' middleware answers a locked-out login 429.
    "core.identity.SessionLimitsMiddleware",
    "core.identity.PasswordChangeMiddleware",
    # 三员分立 (issue 14 §2): the three administrators only on their own screens.
    "core.middleware.SeparationOfDutiesMiddleware",
    "axes.middleware.AxesMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
                "core.context_processors.bureau",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Passwords (issue 14 §1, GB/T 22239 8.1.4.1 a): 10 characters, 3 of the 4 classes, not like the
# user's names, not a common one.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "core.identity.PasswordClassesValidator"},
]

# Lockout (django-axes, core.identity): 5 failures for an account or 20 from an address lock for
# 30 minutes; failures during the lock are refused uncounted (never extending it); a success
# forgets the account's failures only. Axes checks every authenticate() call, hence first.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_HANDLER = "core.identity.LockoutHandler"
AXES_FAILURE_LIMIT = 5  # the account's; the address's (20) is core.identity's
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = dt.timedelta(minutes=30)
AXES_RESET_ON_SUCCESS = True
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "core.identity.lockout_response"
AXES_CLIENT_IP_CALLABLE = "core.audit.client_address"  # the audit trail's address too
# Logs name the path and mask the user name and address, never a password; axes' own admin is
# replaced by the security administrator's (core.admin.security); successful logins belong to
# the audit trail, not to a second log.
AXES_VERBOSE = False
AXES_ENABLE_ADMIN = False
AXES_DISABLE_ACCESS_LOG = True
# Proxies in front of Django that set X-Forwarded-For (docs/deployment.md §6); 0: REMOTE_ADDR
# is the client, and a client's own X-Forwarded-For is ignored.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Sessions end after 30 minutes idle and 12 hours absolute, checked on the server
# (core.identity); the cookie lasts no longer than the absolute limit either.
SESSION_COOKIE_AGE = 12 * 3600

# Chinese first: every screen and document defaults to zh-hans; English is selectable.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
# The project's catalogues, then Chinese for the strings Django's own zh_Hans catalogues lack
# (locale-django/README.md): kept apart, so that makemessages never marks them obsolete.
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale-django"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

LOGIN_URL = "admin:login"

# Hardening in every environment, so that the tests and `make run` see what production sends
# (issue 14 §5; docs/security.md §加固). Production adds TLS, HSTS and secure cookies.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: forms carry the token, and the tablet's scripts take it from
# the form they send.
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (django-csp): no inline script or style anywhere, no framing, no
# plug-ins; every script and style sheet is a static file. The few style attributes that
# third-party admin templates write (django-import-export, django-simple-history) are allowed by
# their hashes, nothing else ('unsafe-hashes' admits hashed attributes only). Checked with the
# policy enforced in Chromium: tests/browser/test_csp.py.
CSP_STYLE_ATTRIBUTE_HASHES = [
    "'sha256-mHgUAqxc8GPXM/QhzkHrHujcrQTU9fd6ZjWz+icxKcA='",  # import-export export.html "padding: 0;"
    "'sha256-+YWRMZ88jMyO7jVlBA52tZADiPobPIUA8LAWee68Fvs='",  # … "font-weight: bold;"
    "'sha256-XMXSevYjgSjXgRafBFDvtjwX+yyWLrxfso9DcNZ9UXM='",  # simple-history list "border-top: 0"
]
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-hashes'", *CSP_STYLE_ATTRIBUTE_HASHES],
        "img-src": ["'self'"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "frame-src": ["'none'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "report-uri": env.list("CSP_REPORT_URI", default=[]) or None,
    },
}
# The staff's second factor (core.twofactor): the name authenticator apps show, and django-otp's
# throttling (after n wrong codes in a row the next waits factor × 2^(n-1) seconds). The keys
# are shown in the admin's device lists as "***" only.
OTP_TOTP_ISSUER = env("OTP_TOTP_ISSUER", default="双随机一公开监管平台")
OTP_TOTP_THROTTLE_FACTOR = env.int("OTP_TOTP_THROTTLE_FACTOR", default=1)
OTP_STATIC_THROTTLE_FACTOR = env.int("OTP_STATIC_THROTTLE_FACTOR", default=1)
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# The bureau's name appears on public pages and documents.
BUREAU_NAME = env("BUREAU_NAME", default="重庆市渝中区司法局")
# The site's public address, for links in e-mails (e.g. https://inspections.example.gov.cn).
SITE_URL = env("SITE_URL", default="")

# The credit-information sharing platform (Y3.6): published results are pushed there as JSON
# batches. Empty: batches are written under MEDIA_ROOT/credit-feed/ for manual upload.
CREDIT_FEED_URL = env("CREDIT_FEED_URL", default="")
CREDIT_FEED_TOKEN = env("CREDIT_FEED_TOKEN", default="")
CREDIT_FEED_TIMEOUT = env.int("CREDIT_FEED_TIMEOUT", default=20)
CREDIT_FEED_BATCH_SIZE = env.int("CREDIT_FEED_BATCH_SIZE", default=500)

# Celery: Redis when REDIS_URL is set; otherwise kombu's filesystem transport (no server needed).
REDIS_URL = env("REDIS_URL", default="")
BROKER_DIR = Path(env("BROKER_DIR", default=str(BASE_DIR / "var" / "broker")))
# Tasks are acknowledged when they end (acks late, below). Redis hands a task not acknowledged
# within the visibility timeout to a worker again: a task whose worker was killed runs again after
# at most this long, and a task still running after it runs twice. The longest task (a report PDF
# of a 2,000-target task: 30–40 s, twice that if the data change meanwhile) stays far below the hard
# time limit, which stays below the timeout; retries wait at most 10 min (core.tasks). Why 15 min:
# docs/deployment.md §13.1.
BROKER_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=900)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=300)
CELERY_TASK_SOFT_TIME_LIMIT = max(CELERY_TASK_TIME_LIMIT - 30, 1)
if BROKER_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        f"CELERY_VISIBILITY_TIMEOUT ({BROKER_VISIBILITY_TIMEOUT} s) must be longer than "
        f"CELERY_TASK_TIME_LIMIT ({CELERY_TASK_TIME_LIMIT} s), or a task still running is "
        "delivered a second time (docs/deployment.md §13.1)."
    )
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": BROKER_VISIBILITY_TIMEOUT}
else:
    # The filesystem transport ignores the host, but kombu warns "No hostname was supplied" each
    # time a URL without one is described (worker and beat start-up): name it.
    CELERY_BROKER_URL = "filesystem://localhost/"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(BROKER_DIR / "queue"),
        "data_folder_out": str(BROKER_DIR / "queue"),
        "processed_folder": str(BROKER_DIR / "processed"),
        # Exchange tables (fanout, remote control); kombu's default is ./control.
        "control_folder": str(BROKER_DIR / "control"),
        "store_processed": False,
    }
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = False
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"

# Staff downloads (core/downloads.py): empty, Django streams the file; with a prefix such as
# "/_protected/", the response only names the file for the proxy's internal location
# (X-Accel-Redirect, docs/deployment.md §6).
PROTECTED_MEDIA_ACCEL_PREFIX = env("PROTECTED_MEDIA_ACCEL_PREFIX", default="")

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
# Seconds per SMTP operation; Django's default is to wait for ever, which would hold a worker (and
# its task past the broker's visibility timeout) on a relay that accepts and never answers.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="noreply@localhost")

# Simple-history: who changed what, from the request's user (N6, Y4(2)).
SIMPLE_HISTORY_HISTORY_ID_USE_UUID = False
SIMPLE_HISTORY_REVERT_DISABLED = True

# django-import-export: all or nothing (one bad row → nothing written).
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# Exporting needs the model's view permission (no export for accounts outside the roles).
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
# Files larger than this are refused before parsing.
IMPORT_MAX_BYTES = env.int("IMPORT_MAX_BYTES", default=200 * 1024 * 1024)
# Upload limits (issue 14 §5; docs/security.md §加固). The largest body any screen takes is a
# registry import: a request over IMPORT_MAX_BYTES plus 1 MiB for the form around it is refused
# from its Content-Length before it is read (core.middleware.RequestSizeMiddleware, 413); nginx's
# client_max_body_size says the same (docs/deployment.md §6). Evidence files: 10 MB each
# (inspections.services.records.evidence). The non-file part of a body (forms, the tablet's JSON
# with a signature image) stays within Django's 2.5 MiB; files over 2.5 MiB are spooled to disk.
REQUEST_MAX_BYTES = env.int("REQUEST_MAX_BYTES", default=IMPORT_MAX_BYTES + 2**20)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# Django's defaults, said here so that they are seen: the largest form (a plan's inline sections,
# a changelist's selected rows) stays far below 1,000 fields; an evidence upload sends one file
# from the tablet's script, a few from the form without it.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 100
# Seconds an uploaded file waits for its confirmation after the check; then it is deleted (it
# holds identity numbers: registry.imports.uploads).
IMPORT_UPLOAD_MAX_AGE = env.int("IMPORT_UPLOAD_MAX_AGE", default=3600)
# An .xlsx is a zip: one that would unpack to more is refused before anything is unpacked (the
# national practitioners file, 27 MiB, unpacks to about 300 MiB).
IMPORT_MAX_UNPACKED_BYTES = env.int("IMPORT_MAX_UNPACKED_BYTES", default=1024 * 1024 * 1024)

# Personal data (ID numbers, phones) are stored encrypted with these Fernet keys (core.pii): the
# first encrypts, all decrypt; rotation in docs/security.md §个人信息保护. Production requires them;
# the quick-start makes one in var/ (local settings), the tests have their own.
PII_KEYS = env.list("PII_KEYS", default=[])

# Every handler masks ID-number and phone shapes (core.pii.PersonalDataFilter), and the 500 e-mail
# to ADMINS is masked as a whole (its body is rebuilt from the exception): nothing personal in logs
# or error reports (issue 14 §4). The "django" logger is Django's own default, with that handler.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "personal_data": {"()": "core.pii.PersonalDataFilter"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler", "filters": ["personal_data"]},
        "mail_admins": {
            "level": "ERROR",
            "class": "core.pii.PersonalDataAdminEmailHandler",
            "filters": ["require_debug_false", "personal_data"],
        },
    },
    "loggers": {"django": {"handlers": ["mail_admins"], "level": "INFO"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
SIMPLE_HISTORY_ENFORCE_HISTORY_MODEL_PERMISSIONS = True
