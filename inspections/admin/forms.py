"""Forms of the staff screens. They only parse and check what a person typed; the rules of the
domain are applied by inspections.services."""

import datetime as dt

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inspections.models import AnnualPlan, InspectionTask, PlanRevision, PlanRound, PlanSection
from inspections.services.draws import DEFAULT_MISSING_RULE
from inspections.services.sources import SOURCE_KINDS, source_when
from inspections.services.tasks import task_plan_problems
from registry.models import CheckItem, Method

# The browser's date picker wants ISO dates, whatever the language's display format.
DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})
OTHER = "other"
SHORT_LABELS = {
    "ssq": _("福彩“双色球”"),
    "dlt": _("体彩“超级大乐透”"),
    "pl5": _("体彩“排列5”"),
    "fc3d": _("福彩“3D”"),
    "index": _("股票指数收盘点位"),
}
MAX_SOURCES = 4


def editable_plans():
    """Plans whose sections and rounds may change: drafts, and published plans with an open
    revision (Y3.4: a published plan changes only through a published revision)."""
    open_revisions = PlanRevision.objects.filter(published_at__isnull=True).values("plan_id")
    return AnnualPlan.objects.filter(Q(status=AnnualPlan.Status.DRAFT) | Q(pk__in=open_revisions))


def items_in_year(section: PlanSection):
    """The sector's check items in force at some time during the plan's year."""
    year = section.plan.year
    return CheckItem.objects.filter(
        sector=section.sector, effective_from__lte=dt.date(year, 12, 31)
    ).exclude(effective_to__lt=dt.date(year, 1, 1))


class PlanSectionForm(forms.ModelForm):
    methods = forms.MultipleChoiceField(
        label=_("抽查方式"),
        choices=Method.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("留空时取所选抽查事项的抽查方式（Y3.5）。"),
    )

    class Meta:
        model = PlanSection
        fields = [
            "plan",
            "sector",
            "check_items",
            "target_scope",
            "ratio_key",
            "ratio_normal",
            "ratio_reduced",
            "team_size",
            "methods",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "plan" in self.fields:
            self.fields["plan"].queryset = editable_plans()
        if "check_items" in self.fields and self.instance.pk:
            # Y3.4: only items of this sector's list; the widget cannot offer other sectors' items.
            self.fields["check_items"].queryset = items_in_year(self.instance).order_by(
                "order", "code"
            )


class PlanRevisionForm(forms.Form):
    reason = forms.CharField(label=_("修订原因"), widget=forms.Textarea(attrs={"rows": 3}))
    summary = forms.CharField(label=_("修订内容"), widget=forms.Textarea(attrs={"rows": 3}))
    affected_starts_on = forms.DateField(
        label=_("受影响检查的开始日期"),
        help_text=_("本次修订影响的最早一批检查的开始日期。"),
        widget=DATE,
    )
    changed_on = forms.DateField(
        label=_("决定修订日期"),
        initial=timezone.localdate,
        widget=DATE,
    )


class DecisionForm(forms.Form):
    """The unit head's decision (N10(1)). For a task whose period has passed or mostly gone
    (`late`), approving asks for the confirmation and a reason, which the approval keeps."""

    note = forms.CharField(
        label=_("审批意见"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    confirm_period = forms.BooleanField(
        label=_("确认该任务的检查期间已过（或所剩无几），仍予批准"), required=False
    )
    late_reason = forms.CharField(
        label=_("仍予批准的理由"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("例如“上半年未能开展，补做该批次”。记入审批记录（Y4(2)）。"),
    )

    def __init__(self, *args, late: bool = False, approving: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.late, self.approving = late, approving
        if not late:
            del self.fields["confirm_period"], self.fields["late_reason"]

    def clean(self):
        data = super().clean()
        if self.late and self.approving:
            if not data.get("confirm_period"):
                self.add_error(
                    "confirm_period", _("批准前请确认该任务的检查期间已过（或所剩无几）。")
                )
            if not (data.get("late_reason") or "").strip():
                self.add_error("late_reason", _("请写明仍予批准的理由。"))
        return data


class RoundLabelField(forms.ModelChoiceField):
    def label_from_instance(self, obj: PlanRound) -> str:
        plan = obj.section.plan
        return f"{plan.year} · {plan.jurisdiction.name} · {obj.section.sector} · {obj}"


def published_rounds():
    return PlanRound.objects.filter(
        section__plan__status=AnnualPlan.Status.PUBLISHED
    ).select_related("section__sector", "section__plan__jurisdiction")


class InspectionTaskForm(forms.ModelForm):
    class Meta:
        model = InspectionTask
        fields = [
            "name",
            "kind",
            "plan_round",
            "sector",
            "jurisdictions",
            "two_stage",
            "jurisdictions_to_draw",
            "starts_on",
            "ends_on",
            "team_size",
            "ratio_key",
            "ratio_normal",
            "ratio_reduced",
        ]
        field_classes = {"plan_round": RoundLabelField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "plan_round" in self.fields:
            self.fields["plan_round"].queryset = published_rounds()

    def clean(self):
        data = super().clean()
        if data.get("two_stage") and not data.get("jurisdictions_to_draw"):
            self.add_error("jurisdictions_to_draw", _("两阶段抽取须填写抽取辖区数（N12）。"))
        return data

    def _post_clean(self):
        # The instance now holds what was typed: the service's own check (which task_save applies
        # again) puts each shortfall against its plan beside its field (N8, N11, Y3.4).
        super()._post_clean()
        for name, message in task_plan_problems(task=self.instance).items():
            if name in self.fields and name not in self.errors:
                self.add_error(name, message)


class TaskFromRoundForm(forms.Form):
    plan_round = RoundLabelField(label=_("计划批次"), queryset=PlanRound.objects.none())
    name = forms.CharField(
        label=_("任务名称"),
        required=False,
        max_length=200,
        help_text=_("留空时按“年度 + 行业 + 批次”自动命名。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan_round"].queryset = published_rounds().order_by(
            "-section__plan__year", "section__sector__order", "number"
        )


class SourceForm(forms.Form):
    """One future public randomness source, named before it exists (RFC 3797 §3)."""

    kind = forms.ChoiceField(
        label=_("类型"),
        # A blank first choice: the rows left empty stay unchanged and are ignored.
        choices=[("", "———")]
        + [(k, SHORT_LABELS.get(k, v["label"])) for k, v in SOURCE_KINDS.items()]
        + [(OTHER, _("其他（须声明熵估计）"))],
    )
    name = forms.CharField(
        label=_("名称"), max_length=100, help_text=_("例如“双色球第2026140期”。")
    )
    date = forms.DateField(label=_("日期"), widget=DATE)
    reading = forms.CharField(
        label=_("读数方法"),
        required=False,
        max_length=300,
        help_text=_("留空时使用该类型的标准读法。"),
        widget=forms.TextInput(attrs={"placeholder": _("留空：标准读法")}),
    )
    entropy_bits = forms.FloatField(
        label=_("熵估计（比特）"),
        required=False,
        min_value=0,
        max_value=1024,
        help_text=_("仅“其他”类型填写。"),
    )
    count = forms.IntegerField(
        label=_("数字个数"),
        required=False,
        min_value=1,
        max_value=100,
        help_text=_("仅“其他”类型填写；执行时核对。"),
    )

    def clean(self):
        data = super().clean()
        day, kind = data.get("date"), data.get("kind")
        if day and kind:
            # A source whose value is already known when the draw is announced decides nothing
            # (RFC 3797 §3). draw_announce refuses it too; checked here for a message beside
            # the field, with the drawing time of its kind.
            known = SOURCE_KINDS.get(kind)
            moment = source_when({"kind": kind, "date": day.isoformat()})[1]
            if moment is not None and moment <= timezone.now():
                self.add_error(
                    "date",
                    _("%(kind)s于 %(when)s 开奖，已不在将来：随机源须在公告之后产生。")
                    % {
                        "kind": SHORT_LABELS.get(kind, known["label"] if known else kind),
                        "when": timezone.localtime(moment).strftime("%Y-%m-%d %H:%M"),
                    },
                )
            elif moment is None and day <= timezone.localdate():
                self.add_error(
                    "date",
                    _("没有固定开奖时间的随机源须在公告次日或以后产生，日期须晚于今天。"),
                )
        if data.get("kind") == OTHER:
            if not data.get("entropy_bits"):
                self.add_error("entropy_bits", _("“其他”类型的随机源须声明熵估计。"))
            if not (data.get("reading") or "").strip():
                self.add_error("reading", _("“其他”类型的随机源须写明读数方法。"))
        return data

    def source(self) -> dict:
        data = self.cleaned_data
        source = {"kind": data["kind"], "name": data["name"], "date": data["date"].isoformat()}
        if data.get("reading"):
            source["reading"] = data["reading"]
        if data["kind"] == OTHER:
            source["entropy_bits"] = data["entropy_bits"]
            if data.get("count"):
                source["count"] = data["count"]
        return source


class BaseSourceFormSet(forms.BaseFormSet):
    def filled(self) -> list[SourceForm]:
        return [f for f in self.forms if f.cleaned_data]

    def sources(self) -> list[dict]:
        return [f.source() for f in self.filled()]

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        names = [f.cleaned_data["name"].strip() for f in self.filled()]
        if len(set(names)) != len(names):
            raise forms.ValidationError(_("同一随机源不能公告两次。"))


SourceFormSet = forms.formset_factory(
    SourceForm,
    formset=BaseSourceFormSet,
    extra=MAX_SOURCES - 1,
    min_num=1,
    max_num=MAX_SOURCES,
    validate_min=True,
    validate_max=True,
)


class MissingRuleForm(forms.Form):
    missing_rule = forms.CharField(
        label=_("随机源缺失时的处理规则"),
        initial=DEFAULT_MISSING_RULE,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
    )


class ExecuteForm(forms.Form):
    """One field per announced source, in the announced order, labelled as announced."""

    def __init__(self, *args, sources: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.sources = sources
        for number, source in enumerate(sources, start=1):
            help_text = source.get("reading") or ""
            if source.get("kind") == "index":
                help_text += _("（按公布的收盘点位填写，保留两位小数，如 3245.67）")
            elif source.get("count"):
                help_text += _("（%(c)s 个数，以空格分隔）") % {"c": source["count"]}
            self.fields[f"source_{number}"] = forms.CharField(
                label=_("%(n)s. %(name)s（%(date)s）")
                % {"n": number, "name": source["name"], "date": source["date"]},
                help_text=help_text,
                max_length=1000,
                widget=forms.TextInput(attrs={"size": 60, "autocomplete": "off"}),
            )

    def clean(self):
        data = super().clean()
        now = timezone.now()
        for number, source in enumerate(self.sources, start=1):
            # A value typed before its source exists can only be made up. draw_execute refuses
            # it too; checked here for a message beside the field, with the time it may run.
            day, moment = source_when(source)
            if moment is not None and now < moment:
                self.add_error(
                    f"source_{number}",
                    _("该随机源于 %(when)s 开奖，尚未产生：最早可于 %(when)s 之后执行。")
                    % {"when": timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")},
                )
            elif moment is None and timezone.localdate(now) < day:
                self.add_error(
                    f"source_{number}",
                    _("该随机源的日期为 %(d)s，尚未产生：最早可于 %(d)s 当日执行。")
                    % {"d": day.isoformat()},
                )
        return data

    def values(self) -> list[str]:
        return [self.cleaned_data[name] for name in self.fields]


class ImmediateForm(forms.Form):
    reason = forms.CharField(
        label=_("当场抽取理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("为什么不能等待公告的公开随机源。"),
    )
    witness_1 = forms.CharField(label=_("见证人一"), max_length=100)
    witness_2 = forms.CharField(label=_("见证人二"), max_length=100)

    def clean(self):
        data = super().clean()
        first, second = (data.get("witness_1") or "").strip(), (data.get("witness_2") or "").strip()
        if first and second and first == second:
            self.add_error("witness_2", _("须有两名不同的见证人。"))
        return data


class RedrawForm(forms.Form):
    reason = forms.CharField(
        label=_("重新抽取理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("原抽取保持公开，标注为已被取代。"),
    )
