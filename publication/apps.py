from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicationConfig(AppConfig):
    name = "publication"
    verbose_name = _("结果公开")

    def ready(self) -> None:
        from publication import tasks  # noqa: F401 - registers the tasks services enqueue by name (core.queue)
