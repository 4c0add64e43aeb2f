"""The check record's services (Y3.3, Y3.5, N9, N11): started from the task's check items, saved
idempotently as the inspector types, evidence checked by content and stripped of location data,
signatures on the tablet, submitted only when complete, locked, corrected as a new version."""

import hashlib
import io

import pytest
from PIL import Image

from core.exceptions import ServiceError
from inspections.models import CheckRecord, CheckRecordItem, Inspection, Signature
from inspections.services import records
from inspections.services.records import (
    evidence_add,
    evidence_remove,
    record_correct,
    record_save_draft,
    record_start,
    record_state,
    record_submit,
)
from inspections.services.signatures import signature_add, signature_remove
from inspections.tasks import record_pdf_render_task
from tests.inspections.fieldwork_data import (
    EXE_BYTES,
    PDF_BYTES,
    VISIT,
    complete,
    jpeg_bytes,
    png_bytes,
    signature_data_url,
    upload,
)

pytest_plugins = ["tests.inspections.fieldwork_fixtures"]

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("on_draw_day", "on_visit_day", "media_in_tmp"),
]

Outcome = CheckRecordItem.Outcome


@pytest.fixture
def record(inspection, team) -> CheckRecord:
    return record_start(inspection=inspection, user=team[0])


@pytest.fixture
def enqueued(monkeypatch):
    """The ids the PDF task is enqueued with (the broker is not this test's business)."""
    ids = []
    monkeypatch.setattr(record_pdf_render_task, "delay", ids.append)
    return ids


def save(record, user, revision, fields=None, items=None) -> CheckRecord:
    return record_save_draft(
        record=record, user=user, revision=revision, fields=fields or {}, items=items or {}
    )


def snapshot(record: CheckRecord) -> dict:
    record = CheckRecord.objects.get(pk=record.pk)
    state = record_state(record)
    state.pop("saved_at")
    return state | {"evidence": list(record.evidence.values_list("pk", flat=True))}


class TestStart:
    def test_one_row_per_check_item_of_the_task_in_order(self, record, inspection, check_items):
        # N9: no item of the sector's list left out
        assert record.version == 1 and record.status == CheckRecord.Status.DRAFT
        rows = list(record.items.order_by("order"))
        assert [r.check_item for r in rows] == check_items
        assert [r.order for r in rows] == [1, 2]
        assert all(r.outcome == "" for r in rows)
        assert record.inspected_on == VISIT
        inspection.refresh_from_db()
        assert inspection.status == Inspection.Status.IN_PROGRESS

    def test_starting_again_returns_the_same_draft(self, record, inspection, team):
        again = record_start(inspection=inspection, user=team[1])
        assert again.pk == record.pk
        assert inspection.records.count() == 1

    def test_only_the_team_may_start(self, inspection, outsider):
        with pytest.raises(ServiceError, match="不是该检查组的成员"):
            record_start(inspection=inspection, user=outsider)
        assert not inspection.records.exists()

    def test_a_cancelled_inspection_takes_no_record(self, inspection, team):
        Inspection.objects.filter(pk=inspection.pk).update(status=Inspection.Status.CANCELLED)
        inspection.refresh_from_db()
        with pytest.raises(ServiceError, match="已取消"):
            record_start(inspection=inspection, user=team[0])


class TestSaveDraft:
    def test_applies_a_newer_revision(self, record, team):
        item = record.items.first()
        saved = save(
            record,
            team[0],
            1,
            {"place": "律所会议室", "certificates_shown": True, "inspected_on": "2026-04-07"},
            {str(item.pk): {"outcome": "problem", "finding": "未公示收费标准"}},
        )
        state = record_state(saved)
        assert state["revision"] == 1
        assert state["fields"]["place"] == "律所会议室"
        assert state["fields"]["certificates_shown"] is True
        assert state["fields"]["inspected_on"] == "2026-04-07"
        assert state["items"][str(item.pk)]["outcome"] == "problem"
        assert state["items"][str(item.pk)]["finding"] == "未公示收费标准"

    def test_a_duplicate_changes_nothing(self, record, team):
        save(record, team[0], 1, {"place": "第一次"})
        save(record, team[0], 2, {"place": "第二次"})
        before = snapshot(record)
        # The first save resent (a retried request, the offline queue): nothing moves.
        again = save(record, team[0], 2, {"place": "第二次"})
        older = save(record, team[0], 1, {"place": "第一次"})
        assert again.revision == older.revision == 2
        assert snapshot(record) == before
        assert record_state(older)["fields"]["place"] == "第二次"

    def test_a_partial_update_keeps_the_other_fields(self, record, team):
        save(record, team[0], 1, {"place": "会议室", "statement": "无异议"})
        save(record, team[1], 2, {"statement": "对第二项有异议"})
        record.refresh_from_db()
        assert (record.place, record.statement) == ("会议室", "对第二项有异议")

    @pytest.mark.parametrize(
        ("fields", "items", "message"),
        [
            ({"inspected_on": "2026-13-40"}, None, "检查日期”不是有效的日期"),
            ({"place": "长" * 201}, None, "检查地点”最多 200 个字"),
            ({"certificates_shown": "yes"}, None, "已出示执法证件”应为是或否"),
            ({"status": "submitted"}, None, "不能修改字段“status”"),
            (
                None,
                {"ITEM": {"outcome": "great"}},
                "第 1 项“律师事务所执业许可证与登记事项”的检查结果无效",
            ),
            (None, {"ITEM": {"method": "telepathy"}}, "检查方式无效"),
            (None, {"999999": {"outcome": "compliant"}}, "检查事项 999999 不属于"),
        ],
    )
    def test_a_bad_value_is_named_and_nothing_is_saved(self, record, team, fields, items, message):
        save(record, team[0], 1, {"place": "会议室"})
        before = snapshot(record)
        first = str(record.items.order_by("order").first().pk)
        items = {first if k == "ITEM" else k: v for k, v in (items or {}).items()}
        with pytest.raises(ServiceError, match=message):
            save(record, team[0], 2, {"summary": "会被丢弃", **(fields or {})}, items)
        assert snapshot(record) == before

    def test_only_the_team_may_save(self, record, outsider):
        with pytest.raises(ServiceError, match="不是该检查组的成员"):
            save(record, outsider, 1, {"place": "别人的"})
        record.refresh_from_db()
        assert record.revision == 0


class TestEvidence:
    def test_a_photo_is_stored_with_the_sha256_of_the_stored_bytes(self, record, team):
        evidence = evidence_add(
            record=record, user=team[0], upload=upload("现场.jpg", jpeg_bytes())
        )
        stored = evidence.file.read()
        assert evidence.sha256 == hashlib.sha256(stored).hexdigest()
        assert evidence.size == len(stored)
        assert evidence.content_type == "image/jpeg"
        assert evidence.original_name == "现场.jpg"

    def test_location_and_camera_data_do_not_survive(self, record, team):
        # issue 4 §1: images re-encoded with location data stripped
        original = jpeg_bytes(gps=True)
        assert Image.open(io.BytesIO(original)).getexif().get_ifd(0x8825)
        evidence = evidence_add(record=record, user=team[0], upload=upload("gps.jpg", original))
        stored = Image.open(io.BytesIO(evidence.file.read()))
        assert not stored.getexif()
        assert not stored.getexif().get_ifd(0x8825)
        assert "exif" not in stored.info and "comment" not in stored.info
        assert b"Jiefangbei" not in evidence.file.open().read()

    def test_a_photo_is_turned_upright(self, record, team):
        # Orientation 6: the camera was held sideways; the stored photo is upright instead.
        photo = jpeg_bytes(orientation=6, size=(64, 48))
        evidence = evidence_add(record=record, user=team[0], upload=upload("side.jpg", photo))
        assert Image.open(evidence.file).size == (48, 64)

    def test_png_and_pdf_are_accepted_by_content(self, record, team):
        png = evidence_add(record=record, user=team[0], upload=upload("scan", png_bytes()))
        # The name says photo, the content says PDF: the content decides.
        pdf = evidence_add(record=record, user=team[0], upload=upload("x.jpg", PDF_BYTES))
        assert (png.content_type, pdf.content_type) == ("image/png", "application/pdf")
        assert pdf.file.read() == PDF_BYTES  # PDFs are kept byte for byte
        assert pdf.file.name.endswith(".pdf")

    def test_the_same_file_sent_twice_is_kept_once(self, record, team):
        # A retried upload (the network dropped before the answer came back).
        first = evidence_add(record=record, user=team[0], upload=upload("a.jpg", jpeg_bytes()))
        again = evidence_add(record=record, user=team[1], upload=upload("a.jpg", jpeg_bytes()))
        assert again.pk == first.pk
        assert record.evidence.count() == 1

    def test_evidence_for_one_item(self, record, team):
        item = record.items.order_by("order").last()
        evidence = evidence_add(
            record=record, user=team[0], upload=upload("a.jpg", jpeg_bytes()), item=item
        )
        assert evidence.item == item

    @pytest.mark.parametrize(
        ("name", "data", "message"),
        [
            ("photo.jpg", EXE_BYTES, "不是照片（JPEG、PNG、WebP、HEIC）或 PDF"),
            ("big.jpg", b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024), "超过 10 MB"),
            ("broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 100, "不是可以识别的图片"),
            ("half.pdf", PDF_BYTES[:40], "PDF 文件“half.pdf”不完整"),
            (
                "iphone.heic",
                b"\x00\x00\x00\x18ftypheic" + b"\x00" * 64,
                "HEIC 格式，服务器无法转换",
            ),
            ("empty.jpg", b"", "是空文件"),
        ],
        # The bytes would be the test ids: 40 MB of name for the 10 MB file.
        ids=["exe", "over-10-mb", "broken-jpeg", "half-pdf", "heic", "empty"],
    )
    def test_a_bad_upload_is_refused_and_nothing_else_changes(
        self, record, team, name, data, message
    ):
        save(record, team[0], 1, {"place": "会议室", "statement": "无异议"})
        evidence_add(record=record, user=team[0], upload=upload("ok.jpg", jpeg_bytes()))
        before = snapshot(record)
        with pytest.raises(ServiceError, match=message):
            evidence_add(record=record, user=team[0], upload=upload(name, data))
        assert snapshot(record) == before

    def test_an_item_of_another_record_is_refused(self, record, team, executed, inspector_accounts):
        other = executed.task.inspections.exclude(pk=record.inspection_id).first()
        member = inspector_accounts[other.members.first().inspector_id]
        other_item = record_start(inspection=other, user=member).items.first()
        with pytest.raises(ServiceError, match="不属于这份检查记录"):
            evidence_add(
                record=record, user=team[0], upload=upload("a.jpg", jpeg_bytes()), item=other_item
            )

    def test_removed_from_a_draft(self, record, team):
        evidence = evidence_add(record=record, user=team[0], upload=upload("a.jpg", jpeg_bytes()))
        evidence_remove(evidence=evidence, user=team[1])
        assert not record.evidence.exists()

    def test_only_the_team_may_add_or_remove(self, record, team, outsider):
        with pytest.raises(ServiceError, match="不是该检查组的成员"):
            evidence_add(record=record, user=outsider, upload=upload("a.jpg", jpeg_bytes()))
        evidence = evidence_add(record=record, user=team[0], upload=upload("a.jpg", jpeg_bytes()))
        with pytest.raises(ServiceError, match="不是该检查组的成员"):
            evidence_remove(evidence=evidence, user=outsider)
        assert record.evidence.count() == 1


class TestSubmit:
    def test_a_complete_record_is_locked_and_its_pdf_enqueued(
        self, record, team, enqueued, django_capture_on_commit_callbacks
    ):
        record = complete(record, team[0])
        with django_capture_on_commit_callbacks(execute=True):
            submitted = record_submit(record=record, user=team[1])
        assert submitted.status == CheckRecord.Status.SUBMITTED
        assert submitted.submitted_by == team[1] and submitted.submitted_at is not None
        assert submitted.inspection.status == Inspection.Status.SUBMITTED
        assert enqueued == [record.pk]

    def test_every_item_needs_an_outcome(self, record, team):
        # N9: no item may be left without an outcome
        record = complete(record, team[0])
        first = record.items.order_by("order").first()
        save(record, team[0], record.revision + 1, items={str(first.pk): {"outcome": ""}})
        with pytest.raises(
            ServiceError, match="第 1 项“律师事务所执业许可证与登记事项”还没有检查结果（N9）"
        ):
            record_submit(record=record, user=team[0])
        record.refresh_from_db()
        assert record.status == CheckRecord.Status.DRAFT

    def test_not_applicable_needs_a_reason_and_a_problem_its_finding(self, record, team):
        # N9: "not applicable" is an outcome only with its reason
        record = complete(record, team[0])
        first, second = record.items.order_by("order")
        save(
            record,
            team[0],
            record.revision + 1,
            items={
                str(first.pk): {"outcome": Outcome.NOT_APPLICABLE},
                str(second.pk): {"outcome": Outcome.PROBLEM, "finding": "  "},
            },
        )
        with pytest.raises(records.RecordIncomplete) as error:
            record_submit(record=record, user=team[0])
        assert error.value.problems == [
            "第 1 项“律师事务所执业许可证与登记事项”选择了不适用，请写明理由（N9）。",
            "第 2 项“律师事务所内部管理制度落实情况”发现问题，请记录具体问题。",
        ]
        save(
            record,
            team[0],
            record.revision + 2,
            items={
                str(first.pk): {"not_applicable_reason": "该所未设分所"},
                str(second.pk): {"finding": "未建立利益冲突审查制度"},
            },
        )
        assert record_submit(record=record, user=team[0]).is_submitted

    def test_the_procedure_of_y35(self, record, team):
        # Y3.5: certificates shown, rights and duties told
        record = complete(record, team[0])
        save(
            record,
            team[0],
            record.revision + 1,
            {"certificates_shown": False, "rights_told": False},
        )
        with pytest.raises(records.RecordIncomplete) as error:
            record_submit(record=record, user=team[0])
        assert error.value.problems == [
            "请确认已向被检查对象出示执法证件（Y3.5）。",
            "请确认已告知被检查对象的权利和义务（Y3.5）。",
        ]

    def test_the_representative_signs_or_the_refusal_is_noted(self, record, team):
        # Y3.5: the representative's signature, unless they refused (noted by the inspectors)
        record = complete(record, team[0])
        record.signatures.filter(role=Signature.Role.REPRESENTATIVE).delete()
        with pytest.raises(ServiceError, match="到场人员尚未签名"):
            record_submit(record=record, user=team[0])
        save(record, team[0], record.revision + 1, {"representative_refused": True})
        assert record_submit(record=record, user=team[0]).is_submitted

    def test_two_team_members_must_sign(self, record, team):
        # Y3.3, N11: at least two inspectors
        record = complete(record, team[0])
        record.signatures.filter(role=Signature.Role.INSPECTOR).first().delete()
        with pytest.raises(ServiceError, match="目前只有 1 名（Y3.3、N11）"):
            record_submit(record=record, user=team[0])

    def test_a_signer_without_a_valid_certificate_on_the_day_does_not_count(
        self, record, team, inspection
    ):
        # Y3.3: an expired certificate makes one ineligible — on the inspection date
        record = complete(record, team[0])
        second = inspection.members.get(position=2).inspector
        second.certificate_valid_to = VISIT.replace(day=1)
        second.save()
        with pytest.raises(records.RecordIncomplete) as error:
            record_submit(record=record, user=team[0])
        assert f"{second.name} 的签名不计入：执法证已于 2026-04-01 过期。" in error.value.problems
        # Inspected before it expired: both count.
        save(record, team[0], record.revision + 1, {"inspected_on": "2026-03-31"})
        assert record_submit(record=record, user=team[0]).is_submitted

    def test_the_inspection_date_is_not_in_the_future(self, record, team):
        record = complete(record, team[0])
        save(record, team[0], record.revision + 1, {"inspected_on": "2026-04-09"})
        with pytest.raises(ServiceError, match="检查日期 2026-04-09 晚于今天"):
            record_submit(record=record, user=team[0])

    def test_a_submitted_record_is_locked(self, record, team, inspection):
        record = complete(record, team[0])
        evidence = evidence_add(record=record, user=team[0], upload=upload("a.jpg", jpeg_bytes()))
        record_submit(record=record, user=team[0])
        before = snapshot(record)
        member = inspection.members.first().inspector
        attempts = [
            lambda: save(record, team[0], 99, {"place": "改"}),
            lambda: evidence_add(record=record, user=team[0], upload=upload("a.jpg", jpeg_bytes())),
            lambda: evidence_remove(evidence=evidence, user=team[0]),
            lambda: signature_add(
                record=record,
                user=team[0],
                role=Signature.Role.INSPECTOR,
                inspector=member,
                data_url=signature_data_url(),
            ),
            lambda: signature_remove(signature=record.signatures.first(), user=team[0]),
            lambda: record_submit(record=record, user=team[0]),
        ]
        for attempt in attempts:
            with pytest.raises(ServiceError, match="已提交，已锁定"):
                attempt()
        assert snapshot(record) == before

    def test_only_the_team_may_submit(self, record, team, outsider):
        record = complete(record, team[0])
        with pytest.raises(ServiceError, match="不是该检查组的成员"):
            record_submit(record=record, user=outsider)


class TestCorrect:
    @pytest.fixture
    def submitted(self, record, team):
        record = complete(record, team[0])
        item = record.items.order_by("order").first()
        evidence_add(record=record, user=team[0], upload=upload("a.jpg", jpeg_bytes()), item=item)
        evidence_add(record=record, user=team[0], upload=upload("b.pdf", PDF_BYTES))
        return record_submit(record=record, user=team[0])

    def test_a_new_draft_version_with_a_copy_but_no_signatures(self, submitted, team):
        v2 = record_correct(record=submitted, user=team[1], reason="第 2 项检查方式填写有误")
        assert (v2.version, v2.status, v2.correction_of) == (2, "draft", submitted)
        assert v2.correction_reason == "第 2 项检查方式填写有误"
        assert record_state(v2)["fields"] == record_state(submitted)["fields"]
        old_items = list(
            submitted.items.order_by("order").values(*records.ITEM_FIELDS, "check_item")
        )
        new_items = list(v2.items.order_by("order").values(*records.ITEM_FIELDS, "check_item"))
        assert new_items == old_items
        # The same files, attached to the copy's own rows.
        assert sorted(v2.evidence.values_list("file", "sha256")) == sorted(
            submitted.evidence.values_list("file", "sha256")
        )
        photo = v2.evidence.get(content_type="image/jpeg")
        assert photo.item.record == v2 and photo.item.order == 1
        assert not v2.signatures.exists()
        assert submitted.signatures.count() == 3
        v2.inspection.refresh_from_db()
        assert v2.inspection.status == Inspection.Status.IN_PROGRESS

    def test_every_version_stays(self, submitted, team):
        before = snapshot(submitted)
        v2 = record_correct(record=submitted, user=team[0], reason="补充证据")
        save(v2, team[0], 1, {"summary": "更正后的综述"})
        shared = v2.evidence.get(content_type="application/pdf")
        evidence_remove(evidence=shared, user=team[0])
        assert snapshot(submitted) == before
        # The file stays for version 1, which still points at it.
        assert submitted.evidence.get(content_type="application/pdf").file.read() == PDF_BYTES
        v2 = complete(v2, team[0])
        v2 = record_submit(record=v2, user=team[0])
        v3 = record_correct(record=v2, user=team[0], reason="再次更正")
        assert list(submitted.inspection.records.values_list("version", "status")) == [
            (1, "submitted"),
            (2, "submitted"),
            (3, "draft"),
        ]
        assert v3.correction_of == v2

    def test_a_reason_is_required(self, submitted, team):
        with pytest.raises(ServiceError, match="请写明更正理由"):
            record_correct(record=submitted, user=team[0], reason="  ")
        assert submitted.inspection.records.count() == 1

    def test_only_the_latest_submitted_version(self, submitted, team):
        v2 = record_correct(record=submitted, user=team[0], reason="更正")
        with pytest.raises(ServiceError, match="第 2 版仍是草稿"):
            record_correct(record=v2, user=team[0], reason="再更正")
        with pytest.raises(ServiceError, match="已有更新的第 2 版"):
            record_correct(record=submitted, user=team[0], reason="再更正")

    def test_only_the_team_may_correct(self, submitted, outsider):
        with pytest.raises(ServiceError, match="不是该检查组的成员"):
            record_correct(record=submitted, user=outsider, reason="更正")
