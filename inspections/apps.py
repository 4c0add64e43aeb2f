from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "inspections"
    verbose_name = _("抽查检查")

    def ready(self) -> None:
        from core.health import health_check
        from inspections import (
            checks,  # noqa: F401 - registers the system checks
            tasks,  # noqa: F401 - registers the tasks services enqueue by name (core.queue)
        )
        from inspections.services.pdf import fonts_missing

        health_check("pdf_fonts", lambda: [f"missing font: {f}" for f in fonts_missing()])
