"""Settings of the `manage.py restore` (and probe) processes tests/core/test_backups.py starts: the
test settings with MEDIA_ROOT from RESTORE_MEDIA_ROOT — a fresh media folder, as an operator's
restore has one."""

import os
from pathlib import Path

from config.settings.test import *  # noqa: F403

MEDIA_ROOT = Path(os.environ["RESTORE_MEDIA_ROOT"])
