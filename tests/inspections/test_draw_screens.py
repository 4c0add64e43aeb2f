"""The office's draw screens (SPEC §3; N10, N11, Y3.5): the immediate draw's reason and two
witnesses, sources that do not exist yet or already do, execution errors in full, the re-draw's
second approver; every exclusion reason and borrowed member labelled on the detail."""

import datetime as dt

import pytest

from inspections.admin.draws import draw_detail
from inspections.models import Draw, RedrawRequest
from inspections.services.draws import draw_announce
from tests.inspections.screens import (
    SSQ,
    TODAY,
    TOMORROW,
    admin_url,
    after_the_draw,
    approved_task,
    executed_draw,
    messages_of,
    sources_data,
)
from tests.inspections.screens import clients as clients  # a fixture
from tests.inspections.screens import world as world  # a fixture

pytestmark = pytest.mark.django_db


class TestDrawScreens:
    def test_immediate_draw_needs_a_reason_and_two_witnesses(
        self, world, clients, staff_user, leader_user
    ):
        task = approved_task(world, staff_user, leader_user)
        url = admin_url("inspections_draw_immediate", task.pk)
        reason = "开奖推迟且检查时间紧迫"
        confirmed = {"confirm_period": "on"}  # last year's round (issue 12 §11.4)
        for witnesses in [("纪检组 李某", ""), ("纪检组 李某", "纪检组 李某")]:
            response = clients.staff.post(
                url,
                {"reason": reason, "witness_1": witnesses[0], "witness_2": witnesses[1]}
                | confirmed,
            )
            assert response.status_code == 200
            assert response.context["form"].errors["witness_2"]
            assert not Draw.objects.exists()
        response = clients.staff.post(
            url,
            {"reason": reason, "witness_1": "纪检组 李某", "witness_2": "法制科 王某"} | confirmed,
        )
        draw = Draw.objects.get()
        assert response["Location"] == admin_url("inspections_draw_change", draw.pk)
        assert draw.is_executed and not draw.verifiable
        assert draw.witnesses == ["纪检组 李某", "法制科 王某"]
        html = clients.staff.get(admin_url("inspections_draw_change", draw.pk)).content.decode()
        assert "不可公开验证" in html and "法制科 王某" in html and reason in html

    def test_a_source_cannot_be_entered_before_it_exists(
        self, world, clients, staff_user, leader_user
    ):
        task = approved_task(world, staff_user, leader_user)
        draw = draw_announce(task=task, sources=[SSQ], user=staff_user)
        response = clients.staff.post(
            admin_url("inspections_draw_execute", draw.pk), {"source_1": "1 2 3 4 5 6 7"}
        )
        assert response.status_code == 200
        (error,) = response.context["form"].errors["source_1"]
        assert f"最早可于 {TOMORROW.isoformat()} 21:15 之后执行" in error
        draw.refresh_from_db()
        assert not draw.is_executed

    def test_a_past_source_cannot_be_announced(self, world, clients, staff_user, leader_user):
        task = approved_task(world, staff_user, leader_user)
        yesterday = {**SSQ, "date": (TODAY - dt.timedelta(days=1)).isoformat()}
        response = clients.staff.post(
            admin_url("inspections_draw_announce", task.pk),
            sources_data(yesterday, _confirm="1", confirm_period="on"),
        )
        assert response.status_code == 200 and not Draw.objects.exists()

    def test_execution_errors_are_shown_in_full(self, world, clients, staff_user, leader_user):
        task = approved_task(world, staff_user, leader_user)
        draw = draw_announce(task=task, sources=[SSQ], user=staff_user)
        with after_the_draw():
            response = clients.staff.post(
                admin_url("inspections_draw_execute", draw.pk), {"source_1": "1 2 3"}
            )
        assert "应有 7 个数，实际填写了 3 个" in response.content.decode()

    def test_redraw_needs_a_second_approver(self, world, clients, staff_user, leader_user):
        """The request is recorded and decided by another person (tests/inspections/
        test_redraw_requests.py has the notifications and the approvers' list)."""
        draw = executed_draw(world, staff_user, leader_user)
        reason = "抽取后发现名录有误"
        response = clients.staff.post(
            admin_url("inspections_draw_redraw", draw.pk),
            sources_data({**SSQ, "kind": "dlt", "name": "大乐透第26140期"}, reason=reason),
        )
        redraw_request = RedrawRequest.objects.get()
        decide = admin_url("inspections_redrawrequest_decide", redraw_request.pk)
        assert response["Location"] == decide and Draw.objects.count() == 1  # nothing announced
        # The requester sees the request but cannot approve it (nor holds the right to).
        page = clients.staff.get(decide)
        assert page.status_code == 200 and "批准并公告重新抽取" not in page.content.decode()
        assert clients.staff.post(decide, {"_approve": "1"}).status_code == 403
        page = clients.leader.get(decide)
        assert reason in page.content.decode() and "大乐透第26140期" in page.content.decode()
        response = clients.leader.post(decide, {"_approve": "1"})
        new = Draw.objects.get(redraw_of=draw)
        assert response["Location"] == admin_url("inspections_draw_change", new.pk)
        assert new.redraw_requested_by == staff_user and new.redraw_approved_by == leader_user
        assert new.redraw_reason == reason
        draw.refresh_from_db()
        assert draw.superseded_at is not None
        # Decided once; an unknown request does not exist.
        response = clients.leader.post(decide, {"_approve": "1"})
        assert any("已批准" in m for m in messages_of(response))
        assert Draw.objects.count() == 2
        missing = admin_url("inspections_redrawrequest_decide", redraw_request.pk + 1)
        assert clients.leader.get(missing).status_code == 404


def test_exclusion_reasons_and_borrowed_members_are_labelled():
    """Every outcome of TeamBuilder's steps has its Chinese reason; borrowed members are marked."""
    targets = [
        {"credit_code": "C1", "name": "甲律师事务所", "tier": "key", "jurisdiction": "500103"}
    ]
    inspectors = [
        {"certificate": "A", "name": "张三", "jurisdiction": "500103", "local": True},
        {"certificate": "B", "name": "李四", "jurisdiction": "500105", "local": False},
    ]
    step = {"phase": 1, "pool": "local", "pick": 1, "digest": "00"}
    draw = Draw(
        announcement={
            "sources": [
                {"name": "双色球", "kind": "ssq", "date": "2026-01-01", "entropy_bits": 24}
            ],
            "pools": {
                "targets": {"entries": targets, "sha256": "t"},
                "inspectors": {"entries": inspectors, "sha256": "i"},
                "conflicts": {"entries": [], "sha256": "c"},
            },
            "strata": [{"code": "key", "size": 1, "planned": 1}],
            "parameters": {"team_size": 2},
        },
        source_values=[[1, 2, 3, 4, 5, 6, 7]],
        result={
            "strata": [{"code": "key", "size": 1, "count": 1}],
            "selections": [
                {"stratum": "key", "pick": 1, "digest": "AB", "remaining": 1, "credit_code": "C1"}
            ],
            "teams": [
                {
                    "credit_code": "C1",
                    "members": [{"certificate": "B", "borrowed": True}],
                    "excluded_for_conflict": ["A"],
                    "steps": [
                        {**step, "certificate": "A", "outcome": "conflict"},
                        {**step, "certificate": "A", "outcome": "load"},
                        {**step, "certificate": "A", "outcome": "already"},
                        {**step, "certificate": "B", "outcome": "accepted", "pool": "borrow"},
                    ],
                }
            ],
        },
    )
    row = draw_detail(draw)["targets"][0]
    assert [str(s["reason"]) for s in row["skipped"]] == [
        "利害关系回避",
        "已达工作量上限",
        "已在本组",
    ]
    assert row["members"] == [
        {"certificate": "B", "name": "李四", "jurisdiction": "500105", "borrowed": True}
    ]
    assert row["name"] == "甲律师事务所" and str(row["stratum"]) == "重点"
