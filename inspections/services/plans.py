"""Annual plans and their revisions (Y3.4, N7–N9)."""

import datetime as dt
import math
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.deadlines import deadline_meet, deadline_open
from core.exceptions import ServiceError
from core.ledgers import publication_log
from core.models import Deadline, Publication
from core.services import WorkdayCalendar, workdays_add, workdays_before
from inspections.models import AnnualPlan, PlanRevision, PlanSection
from registry.models import CheckItem, Institution, RiskTier

MINIMUM_YEARLY_PERCENT = 5  # N8
MINIMUM_ROUNDS = 2  # N8: at least twice a year in principle
REVISION_PUBLISH_WITHIN = 5  # Y3.4: working days after the change
REVISION_NOTICE = 10  # Y3.4: working days before the affected inspection


@dataclass
class PlanCheck:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    coverage: dict[int, dict] = field(default_factory=dict)  # section id -> figures


def _tier_sizes(plan: AnnualPlan, section: PlanSection) -> dict[str, int]:
    rows = (
        Institution.objects.practising()
        .filter(sector=section.sector, jurisdiction=plan.jurisdiction)
        .values("risk_tier")
        .annotate(n=Count("id"))
    )
    sizes = dict.fromkeys(RiskTier.values, 0)
    sizes.update({row["risk_tier"]: row["n"] for row in rows})
    return sizes


def plan_check(*, plan: AnnualPlan) -> PlanCheck:
    """The rules a plan must meet before it is published (and shown while it is edited)."""
    check = PlanCheck()
    sections = plan.sections.select_related("sector").prefetch_related("check_items", "rounds")
    if not sections:
        check.errors.append(_("计划尚未包含任何行业。"))
    for section in sections:
        label = str(section.sector)
        chosen = set(section.check_items.all())
        rounds = list(section.rounds.all())
        if not chosen:
            # Y3.4: the check content comes from the list; a sector with none has nothing to check.
            check.errors.append(
                _(
                    "%(s)s：尚未选择抽查事项。检查内容须来自本行业的抽查事项清单（Y3.4）；清单为空时请先录入抽查事项。"
                )
                % {"s": label}
            )
        wrong_sector = [i.code for i in chosen if i.sector_id != section.sector_id]
        if wrong_sector:
            check.errors.append(
                _("%(s)s：事项 %(codes)s 不属于本行业的抽查事项清单（Y3.4）。")
                % {"s": label, "codes": "、".join(sorted(wrong_sector))}
            )
        if not rounds:
            check.errors.append(_("%(s)s：尚未安排抽查批次和时间（Y3.4）。") % {"s": label})
        elif len(rounds) < MINIMUM_ROUNDS:
            check.warnings.append(
                _("%(s)s：全年仅安排 %(n)s 批次，原则上每年不少于 2 次（N8）。")
                % {"s": label, "n": len(rounds)}
            )
        in_force_in_some_round = set()
        for rnd in rounds:
            if rnd.starts_on.year != plan.year or rnd.ends_on.year != plan.year:
                check.errors.append(
                    _("%(s)s：%(r)s 不在 %(y)s 年度内。") % {"s": label, "r": rnd, "y": plan.year}
                )
            in_force = set(CheckItem.objects.filter(sector=section.sector).active_on(rnd.starts_on))
            in_force_in_some_round |= in_force
            missing = sorted(i.code for i in in_force - chosen)
            if missing:
                check.errors.append(
                    _("%(s)s：%(r)s 缺少清单事项 %(codes)s，不得缺项（N9）。")
                    % {"s": label, "r": rnd, "codes": "、".join(missing)}
                )
        # An item that comes into force or retires during the year is checked in the rounds it is
        # in force for; only an item in force for none of them has no place in the plan. (Judged
        # round by round, such an item would be required by one round and refused by another.)
        expired = sorted(
            i.code for i in chosen - in_force_in_some_round if i.sector_id == section.sector_id
        )
        if rounds and expired:
            check.errors.append(
                _("%(s)s：事项 %(codes)s 在 %(r)s 时不在有效期内。")
                % {"s": label, "codes": "、".join(expired), "r": "、".join(map(str, rounds))}
            )
        sizes = _tier_sizes(plan, section)
        total = sum(sizes.values())
        per_round = sum(math.ceil(section.ratios[t] * sizes[t] / 100) for t in sizes)
        yearly = min(total, per_round * len(rounds)) if rounds else 0
        needed = math.ceil(MINIMUM_YEARLY_PERCENT * total / 100)
        check.coverage[section.id] = {
            "institutions": total,
            "per_round": per_round,
            "yearly": yearly,
            "needed": needed,
        }
        if not total:
            # N8's 5 % of nobody is met by nobody: say so rather than pass it as covered.
            check.warnings.append(
                _(
                    "%(s)s：检查对象名录中尚无本辖区的执业机构，无法核算全年覆盖率（N8）。请先导入检查对象名录。"
                )
                % {"s": label}
            )
        if total and yearly < needed:
            check.errors.append(
                _(
                    "%(s)s：按现有比例全年预计抽查 %(y)s 家，低于辖区机构总数 %(t)s 家的 5%%（需 %(n)s 家，N8）。"
                )
                % {"s": label, "y": yearly, "t": total, "n": needed}
            )
    return check


def plan_snapshot(plan: AnnualPlan) -> dict:
    """The plan's content as published (kept with every revision)."""
    return {
        "title": plan.title,
        "year": plan.year,
        "sections": [
            {
                "sector": str(section.sector),
                "target_scope": section.target_scope,
                "ratios": {k: str(v) for k, v in section.ratios.items()},
                "team_size": section.team_size,
                "methods": section.methods,
                "check_items": [
                    {"code": i.code, "name": i.name, "legal_basis": i.legal_basis}
                    for i in section.check_items.order_by("order", "code")
                ],
                "rounds": [
                    {
                        "number": r.number,
                        "starts_on": r.starts_on.isoformat(),
                        "ends_on": r.ends_on.isoformat(),
                    }
                    for r in section.rounds.all()
                ],
            }
            for section in plan.sections.select_related("sector").order_by("sector__order")
        ],
    }


def plan_deadline_open(
    *, plan: AnnualPlan, responsible=None, on: dt.date | None = None
) -> Deadline:
    """Y3.4: the plan of a year is published by 31 January of that year. Idempotent."""
    return deadline_open(
        kind=Deadline.Kind.PLAN,
        subject=plan,
        starts_on=on or timezone.localdate(),
        due_on=plan.due_date,
        title=_("%(plan)s：公布年度抽查计划") % {"plan": plan},
        rule=_("Y3.4：每年 1 月 31 日前制定并公布年度抽查计划"),
        responsible=responsible,
        url=reverse("admin:inspections_annualplan_change", args=[plan.pk]),
    )


@transaction.atomic
def plan_create(*, jurisdiction, year: int, title: str, user) -> AnnualPlan:
    """A draft plan; its publication deadline (Y3.4: 31 January) starts with it."""
    plan = AnnualPlan.objects.create(jurisdiction=jurisdiction, year=year, title=title)
    plan_deadline_open(plan=plan, responsible=user)
    return plan


@transaction.atomic
def plan_publish(*, plan: AnnualPlan, user) -> AnnualPlan:
    """Publish the plan; after 31 January it is still published, and shown as late (Y3.4)."""
    plan = AnnualPlan.objects.select_for_update().get(pk=plan.pk)
    if plan.is_published:
        raise ServiceError(_("该计划已公布；修改须登记修订。"))
    check = plan_check(plan=plan)
    if check.errors:
        raise ServiceError("\n".join(check.errors))
    plan.status = AnnualPlan.Status.PUBLISHED
    plan.published_at = timezone.now()
    plan.published_by = user
    plan.snapshot = plan_snapshot(plan)
    plan.save()
    # A plan made without plan_create gets its deadline record here, met at once (late or not).
    plan_deadline_open(plan=plan, responsible=user, on=timezone.localdate(plan.published_at))
    deadline_meet(kind=Deadline.Kind.PLAN, subject=plan, at=plan.published_at)
    publication_log(
        kind=Publication.Kind.PLAN, subject=plan, title=plan.title, user=user, at=plan.published_at
    )
    return plan


@dataclass
class RevisionSchedule:
    changed_on: dt.date
    affected_starts_on: dt.date
    publish_by: dt.date  # within 5 working days of the change
    notice_by: dt.date  # latest date leaving 10 working days before the inspection

    @property
    def latest(self) -> dt.date:
        return min(self.publish_by, self.notice_by)

    @property
    def feasible(self) -> bool:
        return self.notice_by >= self.changed_on

    def explain(self) -> str:
        return _(
            "决定修订日期 %(c)s；须在 %(p)s 前发布（5 个工作日内）；受影响检查 %(a)s 开始，须在 %(n)s 前发布（提前 10 个工作日）。"
        ) % {
            "c": self.changed_on,
            "p": self.publish_by,
            "a": self.affected_starts_on,
            "n": self.notice_by,
        }


def revision_schedule(*, changed_on: dt.date, affected_starts_on: dt.date) -> RevisionSchedule:
    calendar = WorkdayCalendar()
    return RevisionSchedule(
        changed_on=changed_on,
        affected_starts_on=affected_starts_on,
        publish_by=workdays_add(start=changed_on, days=REVISION_PUBLISH_WITHIN, calendar=calendar),
        notice_by=workdays_before(end=affected_starts_on, days=REVISION_NOTICE, calendar=calendar),
    )


@transaction.atomic
def plan_revision_open(
    *,
    plan: AnnualPlan,
    reason: str,
    summary: str,
    affected_starts_on: dt.date,
    changed_on: dt.date | None = None,
    user,
) -> PlanRevision:
    """Register a change to a published plan; refused when its schedule cannot meet Y3.4."""
    plan = AnnualPlan.objects.select_for_update().get(pk=plan.pk)
    if not plan.is_published:
        raise ServiceError(_("计划尚未公布，可直接修改，无需登记修订。"))
    if plan.open_revision():
        raise ServiceError(_("该计划已有一项未发布的修订，请先发布。"))
    if not reason.strip():
        raise ServiceError(_("请填写修订原因。"))
    changed_on = changed_on or timezone.localdate()
    schedule = revision_schedule(changed_on=changed_on, affected_starts_on=affected_starts_on)
    if not schedule.feasible:
        raise ServiceError(
            _("无法按规定发布本次修订：%(why)s 请调整受影响检查的时间。")
            % {"why": schedule.explain()}
        )
    number = (plan.revisions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    revision = PlanRevision.objects.create(
        plan=plan,
        number=number,
        reason=reason,
        summary=summary,
        changed_on=changed_on,
        affected_starts_on=affected_starts_on,
        publish_by=schedule.publish_by,
        created_by=user,
    )
    deadline_open(
        kind=Deadline.Kind.PLAN_REVISION,
        subject=revision,
        starts_on=changed_on,
        workdays=REVISION_PUBLISH_WITHIN,
        due_on=schedule.publish_by,
        title=_("%(revision)s：发布计划修订") % {"revision": revision},
        rule=_("Y3.4：计划调整后 5 个工作日内公布"),
        responsible=user,
        url=reverse("admin:inspections_annualplan_change", args=[plan.pk]),
    )
    return revision


@transaction.atomic
def plan_revision_publish(*, revision: PlanRevision, user) -> PlanRevision:
    """Publish the revision with the plan as it now stands. Refused once fewer than 10 working days
    remain before the affected inspection; published after the 5-day limit it is shown as late."""
    revision = PlanRevision.objects.select_for_update().select_related("plan").get(pk=revision.pk)
    if revision.published_at:
        raise ServiceError(_("该修订已发布。"))
    now = timezone.now()
    on = timezone.localdate(now)
    schedule = revision_schedule(
        changed_on=revision.changed_on, affected_starts_on=revision.affected_starts_on
    )
    if on > schedule.notice_by:
        raise ServiceError(
            _("今天（%(d)s）发布已不足提前 10 个工作日：%(why)s")
            % {"d": on, "why": schedule.explain()}
        )
    check = plan_check(plan=revision.plan)
    if check.errors:
        raise ServiceError("\n".join(check.errors))
    revision.snapshot = plan_snapshot(revision.plan)
    revision.published_at = now
    revision.published_by = user
    revision.save()
    deadline_meet(kind=Deadline.Kind.PLAN_REVISION, subject=revision, at=now)
    publication_log(
        kind=Publication.Kind.PLAN_REVISION,
        subject=revision,
        title=_("%(plan)s（修订）") % {"plan": revision.plan.title},
        user=user,
        at=now,
        note=revision.reason,
    )
    return revision
