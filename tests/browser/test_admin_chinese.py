"""The Chinese staff screens in Chromium show no English (issue 12 §11.3): a task's add page (its
two-column 辖区 picker, filled from a round of the plan when the round is chosen) and the user add
page (its groups picker after the first save, the password help texts)."""

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from inspections.models import PlanRound
from inspections.services.plans import plan_publish
from tests.browser.second_factor import pass_second_factor, with_authenticator
from tests.factories import CheckItemFactory, JurisdictionFactory, UserFactory
from tests.inspections.conftest import YEAR, clock, plan_make

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "pw-Secret-123"  # tests.factories.UserFactory
# What the screens said before locale-django/ (and what Django's picker says in English).
ENGLISH = [
    "Choose",
    "Remove",
    "Filter",
    "Available",
    "Chosen",
    "After you",
    "password",
    "click to clear",
]
# Latin words that belong in the Chinese text: keys named in Django's own Chinese help
# (“按住 Control 键或 Mac 上的 Command 键来选择多项。”) and the usable-password help's LDAP.
LATIN_ALLOWED = {"Control", "Mac", "Command", "LDAP"}


@pytest.fixture
def browser_context_args(browser_context_args):
    # As on the bureau's computers: the server's time zone, so the date fields say nothing of it.
    return {**browser_context_args, "timezone_id": "Asia/Shanghai"}


def log_in(page: Page, live_server, user, path: str) -> None:
    with_authenticator(user)
    page.goto(f"{live_server.url}/admin/login/?next={path}")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    pass_second_factor(page, user)
    page.wait_for_load_state("networkidle")


def words_on_screen(page: Page) -> str:
    """The content's visible text, and what its tooltips, labels and placeholders say."""
    attributes = page.evaluate(
        """() => Array.from(document.querySelectorAll(
              '#content [title], #content [aria-label], #content [placeholder]'))
            .flatMap(e => [e.title, e.getAttribute('aria-label'), e.placeholder])
            .filter(Boolean).join('\\n')"""
    )
    return page.locator("#content").inner_text() + "\n" + attributes


def assert_no_english(page: Page, *, data: set[str] = frozenset()) -> None:
    """None of the English strings, nor any other Latin word but `data` (a login name, say) and
    the password hash's summary (算法: md5 盐: …), which are what was stored, not what was said."""
    text = words_on_screen(page)
    for english in ENGLISH:
        assert english not in text, english
    said = "\n".join(line for line in text.splitlines() if "算法" not in line)
    latin = set(re.findall(r"[A-Za-z]{2,}", said)) - LATIN_ALLOWED - data
    assert not latin, latin


@pytest.fixture
def plan_round(staff_user):
    yuzhong = JurisdictionFactory()
    draft = plan_make(
        jurisdiction=yuzhong,
        check_items=[CheckItemFactory(), CheckItemFactory()],
        ratio_normal=10,
        team_size=3,
    )
    with clock(dt.date(YEAR, 1, 20)):
        plan = plan_publish(plan=draft, user=staff_user)
    return PlanRound.objects.get(section__plan=plan, number=1)


def test_the_task_add_page_is_chinese_and_starts_from_the_chosen_round(
    page: Page, live_server, staff_user, plan_round
):
    log_in(page, live_server, staff_user, "/admin/inspections/inspectiontask/add/")
    expect(page.locator("#id_jurisdictions_from")).to_be_visible()  # the picker is built
    expect(page.get_by_text("可用 辖区")).to_be_visible()
    expect(page.get_by_text("全选辖区")).to_be_visible()
    assert_no_english(page)
    # Choosing the round fills in the plan's figures (N8, N11) and the round's dates (Y3.4).
    page.locator("#id_plan_round").select_option(str(plan_round.pk))
    page.wait_for_url(re.compile(rf"plan_round={plan_round.pk}"))
    expect(page.locator("#id_ratio_normal")).to_have_value("10.00")
    expect(page.locator("#id_team_size")).to_have_value("3")
    expect(page.locator("#id_starts_on")).to_have_value(re.compile(r"2026.04.01"))
    expect(page.locator("#id_jurisdictions_to option")).to_have_text(["渝中区（500103）"])
    assert_no_english(page)


def test_the_user_pages_are_chinese(page: Page, live_server):
    admin = UserFactory(username="it.admin", is_staff=True, is_superuser=True)
    log_in(page, live_server, admin, "/admin/auth/user/add/")
    expect(page.get_by_text("创建用户后，即可编辑该用户的其他选项。")).to_be_visible()
    assert_no_english(page)
    page.locator("#id_username").fill("new.staff")
    page.locator("#id_password1").fill("a1")
    page.locator("#id_password2").fill("a1")
    page.locator("input[name=_save]").click()
    expect(page.get_by_text("密码太短，至少须包含 10 个字符。")).to_be_visible()  # issue 14 §1
    assert_no_english(page)
    # The change page, with the groups and permissions pickers.
    page.locator("#id_password1").fill("Lang-Pass-2026")
    page.locator("#id_password2").fill("Lang-Pass-2026")
    page.locator("input[name=_continue]").click()
    expect(page.locator("#id_groups_from")).to_be_visible()
    expect(page.get_by_text("全选组")).to_be_visible()
    expect(page.get_by_text("管理 | 日志记录 | 增加")).to_be_attached()
    assert_no_english(page, data={"new", "staff"})
