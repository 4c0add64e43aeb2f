"""The security audit trail (issue 14 §3; GB/T 22239-2019 8.1.4.3 安全审计): one append-only log of
security events, each entry chained to the one before it by SHA-256 (docs/audit.md).

- `audit_record(...)` is the only writer. It runs in the caller's transaction (an action and its
  entry commit or vanish together) and takes a transaction-level advisory lock, so that entries are
  chained one after the other even when written concurrently.
- `canonical(event)` is the documented form an entry's hash is computed over; `audit_verify`
  recomputes every hash and names the first entry that does not match.
- `audit_archive(before=...)` writes the entries older than `before` to a file and prunes them
  (only entries past the retention period, the database refuses anything else), leaving in the chain
  an entry that names the last archived hash, so the remaining chain still verifies.

Nothing personal goes into `detail`: keys that name personal data are refused, and numbers shaped
like an ID number or a mobile phone are masked (PIPL; issue 14 §4).
"""

import datetime
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ServiceError
from core.history import acting_user, system_user
from core.models import AuditEvent
from core.pii import pii_mask_text

GENESIS = "0" * 64
# Any 64-bit number, fixed: the advisory lock that orders the writers of the chain.
ADVISORY_LOCK_KEY = 0x5353_4A41_5544_4954  # "SSJAUDIT"
# 网络安全法 第二十一条: network logs are kept for at least six months.
RETENTION_DAYS = 183
PRUNE_SETTING = "shuangsuiji.audit_prune"

# Keys that must never appear in an entry's detail: the data itself belongs elsewhere.
FORBIDDEN_DETAIL_KEYS = {
    "password",
    "pin",
    "otp",
    "token",
    "secret",
    "id_number",
    "phone",
    "身份证号",
    "联系电话",
}


def mask_personal(text: str) -> str:
    """ID numbers and phones masked as the screens show them (110101********1234)."""
    return pii_mask_text(text)


def _clean_detail(value, path: str = ""):
    if isinstance(value, dict):
        cleaned = {}
        for key, item in value.items():
            key = str(key)
            if key.lower() in FORBIDDEN_DETAIL_KEYS:
                raise ValueError(f"audit detail may not hold personal or secret data ({path}{key})")
            cleaned[key] = _clean_detail(item, f"{path}{key}.")
        return cleaned
    if isinstance(value, list | tuple):
        return [_clean_detail(item, path) for item in value]
    if isinstance(value, str):
        return mask_personal(value)
    if value is None or isinstance(value, bool | int):
        return value
    return mask_personal(str(value))  # dates, decimals, lazy strings: as text, deterministic


def client_address(request) -> str | None:
    """The client's address: the proxy's X-Forwarded-For only when settings trust that many
    proxies (TRUSTED_PROXY_COUNT, docs/deployment.md), else the socket's address."""
    trusted = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if trusted > 0 and forwarded:
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= trusted:
            return hops[-trusted]
    return request.META.get("REMOTE_ADDR") or None


def canonical(event: AuditEvent) -> bytes:
    """The bytes an entry's hash is computed over (docs/audit.md): the previous hash and every
    recorded field, as JSON with sorted keys, no spaces, UTF-8, the time in UTC to the
    microsecond. The row's id is not part of it (a restore may number rows differently)."""
    at = event.at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    data = {
        "prev": event.prev_hash,
        "at": at,
        "user_id": event.user_id,
        "username": event.username,
        "ip": event.ip or "",
        "user_agent": event.user_agent,
        "action": event.action,
        "target_model": event.target_model,
        "target_id": event.target_id,
        "target_repr": event.target_repr,
        "outcome": event.outcome,
        "detail": event.detail,
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def entry_hash(event: AuditEvent) -> str:
    return hashlib.sha256(canonical(event)).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK_KEY])


def audit_record(
    action: str,
    *,
    request=None,
    user=None,
    target=None,
    outcome: str = AuditEvent.Outcome.SUCCESS,
    detail: dict | None = None,
    username: str = "",
    at: datetime.datetime | None = None,
) -> AuditEvent:
    """Append one entry to the audit trail, in the caller's transaction.

    `request` gives the user (unless `user` is given), the address and the user agent; `username`
    names who tried when there is no account (a failed login); `target` is the model instance acted
    on. `detail` is a small JSON object; personal data in it is refused or masked."""
    if action not in AuditEvent.Action.values:
        raise ValueError(f"unknown audit action {action!r}")
    if user is None and request is not None:
        candidate = getattr(request, "user", None)
        if candidate is not None and candidate.is_authenticated:
            user = candidate
    if user is None and request is None and not username:
        # A command run with --user, a job acting for someone; else the system itself.
        user = acting_user() or system_user()
    event = AuditEvent(
        action=action,
        outcome=outcome,
        user_id=user.pk if user is not None else None,
        username=(user.get_username() if user is not None else username)[:150],
        ip=client_address(request) if request is not None else None,
        user_agent=(request.META.get("HTTP_USER_AGENT", "") if request is not None else "")[:300],
        detail=_clean_detail(detail or {}),
    )
    if target is not None:
        event.target_model = target._meta.label_lower
        event.target_id = str(target.pk)[:64]
        event.target_repr = mask_personal(str(target))[:200]
    with transaction.atomic():
        _lock_chain()
        # Taken under the lock: the time is never earlier than the entry before it.
        event.at = at or timezone.now()
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event.prev_hash = last or GENESIS
        event.hash = entry_hash(event)
        event.save(force_insert=True)
    return event


@dataclass
class Break:
    """The first entry where the chain does not hold."""

    event: AuditEvent
    position: int
    reason: str


def _check(event: AuditEvent, position: int, expected: str) -> Break | None:
    if event.prev_hash != expected:
        return Break(
            event, position, _("前一条的哈希不符（链条在此断开：之前的记录被删除、插入或改动）")
        )
    if entry_hash(event) != event.hash:
        return Break(event, position, _("本条哈希不符（本条记录被改动）"))
    return None


def chain_start() -> str:
    """What the first remaining entry must point to: the genesis, or — after an archive pruned
    the oldest entries — the last archived hash, named by the latest archive entry."""
    first = AuditEvent.objects.order_by("id").first()
    if first is None or first.prev_hash == GENESIS:
        return GENESIS
    checkpoints = AuditEvent.objects.filter(
        action=AuditEvent.Action.AUDIT_ARCHIVED, outcome=AuditEvent.Outcome.SUCCESS
    ).order_by("-id")
    for checkpoint in checkpoints.only("detail"):
        if checkpoint.detail.get("last_hash") == first.prev_hash:
            return first.prev_hash
    return GENESIS  # nothing vouches for the missing entries: the first link breaks


def audit_verify() -> tuple[int, Break | None]:
    """Recompute the chain: (entries checked, the first break or None)."""
    checked = 0
    expected = chain_start()
    events = AuditEvent.objects.order_by("id").iterator(chunk_size=2000)
    for checked, event in enumerate(events, start=1):
        brk = _check(event, checked, expected)
        if brk is not None:
            return checked, brk
        expected = event.hash
    return checked, None


def archive_lines(events) -> Iterator[str]:
    """One JSON object per line: the canonical form plus the entry's hash and original id."""
    for event in events:
        data = json.loads(canonical(event))
        data["hash"] = event.hash
        data["id"] = event.pk
        yield json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"


def audit_archive(*, before: datetime.datetime, out_dir: Path, user=None) -> AuditEvent | None:
    """Write the entries older than `before` to `out_dir` and prune them from the database.

    `before` must be at least RETENTION_DAYS ago (the database refuses to delete younger entries
    anyway). The file is written and flushed first; then, in one transaction, the entry naming the
    archive (its file, SHA-256, count and the last archived hash: the new start of the chain) is
    appended and the archived entries deleted. A failure between leaves the entries in place and an
    extra file, never a gap."""
    limit = timezone.now() - datetime.timedelta(days=RETENTION_DAYS)
    if before > limit:
        raise ServiceError(
            _("审计记录至少保存 %(days)s 天：只能归档 %(limit)s 之前的记录。")
            % {"days": RETENTION_DAYS, "limit": timezone.localtime(limit).strftime("%Y-%m-%d")}
        )
    events = AuditEvent.objects.filter(at__lt=before).order_by("id")
    last = events.last()
    if last is None:
        return None
    first = events.first()
    # Only a prefix of the chain may go: the remaining chain then starts at `last.hash`.
    if AuditEvent.objects.filter(id__lt=last.id, at__gte=before).exists():
        raise ServiceError(_("审计记录的时间顺序与链条顺序不一致，无法归档。"))
    count, brk = audit_verify()
    if brk is not None:
        raise ServiceError(
            _("审计链在第 %(position)s 条（编号 %(id)s）断开，归档前请先查明：%(reason)s")
            % {"position": brk.position, "id": brk.event.pk, "reason": brk.reason}
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"audit-{first.pk:010d}-{last.pk:010d}.jsonl"
    path = out_dir / name
    if path.exists():
        raise ServiceError(_("归档文件 %(path)s 已存在。") % {"path": path})
    digest = hashlib.sha256()
    written = 0
    with open(path, "x", encoding="utf-8", newline="\n") as fh:
        for line in archive_lines(events.filter(id__lte=last.id).iterator(chunk_size=2000)):
            fh.write(line)
            digest.update(line.encode())
            written += 1
        fh.flush()
    with transaction.atomic():
        checkpoint = audit_record(
            AuditEvent.Action.AUDIT_ARCHIVED,
            user=user,
            detail={
                "file": name,
                "sha256": digest.hexdigest(),
                "count": written,
                "first_id": first.pk,
                "last_id": last.pk,
                "first_hash": first.hash,
                "last_hash": last.hash,
                "before": before.isoformat(),
            },
        )
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"SET LOCAL {PRUNE_SETTING} = 'on'")
        AuditEvent.objects.filter(id__lte=last.id).delete()
    return checkpoint


@dataclass
class ArchiveCheck:
    count: int = 0
    first_prev: str = ""
    last_hash: str = ""
    error: str | None = None


def archive_verify(path: Path) -> ArchiveCheck:
    """Check an archive file on its own: every line's hash and its link to the line before."""
    check = ArchiveCheck()
    with open(path, encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            try:
                data = json.loads(line)
                stored = data.pop("hash")
                data.pop("id", None)
            except (ValueError, KeyError, AttributeError):
                check.error = _("第 %(line)s 行：不是审计归档记录") % {"line": number}
                return check
            body = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
            if number == 1:
                check.first_prev = data.get("prev", "")
            elif data.get("prev") != check.last_hash:
                check.error = _("第 %(line)s 行：前一条的哈希不符") % {"line": number}
                return check
            if hashlib.sha256(body.encode()).hexdigest() != stored:
                check.error = _("第 %(line)s 行：本条哈希不符") % {"line": number}
                return check
            check.last_hash = stored
            check.count = number
    return check
