"""The public results in Chromium (issue 5 §5): a citizen searches by name, filters by result,
opens a result and downloads the same list as open data — on a desktop and on a phone."""

import io

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

from publication.models import ResultNotice
from tests.browser.test_admin_and_registry import PHONE, has_horizontal_overflow, shot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def demo():
    call_command("demo_data", password="pw-Demo-2026", stdout=io.StringIO())
    return ResultNotice.objects.public()


def test_search_filter_open_on_desktop_and_phone(page: Page, live_server, demo):
    case = demo.get(category="case_filed")
    total = demo.count()
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="抽查结果").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("抽查结果公开")
    expect(page.locator(".result-count")).to_contain_text(f"共 {total} 条结果")

    page.get_by_label("检查结果").select_option("case_filed")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".result-count")).to_contain_text("共 1 条结果")
    expect(page.locator("tbody tr")).to_have_count(1)
    json_link = page.get_by_role("link", name="JSON")
    expect(json_link).to_have_attribute("href", "/results.json?result=case_filed")
    shot(page, "results-filtered")

    page.get_by_label("检查结果").select_option("")
    page.get_by_label("机构名称或统一社会信用代码").fill(case.credit_code)
    page.get_by_role("button", name="查询").click()
    page.get_by_role("link", name=case.target_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(case.target_name)
    expect(page.get_by_text(case.case_number)).to_be_visible()
    shot(page, "result-detail")

    page.set_viewport_size(PHONE)
    for path in ["/results/", f"/results/{case.pk}/", "/"]:
        page.goto(live_server.url + path)
        assert not has_horizontal_overflow(page), path
    page.goto(f"{live_server.url}/results/?result=case_filed")
    page.get_by_role("link", name=case.target_name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(case.target_name)
    shot(page, "phone-result")
