"""The public pages of the one list and two registries (N6, Y3.1–Y3.3): anonymous, searchable,
paginated, without personal data or internal staff information, and without N+1 queries."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from registry.models import Inspector, Institution, SupervisionRecord
from tests.factories import (
    CheckItemFactory,
    InspectorFactory,
    InstitutionFactory,
    JurisdictionFactory,
    PractitionerFactory,
    SupervisionRecordFactory,
    UserFactory,
    make_id_number,
    sector,
)
from tests.pii_shapes import personal_shapes

pytestmark = pytest.mark.django_db

Kind = SupervisionRecord.Kind


def html(client, url: str, **params) -> str:
    response = client.get(url, params)
    assert response.status_code == 200, url
    return response.content.decode()


def institution_url(institution: Institution) -> str:
    return reverse("registry:institution_detail", args=[institution.credit_code])


@pytest.fixture
def populated():
    """A little of everything, including data that must never be published."""
    institution = InstitutionFactory(name="重庆明理律师事务所")
    person = PractitionerFactory(
        institution=institution,
        name="李明",
        id_number=make_id_number(777, birth="19750505"),
        phone="13812345678",
    )
    SupervisionRecordFactory(
        institution=institution,
        kind=Kind.PENALTY,
        reference="渝中司罚〔2024〕3号",
        description="未按规定收费，给予警告。",
    )
    SupervisionRecordFactory(
        institution=institution, kind=Kind.COMPLAINT, description="投诉人王某某称律师失联"
    )
    inspector = InspectorFactory(name="赵执法", user=UserFactory(username="zhao.login"))
    CheckItemFactory(name="律师事务所执业许可条件")
    return {"institution": institution, "person": person, "inspector": inspector}


PAGES = [
    ("registry:home", []),
    ("registry:checkitem_list", []),
    ("registry:institution_list", []),
    ("registry:inspector_list", []),
]


def all_public_pages(populated) -> list[str]:
    return [reverse(name, args=args) for name, args in PAGES] + [
        institution_url(populated["institution"])
    ]


class TestAnonymousAccess:
    def test_every_page_answers_anonymously(self, client, populated):
        for url in all_public_pages(populated):
            page = html(client, url)
            assert 'lang="zh-hans"' in page
            assert reverse("set_language") in page  # the language switch in the footer

    def test_unknown_credit_code_is_404(self, client, db):
        url = reverse("registry:institution_detail", args=["31500103MA0000000X"])
        assert client.get(url).status_code == 404

    def test_language_switch_to_english(self, client, populated):
        response = client.post(
            reverse("set_language"), {"language": "en", "next": reverse("registry:home")}
        )
        assert response.status_code == 302
        assert 'lang="en"' in html(client, reverse("registry:home"))


class TestNothingPrivateIsPublished:
    def test_personal_data_never_appears(self, client, populated):
        person, inspector = populated["person"], populated["inspector"]
        for url in all_public_pages(populated):
            page = html(client, url)
            assert person.id_number not in page, url
            assert person.id_number[-4:] + "<" not in page, url
            assert person.phone not in page, url
            assert inspector.user.username not in page, url

    def test_no_id_or_phone_shape_appears_on_any_page(self, client, populated):
        """Issue 14 §4: not these practitioners' values only — nothing shaped like one."""
        codes = list(Institution.objects.values_list("credit_code", flat=True))
        for url in all_public_pages(populated):
            assert personal_shapes(html(client, url), allowed=codes) == [], url

    def test_personal_columns_are_not_even_loaded(self, client, populated):
        with CaptureQueriesContext(connection) as ctx:
            for url in all_public_pages(populated):
                html(client, url)
        sql = " ".join(q["sql"] for q in ctx.captured_queries)
        assert "id_number" not in sql
        assert '"phone"' not in sql
        assert "user_id" not in sql

    def test_risk_tier_is_internal(self, client, populated):
        institution = populated["institution"]
        institution.risk_reasons = ["有效投诉较多的内部判断"]
        institution.risk_tier = "key"
        institution.save()
        for url in all_public_pages(populated):
            assert "有效投诉较多的内部判断" not in html(client, url)

    def test_only_public_supervision_kinds(self, client, populated):
        institution = populated["institution"]
        SupervisionRecordFactory(
            institution=institution, kind=Kind.SATISFACTION, score=55, description="满意度内部"
        )
        SupervisionRecordFactory(
            institution=institution, kind=Kind.COMMENDATION, description="年度优秀律师事务所"
        )
        SupervisionRecordFactory(
            institution=institution,
            kind=Kind.PENALTY,
            valid=False,
            description="已被撤销的处罚",
        )
        page = html(client, institution_url(institution))
        assert "未按规定收费，给予警告。" in page
        assert "渝中司罚〔2024〕3号" in page
        assert "年度优秀律师事务所" in page
        assert "投诉人王某某称律师失联" not in page
        assert "满意度内部" not in page
        assert "已被撤销的处罚" not in page

    def test_script_in_a_name_is_escaped(self, client, db):
        institution = InstitutionFactory(name="<script>alert('x')</script>律所")
        for url in (reverse("registry:institution_list"), institution_url(institution)):
            page = html(client, url)
            assert "<script>alert" not in page
            assert "&lt;script&gt;alert" in page


class TestInstitutionList:
    def test_search_by_name_and_credit_code(self, client, db):
        wanted = InstitutionFactory(name="重庆正义律师事务所")
        other = InstitutionFactory(name="重庆公平律师事务所")
        page = html(client, reverse("registry:institution_list"), q="正义")
        assert wanted.name in page and other.name not in page
        page = html(client, reverse("registry:institution_list"), q=other.credit_code.lower())
        assert other.name in page and wanted.name not in page

    def test_filters(self, client, db):
        yuzhong = InstitutionFactory(name="渝中律所甲")
        dadukou = InstitutionFactory(
            name="大渡口律所乙",
            jurisdiction=JurisdictionFactory(code="500104", name="大渡口区"),
        )
        notary = InstitutionFactory(name="渝中公证处", sector=sector("notary"))
        closed = InstitutionFactory(name="已注销律所", status=Institution.Status.DEREGISTERED)
        url = reverse("registry:institution_list")

        page = html(client, url, sector="notary")
        assert notary.name in page and yuzhong.name not in page
        page = html(client, url, jurisdiction="500104")
        assert dadukou.name in page and yuzhong.name not in page
        page = html(client, url, status="deregistered")
        assert closed.name in page and yuzhong.name not in page
        # Unknown values are ignored rather than failing.
        page = html(client, url, sector="nonsense", status="x", jurisdiction="<b>")
        assert all(i.name in page for i in (yuzhong, dadukou, notary, closed))

    def test_pagination_keeps_the_filters(self, client, db):
        InstitutionFactory.create_batch(40)
        url = reverse("registry:institution_list")
        first = html(client, url, sector="lawyer")
        assert first.count('<th scope="row"') == 30
        assert "?sector=lawyer&amp;page=2" in first
        second = html(client, url, sector="lawyer", page=2)
        assert second.count('<th scope="row"') == 10
        assert client.get(url, {"page": 99}).status_code == 404

    def test_query_count_does_not_grow_with_rows(self, client, django_assert_max_num_queries):
        for institution in InstitutionFactory.create_batch(40):
            PractitionerFactory(institution=institution)
        # count, page, sectors and jurisdictions of the filter form
        with django_assert_max_num_queries(4):
            html(client, reverse("registry:institution_list"))


class TestInstitutionDetail:
    def test_shows_basic_information_and_practitioners(self, client, populated):
        institution = populated["institution"]
        page = html(client, institution_url(institution))
        for value in (
            institution.name,
            institution.credit_code,
            institution.licence_number,
            institution.address,
            institution.person_in_charge,
            populated["person"].name,
            populated["person"].certificate_number,
        ):
            assert value in page

    def test_query_count_does_not_grow_with_rows(self, client, django_assert_max_num_queries):
        institution = InstitutionFactory()
        PractitionerFactory.create_batch(40, institution=institution)
        for _ in range(20):
            SupervisionRecordFactory(institution=institution, kind=Kind.INSPECTION)
        # institution, practitioners, records, published results
        with django_assert_max_num_queries(4):
            html(client, institution_url(institution))


class TestCheckItemList:
    def test_only_items_in_force_today(self, client, db):
        today = timezone.localdate()
        CheckItemFactory(name="现行事项")
        CheckItemFactory(name="已失效事项", effective_to=today - dt.timedelta(days=1))
        CheckItemFactory(name="未生效事项", effective_from=today + dt.timedelta(days=1))
        CheckItemFactory(name="公证重点事项", sector=sector("notary"), code="GZ-001", is_key=True)
        page = html(client, reverse("registry:checkitem_list"))
        assert "现行事项" in page and "公证重点事项" in page
        assert "已失效事项" not in page and "未生效事项" not in page
        assert "《中华人民共和国律师法》第二十三条" in page
        assert "现场检查" in page  # get_methods_display

    def test_sector_filter(self, client, db):
        CheckItemFactory(name="律师事项")
        CheckItemFactory(name="公证事项", sector=sector("notary"), code="GZ-001")
        page = html(client, reverse("registry:checkitem_list"), sector="notary")
        assert "公证事项" in page and "律师事项" not in page

    def test_query_count_does_not_grow_with_rows(self, client, django_assert_max_num_queries):
        for code in ("lawyer", "notary", "appraisal", "arbitration"):
            CheckItemFactory.create_batch(10, sector=sector(code))
        with django_assert_max_num_queries(2):
            html(client, reverse("registry:checkitem_list"))


class TestInspectorList:
    def test_search_and_filters(self, client, db):
        zhang = InspectorFactory(name="张检查")
        li = InspectorFactory(
            name="李检查",
            jurisdiction=JurisdictionFactory(code="500104", name="大渡口区"),
            sectors=[sector("notary")],
        )
        url = reverse("registry:inspector_list")
        page = html(client, url, q="张")
        assert zhang.name in page and li.name not in page
        page = html(client, url, q=li.certificate_number)
        assert li.name in page and zhang.name not in page
        page = html(client, url, sector="notary")
        assert li.name in page and zhang.name not in page
        page = html(client, url, jurisdiction="500104")
        assert li.name in page and zhang.name not in page

    def test_staff_type_and_status_shown_and_leavers_omitted(self, client, db):
        InspectorFactory(name="协会人员", staff_type=Inspector.StaffType.ASSOCIATION)
        InspectorFactory(name="已调离人员", status=Inspector.Status.LEFT)
        page = html(client, reverse("registry:inspector_list"))
        assert "协会人员" in page and "行业协会工作人员" in page
        assert "已调离人员" not in page

    def test_pagination(self, client, db):
        InspectorFactory.create_batch(35)
        url = reverse("registry:inspector_list")
        assert html(client, url).count('<th scope="row"') == 30
        assert html(client, url, page=2).count('<th scope="row"') == 5

    def test_query_count_does_not_grow_with_rows(self, client, django_assert_max_num_queries):
        for _ in range(40):
            InspectorFactory(sectors=[sector("lawyer"), sector("notary")])
        with django_assert_max_num_queries(5):
            html(client, reverse("registry:inspector_list"))
