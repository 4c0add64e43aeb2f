"""The inspectors' screens over HTTP (issue 4 §1): log in, my inspections only, 404 for anyone
else's inspection and everything under it, the autosave, evidence, signatures, submission (N9,
Y3.5, Y3.3/N11) and corrections as versions."""

import datetime as dt
import io
import json
import re

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from core import roles
from core.models import Deadline
from inspections.models import CheckRecord, Evidence, Inspection, InspectionMember, Signature
from inspections.services.records import evidence_add, record_start, record_submit
from inspections.services.signatures import signature_add
from inspections.tasks import record_pdf_render_task
from tests.factories import InspectorFactory, UserFactory
from tests.inspections.fieldwork_data import (
    EXE_BYTES,
    PASSWORD,
    VISIT,
    complete,
    jpeg_bytes,
    signature_data_url,
    upload,
)
from tests.twofactor import bound_tablet_cookie

pytest_plugins = ["tests.inspections.fieldwork_fixtures"]

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("on_draw_day", "on_visit_day", "media_in_tmp"),
]

JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    """Submitting enqueues the PDF; the broker is not these tests' business."""
    monkeypatch.setattr(record_pdf_render_task, "delay", lambda record_id: None)


@pytest.fixture
def me(client, team):
    """The team leader, logged in."""
    client.force_login(team[0])
    return team[0]


@pytest.fixture
def record(inspection, team) -> CheckRecord:
    return record_start(inspection=inspection, user=team[0])


def url(name: str, *args) -> str:
    return reverse(f"inspect:{name}", args=args)


def save_json(client, record, body):
    return client.post(
        url("record_save", record.inspection_id, record.pk),
        data=json.dumps(body),
        content_type="application/json",
        **JSON,
    )


class TestLogin:
    @pytest.fixture(autouse=True)
    def _on_a_bound_tablet(self, client, db):
        """The field screens log in only on a bound tablet (issue 14 §1: tests/inspections/
        test_tablets.py tries the others)."""
        name, value = bound_tablet_cookie()
        client.cookies[name] = value

    def test_an_inspector_logs_in_and_lands_on_the_list(self, client, team):
        response = client.get(url("login"))
        assert response.status_code == 200
        assert "检查人员登录" in response.content.decode()
        response = client.post(url("login"), {"username": team[0].username, "password": PASSWORD})
        assert response.status_code == 302 and response.url == url("inspection_list")

    def test_an_account_without_an_inspector_is_refused(self, client, staff_user):
        response = client.post(
            url("login"), {"username": staff_user.username, "password": PASSWORD}
        )
        assert response.status_code == 200
        assert "该账号未关联执法检查人员名录" in response.content.decode()
        assert "_auth_user_id" not in client.session

    def test_anonymous_is_sent_to_the_login(self, client, inspection):
        for path in [url("inspection_list"), url("inspection_detail", inspection.pk)]:
            response = client.get(path)
            assert response.status_code == 302
            assert response.url.startswith(url("login") + "?next=")

    def test_a_script_gets_401_not_a_login_page(self, client, record):
        response = save_json(client, record, {"revision": 1, "fields": {"place": "x"}})
        assert response.status_code == 401
        assert "登录已过期" in response.json()["error"]

    def test_staff_accounts_do_not_use_the_field_screens(self, staff_client):
        response = staff_client.get(url("inspection_list"))
        assert response.status_code == 403
        assert "未关联执法检查人员名录" in response.content.decode()

    def test_logout(self, client, me):
        response = client.post(url("logout"))
        assert response.status_code == 302 and response.url == url("login")
        assert client.get(url("inspection_list")).status_code == 302


class TestMyInspections:
    def test_only_the_inspections_of_my_teams(self, client, me, executed, inspector_accounts):
        mine = set(Inspection.objects.filter(members__inspector__user=me))
        others = set(executed.task.inspections.all()) - mine
        assert mine and others
        page = client.get(url("inspection_list")).content.decode()
        for inspection in mine:
            assert inspection.institution.name in page
            assert url("inspection_detail", inspection.pk) in page
        for inspection in others:
            assert inspection.institution.name not in page

    def test_shows_team_items_dates_and_deadlines(self, client, me, inspection):
        page = client.get(url("inspection_list")).content.decode()
        for member in inspection.members.select_related("inspector"):
            assert member.inspector.name in page
        assert "组长" in page
        assert "2 项" in page  # the plan's two check items (N9)
        assert "2026-04-01 — 2026-04-30" in page
        # draw_execute opened the report and publication deadlines of the task (N13, Y3.6)
        assert "完成抽查报告（N13）" in page

    def test_queries_do_not_grow_with_the_list(
        self, client, me, executed, django_assert_max_num_queries
    ):
        with django_assert_max_num_queries(8):
            client.get(url("inspection_list"))
        # Put me on every team: the list grows, the query count does not.
        for inspection in executed.task.inspections.all():
            InspectionMember.objects.get_or_create(
                inspection=inspection, inspector=me.inspector, defaults={"position": 9}
            )
        with django_assert_max_num_queries(8):
            page = client.get(url("inspection_list")).content.decode()
        assert page.count('class="card inspection-card') == executed.task.inspections.count()


class TestDeadlinesInWords:
    """Issue 12 §11.5: an overdue deadline, or one due today, is said in words beside its colour
    (WCAG 1.4.1: colour is not the only means of conveying it)."""

    @staticmethod
    def items(html: str) -> list[str]:
        return re.findall(r'<li class="deadline[^"]*">.*?</li>', html, re.S)

    @staticmethod
    def of_task(inspection):
        return Deadline.objects.filter(
            subject_type=ContentType.objects.get_for_model(inspection.task),
            subject_id=inspection.task_id,
        ).order_by("due_on")

    def test_overdue_and_due_today_are_said(self, client, me, inspection):
        report, publication = self.of_task(inspection)[:2]
        Deadline.objects.filter(pk=report.pk).update(due_on=VISIT - dt.timedelta(days=1))
        Deadline.objects.filter(pk=publication.pk).update(due_on=VISIT)
        for page in (url("inspection_list"), url("inspection_detail", inspection.pk)):
            overdue, today = self.items(client.get(page).content.decode())[:2]
            assert "deadline--overdue" in overdue and "逾期" in overdue, page
            assert "deadline--today" in today and "今日到期" in today, page
            assert "逾期" not in today

    def test_met_late_says_so(self, client, me, inspection):
        report = self.of_task(inspection).first()
        Deadline.objects.filter(pk=report.pk).update(
            met_at=timezone.now(), missed_at=timezone.now()
        )
        page = client.get(url("inspection_detail", inspection.pk)).content.decode()
        (item,) = [i for i in self.items(page) if "deadline--met" in i]
        assert "逾期完成" in item

    def test_in_time_says_nothing_more(self, client, me, inspection):
        for item in self.items(client.get(url("inspection_list")).content.decode()):
            assert "逾期" not in item and "今日到期" not in item


class TestNotMine:
    """Any inspection that is not mine answers 404 — and so does everything under it."""

    @pytest.fixture
    def theirs(self, record, team, inspection):
        """The record of an inspection I am not on, with evidence and a signature."""
        evidence = evidence_add(record=record, user=team[0], upload=upload("a.jpg", jpeg_bytes()))
        signature = signature_add(
            record=record,
            user=team[0],
            role=Signature.Role.INSPECTOR,
            inspector=inspection.members.first().inspector,
            data_url=signature_data_url(),
        )
        return {"record": record, "evidence": evidence, "signature": signature}

    def test_everything_answers_404(self, client, outsider, theirs):
        client.force_login(outsider)
        record = theirs["record"]
        pk = record.inspection_id
        gets = [
            url("inspection_detail", pk),
            url("record_detail", pk, record.pk),
            url("record_pdf", pk, record.pk),
            url("evidence_file", pk, theirs["evidence"].pk),
            url("signature_image", pk, theirs["signature"].pk),
        ]
        posts = [
            url("record_start", pk),
            url("record_save", pk, record.pk),
            url("record_submit", pk, record.pk),
            url("record_correct", pk, record.pk),
            url("evidence_add", pk, record.pk),
            url("evidence_remove", pk, theirs["evidence"].pk),
            url("signature_add", pk, record.pk),
            url("signature_remove", pk, theirs["signature"].pk),
        ]
        for path in gets:
            response = client.get(path)
            assert response.status_code == 404, path
            assert "没有找到这项检查" in response.content.decode()
        for path in posts:
            assert client.post(path, {"place": "x", "reason": "x"}).status_code == 404, path
        record.refresh_from_db()
        assert record.revision == 0 and record.evidence.count() == 1

    def test_my_inspection_cannot_reach_their_files(self, client, me, theirs, executed):
        """An id of someone else's file under my own inspection's URL is 404 as well."""
        mine = (
            Inspection.objects.filter(members__inspector__user=me)
            .exclude(pk=theirs["record"].inspection_id)
            .first()
        )
        if mine is None:  # I am on only one team: make another of mine
            mine = executed.task.inspections.exclude(pk=theirs["record"].inspection_id).first()
            InspectionMember.objects.create(inspection=mine, inspector=me.inspector, position=9)
        assert client.get(url("evidence_file", mine.pk, theirs["evidence"].pk)).status_code == 404
        assert (
            client.get(url("signature_image", mine.pk, theirs["signature"].pk)).status_code == 404
        )
        assert client.get(url("record_detail", mine.pk, theirs["record"].pk)).status_code == 404


class TestRecordPages:
    def test_start_then_the_form_has_every_item(self, client, me, inspection, check_items):
        page = client.get(url("inspection_detail", inspection.pk)).content.decode()
        assert "开始填写检查记录" in page
        response = client.post(url("record_start", inspection.pk))
        assert response.status_code == 302
        record = inspection.records.get()
        page = client.get(url("inspection_detail", inspection.pk)).content.decode()
        for item in check_items:  # N9: one row per check item
            assert item.name in page
        assert 'accept="image/*,application/pdf" capture="environment"' in page
        assert 'class="pad__canvas"' in page
        assert url("record_save", inspection.pk, record.pk) in page

    def test_autosave_is_applied_once(self, client, me, record):
        item = record.items.first()
        body = {
            "revision": 1,
            "fields": {"place": "会议室", "rights_told": True},
            "items": {str(item.pk): {"outcome": "compliant"}},
        }
        first = save_json(client, record, body)
        assert first.status_code == 200
        assert first.json()["applied"] is True and first.json()["revision"] == 1
        again = save_json(client, record, body | {"fields": {"place": "重发的旧内容"}})
        assert again.json()["applied"] is False
        assert again.json()["fields"]["place"] == "会议室"
        record.refresh_from_db()
        assert (record.revision, record.place, record.rights_told) == (1, "会议室", True)

    def test_a_bad_autosave_says_what_is_wrong(self, client, me, record):
        response = save_json(client, record, {"revision": 1, "fields": {"place": "长" * 201}})
        assert response.status_code == 400
        assert "检查地点”最多 200 个字" in response.json()["error"]
        assert save_json(client, record, {"fields": {}}).status_code == 400

    def test_the_form_saves_without_scripts(self, client, me, record):
        item = record.items.first()
        response = client.post(
            url("record_save", record.inspection_id, record.pk),
            {
                "inspected_on": "2026-04-08",
                "place": "律所前台",
                "certificates_shown": "on",
                f"item-{item.pk}-outcome": "problem",
                f"item-{item.pk}-finding": "未公示收费标准",
            },
        )
        assert response.status_code == 302
        record.refresh_from_db()
        item.refresh_from_db()
        assert record.place == "律所前台" and record.certificates_shown and not record.rights_told
        assert (item.outcome, item.finding) == ("problem", "未公示收费标准")


class TestEvidenceUploads:
    def post(self, client, record, name, data, item=None):
        payload = {"file": upload(name, data)}
        if item:
            payload["item"] = item.pk
        return client.post(url("evidence_add", record.inspection_id, record.pk), payload, **JSON)

    def test_a_photo_goes_up_without_its_location(self, client, me, record):
        item = record.items.first()
        response = self.post(client, record, "现场.jpg", jpeg_bytes(gps=True), item)
        assert response.status_code == 200
        [answer] = response.json()["evidence"]
        assert answer["item"] == item.pk and answer["is_image"]
        served = client.get(answer["url"])
        assert served["Content-Type"] == "image/jpeg"
        assert served["X-Content-Type-Options"] == "nosniff"
        stored = Image.open(io.BytesIO(b"".join(served.streaming_content)))
        assert not stored.getexif().get_ifd(0x8825)  # no GPS
        assert not stored.getexif()

    def test_a_program_renamed_to_jpg_is_refused(self, client, me, record):
        save_json(client, record, {"revision": 1, "fields": {"place": "会议室"}})
        response = self.post(client, record, "photo.jpg", EXE_BYTES)
        assert response.status_code == 400
        assert "不是照片（JPEG、PNG、WebP、HEIC）或 PDF" in response.json()["error"]
        assert "photo.jpg" in response.json()["error"]
        record.refresh_from_db()
        assert not record.evidence.exists() and record.place == "会议室"

    def test_more_than_10_mb_is_refused(self, client, me, record):
        big = jpeg_bytes() + b"\x00" * (10 * 1024 * 1024)
        response = self.post(client, record, "big.jpg", big)
        assert response.status_code == 400
        assert "超过 10 MB" in response.json()["error"]
        assert not record.evidence.exists()

    def test_without_scripts_the_message_is_on_the_page(self, client, me, record):
        response = client.post(
            url("evidence_add", record.inspection_id, record.pk),
            {"file-record": upload("photo.jpg", EXE_BYTES)},
            follow=True,
        )
        assert "不是照片（JPEG、PNG、WebP、HEIC）或 PDF" in response.content.decode()

    def test_removed(self, client, me, record):
        answer = self.post(client, record, "a.jpg", jpeg_bytes()).json()["evidence"][0]
        response = client.post(answer["remove_url"], **JSON)
        assert response.status_code == 200
        assert not Evidence.objects.filter(pk=answer["id"]).exists()


class TestSignaturesOverHttp:
    def sign(self, client, record, body):
        return client.post(
            url("signature_add", record.inspection_id, record.pk),
            data=json.dumps(body),
            content_type="application/json",
            **JSON,
        )

    def test_a_team_member_signs(self, client, me, record, inspection):
        inspector = me.inspector
        response = self.sign(
            client,
            record,
            {"role": "inspector", "inspector": inspector.pk, "image": signature_data_url()},
        )
        assert response.status_code == 200
        assert response.json()["name"] == inspector.name
        image = client.get(response.json()["url"])
        assert image["Content-Type"] == "image/png"

    def test_a_blank_pad_or_an_outsider_is_refused(self, client, me, record, outsider):
        blank = self.sign(
            client,
            record,
            {
                "role": "inspector",
                "inspector": me.inspector.pk,
                "image": signature_data_url(blank=True),
            },
        )
        assert blank.status_code == 400 and "签名是空白的" in blank.json()["error"]
        stranger = self.sign(
            client,
            record,
            {
                "role": "inspector",
                "inspector": outsider.inspector.pk,
                "image": signature_data_url(),
            },
        )
        assert stranger.status_code == 400
        assert "不是这次检查的检查组成员" in stranger.json()["error"]
        assert not record.signatures.exists()


class TestSubmitAndCorrect:
    def test_an_incomplete_record_lists_what_is_missing(self, client, me, record):
        response = client.post(url("record_submit", record.inspection_id, record.pk), follow=True)
        assert response.redirect_chain[-1][0].endswith("#problems")
        page = response.content.decode()
        assert "检查记录还不能提交" in page
        assert "第 1 项“律师事务所执业许可证与登记事项”还没有检查结果（N9）" in page
        assert "请确认已向被检查对象出示执法证件（Y3.5）" in page
        assert "目前只有 0 名（Y3.3、N11）" in page
        # Said once: a reload does not repeat it (nor post again).
        again = client.get(url("inspection_detail", record.inspection_id)).content.decode()
        assert "检查记录还不能提交" not in again
        record.refresh_from_db()
        assert record.status == CheckRecord.Status.DRAFT

    def test_submitted_then_locked(self, client, me, record):
        complete(record, me)
        response = client.post(url("record_submit", record.inspection_id, record.pk), follow=True)
        page = response.content.decode()
        assert "已提交并锁定" in page
        assert 'id="record-form"' not in page  # no form any more
        assert "更正检查记录" in page
        record.refresh_from_db()
        assert record.is_submitted
        locked = save_json(client, record, {"revision": 9, "fields": {"place": "改"}})
        assert locked.status_code == 409 and "已锁定" in locked.json()["error"]

    def test_a_correction_is_a_new_version_and_every_version_stays(self, client, me, record):
        record_submit(record=complete(record, me), user=me)
        correct = url("record_correct", record.inspection_id, record.pk)
        refused = client.post(correct, {"reason": " "}, follow=True)
        assert "请写明更正理由" in refused.content.decode()
        response = client.post(correct, {"reason": "第 1 项检查方式有误"}, follow=True)
        page = response.content.decode()
        assert "已生成第 2 版（更正稿）" in page
        assert 'id="record-form"' in page  # the new draft is editable
        v2 = record.inspection.records.get(version=2)
        assert url("record_detail", record.inspection_id, record.pk) in page
        assert url("record_detail", record.inspection_id, v2.pk) in page
        assert "第 1 项检查方式有误" in page
        old = client.get(url("record_detail", record.inspection_id, record.pk)).content.decode()
        assert "检查记录 第 1 版" in old and "已锁定" in old
        assert client.get(url("record_detail", record.inspection_id, v2.pk)).status_code == 200


def test_an_inspector_on_no_team_sees_an_empty_list(client, executed, inspector_accounts):
    user = UserFactory(username="new-inspector")
    user.groups.add(Group.objects.get(name=roles.INSPECTOR))
    InspectorFactory(user=user)
    client.force_login(user)
    page = client.get(url("inspection_list")).content.decode()
    assert "目前没有分配给您的检查" in page
