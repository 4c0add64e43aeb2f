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

# Hardening (issue 14 §5; docs/security.md §加固). `manage.py check --deploy --fail-level WARNING`
# passes with these (tests/test_hardening.py).
# TLS ends at the proxy, which sets (overwrites) the header named here: "HTTP_X_FORWARDED_PROTO"
# for X-Forwarded-Proto (docs/deployment.md §6). Empty: no proxy, Django sees TLS itself.
_proxy_ssl_header = env("SECURE_PROXY_SSL_HEADER", default="HTTP_X_FORWARDED_PROTO")
SECURE_PROXY_SSL_HEADER = (_proxy_ssl_header, "https") if _proxy_ssl_header else None
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
# The container's liveness probe asks over plain HTTP on the loopback, past the proxy.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
# HSTS for a year on this host and the hosts below it (the platform has its own host name, e.g.
# inspections.<bureau>.gov.cn: includeSubDomains never reaches the bureau's other sites). Not
# preloaded: the preload list is keyed by the registrable domain, which belongs to the bureau or
# the government portal, not to this application (security.W021 silenced for that reason).
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)

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
