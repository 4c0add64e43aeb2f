"""Background jobs of the registry; thin wrappers that call one service each."""

from celery import shared_task

from registry.imports.uploads import uploads_sweep
from registry.services import institution_risk_refresh


@shared_task(name="registry.institution_risk_refresh_task")
def institution_risk_refresh_task() -> int:
    """Nightly: complaints and penalties age out of the look-back windows, so tiers change with
    time even when nobody edits a record (Y3.2). Idempotent: recomputes and stores."""
    return institution_risk_refresh()


@shared_task(name="registry.import_uploads_sweep_task")
def import_uploads_sweep_task() -> int:
    """Every 15 minutes (beat): delete the import files a check left behind, once older than
    IMPORT_UPLOAD_MAX_AGE — they hold identity numbers (issue 12 §8). Idempotent."""
    return uploads_sweep()
