from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("抽查检查")

    def ready(self) -> None:
        from core.backups import restore_check
        from core.health import health_check
        from inspections import (
            checks,  # noqa: F401 - registers the system checks
            tasks,  # noqa: F401 - registers the tasks services enqueue by name (core.queue)
        )
        from inspections.services.integrity import draws_verify_all, filings_verify_all
        from inspections.services.pdf import fonts_missing

        health_check("pdf_fonts", lambda: [f"missing font: {f}" for f in fonts_missing()])
        # What `manage.py restore` proves of the restored data (issue 14 §6).
        restore_check(_("每个可公开验证的抽取仍能按公开文件复核"), draws_verify_all)
        restore_check(_("每个已备案任务的归档仍与备案清单一致"), filings_verify_all)
