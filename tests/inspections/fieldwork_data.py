"""What a tablet sends — photos with and without location data, PDFs, a renamed program, canvas
signatures — and a record filled in as a careful inspector does."""

import base64
import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from inspections.models import CheckRecord, Signature
from inspections.services.records import record_save_draft
from inspections.services.signatures import signature_add

VISIT = dt.date(2026, 4, 8)  # a working day inside the task's round (April 2026)
PASSWORD = "pw-Secret-123"  # tests.factories.UserFactory


def jpeg_bytes(*, gps: bool = False, orientation: int | None = None, size=(64, 48)) -> bytes:
    """A camera photo: optionally with GPS position, a camera make and a comment in its
    metadata, and an EXIF orientation."""
    image = Image.new("RGB", size, (200, 30, 30))
    ImageDraw.Draw(image).rectangle((0, 0, size[0] // 2, size[1] // 4), fill=(20, 20, 200))
    exif = Image.Exif()
    exif[0x010F] = "TabletCam"  # Make
    if orientation:
        exif[0x0112] = orientation
    if gps:
        exif.get_ifd(0x8825).update({1: "N", 2: (29.0, 33.0, 30.0), 3: "E", 4: (106.0, 34.0, 12.0)})
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"Jiefangbei 29.5N 106.5E" if gps else b"")
    return out.getvalue()


def png_bytes(size=(40, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", size, (0, 120, 0, 255)).save(out, "PNG")
    return out.getvalue()


PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
# The first bytes of a Windows program, renamed to look like a photo.
EXE_BYTES = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def signature_data_url(*, blank: bool = False) -> str:
    """A canvas's toDataURL(): a transparent PNG with a stroke on it (or nothing)."""
    image = Image.new("RGBA", (300, 120), (0, 0, 0, 0))
    if not blank:
        ImageDraw.Draw(image).line((10, 100, 80, 20, 150, 90, 290, 30), fill="black", width=4)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def complete(record: CheckRecord, user, *, sign: bool = True) -> CheckRecord:
    """Fill a draft as a careful inspector does: every item compliant (N9), the procedure of
    Y3.5, the representative's name and, with `sign`, the signatures of the team and the
    representative (Y3.3, N11)."""
    items = {str(i.pk): {"outcome": "compliant", "method": "on_site"} for i in record.items.all()}
    record = record_save_draft(
        record=record,
        user=user,
        revision=record.revision + 1,
        fields={
            "certificates_shown": True,
            "rights_told": True,
            "statement": "无异议",
            "representative_name": "张主任",
            "representative_title": "主任",
        },
        items=items,
    )
    if sign:
        for member in record.inspection.members.select_related("inspector"):
            # Each inspector confirms their own signature (Y3.3, N11): here in their own session.
            signature_add(
                record=record,
                user=member.inspector.user,
                role=Signature.Role.INSPECTOR,
                inspector=member.inspector,
                data_url=signature_data_url(),
            )
        signature_add(
            record=record,
            user=user,
            role=Signature.Role.REPRESENTATIVE,
            data_url=signature_data_url(),
        )
    return record
