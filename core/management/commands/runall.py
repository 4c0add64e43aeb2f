"""`python manage.py runall [--host H] [--port P] [--log-dir DIR]`: the web server, a Celery
worker and beat together, as `make run` starts them (issue 12 §11).

Ctrl-C, SIGTERM or SIGHUP stops each of the three exactly once, by its pid, with SIGTERM (the
worker's warm shutdown: it finishes what it runs), and waits for them; one that has not ended
after --grace seconds is killed with its process group. Each child runs in its own session, so the
terminal's Ctrl-C reaches only this process and the signal is not delivered twice (a second
SIGINT makes Celery shut down cold). If one of them ends on its own (e.g. the port is taken), the
others are stopped too. Exit status: 0 when stopped on request and all three ended cleanly.

`make run` used to do this with `trap 'kill 0' EXIT INT TERM` in the recipe's shell: `kill 0`
signalled its own process group — make, the shell itself and the worker's pool processes — and
re-entered the trap, so the worker logged "Warm shutdown" thousands of times and make reported
a segmentation fault.
"""

import contextlib
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

POLL = 0.2  # seconds between looks at the children
REPEAT_ESCALATES_AFTER = 1.0  # a second signal later than this kills what is left


@dataclass
class Child:
    name: str
    argv: list[str]
    log: Path | None  # None: the terminal's
    process: subprocess.Popen | None = None
    signalled: bool = False
    killed: bool = False
    output: object = field(default=None, repr=False)

    def start(self, cwd: Path) -> None:
        self.output = self.log.open("ab") if self.log else None
        self.process = subprocess.Popen(
            self.argv,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=self.output,
            stderr=subprocess.STDOUT if self.output else None,
            start_new_session=True,  # its own process group, out of the terminal's reach
        )

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def group_alive(self) -> bool:
        """Anything left in its process group (runserver's reloaded child, pool processes)."""
        try:
            os.killpg(self.process.pid, 0)
        except (ProcessLookupError, PermissionError):
            return False
        return True

    def kill_group(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.killed = True


class Command(BaseCommand):
    help = _(
        "同时启动网站、Celery worker 和 beat（make run）；Ctrl-C 或 SIGTERM 使三者各停止一次，并等待其退出。"
    )
    requires_system_checks = []  # the web server runs them itself

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", default="8000")
        parser.add_argument("--log-dir", default=str(Path(settings.BASE_DIR) / "var"))
        parser.add_argument(
            "--grace",
            type=float,
            default=30.0,
            help=_("停止时最多等待的秒数，超时则强制结束（默认 30）"),
        )

    def handle(self, *args, **options):
        log_dir = Path(options["log_dir"])
        log_dir.mkdir(parents=True, exist_ok=True)
        python = sys.executable
        celery = [python, "-m", "celery", "-A", "config"]
        self.children = [
            Child(
                "worker",
                [*celery, "worker", "-l", "info", "--concurrency", "2"],
                log_dir / "worker.log",
            ),
            Child("beat", [*celery, "beat", "-l", "info"], log_dir / "beat.log"),
            Child(
                "web",
                [python, "manage.py", "runserver", f"{options['host']}:{options['port']}"],
                None,
            ),
        ]
        self.grace = options["grace"]
        self.stop_requested_at: float | None = None
        self.force = False
        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        status = self._run()
        sys.exit(status)

    def _on_signal(self, signum, frame) -> None:
        now = time.monotonic()
        if self.stop_requested_at is None:
            self.stop_requested_at = now
        elif now - self.stop_requested_at > REPEAT_ESCALATES_AFTER:
            # Asked again (not the same request delivered twice, e.g. by make and the terminal).
            self.force = True

    def _run(self) -> int:
        for child in self.children:
            child.start(Path(settings.BASE_DIR))
        self.stdout.write(
            _("  Celery worker 日志 → %(worker)s，beat 日志 → %(beat)s")
            % {"worker": self.children[0].log, "beat": self.children[1].log}
        )
        self.stdout.flush()
        ended = self._watch()
        if ended is not None:
            self.stderr.write(
                _("%(name)s 已退出（状态 %(code)s），正在停止其余进程……")
                % {"name": ended.name, "code": ended.process.returncode}
            )
        self._stop()
        clean = all(c.process.returncode == 0 and not c.killed for c in self.children)
        if ended is not None:
            return ended.process.returncode or 1
        if clean:
            self.stdout.write(_("已全部停止。"))
            return 0
        return 1

    def _watch(self) -> Child | None:
        """Until a stop is asked for (None) or a child ends on its own (that child)."""
        while self.stop_requested_at is None:
            for child in self.children:
                if not child.running:
                    return child
            time.sleep(POLL)
        return None

    def _stop(self) -> None:
        running = [c for c in self.children if c.running]
        if running:
            self.stdout.write(
                _("正在停止：%(names)s……") % {"names": "、".join(c.name for c in running)}
            )
            self.stdout.flush()
        for child in running:
            child.process.send_signal(signal.SIGTERM)  # once, by its pid
            child.signalled = True
        deadline = time.monotonic() + self.grace
        while any(c.running or c.group_alive() for c in self.children):
            if self.force or time.monotonic() > deadline:
                for child in self.children:
                    if child.running or child.group_alive():
                        self.stderr.write(
                            _("%(name)s 未能及时退出，已强制结束。") % {"name": child.name}
                        )
                        child.kill_group()
                        child.process.wait()
                break
            time.sleep(POLL)
        for child in self.children:
            if child.output:
                child.output.close()
