"""Step 2 of the double random draw (N10–N12, Y3.5): the result computed from the published source
values by tools/verify_draw.py, stored as rows pointing at the frozen pools, the inspections
opened; or both steps at once on the spot, not publicly verifiable."""

import datetime as dt
import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ServiceError
from core.models import AuditEvent
from inspections.models import Draw, DrawSelection, InspectionTask, TeamMember
from inspections.services.draws.announce import _draw_published, draw_announce
from inspections.services.draws.document import draw_inputs
from inspections.services.fieldwork import inspections_open
from inspections.services.sources import draw_timing_problems, text_clean, values_clean
from tools import verify_draw as algorithm


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
    _draw_published(
        draw,
        title=_("%(draw)s：抽取结果") % {"draw": draw},
        user=user,
        at=at,
        audit_action=AuditEvent.Action.DRAW_EXECUTED,
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
