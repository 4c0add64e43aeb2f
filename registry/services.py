"""Writes of the registry: the risk tier derived from the supervision history (Y3.2, N8)."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.models import AuditEvent
from registry.models import (
    Institution,
    Practitioner,
    RiskPolicy,
    RiskRefresh,
    RiskTier,
    SupervisionRecord,
)

Kind = SupervisionRecord.Kind


def months_before(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, min(candidate, day.day))
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _round(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _fmt(value: Decimal | int) -> str:
    # An unsaved default RiskPolicy() holds plain ints, a saved one Decimals.
    return f"{Decimal(value).normalize():f}"


def risk_assess(
    records: Iterable[SupervisionRecord], policy: RiskPolicy, today: dt.date
) -> tuple[str, list[str]]:
    """The tier and the reasons behind it, from one institution's supervision records."""
    since = months_before(today, policy.lookback_months)
    penalty_since = months_before(today, policy.penalty_lookback_months)
    penalties = complaints = refusals = pro_bono = 0
    scores: list[Decimal] = []
    abnormal_since = None
    for rec in records:
        if rec.kind == Kind.PENALTY and rec.date >= penalty_since:
            penalties += 1
        elif rec.kind == Kind.COMPLAINT and rec.valid and rec.date >= since:
            complaints += 1
        elif rec.kind == Kind.SATISFACTION and rec.date >= since and rec.score is not None:
            scores.append(rec.score)
        elif rec.kind == Kind.PRO_BONO_REFUSAL and rec.date >= since:
            refusals += 1
        elif rec.kind == Kind.PRO_BONO and rec.date >= since:
            pro_bono += 1
        elif (
            rec.kind == Kind.ABNORMAL
            and rec.date <= today
            and (rec.ended_on is None or rec.ended_on > today)
        ):
            abnormal_since = rec.date
    # Compared unrounded; shown rounded half-up to one decimal.
    satisfaction = sum(scores) / len(scores) if scores else None
    months, pmonths = policy.lookback_months, policy.penalty_lookback_months

    key = []
    if penalties:
        key.append(_("%(m)s 个月内受到行政处罚 %(n)s 次") % {"m": pmonths, "n": penalties})
    if complaints >= policy.key_valid_complaints:
        key.append(_("%(m)s 个月内有效投诉 %(n)s 件") % {"m": months, "n": complaints})
    if satisfaction is not None and satisfaction < policy.key_satisfaction_below:
        key.append(
            _("满意度 %(s)s 分，低于 %(t)s 分")
            % {"s": _fmt(_round(satisfaction)), "t": _fmt(policy.key_satisfaction_below)}
        )
    if refusals:
        key.append(_("%(m)s 个月内拒绝公益法律服务 %(n)s 次") % {"m": months, "n": refusals})
    if abnormal_since:
        key.append(_("自 %(d)s 起列入经营异常名录") % {"d": abnormal_since})
    if key:
        return RiskTier.KEY, key

    missing = []
    if complaints > policy.reduced_max_valid_complaints:
        missing.append(_("%(m)s 个月内有效投诉 %(n)s 件") % {"m": months, "n": complaints})
    if satisfaction is None:
        missing.append(_("%(m)s 个月内无满意度评价") % {"m": months})
    elif satisfaction < policy.reduced_satisfaction_min:
        missing.append(
            _("满意度 %(s)s 分，未达 %(t)s 分")
            % {"s": _fmt(_round(satisfaction)), "t": _fmt(policy.reduced_satisfaction_min)}
        )
    if policy.reduced_requires_pro_bono and not pro_bono:
        missing.append(_("%(m)s 个月内未参与公益法律服务") % {"m": months})
    if missing:
        return RiskTier.NORMAL, missing

    reasons = [
        _("%(m)s 个月内无行政处罚") % {"m": pmonths},
        _("%(m)s 个月内有效投诉 %(n)s 件") % {"m": months, "n": complaints},
        _("满意度 %(s)s 分") % {"s": _fmt(_round(satisfaction))},
    ]
    if pro_bono:
        reasons.append(_("参与公益法律服务 %(n)s 次") % {"n": pro_bono})
    return RiskTier.REDUCED, reasons


class _Record(NamedTuple):
    kind: str
    date: dt.date
    valid: bool
    score: Decimal | None
    ended_on: dt.date | None


def institution_risk_refresh(
    *, institution_ids: Iterable[int] | QuerySet | None = None, today: dt.date | None = None
) -> int:
    """Recompute and store the risk tier and its reasons; returns how many institutions changed.
    Two reads for any number of institutions (`institution_ids` may be a queryset of ids, used as
    a subquery), plus one UPDATE per distinct outcome. A run over every institution is logged as
    a RiskRefresh of `today`."""
    today = today or timezone.localdate()
    started_at = timezone.now()
    institutions = Institution.objects.all()
    records = SupervisionRecord.objects.all()
    if institution_ids is not None:
        ids = institution_ids if isinstance(institution_ids, QuerySet) else list(institution_ids)
        institutions = institutions.filter(id__in=ids)
        records = records.filter(institution_id__in=ids)
    rows = list(institutions.values_list("id", "jurisdiction_id", "risk_tier", "risk_reasons"))
    policies = {p.jurisdiction_id: p for p in RiskPolicy.objects.all()}
    default_policy = RiskPolicy()
    oldest = months_before(
        today,
        max(
            [default_policy.penalty_lookback_months, default_policy.lookback_months]
            + [max(p.penalty_lookback_months, p.lookback_months) for p in policies.values()]
        ),
    )
    by_institution = defaultdict(list)
    records = records.filter(Q(date__gte=oldest) | Q(kind=Kind.ABNORMAL)).values_list(
        "institution_id", "kind", "date", "valid", "score", "ended_on"
    )
    for institution_id, *fields in records.iterator(chunk_size=20000):
        by_institution[institution_id].append(_Record(*fields))

    now = timezone.now()
    # Most institutions share a handful of outcomes: one UPDATE per distinct (tier, reasons) is
    # far cheaper at national scale than a per-row bulk_update.
    changed: dict[tuple[str, str], list[int]] = defaultdict(list)
    outcomes: dict[tuple[str, str], tuple[str, list[str]]] = {}
    for pk, jurisdiction_id, current_tier, current_reasons in rows:
        policy = policies.get(jurisdiction_id, default_policy)
        tier, reasons = risk_assess(by_institution.get(pk, []), policy, today)
        if tier != current_tier or reasons != current_reasons:
            group = (tier, "\n".join(reasons))
            outcomes[group] = (tier, reasons)
            changed[group].append(pk)
    count = sum(len(ids) for ids in changed.values())
    with transaction.atomic():
        for group, ids in changed.items():
            tier, reasons = outcomes[group]
            for start in range(0, len(ids), 5000):
                Institution.objects.filter(id__in=ids[start : start + 5000]).update(
                    risk_tier=tier, risk_reasons=reasons, risk_updated_at=now
                )
        if institution_ids is None:
            RiskRefresh.objects.create(
                day=today,
                started_at=started_at,
                finished_at=timezone.now(),
                assessed=len(rows),
                changed=count,
            )
    return count


def institution_risk_current(*, institution_ids: QuerySet, today: dt.date | None = None) -> int:
    """Make the stored tiers of these institutions current as of `today` before they are used
    (a draw's strata, N8). Nothing to do once today's full refresh has run: since then every
    write of a record, a policy or an import has refreshed what it touched. Otherwise (the
    nightly run has not happened yet today) they are refreshed now."""
    today = today or timezone.localdate()
    if RiskRefresh.objects.filter(day=today).exists():
        return 0
    return institution_risk_refresh(institution_ids=institution_ids, today=today)


# -- personal data (issue 14 §4) --------------------------------------------------------------
# Each full view or export of practitioners' ID numbers and phones is an entry of the audit trail
# (GB/T 22239 8.1.4.3; docs/audit.md): who, when, from where, which practitioner — never the values.
# Written before the values are shown: if the entry cannot be written, nothing is revealed.
PERSONAL_FIELDS = ["id_number", "phone"]


def personal_data_revealed(*, request, practitioner: Practitioner) -> None:
    """A staff member opened one practitioner's full ID number and phone."""
    audit_record(
        AuditEvent.Action.PII_REVEALED,
        request=request,
        target=practitioner,
        detail={"fields": PERSONAL_FIELDS},
    )


def personal_data_refused(*, request, practitioner: Practitioner) -> None:
    """Someone without the permission asked for a practitioner's full personal data."""
    audit_record(
        AuditEvent.Action.PII_REVEALED,
        request=request,
        target=practitioner,
        outcome=AuditEvent.Outcome.REFUSED,
        detail={"fields": PERSONAL_FIELDS},
    )


def personal_data_exported(*, request, rows: int, full: bool) -> None:
    """An export of practitioners: `full` when the ID numbers and phones were in it unmasked."""
    audit_record(
        AuditEvent.Action.EXPORTED,
        request=request,
        detail={
            "model": Practitioner._meta.label_lower,
            "rows": rows,
            "personal_data": "full" if full else "masked",
        },
    )
