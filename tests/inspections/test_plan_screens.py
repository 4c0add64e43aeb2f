"""The plan check on the plan's pages (issue 12 §11.2): it never says "no problem" about a plan
that has nothing to check — an unsaved plan, a plan without sectors, a sector without check
items, a sector with no institution in the registry — and says what is missing instead."""

import pytest
from django.test import Client

from inspections.models import AnnualPlan, PlanSection
from inspections.services.plans import plan_check
from tests.factories import sector
from tests.inspections.conftest import YEAR, plan_make
from tests.inspections.screens import admin_url, client_for

pytestmark = pytest.mark.django_db

NO_PROBLEM = "未发现问题"


@pytest.fixture
def staff(staff_user) -> Client:
    return client_for(staff_user)


def check_panel(html: str) -> str:
    """The plan check's panel of the page."""
    start = html.index('id="plan-check"')
    return html[start : html.index("</div>", start)]


def test_a_blank_new_plan_claims_nothing(staff):
    html = staff.get(admin_url("inspections_annualplan_add")).content.decode()
    panel = check_panel(html)
    assert NO_PROBLEM not in panel and "✔" not in panel
    assert "保存后" in panel


def test_a_plan_without_sectors_says_so(staff, yuzhong):
    plan = AnnualPlan.objects.create(jurisdiction=yuzhong, year=YEAR, title="空计划")
    panel = check_panel(
        staff.get(admin_url("inspections_annualplan_change", plan.pk)).content.decode()
    )
    assert "计划尚未包含任何行业" in panel and NO_PROBLEM not in panel


def test_a_sector_without_check_items_is_an_error(staff, yuzhong, institutions):
    # Y3.4: the plan states its check content, from the list; none chosen is nothing to check.
    plan = plan_make(jurisdiction=yuzhong, check_items=[])
    (error,) = plan_check(plan=plan).errors
    assert "律师：尚未选择抽查事项" in error
    panel = check_panel(
        staff.get(admin_url("inspections_annualplan_change", plan.pk)).content.decode()
    )
    assert "尚未选择抽查事项" in panel and NO_PROBLEM not in panel


def test_a_sector_with_no_institution_in_the_registry_is_not_covered(staff, yuzhong, check_items):
    # N8's 5 % of nobody is met by nobody: the figure would be true and say nothing.
    plan = plan_make(jurisdiction=yuzhong, check_items=check_items)
    check = plan_check(plan=plan)
    assert check.errors == []
    (warning,) = check.warnings
    assert "律师：检查对象名录中尚无本辖区的执业机构" in warning
    section = plan.sections.get()
    for url in (
        admin_url("inspections_annualplan_change", plan.pk),
        admin_url("inspections_plansection_change", section.pk),
    ):
        panel = check_panel(staff.get(url).content.decode())
        assert "尚无本辖区的执业机构" in panel and NO_PROBLEM not in panel


def test_a_complete_plan_still_passes(staff, draft_plan):
    panel = check_panel(
        staff.get(admin_url("inspections_annualplan_change", draft_plan.pk)).content.decode()
    )
    assert NO_PROBLEM in panel


def test_a_new_sector_page_claims_nothing(staff, yuzhong):
    plan = AnnualPlan.objects.create(jurisdiction=yuzhong, year=YEAR, title="空计划")
    html = staff.get(
        admin_url("inspections_plansection_add"), {"plan": plan.pk, "sector": sector("lawyer").pk}
    ).content.decode()
    assert NO_PROBLEM not in html
    assert not PlanSection.objects.exists()
