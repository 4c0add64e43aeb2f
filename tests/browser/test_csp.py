"""The Content-Security-Policy, enforced in Chromium (issue 14 §5; GB/T 22239-2019 8.1.4.4
恶意代码防范 at the application layer): the public site, the back office and the inspectors'
screens work under it — their scripts run, their widgets appear — and no page reports a refusal
(tests/browser/conftest.py fails any browser test on one)."""

import pytest
from django.contrib.auth.models import Permission
from playwright.sync_api import Page, expect

from inspections.models import CheckRecord
from tests.browser.second_factor import pass_second_factor, with_authenticator
from tests.browser.test_inspect import draw_with_mouse, executed, log_in  # noqa: F401 (fixture)
from tests.factories import InstitutionFactory, JurisdictionFactory
from tests.inspections.fieldwork_data import PASSWORD

pytest_plugins = ["tests.inspections.fieldwork_fixtures"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("media_in_tmp"),
]

PUBLIC = ["/", "/list/", "/registry/", "/inspectors/", "/plans/", "/draws/", "/results/"]


def enforced_policy(response) -> str:
    assert "content-security-policy-report-only" not in response.headers
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "'unsafe-inline'" not in policy
    return policy


def test_the_public_site_works_under_the_policy(page: Page, live_server, executed):  # noqa: F811
    """Every public page, a draw's own page (its verification panel) and a search."""
    for path in [*PUBLIC, f"/draws/{executed.pk}/"]:
        response = page.goto(live_server.url + path)
        assert response.status == 200, path
        enforced_policy(response)
        expect(page.locator("h1")).to_have_count(1)
    page.goto(live_server.url + "/registry/")
    page.get_by_role("searchbox").first.fill("律师")
    page.keyboard.press("Enter")
    page.wait_for_load_state("load")


def admin_log_in(page: Page, live_server, user) -> None:
    """The password, then the authenticator's code (issue 14 §1), both pages under the policy."""
    with_authenticator(user)
    response = page.goto(f"{live_server.url}/admin/login/")
    enforced_policy(response)
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    pass_second_factor(page, user)
    expect(page.locator("#user-tools")).to_be_visible()


def test_the_back_office_works_under_the_policy(page: Page, live_server, staff_user):
    """Login, a changelist with its filters and actions, change forms whose widgets are built by
    the admin's scripts (two-list selector, calendar, autocomplete), the import page, the
    history page."""
    jurisdiction = JurisdictionFactory()
    institution = InstitutionFactory(jurisdiction=jurisdiction)
    admin_log_in(page, live_server, staff_user)

    page.goto(f"{live_server.url}/admin/registry/institution/")
    expect(page.locator("#result_list")).to_be_visible()
    # The actions bar's script: ticking a row counts it.
    page.locator("#result_list tbody input.action-select").first.check()
    expect(page.locator(".action-counter")).to_contain_text("1")

    page.goto(f"{live_server.url}/admin/registry/inspector/add/")
    # SelectFilter2 turns the sectors' list into two lists with a filter box.
    expect(page.locator(".selector .selector-filter input").first).to_be_visible()
    # DateTimeShortcuts puts a "today" link and a calendar button beside each date.
    today = page.locator("#id_certificate_valid_to ~ .datetimeshortcuts a").first
    expect(today).to_be_visible()
    today.click()  # 今天
    expect(page.locator("#id_certificate_valid_to")).not_to_have_value("")

    page.goto(f"{live_server.url}/admin/registry/conflict/add/")
    # The autocomplete fields (select2) load their choices from the server.
    page.locator(".field-institution .select2-selection").click()
    expect(page.locator(".select2-results__option", has_text=institution.name)).to_be_visible()

    page.goto(f"{live_server.url}/admin/registry/institution/import-spreadsheet/")
    expect(page.locator("input[type=file]")).to_be_visible()
    page.goto(f"{live_server.url}/admin/registry/institution/{institution.pk}/change/")
    expect(page.locator("#institution_form")).to_be_visible()
    page.goto(f"{live_server.url}/admin/registry/institution/{institution.pk}/history/")
    expect(page.locator("#content")).to_be_visible()


def test_a_task_form_fills_itself_from_the_round_under_the_policy(
    page: Page,
    live_server,
    staff_user,
    executed,  # noqa: F811
):
    """The task form's own script (static/inspections/task_round.js) runs."""
    staff_user.user_permissions.add(*Permission.objects.filter(codename__endswith="inspectiontask"))
    staff_user.save()
    admin_log_in(page, live_server, staff_user)
    page.goto(f"{live_server.url}/admin/inspections/inspectiontask/add/")
    expect(page.locator("#inspectiontask_form")).to_be_visible()
    page.goto(f"{live_server.url}/admin/inspections/draw/{executed.pk}/change/")
    expect(page.locator("#content")).to_be_visible()


@pytest.mark.parametrize("size", [{"width": 1024, "height": 768}], ids=["1024x768"])
def test_the_tablet_screens_work_under_the_policy(browser, size, live_server, inspection, team):
    """The inspector's list, the record form: saving as one types (record.js) and a signature
    drawn and confirmed (signature.js)."""
    context = browser.new_context(viewport=size, has_touch=True, locale="zh-CN")
    page = context.new_page()
    log_in(page, live_server, team[0])
    enforced_policy(page.goto(f"{live_server.url}/inspect/"))
    page.locator(".inspection-card", has_text=inspection.institution.name).get_by_role(
        "link"
    ).click()
    page.get_by_role("button", name="开始填写检查记录").click()
    page.get_by_label("被检查对象陈述申辩").fill("对检查无异议。")
    expect(page.locator("#save-status")).to_contain_text("已保存")
    pad = page.locator(".signer:has(canvas)").first
    draw_with_mouse(page, pad.locator("canvas"))
    pad.get_by_role("button", name="确认签名").click()
    expect(page.locator(".signer figure")).to_have_count(1)
    record = CheckRecord.objects.get(inspection=inspection)
    assert record.signatures.count() == 1
    assert record.statement == "对检查无异议。"
    context.close()


def test_injected_script_and_style_are_refused_and_reported(
    page: Page, live_server, csp_violations
):
    """An attacker's markup that reached a page (a stored XSS) does not run: an inline script and
    a style attribute are refused — and the watcher every browser test relies on sees both."""
    page.goto(f"{live_server.url}/results/")
    page.evaluate(
        """() => {
          const s = document.createElement("script");
          s.textContent = "window.pwned = true";
          document.body.append(s);
          document.body.insertAdjacentHTML("beforeend", '<p id="x" style="color:red">x</p>');
        }"""
    )
    page.wait_for_timeout(300)
    assert page.evaluate("window.pwned") is None
    assert page.evaluate("getComputedStyle(document.getElementById('x')).color") != "rgb(255, 0, 0)"
    assert any("script-src" in line for line in csp_violations), csp_violations
    assert any("style-src-attr" in line for line in csp_violations), csp_violations
    csp_violations.clear()  # seen and expected: not a failure of this test
