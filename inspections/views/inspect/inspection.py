"""My inspections (issue 4 §1) and one inspection's page: the target, the team, the task's
deadlines and the record — the form while a draft, the locked record once submitted — with every
version (Y3.5)."""

from django.contrib.contenttypes.models import ContentType
from django.db.models import OuterRef, Prefetch, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView

from core.models import Deadline
from inspections.models import (
    CheckRecord,
    CheckRecordItem,
    Inspection,
    InspectionMember,
    InspectionTask,
    Signature,
)
from inspections.services import records as services
from inspections.views.inspect.common import InspectorMixin
from inspections.views.inspect.records import PROBLEMS_KEY
from registry.models import Method

LIST_LIMIT = 200  # an inspector has a few dozen a year; the list is not paginated


def _deadlines_by_task(task_ids) -> dict[int, list[Deadline]]:
    """The task's deadlines (N13 report, Y3.6/N15 publication …), when the office has any."""
    content_type = ContentType.objects.get_for_model(InspectionTask)
    rows: dict[int, list[Deadline]] = {}
    deadlines = Deadline.objects.filter(subject_type=content_type, subject_id__in=task_ids)
    for deadline in deadlines.order_by("due_on", "pk"):
        rows.setdefault(deadline.subject_id, []).append(deadline)
    return rows


# --- My inspections ----------------------------------------------------------------------------


class InspectionListView(InspectorMixin, TemplateView):
    """The inspections whose team I am on, nothing else (issue 4 §1): target, team, check items,
    dates and the task's deadlines; a bounded number of queries however many there are."""

    template_name = "inspections/inspect/inspection_list.html"

    def get_context_data(self, **kwargs):
        latest = CheckRecord.objects.filter(inspection=OuterRef("pk")).order_by("-version")
        inspections = list(
            services.inspections_of(self.request.user)
            .select_related("task", "task__sector", "institution")
            .annotate(
                items_count=services.check_items_count_subquery(),
                record_version=Subquery(latest.values("version")[:1]),
                record_status=Subquery(latest.values("status")[:1]),
                inspected_on=Subquery(latest.values("inspected_on")[:1]),
            )
            .prefetch_related(
                Prefetch(
                    "members",
                    queryset=InspectionMember.objects.select_related("inspector").order_by(
                        "position"
                    ),
                )
            )
            .order_by("-task__starts_on", "task_id", "pk")[:LIST_LIMIT]
        )
        deadlines = _deadlines_by_task({i.task_id for i in inspections})
        for inspection in inspections:
            inspection.deadlines = deadlines.get(inspection.task_id, [])
            inspection.record_status_label = (
                CheckRecord.Status(inspection.record_status).label
                if inspection.record_status
                else ""
            )
        context = super().get_context_data(**kwargs)
        context.update(
            inspections=inspections,
            open_count=sum(
                i.status in (Inspection.Status.PLANNED, Inspection.Status.IN_PROGRESS)
                for i in inspections
            ),
            today=timezone.localdate(),
        )
        return context


# --- One inspection and its record -------------------------------------------------------------


def _messages_for_scripts() -> dict:
    """The texts the page's scripts show, translated here (the scripts have no catalogue)."""
    return {
        "saved": _("已保存"),
        "saved_at": _("已保存 %(time)s"),
        "offline": _("离线，已保存在本机"),
        "syncing": _("正在同步…"),
        "pending": _("有修改，稍后自动保存"),
        "restored": _("已恢复本机保存的未同步内容，正在同步…"),
        "login": _("登录已过期：内容已保存在本机。请在新窗口重新登录，然后回到本页。"),
        "locked": _("这份检查记录已提交或已取消，修改未保存。"),
        "failed": _("未保存：%(error)s"),
        "uploading": _("正在上传 %(name)s…"),
        "uploaded": _("已上传 %(name)s"),
        "upload_queued": _("离线：%(name)s 已保存在本机，联网后自动上传"),
        "too_big": _("文件“%(name)s”超过 10 MB 的上限，未上传。"),
        "remove": _("删除"),
        "remove_confirm": _("删除这份证据材料？"),
        "sign_empty": _("请先在框内签名。"),
        "sign_queued": _("离线：签名已保存在本机，联网后自动提交"),
        "sign_credential_empty": _("请签名人本人输入签名密码（PIN）或登录密码。"),
        "sign_needs_network": _("同事的签名须联网核验其本人密码，未保存；请联网后重新签名并确认。"),
        "sign_saved": _("已签名 %(time)s"),
        "sign_remove": _("撤回签名"),
        "sign_remove_confirm": _("撤回这个签名？"),
        "submit_offline": _("还有修改未同步到服务器，请联网后再提交。"),
        "submit_confirm": _("提交后检查记录将被锁定，只能通过更正修改。确认提交？"),
    }


class InspectionDetailView(InspectorMixin, TemplateView):
    """One of my inspections: the target, the team, the task's deadlines and the record — the form
    while a draft, the locked record once submitted — with every version."""

    template_name = "inspections/inspect/inspection_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        inspection = self.get_inspection()
        context.update(inspection_context(inspection, self.request.user))
        context["problems"] = self.request.session.pop(PROBLEMS_KEY, None)
        return context


def inspection_context(inspection: Inspection, user, record: CheckRecord | None = None) -> dict:
    """What the inspection page shows: `record` (the latest version unless given) with its rows,
    evidence and signatures loaded, the team and who has signed."""
    members = list(
        inspection.members.select_related("inspector").prefetch_related("inspector__sectors")
    )
    versions = list(
        inspection.records.select_related("submitted_by__inspector").order_by("version")
    )
    if record is None:
        record = versions[-1] if versions else None
    context = {
        "inspection": inspection,
        "members": members,
        "versions": versions,
        "record": record,
        "deadlines": _deadlines_by_task([inspection.task_id]).get(inspection.task_id, []),
        "me": next((m for m in members if m.inspector.user_id == user.pk), None),
        "today": timezone.localdate(),
    }
    if record is None:
        return context
    items = list(
        record.items.select_related("check_item").prefetch_related("evidence").order_by("order")
    )
    signatures = list(record.signatures.select_related("inspector"))
    signed = {s.inspector_id: s for s in signatures if s.role == Signature.Role.INSPECTOR}
    day = record.inspected_on
    signers = []
    for member in members:
        reasons = member.inspector.ineligibility_reasons(day, inspection.task.sector) if day else []
        signers.append(
            {
                "member": member,
                "signature": signed.get(member.inspector_id),
                "reasons": reasons,
                "mine": member.inspector.user_id == user.pk,
            }
        )
    context.update(
        items=items,
        record_evidence=[e for e in record.evidence.all() if e.item_id is None],
        signers=signers,
        representative_signature=next(
            (s for s in signatures if s.role == Signature.Role.REPRESENTATIVE), None
        ),
        outcomes=CheckRecordItem.Outcome.choices,
        methods=Method.choices,
        is_latest=record.pk == versions[-1].pk,
        editable=record.status == CheckRecord.Status.DRAFT
        and inspection.status != Inspection.Status.CANCELLED,
        state=services.record_state(record),
        script_messages=_messages_for_scripts(),
        max_evidence_bytes=services.MAX_EVIDENCE_BYTES,
    )
    return context


class RecordDetailView(InspectorMixin, TemplateView):
    """One version of the record as it was (every version stays, Y3.5)."""

    template_name = "inspections/inspect/record_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        inspection = self.get_inspection()
        record = self.get_record(inspection)
        context.update(inspection_context(inspection, self.request.user, record))
        return context
