"""Production: refuses to start without SECRET_KEY, DATABASE_URL, ALLOWED_HOSTS and PII_KEYS."""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import MIDDLEWARE, env

for _name in ("SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS", "PII_KEYS"):
    if not env(_name, default=""):
        raise ImproperlyConfigured(f"{_name} must be set in production (see .env.example).")

DEBUG = False
# Static files served by gunicorn itself (after collectstatic at image build).
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]
SECRET_KEY = env("SECRET_KEY")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"

# E-mail, one rule (docs/deployment.md §8): EMAIL_URL configures SMTP (or the console); EMAIL_BACKEND
# names a backend that is not SMTP, and then EMAIL_URL stays unset. Both set, or the SMTP backend
# named without its URL, refuses to start instead of one silently winning. Neither: smtp://localhost:25.
SMTP_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
_email_url, _email_backend = env("EMAIL_URL", default=""), env("EMAIL_BACKEND", default="")
if _email_url and _email_backend:
    raise ImproperlyConfigured(
        "EMAIL_URL and EMAIL_BACKEND are both set: EMAIL_URL configures SMTP; set EMAIL_BACKEND "
        "only for a backend that is not SMTP, and then leave EMAIL_URL unset (see .env.example)."
    )
if _email_backend == SMTP_BACKEND:
    raise ImproperlyConfigured(
        f"EMAIL_BACKEND={SMTP_BACKEND}: configure SMTP with EMAIL_URL instead, e.g. "
        "EMAIL_URL=smtp+tls://user:password@mail.example.gov.cn:587 (see .env.example)."
    )
if _email_backend:
    EMAIL_BACKEND = _email_backend
else:
    try:
        _email = env.email_url_config(_email_url or "smtp://localhost:25")
    except ImproperlyConfigured as exc:
        raise ImproperlyConfigured(f"EMAIL_URL: {exc} (see docs/deployment.md §8).") from exc
    EMAIL_BACKEND = _email["EMAIL_BACKEND"]
    EMAIL_HOST = _email["EMAIL_HOST"] or "localhost"
    EMAIL_PORT = _email["EMAIL_PORT"] or 25
    EMAIL_HOST_USER = _email["EMAIL_HOST_USER"] or ""
    EMAIL_HOST_PASSWORD = _email["EMAIL_HOST_PASSWORD"] or ""
    EMAIL_USE_TLS = _email.get("EMAIL_USE_TLS", False)
    EMAIL_USE_SSL = _email.get("EMAIL_USE_SSL", False)
