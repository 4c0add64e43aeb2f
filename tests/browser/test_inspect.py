"""The inspectors' screens in Chromium at tablet size (issue 4 §1, §5): a record filled in and
submitted with signatures drawn on the screen (mouse and touch), a draft typed while the network is
down and sent once when it returns, and someone else's inspection answering 404.

BROWSER_SCREENSHOTS=/tmp/inspect-shots keeps a screenshot of every screen at both sizes."""

import json
import os

import pytest
from playwright.sync_api import Page, expect

from inspections.models import CheckRecord
from inspections.services.records import record_start
from inspections.tasks import record_pdf_render_task
from tests.factories import (
    CheckItemFactory,
    InspectorFactory,
    InstitutionFactory,
    JurisdictionFactory,
)
from tests.inspections.conftest import draw_made, plan_make
from tests.inspections.fieldwork_data import PASSWORD, jpeg_bytes
from tests.twofactor import bound_tablet_cookie

pytest_plugins = ["tests.inspections.fieldwork_fixtures"]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.usefixtures("media_in_tmp"),
]

LANDSCAPE = {"width": 1024, "height": 768}
PORTRAIT = {"width": 768, "height": 1024}
SIZES = [pytest.param(LANDSCAPE, id="1024x768"), pytest.param(PORTRAIT, id="768x1024")]
SCREENSHOTS = os.environ.get("BROWSER_SCREENSHOTS", "")
MIN_TOUCH = 44  # px: the smallest control a finger hits reliably
# Chromium's offline emulation leaves navigator.onLine alone and sends no online event, so the
# page finds the network again by retrying (every 2, 4, 8 … at most 15 s).
BACK_ONLINE = 20_000


@pytest.fixture
def executed(staff_user, leader_user):
    """The executed draw of tests/inspections/conftest.py, built here (browser tests live in
    their own folder): 20 law firms, 6 inspectors, two check items, teams of two (N11)."""
    yuzhong = JurisdictionFactory()
    items = [
        CheckItemFactory(code="LS-001", name="律师事务所执业许可证与登记事项"),
        CheckItemFactory(code="LS-002", name="律师事务所内部管理制度落实情况"),
    ]
    InstitutionFactory.create_batch(20, jurisdiction=yuzhong)
    InspectorFactory.create_batch(6, jurisdiction=yuzhong)
    draft = plan_make(jurisdiction=yuzhong, check_items=items)
    return draw_made(draft=draft, staff=staff_user, leader=leader_user)


@pytest.fixture
def enqueued(monkeypatch):
    """Ids the check record's PDF is enqueued with (the live server runs in this process)."""
    ids = []
    monkeypatch.setattr(record_pdf_render_task, "delay", ids.append)
    return ids


@pytest.fixture(params=SIZES)
def tablet(request, browser):
    """A touch-screen tablet at one of the two sizes, Chinese."""
    context = browser.new_context(
        viewport=request.param, has_touch=True, locale="zh-CN", device_scale_factor=1
    )
    context.size_name = f"{request.param['width']}x{request.param['height']}"
    yield context
    context.close()


def shot(page: Page, name: str, *, full_page: bool = True) -> None:
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        size = page.viewport_size
        path = os.path.join(SCREENSHOTS, f"{size['width']}x{size['height']}-{name}.png")
        page.screenshot(path=path, full_page=full_page)


def log_in(page: Page, live_server, user) -> None:
    # A tablet the office bound (issue 14 §1: the field screens open only on one).
    name, value = bound_tablet_cookie()
    page.context.add_cookies([{"name": name, "value": value, "url": live_server.url}])
    page.goto(f"{live_server.url}/inspect/")
    expect(page.get_by_role("heading", name="检查人员登录")).to_be_visible()
    shot(page, "01-login")
    page.get_by_label("用户名").fill(user.username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="我的检查")).to_be_visible()


def fits_the_screen(page: Page) -> None:
    """No sideways scrolling, and every control a finger must hit is at least 44 px."""
    assert not page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    small = page.evaluate(
        """(min) => {
          const selector = 'button, select, textarea, a.btn, .crumbs a, .inspection-card__link,'
            + ' input[type=text], input[type=date], input[type=password], .toggle,'
            + ' .segmented__option, .upload__button, summary, .table td a';
          return [...document.querySelectorAll(selector)]
            .filter((el) => el.offsetParent !== null && !el.closest('.visually-hidden')
                    && !el.classList.contains('visually-hidden'))
            .map((el) => [el, el.getBoundingClientRect()])
            .filter(([, r]) => r.height < min || r.width < min)
            .map(([el, r]) => `${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 20)}" ${Math.round(r.width)}x${Math.round(r.height)}`);
        }""",
        MIN_TOUCH,
    )
    assert small == []


def settled(page: Page, canvas) -> None:
    """The pad in view, and the page done moving (signature images above it loaded)."""
    # A function, not an expression: Playwright evaluates an expression with eval, which the
    # page's Content-Security-Policy refuses (issue 14 §5).
    page.wait_for_function("() => [...document.images].every((image) => image.complete)")
    canvas.scroll_into_view_if_needed()


def draw_with_mouse(page: Page, canvas) -> None:
    settled(page, canvas)
    box = canvas.bounding_box()
    x, y = box["x"] + 30, box["y"] + box["height"] * 0.7
    page.mouse.move(x, y)
    page.mouse.down()
    for step in range(1, 12):
        page.mouse.move(x + step * 20, y - (step % 4) * 25, steps=2)
    page.mouse.up()


def draw_with_touch(page: Page, canvas) -> None:
    """A finger on the touch screen (Chromium turns it into pointer events)."""
    settled(page, canvas)
    cdp = page.context.new_cdp_session(page)
    box = canvas.bounding_box()
    x, y = box["x"] + 40, box["y"] + box["height"] * 0.6
    cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x, "y": y}]})
    for step in range(1, 12):
        point = {"x": x + step * 18, "y": y - (step % 3) * 30}
        cdp.send("Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": [point]})
    cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    cdp.detach()


def test_fill_and_submit_a_record(tablet, live_server, inspection, team, enqueued):
    page = tablet.new_page()
    log_in(page, live_server, team[0])
    card = page.locator(".inspection-card", has_text=inspection.institution.name)
    expect(card).to_contain_text("组长")
    expect(card).to_contain_text("2 项")
    fits_the_screen(page)
    shot(page, "02-list")

    card.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(inspection.institution.name)
    fits_the_screen(page)
    shot(page, "03-inspection")
    page.get_by_role("button", name="开始填写检查记录").click()
    record = CheckRecord.objects.get(inspection=inspection)
    status = page.locator("#save-status")
    expect(status).to_contain_text("已保存")

    # Submitting too early lists what is missing (N9, Y3.5, Y3.3/N11).
    page.get_by_role("button", name="提交检查记录").click()
    expect(page.locator("#problems")).to_contain_text("还没有检查结果（N9）")
    fits_the_screen(page)
    shot(page, "04-problems")

    for item in record.items.order_by("order"):
        page.locator(f"#item-{item.pk} .segmented__option--compliant").click()
    page.get_by_text("已出示执法证件").click()
    page.get_by_text("已告知权利义务").click()
    page.get_by_label("被检查对象陈述申辩").fill("对检查无异议。")
    page.get_by_label("姓名", exact=True).fill("张主任")
    page.get_by_label("职务").fill("主任")
    first = record.items.order_by("order").first()
    page.locator(f"#item-{first.pk} input[capture=environment]").set_input_files(
        {"name": "现场照片.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes(gps=True)}
    )
    expect(page.locator(f"#item-{first.pk} .evidence__entry")).to_have_count(1)
    expect(status).to_contain_text("已保存")

    pads = page.locator(".signer:has(canvas)")
    expect(pads).to_have_count(3)  # two inspectors and the representative
    draw_with_mouse(page, pads.nth(0).locator("canvas"))
    pads.nth(0).get_by_role("button", name="确认签名").click()
    expect(page.locator(".signer figure")).to_have_count(1)
    # The next pad is now the first one left: the second inspector signs with a finger on the
    # leader's tablet, and must confirm it with their own credential (Y3.3, N11).
    colleague = page.locator(".signer:has(canvas)").first
    draw_with_touch(page, colleague.locator("canvas"))
    colleague.get_by_role("button", name="确认签名").click()
    expect(colleague.locator(".pad__msg")).to_contain_text("本人输入签名密码")
    colleague.get_by_label("本人输入签名密码").fill("not-their-password")
    colleague.get_by_role("button", name="确认签名").click()
    expect(colleague.locator(".pad__msg")).to_contain_text("不正确，签名未保存")
    assert record.signatures.count() == 1  # the leader's own only
    shot(page, "05a-colleague-refused")
    colleague.get_by_label("本人输入签名密码").fill(PASSWORD)
    colleague.get_by_role("button", name="确认签名").click()
    expect(page.locator(".signer figure")).to_have_count(2)
    expect(page.locator(".signer figure").nth(1)).to_contain_text("本人登录密码当场核验")
    representative = page.locator('.signer[data-role="representative"]')
    expect(representative).to_contain_text("张主任")
    draw_with_touch(page, representative.locator("canvas"))
    representative.get_by_role("button", name="确认签名").click()
    expect(page.locator(".signer figure")).to_have_count(3)
    fits_the_screen(page)
    shot(page, "05-record-filled")

    page.get_by_role("button", name="提交检查记录").click()
    expect(page.locator(".flash")).to_contain_text("已提交并锁定")
    expect(page.locator("#record-form")).to_have_count(0)
    record.refresh_from_db()
    assert record.is_submitted and record.certificates_shown and record.rights_told
    assert record.representative_name == "张主任"
    assert set(record.items.values_list("outcome", flat=True)) == {"compliant"}
    assert record.signatures.count() == 3 and record.evidence.count() == 1
    how = {s.inspector_id: s.confirmed_by for s in record.signatures.filter(role="inspector")}
    members = list(inspection.members.order_by("position"))
    assert how == {members[0].inspector_id: "session", members[1].inspector_id: "password"}
    assert {s.captured_by_id for s in record.signatures.all()} == {team[0].pk}
    assert len({s.device for s in record.signatures.all()}) == 1  # one tablet
    assert enqueued == [record.pk]
    fits_the_screen(page)
    shot(page, "06-submitted")

    # A correction: a new version with the reason; version 1 stays.
    page.get_by_label("更正理由").fill("第 2 项检查方式填写有误")
    page.get_by_role("button", name="提出更正").click()
    expect(page.locator(".flash")).to_contain_text("已生成第 2 版")
    expect(page.locator("#versions tbody tr")).to_have_count(2)
    shot(page, "07-correction")
    page.get_by_role("link", name="第 1 版").click()
    expect(page.get_by_role("heading", name="检查记录 第 1 版")).to_be_visible()
    fits_the_screen(page)
    shot(page, "08-version-1")


def test_a_draft_typed_offline_reaches_the_server_once(tablet, live_server, inspection, team):
    record = record_start(inspection=inspection, user=team[0])
    page = tablet.new_page()
    log_in(page, live_server, team[0])
    page.goto(f"{live_server.url}/inspect/{inspection.pk}/")
    status = page.locator("#save-status")
    expect(status).to_contain_text("已保存")
    saves = []
    page.on(
        "requestfinished",
        lambda request: saves.append(request.post_data) if request.url.endswith("/save/") else None,
    )

    tablet.set_offline(True)
    page.get_by_label("检查地点").fill("律所二楼会议室（离线填写）")
    page.get_by_label("询问及回答").fill("问：是否建立收费公示制度？答：已建立。")
    item = record.items.order_by("order").first()
    page.locator(f"#item-{item.pk} .segmented__option--problem").click()
    expect(status).to_contain_text("离线，已保存在本机")
    page.wait_for_timeout(1500)  # past the autosave's delay: nothing may have gone out
    kept = json.loads(page.evaluate(f"localStorage.getItem('inspect-record-{record.pk}')"))
    assert kept["fields"]["place"] == "律所二楼会议室（离线填写）"
    assert kept["items"][str(item.pk)]["outcome"] == "problem"
    record.refresh_from_db()
    assert record.revision == 0 and record.place != "律所二楼会议室（离线填写）"
    shot(page, "09-offline")
    shot(page, "09-offline-screen", full_page=False)  # as the tablet shows it: status on top

    tablet.set_offline(False)
    expect(status).to_contain_text("已保存", timeout=BACK_ONLINE)
    record.refresh_from_db()
    item.refresh_from_db()
    assert record.place == "律所二楼会议室（离线填写）"
    assert record.questions.startswith("问：是否建立收费公示制度？")
    assert item.outcome == "problem"
    assert record.revision == 1  # one save applied, however often it was tried
    assert len(saves) == 1
    assert page.evaluate(f"localStorage.getItem('inspect-record-{record.pk}')") is None

    # The same save sent again (a retry whose answer was lost) changes nothing.
    again = page.evaluate(
        """async ([url, body]) => {
          const csrf = document.querySelector('[name=csrfmiddlewaretoken]').value;
          const r = await fetch(url, {method: 'POST', body, headers: {
            'Content-Type': 'application/json', 'Accept': 'application/json', 'X-CSRFToken': csrf}});
          return r.json();
        }""",
        [f"{live_server.url}/inspect/{inspection.pk}/records/{record.pk}/save/", saves[0]],
    )
    assert again["applied"] is False and again["revision"] == 1
    record.refresh_from_db()
    assert record.revision == 1
    shot(page, "10-back-online")


@pytest.mark.parametrize("tablet", [SIZES[0]], indirect=True)
def test_a_draft_kept_on_the_device_is_sent_after_a_restart(tablet, live_server, inspection, team):
    """The page closed while offline (the tablet restarted): the next visit sends the draft."""
    record = record_start(inspection=inspection, user=team[0])
    page = tablet.new_page()
    log_in(page, live_server, team[0])
    page.goto(f"{live_server.url}/inspect/{inspection.pk}/")
    expect(page.locator("#save-status")).to_contain_text("已保存")
    tablet.set_offline(True)
    page.get_by_label("检查情况综述").fill("现场检查未发现问题。")
    expect(page.locator("#save-status")).to_contain_text("离线，已保存在本机")
    page.close()

    tablet.set_offline(False)
    page = tablet.new_page()
    page.goto(f"{live_server.url}/inspect/{inspection.pk}/")
    expect(page.get_by_label("检查情况综述")).to_have_value("现场检查未发现问题。")
    expect(page.locator("#save-status")).to_contain_text("已保存")
    record.refresh_from_db()
    assert (record.summary, record.revision) == ("现场检查未发现问题。", 1)


@pytest.mark.parametrize("tablet", [SIZES[1]], indirect=True)
def test_a_photo_and_a_signature_taken_offline_go_up_when_the_network_returns(
    tablet, live_server, inspection, team
):
    record = record_start(inspection=inspection, user=team[0])
    page = tablet.new_page()
    log_in(page, live_server, team[0])
    page.goto(f"{live_server.url}/inspect/{inspection.pk}/")
    expect(page.locator("#save-status")).to_contain_text("已保存")

    tablet.set_offline(True)
    item = record.items.order_by("order").first()
    page.locator(f"#item-{item.pk} input[capture=environment]").set_input_files(
        {"name": "离线照片.jpg", "mimeType": "image/jpeg", "buffer": jpeg_bytes()}
    )
    expect(page.locator(f"#item-{item.pk} .upload__msg")).to_contain_text("联网后自动上传")
    signer = page.locator('.signer[data-role="inspector"]').first
    draw_with_touch(page, signer.locator("canvas"))
    signer.get_by_role("button", name="确认签名").click()
    expect(signer.locator(".pad__msg")).to_contain_text("签名已保存在本机")
    expect(page.locator("#save-status")).to_contain_text("离线，已保存在本机")
    assert not record.evidence.exists() and not record.signatures.exists()
    shot(page, "12-offline-photo-and-signature")

    tablet.set_offline(False)
    expect(page.locator(f"#item-{item.pk} .evidence__entry")).to_have_count(1, timeout=BACK_ONLINE)
    expect(signer.locator("figure")).to_have_count(1, timeout=BACK_ONLINE)
    expect(page.locator("#save-status")).to_contain_text("已保存")
    assert record.evidence.count() == 1 and record.signatures.count() == 1


def test_someone_elses_inspection_is_404(tablet, live_server, inspection, outsider):
    page = tablet.new_page()
    log_in(page, live_server, outsider)
    expect(page.locator(".inspection-card", has_text=inspection.institution.name)).to_have_count(0)
    response = page.goto(f"{live_server.url}/inspect/{inspection.pk}/")
    assert response.status == 404
    expect(page.get_by_role("heading", name="没有找到")).to_be_visible()
    fits_the_screen(page)
    shot(page, "11-not-mine")
