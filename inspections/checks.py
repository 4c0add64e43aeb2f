"""System checks of the inspections (`manage.py check`, run by every management command)."""

from django.core.checks import Warning as CheckWarning
from django.core.checks import register
from django.utils.translation import gettext as _


@register()
def pdf_fonts(app_configs=None, **kwargs) -> list:
    """Issue 12 §9: without the Noto CJK faces no PDF can be rendered (they would show boxes)."""
    from inspections.services.pdf import fonts_missing

    missing = fonts_missing(fresh=True)
    if not missing:
        return []
    return [
        CheckWarning(
            _("缺少中文字体：%(fonts)s。检查记录、抽查报告和反馈函将无法生成（任务会稍后重试）。")
            % {"fonts": "、".join(missing)},
            hint=_("安装 Debian 软件包 fonts-noto-cjk（make system-packages 会安装）。"),
            id="inspections.W001",
        )
    ]
