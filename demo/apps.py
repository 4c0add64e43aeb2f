from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The top floor: `manage.py demo_data` and its story, no models. It may import every app
    below it; none of them imports it."""

    name = "demo"
