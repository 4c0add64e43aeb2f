"""Re-draw requests reach the approver (issue 12 §11; N10–N12, Y3.5): through the admin, as the
roles use it. The request is a row; every unit head but the requester gets an in-app notification
and an e-mail with the link; pending requests wait on their list with task, requester, reason and
age; they approve (the re-draw is announced) or refuse with a reason; the requester is told."""

import smtplib

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from core import roles
from core.exceptions import EmailDeferred
from core.models import Notification, OutboxEmail
from core.tasks import email_send_task
from inspections.models import Draw, RedrawRequest
from tests.factories import UserFactory
from tests.inspections.screens import (
    SSQ,
    admin_url,
    after_the_draw,
    approved_task,
    client_for,
    executed_draw,
    messages_of,
    sources_data,
)
from tests.inspections.screens import clients as clients  # a fixture: a client per role
from tests.inspections.screens import world as world  # a fixture: 40 law firms, 4 inspectors

pytestmark = pytest.mark.django_db

REASON = "抽取后发现名录有误：一家已注销的律师事务所仍在名录中"
NEW_SOURCE = {**SSQ, "kind": "dlt", "name": "大乐透第26140期"}


def leader(username: str, *, email: str = "", active: bool = True):
    user = UserFactory(username=username, email=email, is_staff=True, is_active=active)
    user.groups.add(Group.objects.get(name=roles.LEADER))
    return user


@pytest.fixture
def draw(world, staff_user, leader_user):
    return executed_draw(world, staff_user, leader_user)


def request_redraw(client, draw, django_capture_on_commit_callbacks, reason=REASON):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(
            admin_url("inspections_draw_redraw", draw.pk),
            sources_data(NEW_SOURCE, reason=reason),
        )


class TestTheRequestReachesTheApprovers:
    def test_every_unit_head_but_the_requester_is_notified_in_the_app_and_by_mail(
        self, draw, clients, staff_user, leader_user, django_capture_on_commit_callbacks
    ):
        leader_user.email = "leader@example.cn"
        leader_user.save()
        second = leader("leader2", email="leader2@example.cn")
        leader("retired", email="retired@example.cn", active=False)
        response = request_redraw(clients.staff, draw, django_capture_on_commit_callbacks)
        redraw_request = RedrawRequest.objects.get()
        decide = admin_url("inspections_redrawrequest_decide", redraw_request.pk)
        assert response.status_code == 302 and response["Location"] == decide
        assert any("已通知 2 位单位负责人" in m for m in messages_of(response))
        assert redraw_request.status == RedrawRequest.Status.PENDING
        assert (redraw_request.requested_by, redraw_request.reason) == (staff_user, REASON)
        assert Draw.objects.count() == 1  # nothing announced yet

        notified = Notification.objects.filter(url=decide)
        assert {n.user for n in notified} == {leader_user, second}
        note = notified.get(user=leader_user)
        assert str(draw) in note.title and "待审批" in note.title
        assert REASON in note.body and NEW_SOURCE["name"] in note.body
        (message,) = sent_mail()
        assert sorted(message.to) == ["leader2@example.cn", "leader@example.cn"]
        assert message.subject == note.title and decide in message.body

        # The bell in the admin's header counts it; the notification links to the request.
        page = clients.leader.get(admin_url("core_notification_mine")).content.decode()
        assert note.title in page and decide in page
        assert "通知（1 条未读）" in clients.leader.get(admin_url("index")).content.decode()

    def test_a_leader_who_requests_is_not_asked_to_approve(
        self, draw, leader_user, django_capture_on_commit_callbacks
    ):
        """A unit head may hold both rights (add_draw given to them): never their own approver."""
        from django.contrib.auth.models import Permission

        leader_user.user_permissions.add(Permission.objects.get(codename="add_draw"))
        second = leader("leader2")
        client = client_for(leader_user)
        request_redraw(client, draw, django_capture_on_commit_callbacks)
        assert {n.user for n in Notification.objects.all()} == {second}
        decide = admin_url("inspections_redrawrequest_decide", RedrawRequest.objects.get().pk)
        page = client.get(decide)
        assert page.status_code == 200 and "批准并公告重新抽取" not in page.content.decode()
        assert client.post(decide, {"_approve": "1"}).status_code == 403

    def test_one_pending_request_per_draw(self, draw, clients, django_capture_on_commit_callbacks):
        request_redraw(clients.staff, draw, django_capture_on_commit_callbacks)
        response = request_redraw(clients.staff, draw, django_capture_on_commit_callbacks)
        assert response.status_code == 200
        assert any("已有一份待审批的重新抽取申请" in m for m in messages_of(response))
        assert RedrawRequest.objects.count() == 1

    def test_the_sources_are_checked_when_asked(
        self, draw, clients, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            response = clients.staff.post(
                admin_url("inspections_draw_redraw", draw.pk),
                sources_data({**NEW_SOURCE, "name": "名称\x00"}, reason=REASON),
            )
        assert response.status_code == 200 and not RedrawRequest.objects.exists()
        assert not Notification.objects.exists()


class TestTheApproversList:
    def test_pending_requests_with_task_requester_reason_age_and_a_link(
        self, draw, clients, staff_user, django_capture_on_commit_callbacks
    ):
        staff_user.first_name, staff_user.last_name = "明", "王"
        staff_user.save()
        request_redraw(clients.staff, draw, django_capture_on_commit_callbacks)
        redraw_request = RedrawRequest.objects.get()
        page = clients.leader.get(admin_url("inspections_redrawrequest_changelist"))
        assert page.status_code == 200
        text = page.content.decode()
        assert draw.task.name in text and REASON[:20] in text
        assert staff_user.get_full_name() in text
        assert "0\xa0分钟" in text or "分钟" in text  # how long it has waited
        assert admin_url("inspections_redrawrequest_decide", redraw_request.pk) in text
        # The admin's index links the list (the model is registered for the unit heads).
        assert (
            admin_url("inspections_redrawrequest_changelist")
            in clients.leader.get(admin_url("index")).content.decode()
        )

    def test_decided_requests_leave_the_default_list(
        self, draw, clients, django_capture_on_commit_callbacks
    ):
        request_redraw(clients.staff, draw, django_capture_on_commit_callbacks)
        redraw_request = RedrawRequest.objects.get()
        decide = admin_url("inspections_redrawrequest_decide", redraw_request.pk)
        clients.leader.post(decide, {"_refuse": "1", "refusal_reason": "理由不充分"})
        changelist = admin_url("inspections_redrawrequest_changelist")
        assert decide not in clients.leader.get(changelist).content.decode()
        assert decide in clients.leader.get(changelist, {"status": "all"}).content.decode()

    def test_who_sees_the_list(self, draw, clients, django_capture_on_commit_callbacks):
        request_redraw(clients.staff, draw, django_capture_on_commit_callbacks)
        changelist = admin_url("inspections_redrawrequest_changelist")
        for role in ("staff", "leader", "auditor"):
            assert getattr(clients, role).get(changelist).status_code == 200, role
        assert clients.leader.get(admin_url("inspections_redrawrequest_add")).status_code == 403
        inspector = UserFactory(username="nobody", is_staff=True)
        assert client_for(inspector).get(changelist).status_code == 403


class TestTheDecision:
    def test_approve_announces_the_redraw_and_tells_the_requester(
        self, draw, clients, staff_user, leader_user, django_capture_on_commit_callbacks
    ):
        staff_user.email = "staff@example.cn"
        staff_user.save()
        request_redraw(clients.staff, draw, django_capture_on_commit_callbacks)
        redraw_request = RedrawRequest.objects.get()
        decide = admin_url("inspections_redrawrequest_decide", redraw_request.pk)
        page = clients.leader.get(decide).content.decode()
        assert REASON in page and NEW_SOURCE["name"] in page and "批准并公告重新抽取" in page
        mail.outbox.clear()
        with django_capture_on_commit_callbacks(execute=True):
            response = clients.leader.post(decide, {"_approve": "1"})
        new = Draw.objects.get(redraw_of=draw)
        assert response["Location"] == admin_url("inspections_draw_change", new.pk)
        assert (new.redraw_requested_by, new.redraw_approved_by) == (staff_user, leader_user)
        assert new.redraw_reason == REASON
        assert new.announcement["sources"][0]["name"] == NEW_SOURCE["name"]
        redraw_request.refresh_from_db()
        assert redraw_request.status == RedrawRequest.Status.APPROVED
        assert (redraw_request.decided_by, redraw_request.redraw) == (leader_user, new)
        draw.refresh_from_db()
        assert draw.superseded_at is not None
        told = Notification.objects.get(user=staff_user)
        assert "已批准" in told.title
        (message,) = sent_mail()
        assert message.to == ["staff@example.cn"]
        # A retry (the button pressed twice) changes nothing.
        response = clients.leader.post(decide, {"_approve": "1"})
        assert any("已于" in m and "已批准" in m for m in messages_of(response))
        assert Draw.objects.count() == 2

    def test_refuse_needs_a_reason_and_tells_the_requester(
        self, draw, clients, staff_user, leader_user, django_capture_on_commit_callbacks
    ):
        request_redraw(clients.staff, draw, django_capture_on_commit_callbacks)
        redraw_request = RedrawRequest.objects.get()
        decide = admin_url("inspections_redrawrequest_decide", redraw_request.pk)
        response = clients.leader.post(decide, {"_refuse": "1", "refusal_reason": "  "})
        assert response.status_code == 200 and response.context["refuse"].errors
        redraw_request.refresh_from_db()
        assert redraw_request.status == RedrawRequest.Status.PENDING
        with django_capture_on_commit_callbacks(execute=True):
            response = clients.leader.post(
                decide, {"_refuse": "1", "refusal_reason": "名录问题可通过更正处理，无须重抽"}
            )
        assert response.status_code == 302
        redraw_request.refresh_from_db()
        assert redraw_request.status == RedrawRequest.Status.REFUSED
        assert redraw_request.refusal_reason == "名录问题可通过更正处理，无须重抽"
        assert redraw_request.decided_by == leader_user
        draw.refresh_from_db()
        assert draw.superseded_at is None and Draw.objects.count() == 1
        told = Notification.objects.get(user=staff_user)
        assert "不批准" in told.title and "名录问题可通过更正处理" in told.body
        # Refused: approving it now is refused; a new request may be made.
        response = clients.leader.post(decide, {"_approve": "1"})
        assert any("不批准" in m for m in messages_of(response)) and Draw.objects.count() == 1
        request_redraw(clients.staff, draw, django_capture_on_commit_callbacks)
        assert RedrawRequest.objects.filter(status="pending").count() == 1

    def test_only_a_unit_head_decides(self, draw, clients, django_capture_on_commit_callbacks):
        request_redraw(clients.staff, draw, django_capture_on_commit_callbacks)
        decide = admin_url("inspections_redrawrequest_decide", RedrawRequest.objects.get().pk)
        for role in ("staff", "auditor"):
            client = getattr(clients, role)
            assert client.post(decide, {"_approve": "1"}).status_code == 403, role
            assert (
                client.post(decide, {"_refuse": "1", "refusal_reason": "不同意"}).status_code == 403
            ), role
        assert RedrawRequest.objects.get().status == RedrawRequest.Status.PENDING

    def test_a_request_overtaken_by_the_execution_cannot_be_approved(
        self, world, clients, staff_user, leader_user, django_capture_on_commit_callbacks
    ):
        """Asked while announced, the draw executed since: the approver is told, may refuse."""
        from inspections.services.draws import draw_announce, draw_execute

        announced = draw_announce(
            task=approved_task(world, staff_user, leader_user), sources=[SSQ], user=staff_user
        )
        request_redraw(clients.staff, announced, django_capture_on_commit_callbacks)
        with after_the_draw():
            draw_execute(draw=announced, values=["1 2 3 4 5 6 7"], user=staff_user)
        decide = admin_url("inspections_redrawrequest_decide", RedrawRequest.objects.get().pk)
        page = clients.leader.get(decide).content.decode()
        assert "提出申请后该抽取的状态已经变化" in page and "批准并公告重新抽取" not in page
        clients.leader.post(decide, {"_approve": "1"})
        assert Draw.objects.count() == 1


def sent_mail():
    """What the outbox sends (the worker's job, run here): the messages as delivered."""
    for email in OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING):
        email_send_task(email.pk)
    return mail.outbox


class BrokenMail(BaseEmailBackend):
    """A mail server that is down: the connection is refused."""

    def open(self):
        raise ConnectionRefusedError("down")

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("down")


def test_a_mail_server_that_is_down_does_not_lose_the_request(
    draw, clients, leader_user, settings, django_capture_on_commit_callbacks, caplog
):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMail"
    leader_user.email = "leader@example.cn"
    leader_user.save()
    response = request_redraw(clients.staff, draw, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert RedrawRequest.objects.get().status == RedrawRequest.Status.PENDING
    assert Notification.objects.filter(user=leader_user).exists()
    # The e-mail waits in the outbox to be sent again later (core.mail); nothing is lost.
    with pytest.raises(EmailDeferred):
        email_send_task(OutboxEmail.objects.get().pk)
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.PENDING


def test_sources_drawn_while_the_request_waited_are_refused_at_the_approval(
    draw, clients, django_capture_on_commit_callbacks
):
    """The 大乐透 of the request is drawn before anyone approves: the re-draw could no longer be
    announced before it. Nothing changes; the approver may refuse, the office ask again."""

    request_redraw(clients.staff, draw, django_capture_on_commit_callbacks)
    redraw_request = RedrawRequest.objects.get()
    decide = admin_url("inspections_redrawrequest_decide", redraw_request.pk)
    with after_the_draw():
        response = clients.leader.post(decide, {"_approve": "1"})
    assert response.status_code == 200
    assert any("不晚于公告时间" in m for m in messages_of(response))
    redraw_request.refresh_from_db()
    draw.refresh_from_db()
    assert redraw_request.status == RedrawRequest.Status.PENDING and draw.superseded_at is None
    assert Draw.objects.count() == 1
