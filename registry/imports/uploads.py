"""The files of the admin's spreadsheet import (issue 12 §8). A file lives only between the check
(dry run) and the confirmation; it holds identity numbers and telephone numbers (SPEC §7), so it
is deleted once used — imported, cancelled, failed, replaced by a new upload — and one that a check
left behind (nobody confirmed) is deleted by `uploads_sweep` once older than
IMPORT_UPLOAD_MAX_AGE (beat every 15 minutes, and `manage.py import_uploads_sweep`).

Names are `<uuid hex>.upload` while waiting; the confirmation renames the file to
`<uuid hex>.importing` (atomic: of two confirmations of one file only one gets it) and touches it,
so the sweep leaves it alone while it is imported."""

import contextlib
import logging
import os
import time
import uuid
from pathlib import Path

from django.conf import settings

logger = logging.getLogger(__name__)

UPLOAD_DIR = Path(settings.MEDIA_ROOT) / "import-uploads"
WAITING, CLAIMED = ".upload", ".importing"


def upload_token(value: str) -> str:
    """The token of a stored upload (its uuid, hex); ValueError when `value` is not one — so a
    token never names a file outside the directory."""
    return uuid.UUID(value.removesuffix(WAITING)).hex


def upload_store(upload) -> str:
    """Write an uploaded file to the directory; returns its token."""
    UPLOAD_DIR.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    path = UPLOAD_DIR / f"{token}{WAITING}"
    try:
        with path.open("wb") as out:
            for chunk in upload.chunks():
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)  # a disk that filled up leaves no half file
        raise
    return token


def upload_path(token: str) -> Path:
    return UPLOAD_DIR / f"{token}{WAITING}"


def upload_touch(token: str) -> None:
    """The check is done: the time to confirm counts from now (a big file takes minutes)."""
    with contextlib.suppress(FileNotFoundError):
        os.utime(upload_path(token))


def upload_claim(token: str) -> Path | None:
    """Take the waiting file for its import, or None when it is gone or expired (then deleted)."""
    waiting, claimed = upload_path(token), UPLOAD_DIR / f"{token}{CLAIMED}"
    try:
        if time.time() - waiting.stat().st_mtime > settings.IMPORT_UPLOAD_MAX_AGE:
            waiting.unlink(missing_ok=True)
            return None
        waiting.rename(claimed)
    except FileNotFoundError:
        return None
    os.utime(claimed)
    return claimed


def upload_discard(token: str) -> None:
    for suffix in (WAITING, CLAIMED):
        (UPLOAD_DIR / f"{token}{suffix}").unlink(missing_ok=True)


def uploads_sweep(*, max_age: int | None = None) -> int:
    """Delete every file of the directory older than `max_age` seconds (IMPORT_UPLOAD_MAX_AGE);
    returns how many. Anything else that ended up there goes too: it is no one's."""
    max_age = settings.IMPORT_UPLOAD_MAX_AGE if max_age is None else max_age
    if not UPLOAD_DIR.is_dir():
        return 0
    cutoff, deleted = time.time() - max_age, 0
    for path in UPLOAD_DIR.iterdir():
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                deleted += 1
        except FileNotFoundError:
            continue  # confirmed or cancelled meanwhile
    if deleted:
        logger.info("deleted %s import upload(s) older than %s s", deleted, max_age)
    return deleted
