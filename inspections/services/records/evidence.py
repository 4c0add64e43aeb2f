"""Evidence on a draft record (Y3.5: archived completely and accurately): photos and PDFs, their
type read from the content, photos re-encoded without location data, each kept with its SHA-256."""

import hashlib
import io
import os
import uuid

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from core.exceptions import ServiceError
from inspections.models import CheckRecord, CheckRecordItem, Evidence
from inspections.services.records.lifecycle import _draft_locked

MAX_EVIDENCE_BYTES = 10 * 1024 * 1024  # issue 4 §1: at most 10 MB per file
MAX_IMAGE_PIXELS = 60_000_000  # larger than any tablet camera; refuses decompression bombs

IMAGE_FORMATS = {
    # Pillow format → (stored format, content type, extension)
    "JPEG": ("JPEG", "image/jpeg", "jpg"),
    "PNG": ("PNG", "image/png", "png"),
    "WEBP": ("WEBP", "image/webp", "webp"),
    # HEIC/HEIF/AVIF photos (iPad camera) when Pillow can decode them; stored as JPEG, which
    # every browser and the PDF can show.
    "HEIF": ("JPEG", "image/jpeg", "jpg"),
    "AVIF": ("JPEG", "image/jpeg", "jpg"),
}
HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"mif1", b"msf1", b"avif")


def _sniff(head: bytes) -> str | None:
    """The kind of a file from its first bytes (never its name): jpeg, png, webp, heif, pdf."""
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[4:8] == b"ftyp" and head[8:12] in HEIF_BRANDS:
        return "heif"
    if head.startswith(b"%PDF-"):
        return "pdf"
    return None


def _image_clean(data: bytes, name: str, kind: str) -> tuple[bytes, str, str]:
    """Re-encode a photo: turned upright (EXIF orientation) and written afresh, so no EXIF, GPS,
    XMP or comment of the original survives. Returns (bytes, content type, extension)."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > MAX_IMAGE_PIXELS:
                raise ServiceError(
                    _("图片“%(name)s”像素过大（%(w)s×%(h)s），无法接收。")
                    % {"name": name, "w": image.width, "h": image.height},
                    code="evidence_type",
                )
            stored_format, content_type, ext = IMAGE_FORMATS[image.format]
            icc = image.info.get("icc_profile")
            upright = ImageOps.exif_transpose(image)
            upright.load()
    except (
        UnidentifiedImageError,
        OSError,
        SyntaxError,
        ValueError,
        KeyError,
        Image.DecompressionBombError,
    ):
        if kind == "heif":
            raise ServiceError(
                _(
                    "照片“%(name)s”是 HEIC 格式，服务器无法转换，未保存。请在平板的相机设置中选择“兼容性最佳”（JPEG）后重新拍摄。"
                )
                % {"name": name},
                code="evidence_type",
            ) from None
        raise ServiceError(
            _("文件“%(name)s”不是可以识别的图片，或文件已损坏，未保存。") % {"name": name},
            code="evidence_type",
        ) from None
    upright.info = {}  # nothing of the original's metadata goes along
    if stored_format == "JPEG" and upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    options = {"icc_profile": icc} if icc else {}
    if stored_format == "JPEG":
        options.update(quality=90, optimize=True)
    elif stored_format == "WEBP":
        options.update(quality=90)
    else:
        options.update(optimize=True)
    upright.save(out, format=stored_format, **options)
    return out.getvalue(), content_type, ext


def _pdf_check(data: bytes, name: str) -> None:
    if b"%%EOF" not in data[-2048:]:
        raise ServiceError(
            _("PDF 文件“%(name)s”不完整（缺少文件结尾），可能未下载或拍摄完成，未保存。")
            % {"name": name},
            code="evidence_type",
        )


def _display_name(name: str) -> str:
    return (os.path.basename(name or "").strip() or "upload")[-255:]


@transaction.atomic
def evidence_add(
    *, record: CheckRecord, user, upload, item: CheckRecordItem | None = None
) -> Evidence:
    """Attach a photo or a PDF to a draft record (or one of its items). The type is read from the
    content, never the name; at most 10 MB; photos are re-encoded without location data; the
    SHA-256 is of the bytes stored (Y3.5: evidence archived completely and accurately). A refused
    upload changes nothing in the record; the same file sent twice is kept once."""
    record = _draft_locked(record, user)
    name = _display_name(getattr(upload, "name", ""))
    if item is not None and item.record_id != record.pk:
        raise ServiceError(_("所选检查事项不属于这份检查记录。"), code="item")
    size = upload.size
    if size > MAX_EVIDENCE_BYTES:
        raise ServiceError(
            _("文件“%(name)s”有 %(mb).1f MB，超过 10 MB 的上限，未保存。请压缩或分拆后再上传。")
            % {"name": name, "mb": size / 1024 / 1024},
            code="evidence_size",
        )
    data = upload.read(MAX_EVIDENCE_BYTES + 1)
    if len(data) > MAX_EVIDENCE_BYTES:
        raise ServiceError(
            _("文件“%(name)s”超过 10 MB 的上限，未保存。") % {"name": name}, code="evidence_size"
        )
    if not data:
        raise ServiceError(
            _("文件“%(name)s”是空文件，未保存。") % {"name": name}, code="evidence_type"
        )
    kind = _sniff(data[:32])
    if kind is None:
        raise ServiceError(
            _(
                "文件“%(name)s”不是照片（JPEG、PNG、WebP、HEIC）或 PDF，未保存。系统按文件内容判断类型，与文件名无关。"
            )
            % {"name": name},
            code="evidence_type",
        )
    if kind == "pdf":
        _pdf_check(data, name)
        stored, content_type, ext = data, "application/pdf", "pdf"
    else:
        stored, content_type, ext = _image_clean(data, name, kind)
    sha256 = hashlib.sha256(stored).hexdigest()
    # The same file sent again (an upload retried after the network dropped) is stored once.
    existing = record.evidence.filter(sha256=sha256, item=item).first()
    if existing is not None:
        return existing
    evidence = Evidence(
        record=record,
        item=item,
        original_name=name,
        content_type=content_type,
        size=len(stored),
        sha256=sha256,
        uploaded_by=user,
    )
    evidence.file.save(f"{uuid.uuid4().hex}.{ext}", ContentFile(stored), save=False)
    try:
        evidence.save()
    except Exception:
        evidence.file.storage.delete(evidence.file.name)  # not left behind without its row
        raise
    return evidence


@transaction.atomic
def evidence_remove(*, evidence: Evidence, user) -> None:
    """Take a file off a draft record. The file itself stays while an earlier version (whose
    evidence rows share it) still points at it."""
    _draft_locked(evidence.record, user)
    storage, name = evidence.file.storage, evidence.file.name
    evidence.delete()

    def delete_if_unused():
        if not Evidence.objects.filter(file=name).exists():
            storage.delete(name)

    transaction.on_commit(delete_if_unused)
