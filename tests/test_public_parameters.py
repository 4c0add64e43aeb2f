"""Odd input on every public page and open-data URL (issue 12 §6): a clear answer, never a 500.

A NUL character in a filter parameter cannot be searched for (PostgreSQL refuses it): the answer is
400, a page in the site's design naming the parameter, and nothing is streamed. Any other value a
filter cannot use is ignored, as docs/open-data.md promises; a bad page number or id is a 404.
Then hypothesis throws random bytes at every parameter of every URL."""

import csv
import io
import json
import xml.etree.ElementTree as ET
from urllib.parse import quote_from_bytes

import pytest
from django.test import override_settings
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from inspections.models import AnnualPlan, Draw
from publication.services import notice_publish_all
from publication.views.results import CSV_FIELDS
from tests.factories import InstitutionFactory
from tests.fuzzing import fuzz_settings
from tests.publication.conftest import *  # noqa: F403 (the fixtures report needs)
from tests.publication.conftest import report  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

LISTS = ["/results/", "/registry/", "/inspectors/", "/plans/", "/draws/", "/list/", "/"]
OPEN_DATA = ["/results.csv", "/results.json", "/results.atom", "/draws.json"]
PARAMETERS = ["q", "year", "sector", "jurisdiction", "result", "status", "page"]
# The parameters each URL reads as filters (a NUL in any of them is a 400).
FILTERS = {
    "/results/": ["q", "year", "sector", "jurisdiction", "result"],
    "/results.csv": ["q", "year", "sector", "jurisdiction", "result"],
    "/results.json": ["q", "year", "sector", "jurisdiction", "result"],
    "/results.atom": ["q", "year", "sector", "jurisdiction", "result"],
    "/registry/": ["q", "sector", "jurisdiction", "status"],
    "/inspectors/": ["q", "sector", "jurisdiction"],
    "/list/": ["sector"],
}


@pytest.fixture
def published(report, staff_user):  # noqa: F811 (the imported fixture)
    return notice_publish_all(report=report, user=staff_user)


@pytest.fixture
def detail_urls(published) -> list[str]:
    draw, plan = Draw.objects.order_by("pk").first(), AnnualPlan.objects.order_by("pk").first()
    return [
        reverse("registry:institution_detail", args=[published[0].credit_code]),
        reverse("publication:result_detail", args=[published[0].pk]),
        reverse("inspections:draw_detail", args=[draw.pk]),
        reverse("inspections:draw_json", args=[draw.pk]),
        reverse("inspections:plan_detail", args=[plan.pk]),
    ]


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def check_complete(url: str, response) -> None:
    """A 200 is a whole document of its kind, never cut off."""
    data = content(response)
    if url == "/results.csv":
        rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
        assert rows[0] == CSV_FIELDS
        assert all(len(row) == len(CSV_FIELDS) for row in rows)
        assert data.endswith(b"\r\n")
    elif url.endswith(".json"):
        document = json.loads(data)
        assert document["format"].startswith("shuangsuiji-")
    elif url.endswith(".atom"):
        ET.fromstring(data)
    else:
        assert data.decode().rstrip().endswith("</html>")


# -- the defects, one by one ---------------------------------------------------------------------
def test_a_nul_in_the_search_is_a_400_page_naming_the_parameter(client, db):
    for url in ["/results/", "/registry/", "/inspectors/"]:
        response = client.get(url, {"q": "律师\x00事务所"})
        assert response.status_code == 400, url
        page = response.content.decode()
        assert "查询参数“q”" in page and "空字符" in page
        assert 'lang="zh-hans"' in page and 'class="site-header"' in page  # the site's design
        assert page.count("<h1>") == 1


def test_a_nul_in_open_data_is_refused_before_anything_is_streamed(client, db):
    for url in ["/results.csv", "/results.json", "/results.atom"]:
        response = client.get(url, {"q": "\x00"})
        assert response.status_code == 400, url
        assert not response.streaming
        if url.endswith(".json"):
            assert json.loads(response.content)["parameter"] == "q"
        else:
            assert "查询参数“q”" in response.content.decode()


def test_a_nul_in_any_filter_is_a_400_naming_it(client, db):
    for url, names in FILTERS.items():
        for name in names:
            response = client.get(url, {name: "2026\x00"})
            assert response.status_code == 400, (url, name)
            assert f"“{name}”".encode() in response.content or url.endswith(".json")


def test_a_nul_anywhere_in_the_query_string_of_any_page_is_a_400(client, staff_client):
    """One rule for the whole site, the admin included (a lookup like ?name__exact=%00 was a 500),
    and for parameters no page reads."""
    for url in [
        "/admin/registry/institution/?name__exact=%00",
        "/admin/registry/institution/?q=%00",
        "/results/?utm_source=%00",
        "/draws/?x%00y=1",
        "/draws/?page=%00",
        "/healthz?q=%00",
    ]:
        response = staff_client.get(url)
        assert response.status_code == 400, url
        assert "\x00" not in response.content.decode()


def test_the_400_page_is_in_the_chosen_language_and_its_language_switch_works(client, db):
    client.cookies["django_language"] = "en"
    response = client.get("/results/", {"q": "\x00"})
    assert response.status_code == 400
    assert 'lang="en"' in response.content.decode()
    assert "csrftoken" in response.cookies  # the page's language form can be sent


def test_the_checks_cost_no_query(client, db, django_assert_num_queries):
    for url in ["/results/", "/results.csv", "/registry/", "/inspectors/"]:
        with django_assert_num_queries(0):  # refused before any query
            assert client.get(url, {"q": "\x00"}).status_code == 400


def test_a_nul_or_junk_in_an_institution_address_is_a_404(client, db):
    code = InstitutionFactory().credit_code
    assert client.get(f"/registry/{code}/").status_code == 200
    for junk in ["\x00", "%00", code + "\n", code[:17] + "l", "A" * 5000, "\ud800"]:
        path = "/registry/" + quote_from_bytes(junk.encode("utf-8", "surrogatepass")) + "/"
        assert client.get(path).status_code == 404, junk


def test_huge_ids_are_404(client, db):
    for path in ["/results/{}/", "/draws/{}/", "/draws/{}.json", "/plans/{}/"]:
        assert client.get(path.format("9" * 30)).status_code == 404, path


def test_a_bad_page_number_is_a_404(client, db):
    for number in ["-1", "0", "abc", "9" * 20, "1" * 5000, "1.5"]:
        for url in ["/results/", "/registry/", "/inspectors/", "/plans/", "/draws/"]:
            assert client.get(f"{url}?page={number}").status_code == 404, (url, number[:20])


@override_settings(ALLOWED_HOSTS=["testserver"])
def test_the_400_page_serves_the_400s_django_decides(client, db):
    """The handler answers Django's own 400s too (a Host not allowed), without a second error."""
    response = client.get("/results/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert "请求有误" in response.content.decode()


ODD_QUERIES = [
    "year=" + "2" * 5000,  # int() refuses more than 4300 digits
    "jurisdiction=500103%0A",  # "$" would let a trailing newline through
    "q=%ED%A0%80",  # a UTF-8-encoded surrogate
    "q=%FF%FE",
    "year=99999999999999999999",
    "year=%EF%BC%92%EF%BC%90%EF%BC%92%EF%BC%96",  # full-width ２０２６
    "q=a&q=b&year=2026&year=x",
    "q=" + "%E5%BE%8B" * 10000,
    "sector=lawyer%0A&result=case_filed%20",
]


def test_odd_values_are_ignored_and_the_documents_stay_whole(client, published, detail_urls):
    for query in ODD_QUERIES:
        for url in [*FILTERS, "/plans/", "/draws/", "/draws.json"]:
            response = client.get(f"{url}?{query}")
            assert response.status_code == 200, (url, query[:40])
            check_complete(url, response)
    draw_page = detail_urls[2]
    for page in ["-1", "abc", "9" * 20]:  # the draw's own pages: get_page() copes
        assert client.get(f"{draw_page}?page={page}").status_code == 200


# -- fuzzing -------------------------------------------------------------------------------------
raw_values = st.one_of(
    st.binary(max_size=40),
    st.text(max_size=30).map(lambda t: t.encode()),
    st.sampled_from([b"\x00", b"2026", b"lawyer", b"500103", b"case_filed", b"-1", b"9" * 30]),
)
queries = st.lists(
    st.tuples(st.sampled_from([*PARAMETERS, "x"]), raw_values), min_size=1, max_size=5
).map(lambda pairs: "&".join(f"{k}={quote_from_bytes(v)}" for k, v in pairs))


@fuzz_settings(120)
@given(url=st.sampled_from(LISTS + OPEN_DATA), query=queries)
def test_fuzz_every_public_list_and_open_data_url(client, published, url, query):
    response = client.get(f"{url}?{query}")
    assert response.status_code in (200, 400, 404), (url, query)
    if response.status_code == 200:
        check_complete(url, response)
    if response.status_code == 400:
        assert not response.streaming


@fuzz_settings(40)
@given(index=st.integers(0, 4), query=queries, tail=st.binary(max_size=12))
def test_fuzz_every_public_detail_url(client, published, detail_urls, index, query, tail):
    url = detail_urls[index]
    assert client.get(f"{url}?{query}").status_code in (200, 400, 404), (url, query)
    odd = f"{url.rstrip('/')}{quote_from_bytes(tail)}/"
    assert client.get(odd).status_code in (200, 404), odd
