"""The deadline board (期限看板), the read-only deadline lists and the in-app notifications, as each
role sees them over HTTP (issue 4 §4; core.roles)."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from core.deadlines import deadline_meet
from core.models import Deadline, Notification
from inspections.models import InspectionTask
from tests.core.deadline_data import report_deadline, task_ending
from tests.factories import UserFactory
from tests.inspections.conftest import clock

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 10, 16)  # a Friday after National Day
BOARD = reverse("admin:core_deadline_board")
SWEEP = reverse("admin:core_deadline_sweep")
MINE = reverse("admin:core_notification_mine")
READ = reverse("admin:core_notification_read")


def task(name: str, ends_on: str) -> InspectionTask:
    return task_ending(dt.date.fromisoformat(ends_on), name, days=10)


def report_due(
    subject: InspectionTask, responsible, kind=Deadline.Kind.REPORT, what="完成抽查报告"
) -> Deadline:
    return report_deadline(subject, responsible, kind=kind, what=what, url="")


def person(username: str, name: str):
    return UserFactory(username=username, first_name=name)


@pytest.fixture
def li(staff_user):
    staff_user.first_name = "李科员"
    staff_user.save()
    return staff_user


@pytest.fixture
def board(li):
    """Deadlines of every state, as of TODAY (16 Oct 2026)."""
    wang = person("wang", "王科员")
    deadlines = {
        # due 13 Oct: 3 working days overdue on the 16th (14, 15, 16)
        "overdue": report_due(task("甲任务", "2026-09-30"), li),
        # due 20 Oct: 19 and 20 Oct left
        "soon": report_due(task("乙任务", "2026-10-13"), wang),
        # due 20 Nov: not yet on the board
        "later": report_due(task("丙任务", "2026-11-13"), li),
        # 2027 has no calendar: no due day
        "unknown": report_due(task("丁任务", "2026-12-28"), wang),
        # met on time: off the board
        "met": report_due(task("戊任务", "2026-10-12"), li),
        # met late (due 13 Oct, met 15 Oct): shown
        "met_late": report_due(
            InspectionTask.objects.get(name="甲任务"),
            li,
            kind=Deadline.Kind.PUBLICATION,
            what="公开抽查结果",
        ),
    }
    with clock(dt.date(2026, 10, 14)):
        deadline_meet(kind=Deadline.Kind.REPORT, subject=deadlines["met"].subject)
    with clock(dt.date(2026, 10, 15)):
        deadline_meet(kind=Deadline.Kind.PUBLICATION, subject=deadlines["met_late"].subject)
    return deadlines


def get(client, user, url: str, **params):
    client.force_login(user)
    with clock(TODAY):
        return client.get(url, params)


def text(response) -> str:
    return response.content.decode()


# fmt: off
BOARD_GRID = {
    # role:      (status, sees the sweep button)
    "anonymous": (302, False),  # to the login page
    "inspector": (302, False),  # not staff: inspectors work on /inspect/
    "staff":     (200, True),
    "leader":    (200, False),
    "legal":     (200, False),
    "auditor":   (200, False),  # reads everything, changes nothing
    "admin":     (200, True),   # a superuser
    "sysadmin":  (403, False),  # 三员分立: no business screen (issue 14 §2)
    "secadmin":  (403, False),
    "auditadmin": (403, False),
}
# fmt: on


@pytest.mark.parametrize("role", BOARD_GRID)
def test_who_sees_the_board(client, request, board, role):
    status, sweeps = BOARD_GRID[role]
    if role == "anonymous":
        with clock(TODAY):
            response = client.get(BOARD)
    else:
        response = get(client, request.getfixturevalue(f"{role}_user"), BOARD)
    assert response.status_code == status
    if status == 302:
        assert response.url.startswith(reverse("admin:login"))
        return
    if status == 403:
        return
    page = text(response)
    assert "甲任务：完成抽查报告" in page
    assert ("立即检查期限并发送提醒" in page) is sweeps


def test_board_shows_due_soon_and_overdue_in_working_days(client, li, board):
    page = text(get(client, li, BOARD))
    assert "今天是 2026-10-16" in page
    assert "已逾期 1 项" in page and "5 个工作日内（2026-10-23 前）到期 1 项" in page
    assert "逾期 3 个工作日" in page  # 14, 15, 16 Oct
    assert "剩余 2 个工作日" in page  # 19, 20 Oct
    assert "丁任务：完成抽查报告" in page and "工作日历尚未录入，无法计算" in page
    assert "2026-10-15 办结，逾期 2 个工作日" in page  # met late, still visible
    assert "N13：检查结束后 5 个工作日内完成抽查报告" in page
    assert "丙任务" not in page  # due 20 Nov
    assert "戊任务" not in page  # met on time


def test_board_grouped_per_person_and_per_task(client, li, board):
    page = text(get(client, li, BOARD))
    assert "<h2>李科员</h2>" in page and "<h2>王科员</h2>" in page
    assert page.index("<h2>李科员</h2>") < page.index("<h2>王科员</h2>")  # overdue first

    page = text(get(client, li, BOARD, group="subject"))
    url = reverse("admin:inspections_inspectiontask_change", args=[board["overdue"].subject_id])
    assert f'<h2><a href="{url}">甲任务</a></h2>' in page
    # The task's two deadlines under one heading: its report (overdue) and publication (met late).
    assert page.count("<h2><a") == 3  # 甲, 乙, 丁
    assert "李科员" in page and "王科员" in page  # who is responsible, per row


def test_board_only_mine(client, li, board):
    page = text(get(client, li, BOARD, mine="1"))
    assert "甲任务：完成抽查报告" in page
    assert "乙任务" not in page and "丁任务" not in page


def test_board_query_count_does_not_grow(client, li, django_assert_max_num_queries):
    people = [person(f"p{n}", f"科员{n}") for n in range(10)]
    for n in range(30):
        report_due(task(f"任务{n}", "2026-10-09" if n % 2 else "2026-10-13"), people[n % 10])
    client.force_login(li)
    with clock(TODAY), django_assert_max_num_queries(12):
        response = client.get(BOARD, {"group": "subject"})
    assert text(response).count("：完成抽查报告") == 30
    with clock(TODAY), django_assert_max_num_queries(12):
        client.get(BOARD)


def test_sweep_on_demand(
    client, li, leader_user, auditor_user, board, django_capture_on_commit_callbacks
):
    client.force_login(li)
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.post(SWEEP, {"next": BOARD + "?group=subject"}, follow=True)
    assert response.redirect_chain[-1][0] == BOARD + "?group=subject"
    assert "已提交期限检查" in text(response)
    assert len(callbacks) == 1  # the sweep task, enqueued once the request's writes are in

    for reader in (leader_user, auditor_user):
        client.force_login(reader)
        assert client.post(SWEEP).status_code == 403


def test_sweep_refuses_a_foreign_next(client, li):
    client.force_login(li)
    response = client.post(SWEEP, {"next": "https://example.com/"})
    assert response.url == BOARD


@pytest.mark.parametrize(
    ("model", "needle"),
    [("deadline", "甲任务：完成抽查报告"), ("reminder", "甲任务"), ("notification", "甲任务")],
)
def test_read_only_lists(client, li, auditor_user, board, model, needle):
    call_command("deadlines_sweep", "--date", "2026-10-16", "--send-now", stdout=io.StringIO())
    for user in (li, auditor_user):
        response = get(client, user, reverse(f"admin:core_{model}_changelist"))
        assert response.status_code == 200
        page = text(response)
        assert needle in page
        assert f"/admin/core/{model}/add/" not in page  # written by the services only


def test_deadline_list_filters(client, li, board):
    page = text(get(client, li, reverse("admin:core_deadline_changelist"), state="overdue"))
    assert "甲任务：完成抽查报告" in page and "乙任务" not in page
    assert "期限看板" in page  # linked from the list

    page = text(get(client, li, reverse("admin:core_deadline_changelist"), state="met_late"))
    assert "甲任务：公开抽查结果" in page and "甲任务：完成抽查报告" not in page
    assert "逾期办结" in page

    response = get(client, li, reverse("admin:core_deadline_change", args=[board["overdue"].pk]))
    assert response.status_code == 200
    assert 'name="_save"' not in text(response)  # read-only


def test_admin_index_links_the_board(client, li):
    page = text(get(client, li, reverse("admin:index")))
    assert f'href="{BOARD}"' in page and "期限看板" in page


class TestNotifications:
    def test_unread_count_list_and_mark_read(self, client, li, board):
        other = person("other", "别人")
        Notification.objects.create(user=other, title="别人的通知")
        call_command("deadlines_sweep", "--date", "2026-10-16", "--send-now", stdout=io.StringIO())
        mine = Notification.objects.filter(user=li)
        assert mine.count() == 2  # the overdue report's due-day reminder and its escalation

        page = text(get(client, li, reverse("admin:index")))
        assert "通知（2 条未读）" in page

        page = text(get(client, li, MINE))
        assert "【逾期】甲任务：完成抽查报告" in page and "【今日到期】" in page
        assert "别人的通知" not in page

        client.post(READ, {"id": [mine.order_by("pk").first().pk]})
        assert "通知（1 条未读）" in text(get(client, li, MINE))
        client.post(READ)
        page = text(get(client, li, MINE))
        assert "条未读" not in page and "已读" in page
        assert Notification.objects.get(user=other).read_at is None

    def test_someone_elses_notification_is_not_marked(self, client, li):
        theirs = Notification.objects.create(user=person("other", "别人"), title="别人的通知")
        client.force_login(li)
        client.post(READ, {"id": [theirs.pk]})
        theirs.refresh_from_db()
        assert theirs.read_at is None

    def test_inspectors_have_no_inbox_in_the_admin(self, client, inspector_user):
        client.force_login(inspector_user)
        assert client.get(MINE).status_code == 302
