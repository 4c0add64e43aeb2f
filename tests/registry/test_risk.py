"""Risk tiers from the supervision history (Y3.2, N8): key targets (penalty, valid complaints, poor
satisfaction, refusing pro-bono work, abnormal-operation list), reduced frequency (none of those,
high satisfaction, pro-bono work), normal otherwise — each with its reasons, thresholds per
jurisdiction (RiskPolicy)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from registry.models import Institution, RiskPolicy, RiskRefresh, RiskTier, SupervisionRecord
from registry.services import (
    institution_risk_current,
    institution_risk_refresh,
    months_before,
    risk_assess,
)
from tests.factories import (
    InstitutionFactory,
    JurisdictionFactory,
    SupervisionRecordFactory,
)

Kind = SupervisionRecord.Kind
TODAY = dt.date(2026, 6, 15)


def rec(kind: str, days_ago: int = 30, **fields) -> SupervisionRecord:
    """An unsaved record: risk_assess needs no database."""
    return SupervisionRecord(kind=kind, date=TODAY - dt.timedelta(days=days_ago), **fields)


def policy_of(**thresholds) -> RiskPolicy:
    """A policy as loaded from the database: its decimal thresholds are Decimals."""
    policy = RiskPolicy(**thresholds)
    for name in ("key_satisfaction_below", "reduced_satisfaction_min"):
        setattr(policy, name, Decimal(getattr(policy, name)))
    return policy


def assess(*records, policy: RiskPolicy | None = None) -> tuple[str, list[str]]:
    return risk_assess(list(records), policy or policy_of(), TODAY)


def good_standing() -> list[SupervisionRecord]:
    """What earns reduced frequency under the default policy."""
    return [rec(Kind.SATISFACTION, score=Decimal(95)), rec(Kind.PRO_BONO)]


# -- months_before ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (dt.date(2026, 6, 15), 12, dt.date(2025, 6, 15)),
        (dt.date(2026, 6, 15), 36, dt.date(2023, 6, 15)),
        (dt.date(2026, 3, 31), 1, dt.date(2026, 2, 28)),
        (dt.date(2024, 3, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2026, 1, 10), 1, dt.date(2025, 12, 10)),
    ],
)
def test_months_before(day, months, expected):
    assert months_before(day, months) == expected


# -- key targets -----------------------------------------------------------------------------------
def test_penalty_within_36_months_is_key():
    tier, reasons = assess(*good_standing(), rec(Kind.PENALTY, days_ago=35 * 30))
    assert tier == RiskTier.KEY
    assert reasons == ["36 个月内受到行政处罚 1 次"]


def test_penalty_boundary_is_inclusive():
    on_boundary = SupervisionRecord(kind=Kind.PENALTY, date=dt.date(2023, 6, 15))
    just_before = SupervisionRecord(kind=Kind.PENALTY, date=dt.date(2023, 6, 14))
    assert assess(*good_standing(), on_boundary)[0] == RiskTier.KEY
    assert assess(*good_standing(), just_before)[0] == RiskTier.REDUCED


def test_old_penalty_no_longer_counts():
    tier, reasons = assess(*good_standing(), rec(Kind.PENALTY, days_ago=37 * 31))
    assert tier == RiskTier.REDUCED
    assert "36 个月内无行政处罚" in reasons


def test_two_valid_complaints_in_12_months_are_key():
    tier, reasons = assess(rec(Kind.COMPLAINT, 10), rec(Kind.COMPLAINT, 200))
    assert tier == RiskTier.KEY
    assert reasons == ["12 个月内有效投诉 2 件"]
    assert any("有效投诉 2 件" in r for r in reasons)


def test_invalid_complaints_do_not_count():
    records = [
        rec(Kind.COMPLAINT, 10),
        rec(Kind.COMPLAINT, 20, valid=False),
        rec(Kind.COMPLAINT, 30, valid=False),
        rec(Kind.COMPLAINT, 40, valid=False),
    ]
    tier, reasons = assess(*records, *good_standing())
    assert tier == RiskTier.NORMAL  # one valid complaint: not key, and too many for reduced
    assert reasons == ["12 个月内有效投诉 1 件"]


def test_complaints_older_than_12_months_do_not_count():
    tier, _reasons = assess(rec(Kind.COMPLAINT, 10), rec(Kind.COMPLAINT, 400), *good_standing())
    assert tier == RiskTier.NORMAL


def test_low_satisfaction_is_key():
    records = [rec(Kind.SATISFACTION, score=Decimal(50)), rec(Kind.SATISFACTION, score=Decimal(61))]
    tier, reasons = assess(*records, rec(Kind.PRO_BONO))
    assert tier == RiskTier.KEY
    assert reasons == ["满意度 55.5 分，低于 60 分"]


def test_satisfaction_of_exactly_60_is_not_key():
    tier, reasons = assess(rec(Kind.SATISFACTION, score=Decimal(60)), rec(Kind.PRO_BONO))
    assert tier == RiskTier.NORMAL
    assert reasons == ["满意度 60 分，未达 90 分"]


def test_pro_bono_refusal_is_key():
    tier, reasons = assess(*good_standing(), rec(Kind.PRO_BONO_REFUSAL, 50))
    assert tier == RiskTier.KEY
    assert reasons == ["12 个月内拒绝公益法律服务 1 次"]


def test_active_abnormal_listing_is_key():
    listed = SupervisionRecord(kind=Kind.ABNORMAL, date=dt.date(2026, 1, 10))
    tier, reasons = assess(*good_standing(), listed)
    assert tier == RiskTier.KEY
    assert reasons == ["自 2026-01-10 起列入经营异常名录"]


def test_old_listing_without_end_still_counts():
    listed = SupervisionRecord(kind=Kind.ABNORMAL, date=dt.date(2019, 1, 10))
    assert assess(*good_standing(), listed)[0] == RiskTier.KEY


@pytest.mark.parametrize(
    ("start", "end", "tier"),
    [
        (dt.date(2026, 1, 10), dt.date(2026, 3, 1), RiskTier.REDUCED),  # removed from the list
        (dt.date(2026, 1, 10), TODAY, RiskTier.REDUCED),  # removed today
        (dt.date(2026, 1, 10), TODAY + dt.timedelta(days=1), RiskTier.KEY),
        (TODAY + dt.timedelta(days=5), None, RiskTier.REDUCED),  # not listed yet
    ],
)
def test_abnormal_listing_only_while_active(start, end, tier):
    listed = SupervisionRecord(kind=Kind.ABNORMAL, date=start, ended_on=end)
    assert assess(*good_standing(), listed)[0] == tier


def test_every_key_reason_is_listed():
    tier, reasons = assess(
        rec(Kind.PENALTY, 100),
        rec(Kind.COMPLAINT, 10),
        rec(Kind.COMPLAINT, 20),
        rec(Kind.COMPLAINT, 30),
        rec(Kind.SATISFACTION, score=Decimal("40.5")),
        rec(Kind.PRO_BONO_REFUSAL, 5),
        SupervisionRecord(kind=Kind.ABNORMAL, date=dt.date(2025, 12, 1)),
    )
    assert tier == RiskTier.KEY
    assert reasons == [
        "36 个月内受到行政处罚 1 次",
        "12 个月内有效投诉 3 件",
        "满意度 40.5 分，低于 60 分",
        "12 个月内拒绝公益法律服务 1 次",
        "自 2025-12-01 起列入经营异常名录",
    ]


# -- reduced and normal ----------------------------------------------------------------------------
def test_reduced_frequency_with_reasons():
    tier, reasons = assess(*good_standing(), rec(Kind.PRO_BONO, 90), rec(Kind.COMMENDATION))
    assert tier == RiskTier.REDUCED
    assert reasons == [
        "36 个月内无行政处罚",
        "12 个月内有效投诉 0 件",
        "满意度 95 分",
        "参与公益法律服务 2 次",
    ]


def test_satisfaction_of_exactly_90_earns_reduced():
    tier, _ = assess(rec(Kind.SATISFACTION, score=Decimal(90)), rec(Kind.PRO_BONO))
    assert tier == RiskTier.REDUCED


def test_no_history_is_normal():
    tier, reasons = assess()
    assert tier == RiskTier.NORMAL
    assert reasons == ["12 个月内无满意度评价", "12 个月内未参与公益法律服务"]


def test_without_pro_bono_is_normal():
    tier, reasons = assess(rec(Kind.SATISFACTION, score=Decimal(98)))
    assert tier == RiskTier.NORMAL
    assert reasons == ["12 个月内未参与公益法律服务"]


def test_middling_satisfaction_is_normal():
    tier, reasons = assess(rec(Kind.SATISFACTION, score=Decimal("85.5")), rec(Kind.PRO_BONO))
    assert tier == RiskTier.NORMAL
    assert reasons == ["满意度 85.5 分，未达 90 分"]


def test_old_satisfaction_and_pro_bono_do_not_count():
    records = [rec(Kind.SATISFACTION, 400, score=Decimal(99)), rec(Kind.PRO_BONO, 400)]
    tier, reasons = assess(*records)
    assert tier == RiskTier.NORMAL
    assert reasons == ["12 个月内无满意度评价", "12 个月内未参与公益法律服务"]


# -- per-jurisdiction policy -----------------------------------------------------------------------
def test_policy_raises_the_complaint_threshold():
    records = [rec(Kind.COMPLAINT, 10), rec(Kind.COMPLAINT, 20)]
    assert assess(*records)[0] == RiskTier.KEY
    tier, reasons = assess(*records, policy=policy_of(key_valid_complaints=3))
    assert tier == RiskTier.NORMAL
    assert "12 个月内有效投诉 2 件" in reasons


def test_policy_stricter_satisfaction():
    records = [rec(Kind.SATISFACTION, score=Decimal(65)), rec(Kind.PRO_BONO)]
    assert assess(*records)[0] == RiskTier.NORMAL
    tier, reasons = assess(*records, policy=policy_of(key_satisfaction_below=70))
    assert tier == RiskTier.KEY
    assert reasons == ["满意度 65 分，低于 70 分"]


def test_policy_without_pro_bono_requirement():
    records = [rec(Kind.SATISFACTION, score=Decimal(92))]
    assert assess(*records)[0] == RiskTier.NORMAL
    policy = RiskPolicy(reduced_requires_pro_bono=False)
    tier, reasons = assess(*records, policy=policy)
    assert tier == RiskTier.REDUCED
    assert not any("公益" in r for r in reasons)


def test_policy_tolerates_one_complaint_for_reduced():
    records = [rec(Kind.COMPLAINT, 10), *good_standing()]
    assert assess(*records)[0] == RiskTier.NORMAL
    assert assess(*records, policy=policy_of(reduced_max_valid_complaints=1))[0] == "reduced"


def test_policy_lookback_periods():
    records = [rec(Kind.COMPLAINT, 100), rec(Kind.COMPLAINT, 500)]
    assert assess(*records)[0] == RiskTier.NORMAL
    tier, reasons = assess(*records, policy=policy_of(lookback_months=24))
    assert tier == RiskTier.KEY
    assert reasons == ["24 个月内有效投诉 2 件"]
    penalty = rec(Kind.PENALTY, 400)
    assert assess(penalty)[0] == RiskTier.KEY
    tier, _ = assess(penalty, *good_standing(), policy=policy_of(penalty_lookback_months=12))
    assert tier == RiskTier.REDUCED


# The default policy is an unsaved RiskPolicy() whose thresholds are plain ints (a fixed bug).


@pytest.mark.parametrize("score", [Decimal(50), Decimal(85)])
def test_default_policy_reports_satisfaction(score):
    records = [rec(Kind.SATISFACTION, score=score), rec(Kind.PRO_BONO)]
    tier, reasons = risk_assess(records, RiskPolicy(), TODAY)
    assert reasons == [f"满意度 {score} 分，{'低于 60' if score < 60 else '未达 90'} 分"]


@pytest.mark.django_db
def test_refresh_with_middling_satisfaction_and_no_policy():
    inst = InstitutionFactory()
    SupervisionRecordFactory(institution=inst, kind=Kind.SATISFACTION, score=85, date=TODAY)
    SupervisionRecordFactory(institution=inst, kind=Kind.PRO_BONO, date=TODAY)
    institution_risk_refresh(today=TODAY)
    inst.refresh_from_db()
    assert inst.risk_reasons == ["满意度 85 分，未达 90 分"]


# -- stored on the institution ---------------------------------------------------------------------
@pytest.mark.django_db
def test_refresh_stores_tier_and_reasons():
    key = InstitutionFactory()
    SupervisionRecordFactory(institution=key, date=TODAY - dt.timedelta(days=10))
    SupervisionRecordFactory(institution=key, date=TODAY - dt.timedelta(days=20))
    SupervisionRecordFactory(institution=key, date=TODAY - dt.timedelta(days=30), valid=False)
    reduced = InstitutionFactory()
    SupervisionRecordFactory(institution=reduced, kind=Kind.SATISFACTION, score=96, date=TODAY)
    SupervisionRecordFactory(institution=reduced, kind=Kind.PRO_BONO, date=TODAY)
    normal = InstitutionFactory()

    assert institution_risk_refresh(today=TODAY) == 3
    key.refresh_from_db()
    assert key.risk_tier == RiskTier.KEY
    assert key.risk_reasons == ["12 个月内有效投诉 2 件"]
    assert "有效投诉 2 件" in key.risk_reasons_text
    assert key.risk_updated_at is not None
    reduced.refresh_from_db()
    assert reduced.risk_tier == RiskTier.REDUCED
    assert "满意度 96 分" in reduced.risk_reasons
    normal.refresh_from_db()
    assert normal.risk_tier == RiskTier.NORMAL
    assert normal.risk_reasons_text == "12 个月内无满意度评价；12 个月内未参与公益法律服务"

    # Idempotent: nothing changes the second time, and the risk fields keep no history.
    stamp = key.risk_updated_at
    assert institution_risk_refresh(today=TODAY) == 0
    key.refresh_from_db()
    assert key.risk_updated_at == stamp
    assert Institution.history.count() == 3


@pytest.mark.django_db
def test_refresh_only_the_given_institutions():
    first, second = InstitutionFactory(), InstitutionFactory()
    for inst in (first, second):
        SupervisionRecordFactory(institution=inst, kind=Kind.PENALTY, date=TODAY)
    assert institution_risk_refresh(institution_ids=[first.pk], today=TODAY) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.risk_tier == RiskTier.KEY
    assert second.risk_tier == RiskTier.NORMAL
    assert second.risk_reasons == []


@pytest.mark.django_db
def test_refresh_uses_the_policy_of_each_jurisdiction():
    yuzhong = JurisdictionFactory()
    strict = JurisdictionFactory(code="640104", name="兴庆区")
    RiskPolicy.objects.create(jurisdiction=yuzhong, key_valid_complaints=3)
    here = InstitutionFactory(jurisdiction=yuzhong)
    there = InstitutionFactory(jurisdiction=strict)
    for inst in (here, there):
        for days in (5, 50):
            SupervisionRecordFactory(institution=inst, date=TODAY - dt.timedelta(days=days))

    institution_risk_refresh(today=TODAY)
    here.refresh_from_db()
    there.refresh_from_db()
    assert here.risk_tier == RiskTier.NORMAL
    assert there.risk_tier == RiskTier.KEY  # no policy of its own: the defaults


@pytest.mark.django_db
def test_refresh_with_a_policy_looking_further_back():
    """A policy's longer look-back must load the older records too."""
    jurisdiction = JurisdictionFactory()
    RiskPolicy.objects.create(jurisdiction=jurisdiction, penalty_lookback_months=60)
    inst = InstitutionFactory(jurisdiction=jurisdiction)
    SupervisionRecordFactory(institution=inst, kind=Kind.PENALTY, date=dt.date(2022, 1, 5))
    institution_risk_refresh(today=TODAY)
    inst.refresh_from_db()
    assert inst.risk_tier == RiskTier.KEY
    assert inst.risk_reasons == ["60 个月内受到行政处罚 1 次"]


@pytest.mark.django_db
def test_import_refreshes_the_tier_of_imported_institutions(tmp_path):
    from registry.imports import registry_import_file

    JurisdictionFactory()
    path = tmp_path / "i.csv"
    path.write_text(
        "统一社会信用代码,机构名称,行业,辖区代码\n31500103000000101L,示例律师事务所,律师,500103\n",
        encoding="utf-8",
    )
    assert registry_import_file(kind="institutions", path=path).ok
    inst = Institution.objects.get()
    assert inst.risk_tier == RiskTier.NORMAL
    assert inst.risk_reasons == ["12 个月内无满意度评价", "12 个月内未参与公益法律服务"]


# -- the admin -------------------------------------------------------------------------------------
@pytest.mark.django_db
def test_changelist_shows_tier_with_reasons(staff_client):
    inst = InstitutionFactory(name="重点律师事务所")
    today = dt.date.today()
    for days in (3, 40):
        SupervisionRecordFactory(institution=inst, date=today - dt.timedelta(days=days))
    SupervisionRecordFactory(institution=inst, kind=Kind.PENALTY, date=today)
    institution_risk_refresh(today=today)

    response = staff_client.get(reverse("admin:registry_institution_changelist"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "风险等级及依据" in page
    row = page[page.index("重点律师事务所") :]
    row = row[: row.index("</tr>")]
    assert "重点" in row
    assert "36 个月内受到行政处罚 1 次；12 个月内有效投诉 2 件" in row

    filtered = staff_client.get(
        reverse("admin:registry_institution_changelist"), {"risk_tier__exact": "key"}
    )
    assert "重点律师事务所" in filtered.content.decode()


@pytest.mark.django_db
def test_refresh_action_in_the_admin(staff_client):
    inst = InstitutionFactory()
    SupervisionRecordFactory(institution=inst, kind=Kind.PRO_BONO_REFUSAL)
    response = staff_client.post(
        reverse("admin:registry_institution_changelist"),
        {"action": "refresh_risk", "_selected_action": [inst.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 家机构的风险等级有变化" in response.content.decode()
    inst.refresh_from_db()
    assert inst.risk_tier == RiskTier.KEY
    assert inst.risk_reasons == ["12 个月内拒绝公益法律服务 1 次"]


@pytest.mark.django_db
def test_changing_a_policy_in_the_admin_refreshes_its_institutions(staff_client):
    jurisdiction = JurisdictionFactory()
    inst = InstitutionFactory(jurisdiction=jurisdiction)
    today = dt.date.today()
    for days in (3, 40):
        SupervisionRecordFactory(institution=inst, date=today - dt.timedelta(days=days))
    institution_risk_refresh()
    inst.refresh_from_db()
    assert inst.risk_tier == RiskTier.KEY

    response = staff_client.post(
        reverse("admin:registry_riskpolicy_add"),
        {
            "jurisdiction": jurisdiction.pk,
            "lookback_months": 12,
            "penalty_lookback_months": 36,
            "key_valid_complaints": 5,
            "key_satisfaction_below": 60,
            "reduced_max_valid_complaints": 0,
            "reduced_satisfaction_min": 90,
            "reduced_requires_pro_bono": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    inst.refresh_from_db()
    assert inst.risk_tier == RiskTier.NORMAL
    assert "12 个月内有效投诉 2 件" in inst.risk_reasons


@pytest.mark.django_db
def test_a_refresh_of_every_institution_is_logged_and_a_partial_one_is_not():
    first, _second = InstitutionFactory(), InstitutionFactory()
    SupervisionRecordFactory(institution=first, kind=Kind.PENALTY, date=TODAY)
    institution_risk_refresh(institution_ids=[first.pk], today=TODAY)
    assert not RiskRefresh.objects.exists()
    institution_risk_refresh(today=TODAY)
    log = RiskRefresh.objects.get()
    # The second firm gets its reasons; the first was refreshed already.
    assert (log.day, log.assessed, log.changed) == (TODAY, 2, 1)
    assert log.started_at <= log.finished_at


@pytest.mark.django_db
def test_current_tiers_are_taken_as_stored_after_todays_refresh_and_recomputed_before():
    """A penalty ages out of its 36 months overnight (Y3.2): yesterday's refresh left the firm a
    key target; before today's refresh has run, a draw's refresh recomputes it."""
    firm = InstitutionFactory()
    SupervisionRecordFactory(
        institution=firm, kind=Kind.PENALTY, date=months_before(TODAY, 36) - dt.timedelta(days=1)
    )
    yesterday = TODAY - dt.timedelta(days=1)
    institution_risk_refresh(today=yesterday)
    firm.refresh_from_db()
    assert firm.risk_tier == RiskTier.KEY

    ids = Institution.objects.values("id")
    assert institution_risk_current(institution_ids=ids, today=TODAY) == 1
    firm.refresh_from_db()
    assert firm.risk_tier == RiskTier.NORMAL

    institution_risk_refresh(today=TODAY)  # today's nightly run
    SupervisionRecordFactory(institution=firm, kind=Kind.PENALTY, date=TODAY, reference="x")
    # Written behind the services' back: the stored tier stands until something refreshes it.
    assert institution_risk_current(institution_ids=ids, today=TODAY) == 0
