"""The PDFs (issue 4 §3): the check record (Y3.3, Y3.5), the inspection report (N13, N10(5)) and
the feedback letter (N14) — A4, the Chinese font embedded (pdffonts: pdftotext alone cannot see a
missing glyph), "第 N 页 共 M 页", the bureau's name, signatures and photo thumbnails, a
correction's version and reason — rendered through the Celery task functions. A real worker
renders one through Redis when REDIS_URL is set."""

import hashlib
import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings

from core.exceptions import ServiceError
from inspections.models import CheckRecord, Inspection, TargetResult
from inspections.services import documents, pdf
from inspections.tasks import (
    feedback_letter_render_task,
    record_pdf_render_task,
    report_pdf_render_task,
)
from tests.factories import CheckItemFactory
from tests.inspections import pdf_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]

A4_POINTS = (595.28, 841.89)


# -- reading PDFs with poppler ------------------------------------------------------------------------
def poppler(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True, timeout=60).stdout


def text_of(path: str) -> str:
    # -raw: in the order drawn, with the spaces as drawn ("第 1 页 共 3 页"; -layout drops them).
    return poppler("pdftotext", "-raw", path, "-")


def pages_of(path: str) -> list[tuple[float, float]]:
    """The size of every page in points."""
    info = poppler("pdfinfo", "-f", "1", "-l", "999", path)
    return [
        (float(w), float(h))
        for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+) pts", info)
    ]


def fonts_of(path: str) -> list[dict]:
    lines = poppler("pdffonts", path).splitlines()[2:]
    # name, type…, encoding, emb, sub, uni, object, generation: the flags are columns -5…-3.
    return [{"name": line.split()[0], "embedded": line.split()[-5] == "yes"} for line in lines]


def images_of(path: str) -> list[dict]:
    """Images drawn (pdfimages -list), without the transparency masks of the signatures."""
    lines = poppler("pdfimages", "-list", path).splitlines()[2:]
    rows = [line.split() for line in lines]
    return [
        {"page": int(r[0]), "width": int(r[3]), "height": int(r[4]), "enc": r[8]}
        for r in rows
        if r[2] == "image"
    ]


def assert_a4_with_cjk_font(path: str) -> None:
    pages = pages_of(path)
    assert pages and all(
        abs(w - A4_POINTS[0]) < 1 and abs(h - A4_POINTS[1]) < 1 for w, h in pages
    ), pages
    fonts = fonts_of(path)
    cjk = [f for f in fonts if "CJK" in f["name"]]
    assert cjk, fonts
    assert all(f["embedded"] for f in fonts), fonts  # nothing left to the reader's machine


def assert_page_footers(path: str) -> None:
    text = text_of(path)
    total = len(pages_of(path))
    for page in range(1, total + 1):
        assert f"第 {page} 页 共 {total} 页" in text


def stored(file) -> bytes:
    with file.storage.open(file.name, "rb") as handle:
        return handle.read()


# -- data --------------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def media(request, settings, tmp_path):
    """Files in a folder of the test's own, except for the worker's (config.settings.test)."""
    if "worker" not in request.fixturenames:
        settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def inspections(executed):
    return list(Inspection.objects.filter(task=executed.task).select_related("institution"))


@pytest.fixture
def twelve_items(check_items):
    """The lawyer sector's two items and ten more: a record of twelve rows (N9)."""
    extra = [
        CheckItemFactory(code=f"LS-1{k:02d}", name=f"律师执业行为规范与职业道德执行情况（{k}）")
        for k in range(1, 11)
    ]
    return [*check_items, *extra]


@pytest.fixture
def record(inspections, staff_user, twelve_items):
    return pdf_data.record_make(inspections[0], user=staff_user, check_items=twelve_items, photos=4)


@pytest.fixture
def report(executed, inspections, staff_user, leader_user, check_items):
    for inspection in inspections:
        pdf_data.record_make(inspection, user=staff_user, check_items=check_items, photos=0)
    return pdf_data.report_make(executed.task, user=staff_user, leader=leader_user)


# -- the check record ----------------------------------------------------------------------------------
class TestRecordPdf:
    def test_a4_font_embedded_footer_and_bureau(self, record):
        record_pdf_render_task(record.pk)

        record.refresh_from_db()
        path = record.pdf.path
        assert_a4_with_cjk_font(path)
        assert len(pages_of(path)) >= 2  # twelve rows with photos do not fit on one page
        assert_page_footers(path)
        text = text_of(path)
        assert settings.BUREAU_NAME in text

    def test_what_the_ningxia_form_records(self, record, inspections):
        record_pdf_render_task(record.pk)

        record.refresh_from_db()
        text = re.sub(r"\s+", "", text_of(record.pdf.path))
        institution = inspections[0].institution
        assert institution.name in text
        assert institution.credit_code in text
        assert institution.address in text
        assert "2026年4月8日" in text  # the date of the inspection
        for member in inspections[0].members.select_related("inspector"):
            # Y3.5: the team and the enforcement certificates they showed.
            assert member.inspector.name in text
            assert member.inspector.certificate_number in text
        for item in record.items.select_related("check_item"):  # N9: every item, numbered
            assert re.sub(r"\s+", "", item.check_item.name) in text
        assert "发现问题" in text and "符合要求" in text and "现场检查" in text
        assert "检查人员已出示行政执法证件" in text
        assert "已告知被检查对象依法享有的权利和应履行的义务" in text
        assert "对检查发现的问题无异议" in text  # the statement heard
        assert "利益冲突审查制度" in text  # questions and answers
        assert "张主任（律师事务所主任）" in text  # the representative
        for evidence in record.evidence.all():  # each file with its SHA-256
            assert evidence.sha256 in text

    def test_signatures_and_photo_thumbnails_not_full_photos(self, record):
        record_pdf_render_task(record.pk)

        record.refresh_from_db()
        images = images_of(record.pdf.path)
        photos = [i for i in images if i["enc"] == "jpeg"]
        signatures = [i for i in images if i["enc"] != "jpeg"]
        assert len(photos) == 4
        # The photos are 1600 × 1200; the record carries thumbnails.
        assert all(max(i["width"], i["height"]) <= pdf.THUMBNAIL_PX for i in photos)
        assert len(signatures) == record.signatures.count() == 3  # two inspectors, the target
        text = text_of(record.pdf.path)
        assert "2026年4月8日 11:01" in text  # when each signed
        assert "现场照片1.jpg" in text

    def test_a_correction_shows_its_version_and_reason(self, record, inspections, staff_user):
        correction = pdf_data.record_make(
            inspections[0],
            user=staff_user,
            check_items=[i.check_item for i in record.items.all()],
            version=2,
            correction_of=record,
            correction_reason="第 1 项检查方式填写错误，应为书面检查。",
        )

        record_pdf_render_task(correction.pk)

        correction.refresh_from_db()
        text = text_of(correction.pdf.path)
        assert "本记录为第 2 版，更正第 1 版。" in text
        assert "第 1 项检查方式填写错误，应为书面检查。" in text
        assert f"{inspections[0].pk}-2" in text  # the record's number carries the version

    def test_a_finding_longer_than_a_page_splits_where_it_falls(
        self, inspections, staff_user, check_items
    ):
        # A row too tall for any page is not pushed to the next one (a blank page behind it).
        finding = "\n".join([pdf_data.LONG_FINDING] * 25)
        record = pdf_data.record_make(
            inspections[0], user=staff_user, check_items=check_items, finding=finding
        )

        record_pdf_render_task(record.pk)

        record.refresh_from_db()
        path = record.pdf.path
        first_page = re.sub(r"\s+", "", poppler("pdftotext", "-raw", "-l", "1", path, "-"))
        assert "检查事项及检查情况" in first_page
        assert "该所已建立收案登记" in first_page  # the long row starts on page 1
        second_page = poppler("pdftotext", "-raw", "-f", "2", "-l", "2", path, "-")
        assert "该所已建立收案登记" in re.sub(r"\s+", "", second_page)  # and goes on

    def test_a_draft_says_so(self, inspections, staff_user, twelve_items):
        draft = pdf_data.record_make(
            inspections[1], user=staff_user, check_items=twelve_items, photos=0, submitted=False
        )
        record_pdf_render_task(draft.pk)

        draft.refresh_from_db()
        assert "草稿：尚未提交，不作为正式检查记录" in text_of(draft.pdf.path)

    def test_stored_with_its_hash_under_a_stable_name(self, record):
        first = record_pdf_render_task(record.pk)
        record.refresh_from_db()
        name = record.pdf.name

        second = record_pdf_render_task(record.pk)  # the task run twice (acks late)

        record.refresh_from_db()
        assert record.pdf.name == name == documents.record_pdf_name(record)
        assert first == second == record.pdf_sha256
        assert hashlib.sha256(stored(record.pdf)).hexdigest() == record.pdf_sha256
        assert sorted(Path(record.pdf.path).parent.glob(f"record-{record.inspection_id}-*")) == [
            Path(record.pdf.path)
        ]

    def test_a_drafts_rendering_is_replaced_after_a_change(
        self, inspections, staff_user, twelve_items
    ):
        draft = pdf_data.record_make(
            inspections[1], user=staff_user, check_items=twelve_items, photos=0, submitted=False
        )
        record_pdf_render_task(draft.pk)
        draft.refresh_from_db()
        before = draft.pdf_sha256

        CheckRecord.objects.filter(pk=draft.pk).update(place="被检查对象的档案室")
        record_pdf_render_task(draft.pk)

        draft.refresh_from_db()
        assert draft.pdf_sha256 != before
        assert draft.pdf.name == documents.record_pdf_name(draft)
        assert "被检查对象的档案室" in text_of(draft.pdf.path)
        assert hashlib.sha256(stored(draft.pdf)).hexdigest() == draft.pdf_sha256

    def test_a_missing_evidence_file_fails_and_stores_nothing(self, record):
        evidence = record.evidence.filter(content_type="image/jpeg").first()
        evidence.file.storage.delete(evidence.file.name)

        with pytest.raises(OSError):  # retried by the task (the storage may be back)
            documents.record_pdf_render(record=record)

        record.refresh_from_db()
        assert not record.pdf and not record.pdf_sha256

    def test_a_deleted_record_is_not_an_error(self):
        assert record_pdf_render_task(987654) is None

    def test_official_text_in_chinese_whatever_the_users_language(self, record):
        from django.utils import translation

        with translation.override("en"):
            record_pdf_render_task(record.pk)

        record.refresh_from_db()
        assert "第 1 页 共" in text_of(record.pdf.path)


# -- the inspection report -----------------------------------------------------------------------------
class TestReportPdf:
    def test_what_n13_requires_and_the_approvals(self, report, inspections, leader_user):
        report_pdf_render_task(report.pk)

        report.refresh_from_db()
        path = report.pdf.path
        assert_a4_with_cjk_font(path)
        assert_page_footers(path)
        text = re.sub(r"\s+", "", text_of(path))
        assert settings.BUREAU_NAME in text
        assert "2026年4月1日至2026年4月30日" in text  # time
        assert "律师事务所执业许可证与登记事项" in text  # content
        assert f"共抽查{len(inspections)}家检查对象" in text  # number of targets
        assert "收费票据与合同约定不一致" in text  # findings
        assert "对发现问题的律师事务所责令限期整改" in text  # handling opinions
        for result in report.results.select_related("inspection__institution"):
            assert result.inspection.institution.name in text  # each target's evaluation
        # Y3.6: the three categories, with the case number and the receiving authority.
        for label in TargetResult.Category.labels:
            assert str(label) in text
        assert "渝中司罚立〔2026〕3号" in text
        assert "重庆市渝中区市场监督管理局" in text
        # N10(5): the team leader and the leader in charge, with the times.
        assert "检查组组长审核" in text and "分管领导审批" in text
        assert "2026年5月7日15:00" in text and "2026年5月8日10:00" in text
        assert leader_user.username in text
        assert "不得公开" not in text

    def test_a_report_not_approved_says_it_may_not_be_published(
        self, executed, inspections, staff_user, leader_user, check_items
    ):
        for inspection in inspections:
            pdf_data.record_make(inspection, user=staff_user, check_items=check_items, photos=0)
        draft = pdf_data.report_make(
            executed.task, user=staff_user, leader=leader_user, approved=False
        )

        report_pdf_render_task(draft.pk)

        draft.refresh_from_db()
        assert "不得公开" in text_of(draft.pdf.path)

    def test_stored_with_its_hash(self, report):
        sha = report_pdf_render_task(report.pk)

        report.refresh_from_db()
        assert report.pdf.name == documents.report_pdf_name(report)
        assert sha == report.pdf_sha256 == hashlib.sha256(stored(report.pdf)).hexdigest()


# -- the feedback letter -------------------------------------------------------------------------------
class TestFeedbackLetter:
    def test_the_result_fed_back_to_the_target(self, report, inspections, staff_user):
        inspection = inspections[0]  # its result: case filed
        problem = inspection.records.get().items.get(outcome="problem")
        feedback = pdf_data.feedback_make(inspection, user=staff_user, rectify_item=problem)

        feedback_letter_render_task(feedback.pk)

        feedback.refresh_from_db()
        path = feedback.letter.path
        assert_a4_with_cjk_font(path)
        assert_page_footers(path)
        text = re.sub(r"\s+", "", text_of(path))
        assert f"{inspection.institution.name}：" in text  # addressed to the target
        assert settings.BUREAU_NAME in text
        assert "发现违法行为已由检查机关立案" in text
        assert "渝中司罚立〔2026〕3号" in text
        assert "未附委托代理合同原件" in text  # the problem found
        assert "2026年6月12日前完成整改" in text  # the ledger's due date
        assert "送达方式：当面送达" in text
        assert "2026年5月12日" in text
        assert feedback.letter_sha256 == hashlib.sha256(stored(feedback.letter)).hexdigest()
        assert feedback.letter.name == documents.feedback_letter_name(feedback)

    def test_no_letter_before_the_result_is_set(
        self, executed, inspections, staff_user, leader_user, check_items
    ):
        for inspection in inspections:
            pdf_data.record_make(inspection, user=staff_user, check_items=check_items, photos=0)
        pdf_data.report_make(executed.task, user=staff_user, leader=leader_user, approved=False)
        TargetResult.objects.filter(inspection=inspections[0]).update(category="")
        feedback = pdf_data.feedback_make(inspections[0], user=staff_user)

        with pytest.raises(ServiceError, match="检查结果尚未在抽查报告中确定"):
            documents.feedback_letter_render(feedback=feedback)

        feedback.refresh_from_db()
        assert not feedback.letter


# -- through a real worker -------------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs Redis: set REDIS_URL (CI does)")
def test_a_worker_renders_the_record_through_redis(worker, record):
    record_pdf_render_task.delay(record.pk)

    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        record.refresh_from_db()
        if record.pdf_sha256:
            break
        assert worker.poll() is None, worker.stdout.read().decode()
        time.sleep(0.5)
    assert record.pdf_sha256 == hashlib.sha256(stored(record.pdf)).hexdigest()
    assert_a4_with_cjk_font(record.pdf.path)
