"""What every part of the archive writes with: the ZIP writer that hashes each file as it copies
it (once, however many rows share it), the stored PDFs rendered again when missing or changed,
and the times as the manifest gives them."""

import hashlib
import zipfile
from dataclasses import dataclass, field

from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ServiceError
from inspections.services import documents

CHUNK = 1024 * 1024


@dataclass
class ArchiveResult:
    """What was written: the manifest, its SHA-256, and the PDFs rendered for the export."""

    manifest: dict
    manifest_sha256: str
    rendered: list[str] = field(default_factory=list)
    bytes_written: int = 0


class _Writer:
    """Adds files to the ZIP once each, hashing them as they are copied."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self.archive = archive
        self.files: list[dict] = []
        self._by_source: dict[str, str] = {}

    def add_bytes(self, path: str, data: bytes, kind: str) -> str:
        compress = zipfile.ZIP_DEFLATED if path.endswith((".json", ".py")) else zipfile.ZIP_STORED
        self.archive.writestr(self._info(path, compress), data)
        self._list(path, hashlib.sha256(data).hexdigest(), len(data), kind)
        return path

    def add_file(self, path: str, file: FieldFile, kind: str, expected_sha256: str = "") -> str:
        """Copy a stored file (once: a file shared by two rows is archived once). With
        `expected_sha256`, a file whose bytes differ is refused."""
        if file.name in self._by_source:
            return self._by_source[file.name]
        digest, size = hashlib.sha256(), 0
        with (
            file.storage.open(file.name, "rb") as source,
            self.archive.open(self._info(path, zipfile.ZIP_STORED), "w") as target,
        ):
            while chunk := source.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                target.write(chunk)
        sha = digest.hexdigest()
        if expected_sha256 and sha != expected_sha256:
            raise ServiceError(
                _(
                    "文件 %(name)s 的 SHA-256 与上传时登记的不一致，文件可能已被改动，未导出归档。请核查存储中的该文件。"
                )
                % {"name": file.name},
                code="hash_mismatch",
            )
        self._by_source[file.name] = path
        self._list(path, sha, size, kind)
        return path

    def _info(self, path: str, compress: int) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(path, date_time=timezone.localtime().timetuple()[:6])
        info.compress_type = compress
        info.external_attr = 0o644 << 16
        return info

    def _list(self, path: str, sha: str, size: int, kind: str) -> None:
        self.files.append({"path": path, "sha256": sha, "size": size, "kind": kind})


def _iso(value) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat() if hasattr(value, "hour") else value.isoformat()


def _pdf(
    instance, file_field: str, sha_field: str, render, label: str, result: ArchiveResult
) -> FieldFile:
    """The stored PDF, rendered now if it is missing or no longer matches its hash."""
    file: FieldFile = getattr(instance, file_field)
    sha = documents.stored_sha256(file.storage, file.name)
    if sha is None or sha != getattr(instance, sha_field):
        render()
        result.rendered.append(label)
        file = getattr(instance, file_field)
    return file
