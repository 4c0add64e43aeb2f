"""Step 1 of the double random draw (N10–N12, RFC 3797): the pools frozen and published with the
future randomness sources, before anyone can know them; a re-draw is a new announcement."""

import datetime as dt
import math
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ServiceError
from core.ledgers import publication_log
from core.models import AuditEvent, Publication
from inspections.models import Draw, Inspection, InspectionTask
from inspections.services.draws.pools import _freeze_pools
from inspections.services.sources import sources_clean, text_clean
from tools import verify_draw as algorithm

MINIMUM_PERCENT = "5"  # N8
DEFAULT_MISSING_RULE = gettext_lazy(
    "若某一随机源未能在公告日期产生（如开奖推迟、休市），以该随机源其后第一次正常产生的结果代替，并在抽取结果中注明。"
)


def _percent(value: Decimal) -> str:
    return format(Decimal(value).normalize(), "f")


def entropy_estimate(sources: list[dict], pool: int, picks: int) -> dict:
    """Bits the sources carry (sum of their estimates) against log2 C(pool, picks) (RFC 3797 §5)."""
    have = sum(float(s.get("entropy_bits", 0)) for s in sources)
    needed = math.log2(math.comb(pool, picks)) if 0 < picks <= pool else 0.0
    return {
        "sources_bits": round(have, 1),
        "needed_bits": round(needed, 1),
        "sufficient": have >= min(needed, 40.0),
    }


def _announcement(
    task: InspectionTask, sources: list[dict], missing_rule: str, pools: dict
) -> dict:
    ratios = {k: _percent(v) for k, v in task.ratios.items()}
    tiers = [t["tier"] for t in pools["targets"]["entries"]]
    sizes = {s: tiers.count(s) for s in algorithm.STRATA}
    planned = algorithm.stratum_counts(sizes, ratios, MINIMUM_PERCENT)
    two_stage = {"jurisdictions_to_draw": task.jurisdictions_to_draw} if task.two_stage else None
    return {
        "format": algorithm.FORMAT,
        "algorithm": algorithm.ALGORITHM,
        "task": {
            "id": task.pk,
            "name": task.name,
            "kind": task.kind,
            "sector": str(task.sector),
            "jurisdictions": list(
                task.jurisdictions.order_by("code").values_list("code", flat=True)
            ),
            "starts_on": task.starts_on.isoformat(),
            "ends_on": task.ends_on.isoformat(),
        },
        "parameters": {
            "team_size": task.team_size,
            "ratios": ratios,
            "minimum_percent": MINIMUM_PERCENT,
            "two_stage": two_stage,
        },
        "sources": sources,
        "missing_source_rule": missing_rule,
        "pools": pools,
        "strata": [{"code": s, "size": sizes[s], "planned": planned[s]} for s in algorithm.STRATA],
        "entropy": entropy_estimate(sources, len(tiers), sum(planned.values())),
    }


def _check_task(task: InspectionTask) -> None:
    if task.kind != InspectionTask.Kind.RANDOM:
        # Y2: special and case-driven inspections are recorded but never drawn.
        raise ServiceError(_("只有双随机抽查任务可以随机抽取；专项检查和案件线索检查不参与抽取。"))
    if task.status != InspectionTask.Status.APPROVED:
        raise ServiceError(_("检查任务须经单位负责人审批后才能抽取（N10）。"))


@transaction.atomic
def draw_announce(
    *,
    task: InspectionTask,
    sources: list[dict],
    user,
    missing_rule: str = "",
    number: int = 1,
    redraw_of: Draw | None = None,
    redraw_reason: str = "",
    redraw_requested_by=None,
    redraw_approved_by=None,
    verifiable: bool = True,
    immediate_reason: str = "",
    witnesses: list[str] | None = None,
    at: dt.datetime | None = None,
) -> Draw:
    """Step 1: freeze and publish the pools and name the future randomness sources. `at` is the
    moment of the announcement (default: now) — every source must be drawn after it, and it is
    the announcement's time; only the demo data, which replays a past draw, passes it.

    Everything the draw publishes about itself is written here, once: the database freezes it
    from the announcement on (inspections 0008). draw_redraw passes the re-draw's reason and
    people, draw_immediate `verifiable=False` with its reason and witnesses."""
    at = at or timezone.now()
    task = InspectionTask.objects.select_for_update().get(pk=task.pk)
    _check_task(task)
    if redraw_of is None and task.draws.exists():
        raise ServiceError(_("该任务已经公告过抽取；重新抽取须说明理由并经另一人批准。"))
    sources = sources_clean(sources, at=at, verifiable=verifiable)
    missing_rule = text_clean(missing_rule, what=_("随机源缺失时的处理规则"), max_length=2000)
    pools, pool_ids = _freeze_pools(task)
    if not pools["targets"]["entries"]:
        raise ServiceError(_("检查对象名录中没有该行业的执业机构，无法抽取。"))
    announcement = _announcement(task, sources, str(missing_rule or DEFAULT_MISSING_RULE), pools)
    try:
        with transaction.atomic():
            draw = Draw.objects.create(
                task=task,
                number=number,
                announcement=announcement,
                pool_ids=pool_ids,
                announced_at=at,
                announced_by=user,
                redraw_of=redraw_of,
                redraw_reason=redraw_reason,
                redraw_requested_by=redraw_requested_by,
                redraw_approved_by=redraw_approved_by,
                verifiable=verifiable,
                immediate_reason=immediate_reason,
                witnesses=list(witnesses or []),
            )
    except IntegrityError as exc:
        raise ServiceError(_("该任务已有一次有效的抽取。")) from exc
    _draw_published(
        draw,
        title=_("%(draw)s：公告名录和随机源") % {"draw": draw},
        user=user,
        at=at,
        audit_action=AuditEvent.Action.REDRAW if redraw_of else AuditEvent.Action.DRAW_ANNOUNCED,
    )
    return draw


def _draw_published(draw: Draw, *, title: str, user, at: dt.datetime, audit_action: str) -> None:
    """The public log's entry for a step of the draw (announced, executed), and the audit
    trail's (issue 14 §3)."""
    publication_log(
        kind=Publication.Kind.DRAW,
        subject=draw,
        title=title,
        user=user,
        at=at,
        audit_action=audit_action,
    )


@transaction.atomic
def draw_redraw(
    *,
    draw: Draw,
    reason: str,
    requested_by,
    approved_by,
    sources: list[dict],
    missing_rule: str = "",
) -> Draw:
    """A new draw for the same task, with a reason and a second approver; the earlier draw stays
    published, marked as superseded."""
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    if draw.superseded_at:
        raise ServiceError(_("该抽取已被取代。"))
    reason = text_clean(reason, what=_("重新抽取理由"), max_length=2000)
    if not reason.strip():
        raise ServiceError(_("重新抽取须说明理由。"))
    if approved_by is None or requested_by is None or approved_by.pk == requested_by.pk:
        raise ServiceError(_("重新抽取须由申请人以外的另一人批准。"))
    if not approved_by.has_perm("inspections.approve_inspectiontask"):
        raise ServiceError(_("批准人须为单位负责人。"))
    if Inspection.objects.filter(selection__draw=draw, records__isnull=False).exists():
        raise ServiceError(_("该抽取的检查已经开始（已有检查记录），不能重新抽取。"))
    at = timezone.now()
    draw.superseded_at = at
    draw.save(update_fields=["superseded_at"])
    Inspection.objects.filter(selection__draw=draw).update(status=Inspection.Status.CANCELLED)
    return draw_announce(
        task=draw.task,
        sources=sources,
        user=requested_by,
        missing_rule=missing_rule,
        number=draw.number + 1,
        redraw_of=draw,
        redraw_reason=reason,
        redraw_requested_by=requested_by,
        redraw_approved_by=approved_by,
        at=at,
    )
