"""No silent tofu (issue 12 §9): on a machine without the Noto CJK faces a PDF would be set in
DejaVu with a box for every Chinese character and stored with its hash. Instead nothing is
rendered (a clear error; the Celery task retries later), and `manage.py check` and
`/healthz?details=1` say what is missing. The missing fonts are real: the subprocesses run with a
fontconfig configuration that knows only DejaVu."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from inspections.models import CheckRecord
from inspections.services import pdf
from inspections.tasks import record_pdf_render_task
from tests.inspections import pdf_data

ROOT = Path(__file__).resolve().parents[2]
DEJAVU = "/usr/share/fonts/truetype/dejavu"

PROBE = """
import json, django
django.setup()
from django.test import Client
from inspections.services import pdf
out = {}
try:
    pdf.render(pdf.Source("<p>检查记录</p>", pdf.Images()))
    out["render"] = "rendered"
except pdf.FontsMissing as exc:
    out["render"] = str(exc.message)
# Even when fontconfig's answer is not asked (or wrong), the embedded fonts are checked.
pdf._font_check.update(pid=__import__("os").getpid(), at=1e18, missing=[])
try:
    pdf.render(pdf.Source("<p>检查记录</p>", pdf.Images()))
    out["after"] = "rendered"
except pdf.FontsMissing as exc:
    out["after"] = exc.missing
pdf._font_check.clear()
response = Client().get("/healthz", {"details": "1"}, HTTP_HOST="localhost")
out["healthz"] = [response.status_code, response.json()]
print(json.dumps(out, ensure_ascii=False))
"""


@pytest.fixture
def without_cjk(tmp_path) -> dict:
    if not Path(DEJAVU).is_dir():
        pytest.skip("DejaVu (a Chromium and WeasyPrint dependency) is not installed")
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">'
        f"<fontconfig><dir>{DEJAVU}</dir><cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    return {
        **os.environ,
        "FONTCONFIG_FILE": str(conf),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }


def test_nothing_rendered_and_healthz_says_why(without_cjk):
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=without_cjk,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert "缺少中文字体" in out["render"] and "fonts-noto-cjk" in out["render"]
    assert out["after"] == list(pdf.REQUIRED_FONTS)
    status, details = out["healthz"]
    assert status == 503
    assert details["ok"] is False
    assert details["checks"]["pdf_fonts"]["problems"] == [
        f"missing font: {f}" for f in pdf.REQUIRED_FONTS
    ]


def test_manage_py_check_reports_it(without_cjk):
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=without_cjk,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "inspections.W001" in done.stderr + done.stdout
    assert "Noto Serif CJK SC" in done.stderr + done.stdout


def test_with_the_fonts_all_is_well(client):
    assert pdf.fonts_missing(fresh=True) == []
    response = client.get("/healthz", {"details": "1"})
    assert response.status_code == 200
    assert response.json()["checks"]["pdf_fonts"] == {"ok": True, "problems": []}
    assert client.get("/healthz").content == b"ok"  # liveness stays trivial


@pytest.mark.django_db
@pytest.mark.usefixtures("on_draw_day")
def test_the_task_retries_and_stores_nothing(executed, staff_user, check_items, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    inspection = executed.task.inspections.first()
    record = pdf_data.record_make(inspection, user=staff_user, check_items=check_items, photos=0)
    pdf._font_check.update(pid=os.getpid(), at=1e18, missing=["Noto Serif CJK SC"])
    try:
        result = record_pdf_render_task.apply(args=[record.pk])
    finally:
        pdf._font_check.clear()
    # Eager: the retries ran at once and the last one gave up with the reason.
    assert isinstance(result.result, pdf.FontsMissing)
    assert result.state == "FAILURE"
    record = CheckRecord.objects.get(pk=record.pk)
    assert not record.pdf and not record.pdf_sha256
