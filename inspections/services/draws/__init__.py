"""Announce, execute, re-draw and publish the double random draw (N10–N12, Y3.5, RFC 3797).

The computation itself lives in tools/verify_draw.py — the same file citizens download — so the
bureau's result is by construction what anyone recomputes from the published document.

Split along the draw's own steps: `pools` (what the announcement freezes), `announce` (step 1, and
the re-draw), `execute` (step 2, and the draw on the spot), `document` (the public document and
its verification). Import from here; the submodules import each other directly.
"""

from inspections.services.draws.announce import (
    DEFAULT_MISSING_RULE,
    MINIMUM_PERCENT,
    draw_announce,
    draw_redraw,
    entropy_estimate,
)
from inspections.services.draws.document import draw_document, draw_inputs, draw_verify
from inspections.services.draws.execute import _write_rows, draw_execute, draw_immediate
from inspections.services.draws.pools import (
    CONFLICTS_SQL,
    _conflicts_in_force,
    _conflicts_in_force_sql,
    _freeze_pools,
)

__all__ = [
    "CONFLICTS_SQL",
    "DEFAULT_MISSING_RULE",
    "MINIMUM_PERCENT",
    "_conflicts_in_force",
    "_conflicts_in_force_sql",
    "_freeze_pools",
    "_write_rows",
    "draw_announce",
    "draw_document",
    "draw_execute",
    "draw_immediate",
    "draw_inputs",
    "draw_redraw",
    "draw_verify",
    "entropy_estimate",
]
