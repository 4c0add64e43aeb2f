"""The import pipeline shared by `manage.py import_registry`, the admin and bench/.

All or nothing: every row is validated; any bad row means nothing is written, and every bad row is
reported with its row number (the header is row 1), column and reason. Rows are written in batches
inside one transaction as they stream in, so memory stays flat at national scale; a bad row stops
the writing and the transaction is rolled back at the end. Re-importing updates by natural key.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ServiceError
from core.ledgers import publication_log
from core.models import Publication
from core.spreadsheets import CONTROL_CHARACTERS, cell_excerpt, unquote
from registry.imports.cells import CellError
from registry.imports.history import history_copy
from registry.imports.kinds import KINDS, ImportKind, Lookups
from registry.imports.readers import MAX_COLUMNS, CellProblem, read_rows

BATCH_SIZE = 2000
# A file with more errors than this is wrong as a whole: the rest is not checked, and memory stays
# bounded (a wrong KIND of 800,000 rows once meant 2.4 million errors).
MAX_ERRORS = 10_000


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("第 %(row)s 行，%(column)s：%(message)s") % {
                "row": self.row,
                "column": self.column,
                "message": self.message,
            }
        return _("第 %(row)s 行：%(message)s") % {"row": self.row, "message": self.message}


@dataclass
class ImportResult:
    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    stopped_at_row: int = 0  # the row after which checking stopped (MAX_ERRORS reached)

    @property
    def ok(self) -> bool:
        return not self.errors

    def stopped_note(self) -> str:
        if not self.stopped_at_row:
            return ""
        return _("错误超过 %(n)s 处，第 %(row)s 行之后未再检查。") % {
            "n": MAX_ERRORS,
            "row": self.stopped_at_row,
        }

    def summary(self) -> str:
        return _("共 %(rows)s 行：新增 %(created)s，更新 %(updated)s，未变 %(unchanged)s。") % {
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


class _Rollback(Exception):
    pass


def _echo(text: str) -> str:
    """A header name as shown back: short, its control characters visible as U+FFFD."""
    return cell_excerpt(CONTROL_CHARACTERS.sub("\ufffd", text))


def _control_message(char: str) -> str:
    # NUL cannot even be stored (PostgreSQL refuses it); the others cannot be written to xlsx.
    return _("含有不可见的控制字符 U+%(code)04X：请删除后再导入") % {"code": ord(char)}


def _empty_value(model: type[models.Model], name: str) -> Any:
    if name.startswith("_"):
        return None
    model_field = model._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name)
    if model_field.many_to_many:
        return []
    if model_field.has_default():
        return model_field.get_default()
    if isinstance(model_field, models.CharField | models.TextField):
        return ""
    return None


def _builder(model: type[models.Model], names: list[str]) -> Callable[[dict], models.Model]:
    """Makes `model(**{n: values[n] for n in names})`, faster: Django's positional form, with
    every other field's default as the keyword form would give it (per instance, never shared)."""
    fields = model._meta.concrete_fields
    given = set(names)
    if not given <= {f.attname for f in fields} or any(f.generated for f in fields):
        return lambda values: model(**{n: values[n] for n in names})
    plan = [(f.attname in given, f.attname, f.get_default) for f in fields]

    def build(values: dict) -> models.Model:
        return model(*[values[a] if present else default() for present, a, default in plan])

    return build


class Importer:
    def __init__(self, kind: ImportKind, *, dry_run: bool, user=None, reason: str = "") -> None:
        self.kind = kind
        self.dry_run = dry_run
        self.user = user
        self.reason = reason
        self.lookups = Lookups()
        self.result = ImportResult(kind=kind.name, dry_run=dry_run)
        self.seen: dict[tuple, int] = {}
        self.batch: list[tuple[tuple, dict[str, Any]]] = []  # (natural key, values)
        self.touched_ids: list[int] = []
        self.now = timezone.now()

    # -- header -------------------------------------------------------------------------------
    def read_header(self, cells: list[str]) -> list[tuple[int, Any]]:
        known = {c.header: c for c in self.kind.columns}
        if sum(1 for name in cells if name.strip()) > MAX_COLUMNS:
            raise ServiceError(
                _("第 1 行（表头）：列数超过上限（最多 %(n)s 列）。请只保留需要导入的列。")
                % {"n": MAX_COLUMNS}
            )
        positions: dict[str, int] = {}
        problems = []
        for index, name in enumerate(cells):
            name = name.strip().lstrip("\ufeff")
            if not name:
                continue
            if name in positions:
                problem = _("表头“%(name)s”出现了两次") % {"name": _echo(name)}
                if problem not in problems:
                    problems.append(problem)
            elif name in known:
                positions[name] = index
            else:
                self.result.ignored_columns.append(_echo(name))
        missing = [c.header for c in self.kind.columns if c.required and c.header not in positions]
        if missing:
            problems.append(_("缺少必填列：%(cols)s") % {"cols": "、".join(missing)})
        if problems:
            expected = "、".join(c.header for c in self.kind.columns if c.required)
            raise ServiceError(
                _("第 1 行（表头）：%(problems)s。必填列为：%(expected)s。")
                % {"problems": "；".join(problems), "expected": expected}
            )
        return [
            (positions[c.header], c, self._empty(c.field))
            for c in self.kind.columns
            if c.header in positions
        ]

    def _empty(self, name: str) -> Any:
        """What an empty cell of an optional column stores: the KIND's default, else the field's."""
        return self.kind.defaults.get(name, _empty_value(self.kind.model, name))

    # -- rows ---------------------------------------------------------------------------------
    def clean(self, number: int, cells: list[str], columns) -> tuple[tuple, dict[str, Any]] | None:
        """The row's natural key and field values, or None when it has errors (recorded)."""
        values: dict[str, Any] = {}
        errors = []
        for index, column, empty in columns:
            raw = cells[index] if index < len(cells) else ""
            if isinstance(raw, CellProblem):  # an Excel error value, a formula without a result
                errors.append(RowError(number, column.header, raw.message))
                continue
            raw = raw.strip()
            if raw[:1] == "'":  # the apostrophe an export puts before a formula-like text
                raw = unquote(raw)
            if control := CONTROL_CHARACTERS.search(raw):
                errors.append(RowError(number, column.header, _control_message(control.group())))
                continue
            if not raw:
                if column.required:
                    errors.append(RowError(number, column.header, _("必填，不能为空")))
                else:
                    # A fresh copy of a mutable default, as the field's own default would be.
                    values[column.field] = (
                        copy.copy(empty) if isinstance(empty, list | dict) else empty
                    )
                continue
            try:
                values[column.field] = column.parse(raw, self.lookups)
            except CellError as exc:
                errors.append(RowError(number, column.header, str(exc)))
        if not errors:
            errors = [
                RowError(number, col, msg) for col, msg in self.kind.check(values, self.lookups)
            ]
        key = None
        if not errors:
            key = self.kind.key(values)
            first = self.seen.setdefault(key, number)
            if first != number:
                errors.append(
                    RowError(
                        number,
                        self.kind.columns[0].header,
                        _("与第 %(row)s 行重复") % {"row": first},
                    )
                )
        self.result.errors.extend(errors)
        return None if errors else (key, values)

    def feed(self, rows) -> None:
        columns = None
        for number, cells in rows:
            if columns is None:
                columns = self.read_header(cells)
                continue
            if not any(c.strip() for c in cells):
                continue
            self.result.rows += 1
            cleaned = self.clean(number, cells, columns)
            if cleaned is not None and not self.result.errors:
                self.batch.append(cleaned)
                if len(self.batch) >= BATCH_SIZE:
                    self.flush()
            if len(self.result.errors) >= MAX_ERRORS:
                self.result.stopped_at_row = number
                break
        if columns is None:
            raise ServiceError(_("文件为空。"))
        if not self.result.errors:
            self.flush()
        if not self.result.rows and not self.result.errors:
            raise ServiceError(_("文件只有表头，没有数据行。"))

    # -- writes -------------------------------------------------------------------------------
    def flush(self) -> None:
        if not self.batch:
            return
        kind, model = self.kind, self.kind.model
        fields = [f for f in self.batch[0][1] if not f.startswith("_")]
        plain = [f for f in fields if f != kind.m2m]
        existing = self._existing()
        build = _builder(model, plain)
        new, changed = [], []
        for key, values in self.batch:
            current = existing.get(key)
            if current is None:
                new.append(build(values))
                continue
            if any(getattr(current, f) != values[f] for f in plain) or (
                kind.m2m and sorted(values[kind.m2m]) != current._m2m
            ):
                for f in plain:
                    setattr(current, f, values[f])
                changed.append(current)
        self.result.created += len(new)
        self.result.updated += len(changed)
        self.result.unchanged += len(self.batch) - len(new) - len(changed)
        if not self.dry_run:
            self._write(new, changed, plain)
        self.batch = []

    def _existing(self) -> dict[tuple, models.Model]:
        kind = self.kind
        keys = [k for k, _v in self.batch]
        # Filter on the key fields that are never empty; a composite key is then matched here.
        filters = {}
        for i, name in enumerate(kind.key_fields):
            values = {k[i] for k in keys}
            if None not in values:
                filters[name + "__in"] = values
        queryset = kind.model.objects.filter(**filters)
        if kind.m2m:
            queryset = queryset.prefetch_related(kind.m2m)
        found = {}
        for obj in queryset:
            if kind.m2m:
                obj._m2m = sorted(o.pk for o in getattr(obj, kind.m2m).all())
            found[tuple(getattr(obj, f) for f in kind.key_fields)] = obj
        return found

    def _write(self, new: list, changed: list, plain: list[str]) -> None:
        model, kind = self.kind.model, self.kind
        if new:
            model.objects.bulk_create(new, batch_size=BATCH_SIZE)
        if changed:
            model.objects.bulk_update(changed, plain, batch_size=500)
        if kind.m2m:
            by_key = {k: v[kind.m2m] for k, v in self.batch}
            relation = getattr(model, kind.m2m)
            through, source = relation.through, relation.field.m2m_field_name()
            target = relation.field.m2m_reverse_field_name()
            ids = [o.pk for o in new + changed]
            through.objects.filter(**{source + "_id__in": ids}).delete()
            through.objects.bulk_create(
                [
                    through(**{source + "_id": obj.pk, target + "_id": t})
                    for obj in new + changed
                    for t in by_key[tuple(getattr(obj, f) for f in kind.key_fields)]
                ]
            )
        reason = self.reason or _("表格导入")
        for objs, history_type in ((new, "+"), (changed, "~")):
            history_copy(
                model=model,
                ids=[o.pk for o in objs],
                history_type=history_type,
                user=self.user,
                reason=reason,
                when=self.now,
            )
        if kind.name == "institutions":  # only institutions need them, for after()
            self.touched_ids.extend(o.pk for o in new + changed)

    def after(self) -> None:
        if self.kind.name == "institutions" and self.touched_ids and not self.dry_run:
            from registry.services import institution_risk_refresh

            institution_risk_refresh(institution_ids=self.touched_ids)


def _log_publication(importer: "Importer", kind: str, user) -> None:
    """The list and the registries are public (N6): an import that changed them is logged as a
    publication of the new state."""
    result = importer.result
    if not (result.created or result.updated):
        return
    publication_log(
        kind=Publication.Kind.CHECKITEM_LIST
        if kind == "check-items"
        else Publication.Kind.REGISTRY,
        title=f"{importer.kind.model._meta.verbose_name}：{result.summary()}",
        user=user,
        note=importer.reason,
    )


def registry_import(
    *, kind: str, stream: BinaryIO, dry_run: bool = False, user=None, reason: str = ""
) -> ImportResult:
    """Import one spreadsheet of `kind`; never writes anything when a row is bad."""
    if kind not in KINDS:
        raise ServiceError(
            _("未知的导入类型“%(kind)s”，可选：%(kinds)s")
            % {"kind": kind, "kinds": "、".join(KINDS)}
        )
    importer = Importer(KINDS[kind], dry_run=dry_run, user=user, reason=reason)
    try:
        with transaction.atomic():
            importer.feed(read_rows(stream))
            if importer.result.errors:
                raise _Rollback
            importer.after()
            if dry_run:
                raise _Rollback
            _log_publication(importer, kind, user)
    except _Rollback:
        pass
    if importer.result.errors:
        importer.result.created = importer.result.updated = importer.result.unchanged = 0
    return importer.result


def registry_import_file(*, kind: str, path: str | Path, **kwargs) -> ImportResult:
    path = Path(path)
    if not path.is_file():
        raise ServiceError(_("找不到文件：%(path)s") % {"path": path})
    if path.stat().st_size > settings.IMPORT_MAX_BYTES:
        raise ServiceError(
            _("文件超过 %(mb)s MB 的上限。") % {"mb": settings.IMPORT_MAX_BYTES // 2**20}
        )
    with path.open("rb") as stream:
        return registry_import(kind=kind, stream=stream, **kwargs)
