from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("一单两库")

    def ready(self) -> None:
        from registry import tasks  # noqa: F401 - registers the tasks services enqueue by name (core.queue)
