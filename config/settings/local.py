"""Development and the quick-start (`make run`): embedded defaults, never for production."""

import base64
import os

from .base import *  # noqa: F403
from .base import BASE_DIR, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("SECRET_KEY", default="insecure-local-development-key-do-not-use-in-production")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])


def _quick_start_pii_key() -> str:
    """The key of var/pii.key, made on first run (core.pii): the quick-start needs no set-up, and
    the demo's ID numbers stay readable across restarts. Written beside and linked into place, so
    that processes starting together (make run) end up with one key."""
    path = BASE_DIR / "var" / "pii.key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f"pii.key.{os.getpid()}")
        draft.write_text(base64.urlsafe_b64encode(os.urandom(32)).decode(), encoding="ascii")
        draft.chmod(0o600)
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            draft.unlink()
    return path.read_text(encoding="ascii").strip()


PII_KEYS = env.list("PII_KEYS", default=[]) or [_quick_start_pii_key()]
