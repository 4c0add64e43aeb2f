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


CONTRAST = """
() => {
  const parse = c => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.5)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const bad = [];
  for (const el of document.querySelectorAll("main *, header *, footer *")) {
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const box = el.getBoundingClientRect();
    if (!own || box.width === 0 || box.height === 0) continue;
    const style = getComputedStyle(el);
    const fg = parse(style.color).slice(0, 3), bg = background(el);
    const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
    const ratio = (a + 0.05) / (b + 0.05);
    const size = parseFloat(style.fontSize), bold = parseInt(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) bad.push(`${el.tagName}.${el.className} "${el.textContent.trim().slice(0, 20)}" ${ratio.toFixed(2)}`);
  }
  return bad;
}
"""
UNLABELLED = """
() => [...document.querySelectorAll("main input, main select, main button, main textarea")]
  .filter(e => e.type !== "hidden")
  .filter(e => !((e.labels && e.labels.length) || e.getAttribute("aria-label") || e.textContent.trim()))
  .map(e => e.outerHTML.slice(0, 80))
"""


def test_results_pages_are_accessible(page: Page, live_server, demo):
    """Semantic HTML, labels, keyboard use and WCAG AA contrast on the results pages (issue 5 §2)."""
    case = demo.get(category="case_filed")
    page.set_viewport_size(DESKTOP)
    for path in ["/results/", f"/results/{case.pk}/"]:
        page.goto(live_server.url + path)
        assert page.evaluate("document.documentElement.lang").startswith("zh"), path
        expect(page.locator("h1")).to_have_count(1)
        expect(page.locator("main table th[scope]").first).to_be_visible()
        assert page.evaluate(UNLABELLED) == [], path
        assert page.evaluate(CONTRAST) == [], path

    # The check itself sees a faint text when there is one (coloured through the CSSOM: the
    # policy refuses a style attribute, issue 14 §5).
    page.evaluate(
        "(() => { const p = document.createElement('p'); p.textContent = '淡色文字';"
        " p.style.color = '#bbb'; document.querySelector('main').append(p); })()"
    )
    assert any("淡色文字" in line for line in page.evaluate(CONTRAST))

    # Keyboard only: from the skip link to the search box, type, Enter.
    page.goto(f"{live_server.url}/results/")
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    search = page.get_by_label("机构名称或统一社会信用代码")
    for _ in range(30):
        page.keyboard.press("Tab")
        if search.evaluate("e => e === document.activeElement"):
            break
    expect(search).to_be_focused()
    page.keyboard.type(case.credit_code)
    page.keyboard.press("Enter")
    expect(page.locator(".result-count")).to_contain_text("共 1 条结果")
    page.keyboard.press("Tab")  # focus moves on through the page, visibly
    outline = page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return s.outlineStyle !== 'none' || s.boxShadow !== 'none'; }"
    )
    assert outline, "the focused element shows no focus indicator"
