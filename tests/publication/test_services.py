"""Publishing the results (Y3.6, N15): only approved reports, a snapshot per target with what Y3.6
names, the deadline met or recorded late, corrections as new versions, withdrawals with a reason,
withholdings with a reason, and every act in the publication log."""

import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType

from core.exceptions import ServiceError
from core.models import Deadline
from publication.models import FeedItem, Publication, ResultNotice
from publication.services import (
    notice_correct,
    notice_publish,
    notice_publish_all,
    notice_withdraw,
)
from tests.inspections.conftest import clock

pytestmark = pytest.mark.django_db


def first_result(report):
    return report.results.order_by("inspection__selection__order").first()


def test_only_an_approved_report_is_published(team_approved, staff_user):
    with pytest.raises(ServiceError, match="分管领导批准后"):
        notice_publish(result=first_result(team_approved), user=staff_user)
    assert not ResultNotice.objects.exists()


def test_the_notice_says_what_y36_names(report, staff_user, settings):
    result = first_result(report)
    notice = notice_publish(result=result, user=staff_user)
    institution = result.inspection.institution
    assert (notice.target_name, notice.credit_code) == (institution.name, institution.credit_code)
    assert notice.category == "case_filed" and notice.case_number == "渝中司立〔2026〕7号"
    assert {i["code"] for i in notice.items} == {"LS-001", "LS-002"}
    assert all(i["legal_basis"] and i["content"] for i in notice.items)
    assert notice.authority == settings.BUREAU_NAME
    team = result.inspection.members.order_by("position")
    assert notice.inspectors == [
        {"name": m.inspector.name, "certificate": m.inspector.certificate_number} for m in team
    ]
    assert "未按规定公示收费标准" in notice.findings
    assert notice.inspected_from == dt.date(2026, 4, 8)
    log = Publication.objects.get(kind="result")
    assert (log.channel, log.action, log.by, log.subject) == ("site", "publish", staff_user, notice)
    with pytest.raises(ServiceError, match="已经公开过"):
        notice_publish(result=result, user=staff_user)


def test_publishing_every_result_meets_the_deadline(report, staff_user):
    task = report.task
    deadline = Deadline.objects.get(
        kind=Deadline.Kind.PUBLICATION,
        subject_type=ContentType.objects.get_for_model(task),
        subject_id=task.pk,
    )
    # Y3.6: 20 working days after the round ends on 30 April (the jurisdiction's default); the
    # May Day holiday is off and Saturday 9 May is worked.
    assert deadline.due_on == dt.date(2026, 6, 1)
    with clock(dt.date(2026, 5, 20)):
        notices = notice_publish_all(report=report, user=staff_user)
    assert len(notices) == report.results.count()
    assert not any(n.late for n in notices)
    deadline.refresh_from_db()
    assert deadline.met_at is not None and deadline.missed_at is None


def test_late_publication_is_possible_and_recorded_late(report, staff_user):
    with clock(dt.date(2026, 6, 2)):
        notice = notice_publish(result=first_result(report), user=staff_user)
    assert notice.late


def test_a_correction_is_a_new_version_and_the_old_one_is_kept(report, staff_user):
    notice = notice_publish(result=first_result(report), user=staff_user)
    with pytest.raises(ServiceError, match="更正须说明理由"):
        notice_correct(notice=notice, user=staff_user, reason=" ")
    new = notice_correct(
        notice=notice,
        user=staff_user,
        reason="检查发现中误写了当事人姓名",
        findings="收费标准未公示。",
        withheld={"inspectors": "涉及执法人员人身安全（依法不予公开）"},
    )
    notice.refresh_from_db()
    assert notice.status == "superseded" and new.status == "published"
    assert (new.version, new.findings, new.inspectors) == (2, "收费标准未公示。", [])
    assert new.withheld == {"inspectors": "涉及执法人员人身安全（依法不予公开）"}
    assert list(ResultNotice.objects.public()) == [new]
    results = Publication.objects.filter(kind="result").order_by("at", "pk")
    assert [p.action for p in results] == ["publish", "correct"]


def test_withholding_needs_a_reason_and_cannot_hide_the_result(report, staff_user):
    notice = notice_publish(result=first_result(report), user=staff_user)
    with pytest.raises(ServiceError, match="须写明依据或理由"):
        notice_correct(notice=notice, user=staff_user, reason="x", withheld={"findings": ""})
    with pytest.raises(ServiceError, match="不能不予公开"):
        notice_correct(notice=notice, user=staff_user, reason="x", withheld={"category": "x"})


def test_a_withdrawal_needs_a_reason_and_deletes_nothing(
    report, staff_user, django_capture_on_commit_callbacks
):
    notice = notice_publish(result=first_result(report), user=staff_user)
    with pytest.raises(ServiceError, match="撤回须说明理由"):
        notice_withdraw(notice=notice, user=staff_user, reason="")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notice_withdraw(notice=notice, user=staff_user, reason="检查对象提出异议，复核中")
    notice.refresh_from_db()
    assert notice.status == "withdrawn" and notice.withdrawal_reason
    assert not ResultNotice.objects.public().exists()
    assert ResultNotice.objects.count() == 1
    assert callbacks  # the credit platform is told


def test_the_platform_gets_each_publication_once(
    report, staff_user, django_capture_on_commit_callbacks
):
    from publication.feed import feed_enqueue

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        notice = notice_publish(result=first_result(report), user=staff_user)
    assert callbacks  # queued for the platform once committed
    for _again in range(2):  # the hook, then the same event again
        with django_capture_on_commit_callbacks(execute=False):
            feed_enqueue(notice_id=notice.pk, action="publish")
    item = FeedItem.objects.get()
    assert item.idempotency_key == f"notice-{notice.result_id}-v1-publish"


def test_plans_draws_and_registry_updates_are_logged_too(report, staff_user):
    """N6, Y3.6: what was published, where, when and by whom — the fixture published the plan,
    announced and executed the draw; an import that changes the registry is logged as well."""
    from pathlib import Path

    from registry.imports import registry_import_file

    logged = {
        (p.kind, p.subject_type.model if p.subject_type else None)
        for p in Publication.objects.all()
    }
    assert {("plan", "annualplan"), ("draw", "draw")} <= logged
    draw_titles = list(Publication.objects.filter(kind="draw").values_list("title", flat=True))
    assert any("公告" in t for t in draw_titles) and any("抽取结果" in t for t in draw_titles)
    samples = Path(__file__).resolve().parents[2] / "docs" / "samples"
    registry_import_file(kind="check-items", path=samples / "check-items.csv", user=staff_user)
    entry = Publication.objects.get(kind="checkitem_list")
    assert entry.by == staff_user and "新增" in entry.title
    registry_import_file(kind="check-items", path=samples / "check-items.csv", user=staff_user)
    assert Publication.objects.filter(kind="checkitem_list").count() == 1  # nothing changed
