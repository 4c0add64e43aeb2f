"""A draw's public document (/draws/<id>.json) and its verification, as a citizen would run it.

The computation itself lives in tools/verify_draw.py — the same file citizens download — so the
bureau's result is by construction what anyone recomputes from the published document.
"""

from django.utils.translation import gettext as _

from inspections.models import Draw
from tools import verify_draw as algorithm


def draw_inputs(draw: Draw, values: list[list[int]] | None = None) -> dict:
    """The announcement with the source values: everything compute_draw needs."""
    values = values if values is not None else draw.source_values
    doc = dict(draw.announcement)
    doc["sources"] = [{**s, "values": v} for s, v in zip(doc["sources"], values, strict=True)]
    return doc


def draw_document(draw: Draw) -> dict:
    """The public document (/draws/<id>.json): inputs, values, result; no personal data."""
    doc = draw_inputs(draw) if draw.is_executed else dict(draw.announcement)
    doc.update(
        {
            "id": draw.pk,
            "number": draw.number,
            "status": draw.status,
            "verifiable": draw.verifiable,
            "announced_at": draw.announced_at.isoformat(),
            "executed_at": draw.executed_at.isoformat() if draw.executed_at else None,
            "superseded_at": draw.superseded_at.isoformat() if draw.superseded_at else None,
            "redraw_of": draw.redraw_of_id,
            "redraw_reason": draw.redraw_reason,
            "immediate": {"reason": draw.immediate_reason, "witnesses": draw.witnesses}
            if not draw.verifiable
            else None,
            "result": draw.result,
        }
    )
    return doc


def draw_verify(draw: Draw) -> list:
    """Recompute the draw from its public document, as a citizen would: the verifier's problems
    (algorithm.Problem, in Chinese and English), empty when it verifies."""
    if not draw.is_executed:
        return [_("尚未执行抽取。")]
    return algorithm.verify(draw_document(draw))
