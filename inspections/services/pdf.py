"""The PDF machinery of the documents (WeasyPrint): the HTML of a template, its images served
from memory, the A4 pages with "第 N 页 共 M 页", and the Chinese fonts.

Images are made only when WeasyPrint asks for them, from files whose SHA-256 the snapshot names:
a file that no longer has the hash recorded when it was uploaded is refused, never printed
(Y3.5: archived completely and accurately). Nothing else is fetched — no network, no files
outside the storage.

No silent tofu (issue 12 §9): without the Noto CJK faces a PDF would be set in DejaVu with a box
for every Chinese character and stored with its hash as if it were fine. The faces are checked
before rendering (fontconfig) and the fonts the PDF embeds are checked after; a missing face is a
`FontsMissing` error — the Celery task retries later, `manage.py check` and `/healthz` report it.
"""

import ctypes
import gc
import hashlib
import io
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.core.files.storage import Storage
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from core.exceptions import ServiceError

# WeasyPrint logs each of its steps at INFO, per document and three times on import: noise in
# the worker's log and in every manage.py command (they import the services). Quieted before the
# import, hence the imports below the statement.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

from weasyprint import HTML  # noqa: E402
from weasyprint.text.fonts import FontConfiguration  # noqa: E402
from weasyprint.urls import URLFetcher, URLFetcherResponse  # noqa: E402

logger = logging.getLogger(__name__)

# Long side of an evidence thumbnail in pixels: printed 40 mm wide, that is about 300 dpi.
THUMBNAIL_PX = 480
THUMBNAIL_QUALITY = 80
SIGNATURE_PX = 600
TEMPLATES = "inspections/pdf/"
# The faces the templates name (templates/inspections/pdf/base.html), from Debian's
# fonts-noto-cjk.
REQUIRED_FONTS = ("Noto Serif CJK SC", "Noto Sans CJK SC")
FONT_CHECK_SECONDS = 300  # fontconfig is asked again at most every five minutes per process
try:  # glibc's malloc_trim: give the heap WeasyPrint freed back to the system (see render)
    _malloc_trim = ctypes.CDLL("libc.so.6").malloc_trim
except (OSError, AttributeError):  # another C library: nothing to trim with
    _malloc_trim = None


class FontsMissing(ServiceError):
    """The Chinese faces are not installed: no document is rendered (the task retries later)."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__(
            _(
                "服务器缺少中文字体（%(fonts)s），文书未生成：否则中文会显示为方框。请安装 Debian 软件包 fonts-noto-cjk 后重试。"
            )
            % {"fonts": "、".join(missing)},
            code="fonts_missing",
        )
        self.missing = missing


# -- fonts ------------------------------------------------------------------------------------------
_font_check: dict = {}


def _fontconfig_family(family: str) -> str:
    """The family fontconfig picks for `family` (another one when it is not installed)."""
    from weasyprint.text.ffi import ffi, fontconfig

    config = fontconfig.FcInitLoadConfigAndFonts()
    pattern = fontconfig.FcPatternCreate()
    try:
        fontconfig.FcPatternAddString(pattern, b"family", family.encode())
        fontconfig.FcConfigSubstitute(config, pattern, 0)  # FcMatchPattern
        fontconfig.FcDefaultSubstitute(pattern)
        result = ffi.new("FcResult *")
        match = fontconfig.FcFontMatch(config, pattern, result)
        if match == ffi.NULL:
            return ""
        try:
            name = ffi.new("FcChar8 **")
            if fontconfig.FcPatternGetString(match, b"family", 0, name) != 0:
                return ""
            return ffi.string(name[0]).decode()
        finally:
            fontconfig.FcPatternDestroy(match)
    finally:
        fontconfig.FcPatternDestroy(pattern)
        fontconfig.FcConfigDestroy(config)


def fonts_missing(*, fresh: bool = False) -> list[str]:
    """The required faces fontconfig does not have (empty when all are there); remembered for
    FONT_CHECK_SECONDS."""
    now = time.monotonic()
    if (
        fresh
        or _font_check.get("pid") != os.getpid()
        or now - _font_check["at"] > FONT_CHECK_SECONDS
    ):
        missing = [f for f in REQUIRED_FONTS if _fontconfig_family(f) != f]
        _font_check.update(pid=os.getpid(), at=now, missing=missing)
    return list(_font_check["missing"])


_fonts = threading.local()


def _font_config() -> FontConfiguration:
    """WeasyPrint's fonts, kept for the next document: a new configuration per document costs
    ~15 % more time and never gives back ~0.25 MB (bench/pdf.py). One per thread (Pango's font
    map is not thread-safe) and per process (not inherited through a fork)."""
    if getattr(_fonts, "pid", None) != os.getpid():
        _fonts.config, _fonts.pid = FontConfiguration(), os.getpid()
    return _fonts.config


# -- images ----------------------------------------------------------------------------------------
class Images(URLFetcher):
    """The document's images, served from memory as `mem:<key>` and made on first request."""

    def __init__(self) -> None:
        super().__init__(allowed_protocols={"mem"})
        self._makers: dict[str, Callable[[], tuple[bytes, str]]] = {}
        self.error: Exception | None = None

    def add(self, key: str, maker: Callable[[], tuple[bytes, str]]) -> str:
        self._makers[key] = maker
        return f"mem:{key}"

    def fetch(self, url, headers=None):
        try:
            body, mime = self._makers[url.removeprefix("mem:")]()
        except _NoPreview:
            raise  # WeasyPrint prints the <img>'s alt text instead
        except Exception as exc:
            # WeasyPrint would only log it and leave a hole: remembered and raised after rendering
            # (a missing evidence file must not give a record that looks complete, Y3.5).
            self.error = self.error or exc
            raise
        return URLFetcherResponse(url, body, {"Content-Type": mime})


class _NoPreview(Exception):
    """The file is there but is not an image Pillow can read: the document says so instead."""


def _verified(storage: Storage, name: str, sha256: str) -> bytes:
    """The stored file's bytes, if they still have the SHA-256 recorded at upload."""
    with storage.open(name, "rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != sha256:
        raise ServiceError(
            _(
                "文件 %(name)s 的 SHA-256 与上传时登记的不一致，文件可能已被改动，文书未生成。请核查存储中的该文件。"
            )
            % {"name": name},
            code="hash_mismatch",
        )
    return data


def thumbnail(storage: Storage, name: str, sha256: str) -> tuple[bytes, str]:
    """A JPEG of at most THUMBNAIL_PX, upright (EXIF orientation applied), on white."""
    data = _verified(storage, name, sha256)
    try:
        image = Image.open(io.BytesIO(data))
        # A JPEG is decoded straight at 1/2, 1/4 or 1/8 of its size (DCT scaling): a
        # 4000 × 3000 photo at 500 × 375, about twice as fast as Pillow's default gap.
        scale = THUMBNAIL_PX / max(image.size)
        image.draft("RGB", (int(image.width * scale), int(image.height * scale)))
        image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX), reducing_gap=None)
    except (Image.UnidentifiedImageError, Image.DecompressionBombError, SyntaxError) as exc:
        raise _NoPreview(str(exc)) from exc
    image = ImageOps.exif_transpose(image)
    if image.mode != "RGB":
        background = Image.new("RGB", image.size, "white")
        rgba = image.convert("RGBA")
        background.paste(rgba, mask=rgba.getchannel("A"))
        image = background
    out = io.BytesIO()
    image.save(out, "JPEG", quality=THUMBNAIL_QUALITY)
    return out.getvalue(), "image/jpeg"


def signature_image(storage: Storage, name: str, sha256: str) -> tuple[bytes, str]:
    """The signature as a PNG with its transparency, at most SIGNATURE_PX wide."""
    data = _verified(storage, name, sha256)
    try:
        image = Image.open(io.BytesIO(data))
        image.thumbnail((SIGNATURE_PX, SIGNATURE_PX))
    except (Image.UnidentifiedImageError, Image.DecompressionBombError, SyntaxError) as exc:
        raise _NoPreview(str(exc)) from exc
    out = io.BytesIO()
    image.convert("RGBA").save(out, "PNG")
    return out.getvalue(), "image/png"


# -- HTML and PDF ----------------------------------------------------------------------------------
@dataclass
class Source:
    """What one document is made of: its HTML and the images the HTML refers to."""

    html: str
    images: Images


def _css_string(text: str) -> SafeString:
    """`text` as a quoted CSS string, safe inside <style> (where HTML escaping does not apply)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3c ")
    return mark_safe(f'"{escaped}"')  # escaped for CSS above


def _page_counter() -> SafeString:
    """CSS `content` for the footer: "第 N 页 共 M 页" with the counters in place."""
    text = _("第 %(page)s 页 共 %(pages)s 页")
    text = text.replace("%(page)s", "\0page\0").replace("%(pages)s", "\0pages\0")
    parts = []
    for i, piece in enumerate(text.split("\0")):
        if i % 2:
            parts.append(f"counter({piece})")
        elif piece:
            parts.append(_css_string(piece))
    return mark_safe(" ".join(parts))  # built from escaped pieces


def _we(bureau: str) -> str:
    """How the bureau names itself in a letter: 我局, 我厅 or 我单位."""
    if bureau.endswith("局"):
        return _("我局")
    if bureau.endswith("厅"):
        return _("我厅")
    return _("我单位")


def html_source(
    template: str, context: dict, images: Images, *, bureau: str, reference: str
) -> Source:
    context = {
        "bureau": bureau,
        "we": _we(bureau),
        "bureau_css": _css_string(bureau),
        "reference_css": _css_string(reference),
        "page_counter_css": _page_counter(),
        "reference": reference,
        **context,
    }
    return Source(render_to_string(TEMPLATES + template, context), images)


def render(source: Source) -> bytes:
    """The PDF of `source`; FontsMissing when the Chinese faces are not there (issue 12 §9)."""
    missing = fonts_missing()
    if missing:
        raise FontsMissing(missing)
    # WeasyPrint leaves ~16,000 objects in reference cycles per document, holding the font files
    # it read (20–27 MB each): without a collection a worker grows by ~60 MB a document until the
    # cyclic collector happens to run. A full collection walks every object of the process
    # (~100 ms); with what existed before frozen it walks only this document's (~12 ms). And
    # glibc keeps the freed heap unless asked to return it (bench/pdf.py, docs/performance.md).
    freeze = gc.get_freeze_count() == 0  # someone else's freeze (before a fork) is left alone
    if freeze:
        gc.freeze()
    try:
        html = HTML(string=source.html, url_fetcher=source.images, base_url="mem:/")
        document = html.render(font_config=_font_config())
        pdf = document.write_pdf()
        used = {font.family for font in document.fonts.values()}
        del document, html
    finally:
        gc.collect()
        if freeze:
            gc.unfreeze()
        if _malloc_trim is not None:
            _malloc_trim(0)
    if source.images.error is not None:
        raise source.images.error
    if not used & set(REQUIRED_FONTS):
        # fontconfig said yes but the text was set in something else: never store that.
        raise FontsMissing([f for f in REQUIRED_FONTS if f not in used])
    return pdf
