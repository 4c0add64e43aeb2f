"""End to end in Chromium: the office works in the Chinese admin; the public finds an institution
in the published registry (N6, Y3.2), also on a phone."""

import os

import pytest
from playwright.sync_api import Page, expect

from tests.browser.second_factor import pass_second_factor, with_authenticator
from tests.factories import InstitutionFactory, PractitionerFactory, UserFactory
from tests.twofactor import totp_code

# live_server needs committed data; serialized_rollback restores the migrated rows (sectors,
# calendar, groups) for the tests that run afterwards.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "pw-Secret-123"  # tests.factories.UserFactory
PHONE = {"width": 375, "height": 740}
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", "")  # a directory, during development


def shot(page: Page, name: str) -> None:
    if SCREENSHOTS:
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def has_horizontal_overflow(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


@pytest.fixture
def institutions():
    """Two firms, so that a search has something to leave out."""
    found = InstitutionFactory(name="重庆明理律师事务所", address="重庆市渝中区民族路188号")
    PractitionerFactory(institution=found, name="李明")
    InstitutionFactory(name="重庆山城律师事务所")
    return found


def test_staff_logs_in_and_searches_institutions(page: Page, live_server, staff_user, institutions):
    # Headless Chromium asks for English (en-US): the bureau's screens are Chinese all the same.
    with_authenticator(staff_user)
    page.goto(f"{live_server.url}/admin/")
    expect(page).to_have_url(f"{live_server.url}/admin/login/?next=/admin/")
    page.get_by_label("用户名").fill(staff_user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    pass_second_factor(page, staff_user)
    expect(page.get_by_role("heading", name="业务管理")).to_be_visible()

    page.get_by_role("link", name="检查对象名录（机构）").click()
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    page.locator("#searchbar").fill("明理")
    page.get_by_role("button", name="搜索").click()
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("重庆明理律师事务所")
    expect(rows.first).to_contain_text(institutions.credit_code)
    shot(page, "admin-institutions")


def test_a_wrong_password_is_refused_in_chinese(page: Page, live_server, staff_user):
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("用户名").fill(staff_user.username)
    page.get_by_label("密码").fill("wrong-password")
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".errornote")).to_contain_text("请输入一个正确的")


def test_an_inspector_account_cannot_enter_the_admin(page: Page, live_server, inspector_user):
    page.goto(f"{live_server.url}/admin/login/")
    page.get_by_label("用户名").fill(inspector_user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".errornote")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/admin/login/")


def test_public_finds_an_institution(page: Page, live_server, institutions):
    page.goto(f"{live_server.url}/registry/")
    expect(page.get_by_role("heading", name="检查对象名录库", exact=True)).to_be_visible()
    page.get_by_label("机构名称或统一社会信用代码").fill("明理")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".result-count")).to_contain_text("共 1 家机构")
    page.get_by_role("link", name="重庆明理律师事务所").click()
    expect(page).to_have_url(f"{live_server.url}/registry/{institutions.credit_code}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("重庆明理律师事务所")
    expect(page.get_by_text("重庆市渝中区民族路188号")).to_be_visible()
    shot(page, "public-institution")


def test_public_pages_fit_a_phone(page: Page, live_server, institutions):
    page.set_viewport_size(PHONE)
    for path in ["/", "/registry/?q=明理", f"/registry/{institutions.credit_code}/"]:
        page.goto(live_server.url + path)
        assert not has_horizontal_overflow(page), path
    shot(page, "phone-institution")


def test_the_admin_changelist_is_usable_on_a_phone(page: Page, live_server, institutions):
    """Django's admin is responsive: the wide result table scrolls inside its box, the page
    itself does not."""
    user = UserFactory(username="phone.admin", is_staff=True, is_superuser=True)
    with_authenticator(user)
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/admin/login/?next=/admin/registry/institution/")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    pass_second_factor(page, user)
    expect(page.locator("#result_list")).to_be_visible()
    assert not has_horizontal_overflow(page)
    shot(page, "phone-admin")


def test_a_new_staff_member_enrols_an_authenticator_then_logs_in_with_a_code(
    page: Page, live_server, staff_user
):
    """Issue 14 §1 end to end: password → QR code and secret → the authenticator's code → ten
    recovery codes shown once → the admin; next time password → code → the admin. The pages
    load nothing from another site (offline) and run no inline script."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    outside = []
    page.on("request", lambda r: None if r.url.startswith(live_server.url) else outside.append(r))
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("用户名").fill(staff_user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="启用身份验证器")).to_be_visible()
    expect(page.locator(".twofactor-qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    assert len(secret) == 32
    key = TOTPDevice.objects.get(user=staff_user).key
    page.get_by_label("验证码").fill(totp_code(key))
    page.get_by_role("button", name="启用").click()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    shot(page, "admin-recovery-codes")
    page.get_by_role("link", name="我已保存，继续").click()
    expect(page.get_by_role("heading", name="业务管理")).to_be_visible()

    page.get_by_role("button", name="注销").click()
    page.goto(f"{live_server.url}/admin/")
    page.get_by_label("用户名").fill(staff_user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="第二步：验证码")).to_be_visible()
    page.get_by_label("验证码").fill(totp_code(key, offset=1))
    page.get_by_role("button", name="验证").click()
    expect(page.get_by_role("heading", name="业务管理")).to_be_visible()
    assert outside == []
