"""Re-draw requests (N10–N12, Y3.5; issue 12 §11): the office asks, a unit head other than the
requester decides. A request waits as a row, reaches every approver as a notification (core's
in-app notification and e-mail) and stays on their list until decided; approving it announces
the re-draw (draw_redraw), refusing it needs a reason. The requester is told either way."""

import datetime as dt

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ServiceError
from core.notifications import notifications_send
from inspections.models import Draw, RedrawRequest
from inspections.services.draws import DEFAULT_MISSING_RULE, draw_redraw
from inspections.services.sources import sources_clean, text_clean

APPROVE_PERMISSION = "inspections.approve_inspectiontask"


def redraw_approvers(*, exclude=None) -> list:
    """Who may approve a re-draw: active staff holding the unit head's permission (directly or
    through a group), the requester excepted."""
    users = (
        get_user_model()
        .objects.with_perm(
            APPROVE_PERMISSION,
            is_active=True,
            include_superusers=False,
            # The permissions come from the model backend (axes, first, only guards logins).
            backend="django.contrib.auth.backends.ModelBackend",
        )
        .filter(is_staff=True)
        .order_by("pk")
    )
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return list(users)


def _person(user) -> str:
    return (user.get_full_name() or user.get_username()) if user else _("（未知）")


def _decide_url(request: RedrawRequest) -> str:
    return reverse("admin:inspections_redrawrequest_decide", args=[request.pk])


@transaction.atomic
def redraw_request_create(
    *, draw: Draw, reason: str, sources: list[dict], user, missing_rule: str = ""
) -> RedrawRequest:
    """Record the request and notify the approvers. The sources are checked now, as the
    announcement will check them (they must still be in the future when it is approved)."""
    draw = Draw.objects.select_for_update().get(pk=draw.pk)
    if draw.superseded_at:
        raise ServiceError(_("该抽取已被取代。"))
    reason = text_clean(reason, what=_("重新抽取理由"), max_length=2000).strip()
    if not reason:
        raise ServiceError(_("重新抽取须说明理由。"))
    missing_rule = text_clean(missing_rule, what=_("随机源缺失时的处理规则"), max_length=2000)
    sources_clean(sources, at=timezone.now())
    if RedrawRequest.objects.filter(draw=draw, status=RedrawRequest.Status.PENDING).exists():
        raise ServiceError(_("该抽取已有一份待审批的重新抽取申请。"))
    try:
        with transaction.atomic():
            request = RedrawRequest.objects.create(
                draw=draw,
                draw_status=draw.status,
                reason=reason,
                sources=sources,
                missing_rule=missing_rule or str(DEFAULT_MISSING_RULE),
                requested_by=user,
                requested_at=timezone.now(),
            )
    except IntegrityError as exc:  # a simultaneous request won
        raise ServiceError(_("该抽取已有一份待审批的重新抽取申请。")) from exc
    sources_text = "；".join(f"{s.get('name', '')}（{s.get('date', '')}）" for s in sources)
    notifications_send(
        key=f"redraw-request-{request.pk}",
        users=redraw_approvers(exclude=user),
        title=_("【待审批】重新抽取申请：%(draw)s") % {"draw": draw},
        body="\n".join(
            [
                _("%(who)s 申请重新抽取，须由申请人以外的单位负责人批准或说明理由不批准。")
                % {"who": _person(user)},
                _("理由：%(reason)s") % {"reason": reason},
                _("新的随机源：%(sources)s") % {"sources": sources_text},
            ]
        ),
        url=_decide_url(request),
    )
    return request


def _pending(request: RedrawRequest, user) -> RedrawRequest:
    request = (
        RedrawRequest.objects.select_for_update()
        .select_related("draw", "requested_by")
        .get(pk=request.pk)
    )
    if request.status != RedrawRequest.Status.PENDING:
        raise ServiceError(
            _("该申请已于 %(when)s 处理（%(status)s）。")
            % {
                "when": timezone.localtime(request.decided_at).strftime("%Y-%m-%d %H:%M"),
                "status": request.get_status_display(),
            }
        )
    if user is None or user.pk == request.requested_by_id:
        raise ServiceError(_("重新抽取须由申请人以外的另一人批准。"))
    if not user.has_perm(APPROVE_PERMISSION):
        raise ServiceError(_("批准人须为单位负责人。"))
    return request


def redraw_request_problem(request: RedrawRequest) -> str:
    """Why the request can no longer be approved as asked ("" when it can)."""
    draw = request.draw
    if draw.superseded_at:
        return _("该抽取已被取代，此申请已失效。")
    if draw.status != request.draw_status:
        return _("提出申请后该抽取的状态已经变化，请不批准并请申请人重新提出申请。")
    if not request.requested_by.has_perm("inspections.add_draw"):
        return _("申请人已无抽取权限。")
    return ""


@transaction.atomic
def redraw_request_approve(
    *, request: RedrawRequest, user, at: dt.datetime | None = None
) -> RedrawRequest:
    """Approve: announce the re-draw with the request's reason and sources (draw_redraw)."""
    request = _pending(request, user)
    problem = redraw_request_problem(request)
    if problem:
        raise ServiceError(problem)
    new = draw_redraw(
        draw=request.draw,
        reason=request.reason,
        requested_by=request.requested_by,
        approved_by=user,
        sources=request.sources,
        missing_rule=request.missing_rule,
    )
    request.status, request.redraw = RedrawRequest.Status.APPROVED, new
    request.decided_by, request.decided_at = user, at or timezone.now()
    request.save(update_fields=["status", "redraw", "decided_by", "decided_at"])
    notifications_send(
        key=f"redraw-request-{request.pk}-approved",
        users=[request.requested_by],
        title=_("【已批准】重新抽取：%(draw)s") % {"draw": request.draw},
        body=_("%(who)s 已批准您的重新抽取申请，第 %(n)s 次抽取已公告。")
        % {"who": _person(user), "n": new.number},
        url=reverse("admin:inspections_draw_change", args=[new.pk]),
    )
    return request


@transaction.atomic
def redraw_request_refuse(*, request: RedrawRequest, user, reason: str) -> RedrawRequest:
    """Refuse with a reason; the draw stays as it is and a new request may be made."""
    request = _pending(request, user)
    reason = text_clean(reason, what=_("不批准理由"), max_length=2000).strip()
    if not reason:
        raise ServiceError(_("不批准须说明理由。"))
    request.status, request.refusal_reason = RedrawRequest.Status.REFUSED, reason
    request.decided_by, request.decided_at = user, timezone.now()
    request.save(update_fields=["status", "refusal_reason", "decided_by", "decided_at"])
    notifications_send(
        key=f"redraw-request-{request.pk}-refused",
        users=[request.requested_by],
        title=_("【不批准】重新抽取申请：%(draw)s") % {"draw": request.draw},
        body=_("%(who)s 未批准您的重新抽取申请。理由：%(reason)s")
        % {"who": _person(user), "reason": reason},
        url=_decide_url(request),
    )
    return request
