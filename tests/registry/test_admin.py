"""Admin smoke tests for the one list and two registries (SPEC §1), as the system administrator:
every changelist loads with each of its filters and a search, shows the risk tier with its reasons
(Y3.2) and the inspectors' eligibility (Y3.3), without N+1 queries. Import and export:
tests/registry/test_import_admin.py."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from registry.models import Inspector, RiskPolicy, SupervisionRecord
from registry.services import institution_risk_refresh
from tests.factories import (
    CheckItemFactory,
    ConflictFactory,
    InspectorFactory,
    InstitutionFactory,
    JurisdictionFactory,
    PractitionerFactory,
    SupervisionRecordFactory,
    sector,
)

pytestmark = pytest.mark.django_db

Kind = SupervisionRecord.Kind
REGISTRY_MODELS = [
    "jurisdiction",
    "sector",
    "checkitem",
    "institution",
    "practitioner",
    "supervisionrecord",
    "riskpolicy",
    "inspector",
    "conflict",
]
# An N+1 on a 30-row page would add 30 queries; the pages need 5–8 (session, user, counts, rows,
# the filters' choices).
MAX_QUERIES = 10


def changelist(model: str) -> str:
    return reverse(f"admin:registry_{model}_changelist")


def row_of(html: str, text: str) -> str:
    """The changelist row (<tr>) that mentions `text`."""
    rows = [r for r in re.findall(r"<tr[^>]*>.*?</tr>", html, re.S) if text in r]
    assert len(rows) == 1, f"{len(rows)} rows mention {text!r}"
    return rows[0]


@pytest.fixture
def admin(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def registry():
    """A little of everything, in two jurisdictions and two sectors."""
    yuzhong = JurisdictionFactory()
    jiangbei = JurisdictionFactory(code="500105", name="江北区")
    yuzhong.neighbours.add(jiangbei)
    firm = InstitutionFactory(name="重庆明理律师事务所", jurisdiction=yuzhong)
    notary = InstitutionFactory(
        name="重庆江北公证处", sector=sector("notary"), jurisdiction=jiangbei
    )
    lawyer = PractitionerFactory(institution=firm, name="李明")
    inspector = InspectorFactory(name="赵执法", sectors=[sector("lawyer"), sector("notary")])
    InspectorFactory(name="钱协会", staff_type=Inspector.StaffType.ASSOCIATION)
    ConflictFactory(inspector=inspector, institution=firm, practitioner=lawyer)
    CheckItemFactory(code="LS-01", name="律师事务所内部管理制度建设", is_key=True)
    CheckItemFactory(code="GZ-01", name="公证执业活动", sector=sector("notary"))
    SupervisionRecordFactory(institution=firm, kind=Kind.PENALTY, reference="渝中司罚〔2024〕3号")
    SupervisionRecordFactory(institution=notary, kind=Kind.COMPLAINT, valid=False)
    RiskPolicy.objects.create(jurisdiction=jiangbei, lookback_months=24)
    institution_risk_refresh()
    return {"firm": firm, "notary": notary}


class TestChangelists:
    @pytest.mark.parametrize("model", REGISTRY_MODELS)
    def test_every_filter_choice_loads(self, admin, registry, model):
        response = admin.get(changelist(model))
        assert response.status_code == 200
        cl = response.context["cl"]
        assert cl.result_count > 0
        urls = {
            choice["query_string"]
            for spec in cl.filter_specs
            for choice in spec.choices(cl)
            if choice["query_string"] != "?"
        }
        assert len(urls) >= len(cl.filter_specs)
        for query in sorted(urls):
            # An invalid lookup would redirect to "?e=1" instead.
            assert admin.get(changelist(model) + query).status_code == 200, query

    @pytest.mark.parametrize(
        ("model", "query", "expected"),
        [
            ("jurisdiction", "江北", "江北区（500105）"),
            ("checkitem", "内部管理", "LS-01 律师事务所内部管理制度建设"),
            ("institution", "明理", "重庆明理律师事务所"),
            ("practitioner", "李明", "李明"),
            ("practitioner", "明理", "李明"),  # by the institution's name
            ("supervisionrecord", "渝中司罚", "行政处罚"),
            ("inspector", "赵执法", "赵执法"),
            ("conflict", "赵执法", "赵执法"),
        ],
    )
    def test_search(self, admin, registry, model, query, expected):
        response = admin.get(changelist(model), {"q": query})
        assert response.status_code == 200
        results = [str(obj) for obj in response.context["cl"].result_list]
        assert len(results) == 1
        assert expected in results[0]

    def test_search_by_credit_code(self, admin, registry):
        code = registry["notary"].credit_code
        response = admin.get(changelist("institution"), {"q": code})
        assert [obj.name for obj in response.context["cl"].result_list] == ["重庆江北公证处"]

    def test_supervision_records_by_date(self, admin, registry):
        year = timezone.localdate().year
        response = admin.get(changelist("supervisionrecord"), {"date__year": year})
        assert response.status_code == 200
        assert response.context["cl"].result_count == 2


class TestRiskTier:
    """Y3.2, N8: the tier and the reasons behind it, in the institutions' list."""

    def test_each_tier_with_its_reasons(self, admin):
        today = timezone.localdate()
        key = InstitutionFactory(name="重点律师事务所")
        SupervisionRecordFactory(institution=key, kind=Kind.PENALTY, date=today)
        SupervisionRecordFactory(institution=key, kind=Kind.ABNORMAL, date=dt.date(2025, 3, 1))
        reduced = InstitutionFactory(name="降低律师事务所")
        SupervisionRecordFactory(
            institution=reduced, kind=Kind.SATISFACTION, score=Decimal("96.5"), date=today
        )
        SupervisionRecordFactory(institution=reduced, kind=Kind.PRO_BONO, date=today)
        InstitutionFactory(name="一般律师事务所")
        institution_risk_refresh()

        html = admin.get(changelist("institution")).content.decode()
        assert "column-risk" in html  # the column, whatever its heading says
        row = row_of(html, "重点律师事务所")
        assert "重点" in row
        assert "36 个月内受到行政处罚 1 次" in row
        assert "自 2025-03-01 起列入经营异常名录" in row
        row = row_of(html, "降低律师事务所")
        assert "降低频次" in row
        assert "满意度 96.5 分" in row
        assert "参与公益法律服务 1 次" in row
        row = row_of(html, "一般律师事务所")
        assert "一般" in row
        assert "12 个月内无满意度评价" in row

    def test_filter_by_tier(self, admin):
        key = InstitutionFactory(name="重点律师事务所")
        SupervisionRecordFactory(institution=key, kind=Kind.PENALTY)
        InstitutionFactory(name="一般律师事务所")
        institution_risk_refresh()
        response = admin.get(changelist("institution"), {"risk_tier__exact": "key"})
        assert [i.name for i in response.context["cl"].result_list] == ["重点律师事务所"]

    def test_change_page_shows_the_reasons_read_only(self, admin):
        key = InstitutionFactory()
        SupervisionRecordFactory(institution=key, kind=Kind.PENALTY)
        institution_risk_refresh()
        response = admin.get(reverse("admin:registry_institution_change", args=[key.pk]))
        html = response.content.decode()
        assert "风险分级（由监管记录计算）" in html
        assert "36 个月内受到行政处罚 1 次" in html
        assert 'name="risk_tier"' not in html


class TestRiskTierFollowsEveryWrite:
    """Every admin write of a supervision record or a policy refreshes the tiers it touches, so
    after the nightly refresh the stored tiers stay current for the draws (Y3.2, N8)."""

    def add_record(self, admin, institution, kind=Kind.PENALTY):
        response = admin.post(
            reverse("admin:registry_supervisionrecord_add"),
            {
                "institution": institution.pk,
                "kind": kind,
                "date": timezone.localdate(),
                "valid": "on",
                "reference": "渝中司罚〔2026〕9号",
            },
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        return SupervisionRecord.objects.get(reference="渝中司罚〔2026〕9号")

    def tier(self, institution):
        institution.refresh_from_db()
        return institution.risk_tier

    def test_adding_moving_and_deleting_a_record(self, admin):
        first, second = InstitutionFactory(), InstitutionFactory()
        institution_risk_refresh()
        record = self.add_record(admin, first)
        assert self.tier(first) == "key"

        # Moved to another institution: both change.
        response = admin.post(
            reverse("admin:registry_supervisionrecord_change", args=[record.pk]),
            {
                "institution": second.pk,
                "kind": Kind.PENALTY,
                "date": record.date,
                "valid": "on",
                "reference": record.reference,
            },
        )
        assert response.status_code == 302
        assert (self.tier(first), self.tier(second)) == ("normal", "key")

        response = admin.post(
            reverse("admin:registry_supervisionrecord_delete", args=[record.pk]), {"post": "yes"}
        )
        assert response.status_code == 302
        assert self.tier(second) == "normal"

    def test_deleting_records_in_bulk(self, admin):
        firm = InstitutionFactory()
        self.add_record(admin, firm)
        assert self.tier(firm) == "key"
        response = admin.post(
            changelist("supervisionrecord"),
            {
                "action": "delete_selected",
                "post": "yes",
                "_selected_action": list(firm.supervision_records.values_list("pk", flat=True)),
            },
        )
        assert response.status_code == 302
        assert self.tier(firm) == "normal"

    def test_a_policy_applies_at_once_and_when_removed(self, admin):
        firm = InstitutionFactory()
        SupervisionRecordFactory.create_batch(2, institution=firm, kind=Kind.COMPLAINT)
        institution_risk_refresh()
        assert self.tier(firm) == "key"
        response = admin.post(
            reverse("admin:registry_riskpolicy_add"),
            {
                "jurisdiction": firm.jurisdiction_id,
                "lookback_months": 12,
                "penalty_lookback_months": 36,
                "key_valid_complaints": 3,
                "key_satisfaction_below": 60,
                "reduced_max_valid_complaints": 0,
                "reduced_satisfaction_min": 90,
                "reduced_requires_pro_bono": "on",
            },
        )
        assert response.status_code == 302, response.context["adminform"].form.errors
        assert self.tier(firm) == "normal"
        policy = RiskPolicy.objects.get(jurisdiction=firm.jurisdiction)
        admin.post(reverse("admin:registry_riskpolicy_delete", args=[policy.pk]), {"post": "yes"})
        assert self.tier(firm) == "key"

    def test_the_nightly_refresh_is_logged_read_only(self, admin):
        InstitutionFactory.create_batch(3)
        institution_risk_refresh()
        html = admin.get(changelist("riskrefresh")).content.decode()
        assert str(timezone.localdate().year) in html
        assert admin.get(reverse("admin:registry_riskrefresh_add")).status_code == 403


class TestInspectorEligibility:
    """Y3.3: only bureau staff with a valid enforcement certificate can be drawn."""

    def test_the_list_says_who_can_be_drawn_and_why_not(self, admin):
        today = timezone.localdate()
        InspectorFactory(name="在岗检查员", certificate_valid_to=today + dt.timedelta(days=365))
        expired_on = today - dt.timedelta(days=1)
        InspectorFactory(
            name="过期检查员",
            certificate_valid_from=today - dt.timedelta(days=1000),
            certificate_valid_to=expired_on,
        )
        InspectorFactory(name="协会人员", staff_type=Inspector.StaffType.ASSOCIATION)

        html = admin.get(changelist("inspector")).content.decode()
        assert "column-eligibility" in html
        assert "可抽取" in row_of(html, "在岗检查员")
        row = row_of(html, "过期检查员")
        assert f"执法证已于 {expired_on} 过期" in row
        assert "可抽取" not in row
        row = row_of(html, "协会人员")
        assert "行业协会工作人员不得代替执法人员" in row
        assert "可抽取" not in row

    def test_the_list_shows_the_sectors(self, admin):
        InspectorFactory(name="赵执法", sectors=[sector("lawyer"), sector("notary")])
        row = row_of(admin.get(changelist("inspector")).content.decode(), "赵执法")
        assert "律师、公证" in row


@pytest.fixture
def thirty_of_everything():
    jurisdiction = JurisdictionFactory()
    both = [sector("lawyer"), sector("notary")]
    for n in range(30):
        institution = InstitutionFactory(jurisdiction=jurisdiction)
        practitioner = PractitionerFactory(institution=institution)
        inspector = InspectorFactory(jurisdiction=jurisdiction, sectors=both)
        ConflictFactory(inspector=inspector, institution=institution, practitioner=practitioner)
        CheckItemFactory()
        SupervisionRecordFactory(institution=institution)
        child = JurisdictionFactory(code=f"5002{n:02d}", name=f"测试区{n}", parent=jurisdiction)
        RiskPolicy.objects.create(jurisdiction=child)


@pytest.mark.parametrize("model", REGISTRY_MODELS)
def test_changelist_queries_are_bounded(
    admin, thirty_of_everything, django_assert_max_num_queries, model
):
    with django_assert_max_num_queries(MAX_QUERIES):
        response = admin.get(changelist(model))
    assert response.status_code == 200
    assert len(response.context["cl"].result_list) >= 6  # sectors: six; the others: 30
