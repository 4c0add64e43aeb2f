"""Background work enqueued by a service: after its transaction commits, and by the task's name.

A service never imports a task module (STYLE.md; issue 13): the task module imports its service,
so the two cannot form a circle, and a task is known to both sides by its name alone
(`shared_task(name=…)`). Every app's `ready()` imports its task module, so the name is
registered in every process (web, worker, commands) before any service runs."""

from celery import current_app
from django.db import transaction


def enqueue_on_commit(task_name: str, *args, robust: bool = False) -> None:
    """Send `task_name(*args)` to the broker once the current transaction commits (at once
    outside one). `robust`: a broker that is down does not fail the commit's other callbacks;
    whatever was to be sent then waits for the periodic sweep that catches it up."""
    transaction.on_commit(lambda: current_app.tasks[task_name].delay(*args), robust=robust)
