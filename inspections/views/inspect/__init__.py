"""The inspectors' screens on /inspect/ (issue 4 §1; Y3.3, Y3.5, N9, N11): log in, my
inspections, the check record filled in on a tablet (autosaved, kept on the device when offline),
evidence, signatures, submission, versions and corrections.

Every URL below an inspection looks it up among the user's own (`inspections_of`): any other
inspection, record, file or signature answers 404. The writes go through
inspections/services/records/; a refused one comes back as its message (JSON for the page's
scripts, a flash message otherwise).

One module per part of the screens: `common` (logging in, access, refusals), `inspection` (my
inspections, one inspection's page), `records`, `evidence`, `signatures` (and the signing PIN).
Routed by inspections/urls_inspect.py.
"""

from inspections.views.inspect.common import (
    DEVICE_COOKIE,
    DEVICE_COOKIE_AGE,
    InspectLoginView,
    InspectLogoutView,
    InspectorLoginForm,
    InspectorMixin,
    InspectPasswordChangeView,
    TabletBindView,
)
from inspections.views.inspect.evidence import EvidenceAddView, EvidenceFileView, EvidenceRemoveView
from inspections.views.inspect.inspection import (
    LIST_LIMIT,
    InspectionDetailView,
    InspectionListView,
    RecordDetailView,
    inspection_context,
)
from inspections.views.inspect.records import (
    PROBLEMS_KEY,
    RecordCorrectView,
    RecordPdfView,
    RecordSaveView,
    RecordStartView,
    RecordSubmitView,
)
from inspections.views.inspect.signatures import (
    SignatureAddView,
    SignatureImageView,
    SignatureRemoveView,
    SigningPinView,
)

__all__ = [
    "DEVICE_COOKIE",
    "DEVICE_COOKIE_AGE",
    "LIST_LIMIT",
    "PROBLEMS_KEY",
    "EvidenceAddView",
    "EvidenceFileView",
    "EvidenceRemoveView",
    "InspectLoginView",
    "InspectLogoutView",
    "InspectPasswordChangeView",
    "InspectionDetailView",
    "InspectionListView",
    "InspectorLoginForm",
    "TabletBindView",
    "InspectorMixin",
    "RecordCorrectView",
    "RecordDetailView",
    "RecordPdfView",
    "RecordSaveView",
    "RecordStartView",
    "RecordSubmitView",
    "SignatureAddView",
    "SignatureImageView",
    "SignatureRemoveView",
    "SigningPinView",
    "inspection_context",
]
