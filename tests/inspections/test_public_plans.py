"""The public pages of annual plans (Y3.4): the list with the late flag, the detail with sections,
rounds and revision history, nothing of an unpublished revision, bounded queries."""

import datetime as dt

import pytest
from django.urls import reverse

from inspections.models import AnnualPlan, PlanSection
from inspections.services.plans import plan_revision_open
from tests.inspections.public_pages import YEAR, make_plan, page, shanghai
from tests.inspections.public_pages import on_sources_day as on_sources_day  # a fixture
from tests.inspections.public_pages import world as world  # a fixture

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_sources_day")]


class TestPlans:
    def test_list_shows_published_plans_with_the_late_flag(self, client, world, staff_user):
        on_time = make_plan(staff_user, year=YEAR + 2, title="按时公布的计划")
        AnnualPlan.objects.filter(pk=on_time.pk).update(
            published_at=shanghai(dt.date(YEAR + 2, 1, 20))
        )
        listing = page(client, reverse("inspections:plan_list"))
        late_row = listing.split(world["plan"].title)[1].split("</tr>")[0]
        on_time_row = listing.split("按时公布的计划")[1].split("</tr>")[0]
        assert "逾期公布" in late_row  # Y3.4: after 31 January
        assert "逾期公布" not in on_time_row
        assert "渝中区" in late_row

    def test_detail_shows_sections_rounds_and_revision_history(self, client, world):
        plan = world["plan"]
        text = page(client, reverse("inspections:plan_detail", args=[plan.pk]))
        section = plan.sections.get()
        for item in section.check_items.all():
            assert item.name in text and item.code in text
        assert "《中华人民共和国律师法》第二十三条" in text  # the legal basis of each item
        assert "渝中区内全部执业律师事务所" in text
        assert "50%" in text and "20%" in text and "2%" in text
        assert "现场检查" in text and "电话回访当事人" in text
        assert "2026年4月1日" in text and "2026年9月30日" in text
        assert "逾期公布" in text
        # The revision: number, reason, summary, dates.
        assert "第 1 次修订" in text and "第二批检查时间调整" in text
        assert "第二批检查推迟一周。" in text
        assert "2026年6月1日" in text  # decided
        revision = plan.revisions.get()
        assert revision.publish_by.strftime("%Y年%-m月%-d日") in text

    def test_unpublished_changes_stay_off_the_public_page(self, client, world, staff_user):
        """The content is the latest published revision's snapshot: changes prepared under an
        open revision are not public before that revision is published (Y3.4)."""
        plan = world["plan"]
        plan_revision_open(
            plan=plan,
            reason="尚未发布的修订原因",
            summary="尚未发布",
            changed_on=dt.date(YEAR, 7, 1),
            affected_starts_on=dt.date(YEAR, 9, 1),
            user=staff_user,
        )
        PlanSection.objects.filter(plan=plan).update(target_scope="尚未公布的新范围")
        text = page(client, reverse("inspections:plan_detail", args=[plan.pk]))
        assert "尚未公布的新范围" not in text
        assert "尚未发布的修订原因" not in text
        assert "渝中区内全部执业律师事务所" in text

    def test_query_counts(self, client, world, staff_user, django_assert_max_num_queries):
        for year in range(YEAR + 2, YEAR + 6):
            make_plan(staff_user, year=year)
        with django_assert_max_num_queries(2):
            page(client, reverse("inspections:plan_list"))
        with django_assert_max_num_queries(2):  # plan, revisions (content from the snapshot)
            page(client, reverse("inspections:plan_detail", args=[world["plan"].pk]))
        unrevised = AnnualPlan.objects.filter(year=YEAR + 2).get()
        with django_assert_max_num_queries(5):  # + sections, check items, rounds
            page(client, reverse("inspections:plan_detail", args=[unrevised.pk]))
