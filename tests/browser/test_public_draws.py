"""A draw's public page in Chromium (issue 12 §11): at 1280 px no certificate number or credit
code breaks across lines — an identifier is read and compared character by character — and the
page still fits a phone."""

import pytest
from django.contrib.auth.models import Group
from playwright.sync_api import Page

from core import roles
from registry.models import Jurisdiction
from tests.browser.test_admin_and_registry import PHONE, has_horizontal_overflow, shot
from tests.factories import (
    CheckItemFactory,
    ConflictFactory,
    InspectorFactory,
    InstitutionFactory,
    JurisdictionFactory,
    UserFactory,
)
from tests.inspections.conftest import draw_made, plan_make

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
DESKTOP = {"width": 1280, "height": 900}

# Every occurrence of one of `codes` in the page's text: how many lines its characters take
# (distinct tops of their boxes; 0 when not displayed, e.g. in a closed <details>).
LINES = """
codes => {
  const found = [];
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  for (let node; (node = walker.nextNode()); ) {
    for (const code of codes) {
      for (let i = node.data.indexOf(code); i >= 0; i = node.data.indexOf(code, i + 1)) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + code.length);
        const boxes = [...range.getClientRects()].filter(r => r.width > 0);
        found.push([code, new Set(boxes.map(r => Math.round(r.top))).size]);
      }
    }
  }
  return found;
}
"""


@pytest.fixture
def drawn():
    """Every firm of 渝中区 drawn; 17-digit certificate numbers (as the provinces issue them),
    long names, three recusals per firm and a neighbour's inspector borrowed: the cells of the
    teams and the recusals are full."""
    staff = UserFactory(username="staff", is_staff=True)
    staff.groups.add(Group.objects.get(name=roles.STAFF))
    leader = UserFactory(username="leader", is_staff=True)
    leader.groups.add(Group.objects.get(name=roles.LEADER))
    yuzhong = JurisdictionFactory()
    jiangbei = Jurisdiction.objects.create(code="500105", name="江北区", level="county")
    yuzhong.neighbours.add(jiangbei)
    firms = [
        InstitutionFactory(jurisdiction=yuzhong, name=f"重庆市渝中区长江{n}号律师事务所")
        for n in range(8)
    ]
    people = [
        InspectorFactory(
            jurisdiction=yuzhong, name=f"欧阳晓{n}", certificate_number=f"5001030{n:010d}"
        )
        for n in range(7)
    ]
    InspectorFactory(jurisdiction=jiangbei, name="司马相如", certificate_number="50010500000000001")
    for i, firm in enumerate(firms):
        for inspector in (people[i % 7], people[(i + 1) % 7], people[(i + 2) % 7]):
            ConflictFactory(inspector=inspector, institution=firm)
    draft = plan_make(jurisdiction=yuzhong, check_items=[CheckItemFactory(), CheckItemFactory()])
    return draw_made(
        draft=draft, staff=staff, leader=leader, ratio_key=100, ratio_normal=100, ratio_reduced=100
    )


def identifiers(draw) -> list[str]:
    result = draw.result
    codes = {s["credit_code"] for s in result["selections"]}
    for team in result["teams"]:
        codes |= {m["certificate"] for m in team["members"]}
        codes |= set(team["excluded_for_conflict"])
    return sorted(codes)


def test_no_identifier_wraps_at_1280_px(page: Page, live_server, drawn):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server.url}/draws/{drawn.pk}/")
    shot(page, "draw-detail-1280")
    found = [(code, lines) for code, lines in page.evaluate(LINES, identifiers(drawn)) if lines]
    codes = {code for code, _lines in found}
    assert {s["credit_code"] for s in drawn.result["selections"]} <= codes
    assert any(len(code) == 17 for code in codes), "no certificate number on the page"
    assert len(found) > 3 * len(drawn.result["selections"])  # teams and recusals too
    wrapped = sorted({code for code, lines in found if lines > 1})
    assert not wrapped, wrapped
    assert not has_horizontal_overflow(page)


def test_the_page_still_fits_a_phone(page: Page, live_server, drawn):
    """Identifiers that do not break must not push the page wider than a phone."""
    page.set_viewport_size(PHONE)
    page.goto(f"{live_server.url}/draws/{drawn.pk}/")
    shot(page, "draw-detail-phone")
    assert not has_horizontal_overflow(page)
