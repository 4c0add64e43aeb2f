"""Announce, execute, re-draw and publish the double random draw (N10–N12, Y3.5, RFC 3797).

The computation itself lives in tools/verify_draw.py — the same file citizens download — so the
bureau's result is by construction what anyone recomputes from the published document.
"""

import datetime as dt
import math
import secrets
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ServiceError
from inspections.models import Draw, DrawSelection, Inspection, InspectionTask, TeamMember
from inspections.services.fieldwork import inspections_open
from inspections.services.sources import (
    draw_timing_problems,
    sources_clean,
    text_clean,
    values_clean,
)
from publication.models import Publication
from publication.services import publication_log
from registry.models import Conflict, Inspector, Institution, Jurisdiction, Practitioner
from registry.services import institution_risk_current
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


def _freeze_pools(task: InspectionTask) -> tuple[dict, dict]:
    """Target pool (practising institutions of the sector, by credit code), inspector pool
    (eligible on the start date, by certificate number; neighbours' marked as not local) and the
    conflicts in force that day, as public entries with their SHA-256 (N11, Y3.3)."""
    day = task.starts_on
    jurisdiction_ids = list(task.jurisdictions.values_list("id", flat=True))
    institutions = Institution.objects.practising().filter(
        sector=task.sector, jurisdiction_id__in=jurisdiction_ids
    )
    institution_risk_current(institution_ids=institutions.values("id"))
    rows = institutions.order_by("credit_code").values_list(
        "id", "credit_code", "name", "risk_tier", "jurisdiction__code"
    )
    target_ids, targets = [], []
    for pk, code, name, tier, jurisdiction in rows.iterator(chunk_size=5000):
        target_ids.append(pk)
        targets.append(
            {"credit_code": code, "name": name, "tier": tier, "jurisdiction": jurisdiction}
        )

    neighbours = (
        Jurisdiction.neighbours.through.objects.filter(from_jurisdiction_id__in=jurisdiction_ids)
        .exclude(to_jurisdiction_id__in=jurisdiction_ids)
        .values_list("to_jurisdiction_id", flat=True)
    )
    eligible = Inspector.objects.eligible_on(day, task.sector)
    pool = eligible.filter(
        Q(jurisdiction_id__in=jurisdiction_ids) | Q(jurisdiction_id__in=list(neighbours))
    )
    inspector_rows = pool.order_by("certificate_number").values_list(
        "id", "certificate_number", "name", "jurisdiction_id", "jurisdiction__code"
    )
    inspector_ids, inspectors = [], []
    for pk, cert, name, jid, jcode in inspector_rows:
        inspector_ids.append(pk)
        inspectors.append(
            {
                "certificate": cert,
                "name": name,
                "jurisdiction": jcode,
                "local": jid in jurisdiction_ids,
            }
        )

    if connection.vendor == "postgresql":
        conflict_entries = _conflicts_in_force_sql(target_ids, inspector_ids, day)
    else:
        conflict_entries = _conflicts_in_force(target_ids, inspector_ids, day)
    pools = {
        "targets": {"entries": targets, "sha256": algorithm.sha256(targets)},
        "inspectors": {"entries": inspectors, "sha256": algorithm.sha256(inspectors)},
        "conflicts": {"entries": conflict_entries, "sha256": algorithm.sha256(conflict_entries)},
    }
    return pools, {"targets": target_ids, "inspectors": inspector_ids}


def _conflicts_in_force(target_ids: list[int], inspector_ids: list[int], day) -> list[list]:
    """[[target index, [inspector indices, ascending]], ...] by target index: the conflicts of
    interest in force on `day` between the two pools (N11). A conflict with a practitioner binds
    the practitioner's (current) institution too."""
    target_index = {pk: i for i, pk in enumerate(target_ids)}
    inspector_index = {pk: i for i, pk in enumerate(inspector_ids)}
    conflicts: dict[int, set[int]] = {}
    in_force = (
        Conflict.objects.filter(inspector_id__in=inspector_ids)
        .filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )
        # No ORDER BY: the model's default ordering joins inspectors and institutions only to
        # sort 200,000 rows on disk, and the entries are sorted below anyway.
        .order_by()
        .values_list("inspector_id", "institution_id", "practitioner__institution_id")
    )
    for inspector_id, institution_id, practitioner_institution_id in in_force.iterator(
        chunk_size=20000
    ):
        inspector = inspector_index[inspector_id]
        for target in (
            target_index.get(institution_id),
            target_index.get(practitioner_institution_id),
        ):
            if target is not None:
                conflicts.setdefault(target, set()).add(inspector)
    return [[t, sorted(xs)] for t, xs in sorted(conflicts.items())]


# The same as _conflicts_in_force, computed by PostgreSQL: the pools go in as two arrays (their
# positions are the indices), and 40,000 grouped rows come back instead of 200,000 pairs.
CONFLICTS_SQL = """
SELECT t.i - 1, array_agg(DISTINCT p.i - 1 ORDER BY p.i - 1)
FROM (
    SELECT c.inspector_id, c.institution_id AS target FROM {conflict} c
    WHERE c.institution_id IS NOT NULL {in_force}
    UNION ALL
    SELECT c.inspector_id, pr.institution_id FROM {conflict} c
    JOIN {practitioner} pr ON pr.id = c.practitioner_id
    WHERE TRUE {in_force}
) c
JOIN unnest(%(targets)s::bigint[]) WITH ORDINALITY AS t(id, i) ON t.id = c.target
JOIN unnest(%(inspectors)s::bigint[]) WITH ORDINALITY AS p(id, i) ON p.id = c.inspector_id
GROUP BY t.i
ORDER BY t.i
""".format(
    conflict=Conflict._meta.db_table,
    practitioner=Practitioner._meta.db_table,
    in_force="AND (c.valid_from IS NULL OR c.valid_from <= %(day)s)"
    " AND (c.valid_to IS NULL OR c.valid_to >= %(day)s)",
)


def _conflicts_in_force_sql(target_ids: list[int], inspector_ids: list[int], day) -> list[list]:
    with connection.cursor() as cursor:
        # The row estimates of unnest() are poor; JIT compiling for them costs more than the
        # query, and the grouping fits in memory. Both only for this transaction.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(
            CONFLICTS_SQL, {"targets": target_ids, "inspectors": inspector_ids, "day": day}
        )
        return [[t, xs] for t, xs in cursor.fetchall()]


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
    publication_log(
        kind=Publication.Kind.DRAW,
        subject=draw,
        title=_("%(draw)s：公告名录和随机源") % {"draw": draw},
        user=user,
        at=at,
    )
    return draw


def draw_inputs(draw: Draw, values: list[list[int]] | None = None) -> dict:
    """The announcement with the source values: everything compute_draw needs."""
    values = values if values is not None else draw.source_values
    doc = dict(draw.announcement)
    doc["sources"] = [{**s, "values": v} for s, v in zip(doc["sources"], values, strict=True)]
    return doc


@transaction.atomic
def draw_execute(*, draw: Draw, values: list, user, at: dt.datetime | None = None) -> Draw:
    """Step 2: compute and store the result from the published source values. The row lock and
    the status make two simultaneous requests produce exactly one draw. `at`: as in
    draw_announce."""
    at = at or timezone.now()
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    if draw.status != Draw.Status.ANNOUNCED or draw.superseded_at:
        raise ServiceError(_("该抽取已经执行或已被取代，不能再次执行。"))
    if at < draw.announced_at:
        raise ServiceError(_("执行时间不能早于公告时间。"))
    if not draw.pool_ids:  # only draws announced before the ids were kept, with a lost entry
        raise ServiceError(_("该抽取公告的名录已无法对应到当前名录库，请重新抽取。"))
    if DrawSelection.objects.filter(draw=draw).exists():
        # Rows nobody executed: written below the services. The result could not be what the
        # public page shows (0008 checks the rows against the result), so the draw is lost.
        raise ServiceError(
            _("该抽取已有不是由执行写入的抽中记录（数据库被直接改动），不能执行；请申请重新抽取。")
        )
    known = [
        t
        for t in draw_timing_problems(sources=draw.announcement["sources"], draw=draw)
        if t["code"] == "before_announcement"
    ]
    if known:
        # Announced before issue 12 §4's rule: a source existed at the announcement. Its result
        # could never verify (tools/verify_draw.py refuses it); only a re-draw can help.
        raise ServiceError(
            "\n".join(
                _(
                    "第 %(n)s 个随机源（%(name)s）于 %(when)s 产生，不晚于公告时间：本次抽取不能执行，请申请重新抽取。"
                )
                % {"n": t["number"], "name": t["name"], "when": t["when"]}
                for t in known
            )
        )
    values = values_clean(draw.announcement["sources"], values, at=at)
    try:
        result = algorithm.compute_draw(draw_inputs(draw, values))
    except algorithm.InfeasibleDraw as exc:
        raise ServiceError(
            _("无法为以下检查对象组成检查组，未保存任何结果：\n%(report)s")
            % {"report": "\n".join(_shortage_text(s, draw) for s in exc.shortages)},
            code="infeasible",
        ) from exc
    except algorithm.DrawError as exc:
        raise ServiceError(exc.zh) from exc
    # The rows first, while the draw is still announced: once it is executed the database takes
    # no more rows for it, and the change of status checks that they are all there (0008).
    _write_rows(draw, result)
    draw.source_values, draw.result = values, result
    draw.status, draw.executed_at, draw.executed_by = Draw.Status.EXECUTED, at, user
    # Only what changed: the announcement (megabytes at national scale) is not sent again.
    draw.save(update_fields=["source_values", "result", "status", "executed_at", "executed_by"])
    inspections_open(draw=draw)
    publication_log(
        kind=Publication.Kind.DRAW,
        subject=draw,
        title=_("%(draw)s：抽取结果") % {"draw": draw},
        user=user,
        at=at,
    )
    return draw


def _shortage_text(shortage: dict, draw: Draw) -> str:
    names = {t["credit_code"]: t["name"] for t in draw.announcement["pools"]["targets"]["entries"]}
    return _(
        "%(name)s（%(code)s）：可抽取执法人员 %(eligible)s 人（含相邻辖区），其中 %(conflicted)s 人因利害关系回避，已配 %(assigned)s 人，每组需 %(k)s 人。"
    ) % {
        "name": names.get(shortage["credit_code"], ""),
        "code": shortage["credit_code"],
        "eligible": shortage["eligible"],
        "conflicted": shortage["conflicted"],
        "assigned": shortage["assigned"],
        "k": draw.announcement["parameters"]["team_size"],
    }


def _write_rows(draw: Draw, result: dict) -> None:
    """The selections and team members as rows, pointing at the frozen pools' entries."""
    target_ids, inspector_ids = draw.pool_ids["targets"], draw.pool_ids["inspectors"]
    pools = draw.announcement["pools"]
    inspector_of = {
        e["certificate"]: inspector_ids[i] for i, e in enumerate(pools["inspectors"]["entries"])
    }
    selections = DrawSelection.objects.bulk_create(
        [
            DrawSelection(
                draw=draw,
                order=i,
                institution_id=target_ids[s["pool_index"]],
                stratum=s["stratum"],
                digest=s["digest"],
            )
            for i, s in enumerate(result["selections"], start=1)
        ],
        batch_size=2000,
    )
    # The teams come in the order of the selections (compute_draw).
    members = [
        TeamMember(
            selection=selection,
            inspector_id=inspector_of[m["certificate"]],
            position=p,
            borrowed=m["borrowed"],
        )
        for selection, team in zip(selections, result["teams"], strict=True)
        for p, m in enumerate(team["members"], start=1)
    ]
    TeamMember.objects.bulk_create(members, batch_size=5000)


@transaction.atomic
def draw_immediate(*, task: InspectionTask, reason: str, witnesses: list[str], user) -> Draw:
    """A draw on the spot from a server-generated seed: allowed only with a recorded reason and two
    named witnesses, and labelled "not publicly verifiable"."""
    reason = text_clean(reason, what=_("当场抽取理由"), max_length=2000)
    witnesses = [
        text_clean(w, what=_("见证人"), max_length=100).strip()
        for w in witnesses
        if w and w.strip()
    ]
    if not reason.strip():
        raise ServiceError(_("当场抽取须记录理由。"))
    if len(set(witnesses)) < 2:
        raise ServiceError(_("当场抽取须有两名不同的见证人。"))
    at = timezone.now()
    sources = [
        {
            "name": _("服务器生成的随机数"),
            "kind": "server",
            "date": timezone.localdate(at).isoformat(),
            "reading": _("8 个 32 位随机整数（secrets 模块）"),
        }
    ]
    draw = draw_announce(
        task=task,
        sources=sources,
        user=user,
        missing_rule="-",
        verifiable=False,
        immediate_reason=reason,
        witnesses=witnesses,
        at=at,
    )
    seed = [secrets.randbits(32) for _i in range(algorithm.kind_count("server"))]
    return draw_execute(draw=draw, values=[seed], user=user, at=at)


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


def draw_document(draw: Draw) -> dict:
    """The public document (/draws/<id>.json): inputs, values, result; no personal data."""
    doc = draw_inputs(draw) if draw.is_executed else dict(draw.announcement)
    doc.update(
        {
            "id": draw.pk,
            "number": draw.number,
            "status": draw.status,
            "verifiable": draw.verifiable,
            "announced_at": draw.announced_at.isoformat(),
            "executed_at": draw.executed_at.isoformat() if draw.executed_at else None,
            "superseded_at": draw.superseded_at.isoformat() if draw.superseded_at else None,
            "redraw_of": draw.redraw_of_id,
            "redraw_reason": draw.redraw_reason,
            "immediate": {"reason": draw.immediate_reason, "witnesses": draw.witnesses}
            if not draw.verifiable
            else None,
            "result": draw.result,
        }
    )
    return doc


def draw_verify(draw: Draw) -> list:
    """Recompute the draw from its public document, as a citizen would: the verifier's problems
    (algorithm.Problem, in Chinese and English), empty when it verifies."""
    if not draw.is_executed:
        return [_("尚未执行抽取。")]
    return algorithm.verify(draw_document(draw))
