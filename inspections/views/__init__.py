"""The views of the inspections app: the public pages of plans and draws (`public`) and the
inspectors' screens on /inspect/ (`inspect`, routed by inspections/urls_inspect.py)."""

import sys
import types

from inspections.views import public
from inspections.views.public import (
    SELECTIONS_PAGE_SIZE,
    DrawDetailView,
    DrawJsonView,
    DrawListJsonView,
    DrawListView,
    PlanDetailView,
    PlanListView,
    VerifierDownloadView,
)

__all__ = [
    "SELECTIONS_PAGE_SIZE",
    "DrawDetailView",
    "DrawJsonView",
    "DrawListJsonView",
    "DrawListView",
    "PlanDetailView",
    "PlanListView",
    "VerifierDownloadView",
]


class _Views(types.ModuleType):
    """`views.SELECTIONS_PAGE_SIZE = n` (tests monkeypatch it) reaches the module that reads it,
    as it did when the views were one module."""

    def __setattr__(self, name, value):
        if name.isupper() and hasattr(public, name):
            setattr(public, name, value)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Views
