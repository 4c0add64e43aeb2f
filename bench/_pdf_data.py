"""The data of bench/pdf.py (docs/performance.md): inspections of one task, each with a submitted
check record of 12 items, 4 photos (12-megapixel JPEGs of about 3–4 MB, made with Pillow from
gradients, shapes and noise so a codec treats them as photos) and three signatures (two
inspectors', the representative's)."""

import datetime as dt
import hashlib
import io
import random

from _common import credit_code, timed

ITEMS, PHOTOS_PER_RECORD, DISTINCT_PHOTOS = 12, 4, 8
PHOTO_SIZE = (4000, 3000)  # 12 megapixels, a tablet's camera
SEED = 20260408


def photo(seed: int) -> bytes:
    """A 12-megapixel JPEG of 3–4 MB: smooth gradients and shapes (cheap to code) under sensor-like
    noise (what makes real photos big)."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    small = (PHOTO_SIZE[0] // 8, PHOTO_SIZE[1] // 8)
    channels = [
        Image.linear_gradient("L").rotate(rng.randint(0, 359)).resize(small) for _c in range(3)
    ]
    image = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(image)
    for _i in range(40):
        x, y = rng.randrange(small[0]), rng.randrange(small[1])
        colour = tuple(rng.randrange(256) for _c in range(3))
        draw.ellipse([x, y, x + rng.randrange(10, 120), y + rng.randrange(10, 90)], fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(3)).resize(PHOTO_SIZE, Image.Resampling.BICUBIC)
    noise = Image.merge("RGB", [Image.effect_noise(PHOTO_SIZE, 36) for _c in range(3)])
    image = Image.blend(image, noise, 0.25)  # about 3.3 MB at quality 90
    out = io.BytesIO()
    image.save(out, "JPEG", quality=90)
    return out.getvalue()


def signature(seed: int) -> bytes:
    from PIL import Image, ImageDraw

    rng = random.Random(seed)
    image = Image.new("RGBA", (900, 300), (0, 0, 0, 0))
    points = [(60 + i * 40, 150 + rng.randint(-90, 90)) for i in range(20)]
    ImageDraw.Draw(image).line(points, fill=(10, 10, 60, 255), width=9, joint="curve")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def generate(n_records: int, n_photos: int = DISTINCT_PHOTOS) -> list[int]:
    """`n_records` inspections of one task, each with a submitted 12-item record, 4 photos (the
    `n_photos` distinct photo files shared round-robin), 3 signatures. Returns the record ids."""
    from django.contrib.auth import get_user_model
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from inspections.models import (
        CheckRecord,
        CheckRecordItem,
        Evidence,
        Inspection,
        InspectionMember,
        InspectionTask,
        Signature,
    )
    from registry.models import CheckItem, Inspector, Institution, Jurisdiction, Method, Sector

    user = get_user_model().objects.create_user("bench-inspector", is_staff=True)
    lawyer = Sector.objects.get(code=Sector.Code.LAWYER)
    home = Jurisdiction.objects.create(code="500103", name="渝中区", level="county")
    items = CheckItem.objects.bulk_create(
        CheckItem(
            sector=lawyer,
            code=f"LS-{k:02d}",
            name=f"律师事务所执业活动检查事项{k}：内部管理制度与执业行为规范落实情况",
            content="查阅制度文本、业务卷宗、收费票据，询问负责人。",
            legal_basis=f"《中华人民共和国律师法》第{20 + k}条",
            organizing_body="重庆市渝中区司法局",
            methods=["on_site"],
            default_ratio=5,
            order=k,
        )
        for k in range(1, ITEMS + 1)
    )
    inspectors = Inspector.objects.bulk_create(
        Inspector(
            name=f"检查员{j}",
            certificate_number=f"50010300{j:04d}",
            certificate_valid_to=dt.date(2030, 12, 31),
            jurisdiction=home,
        )
        for j in range(1, 5)
    )
    task = InspectionTask.objects.create(
        name="2026 年律师事务所专项检查（基准）",
        kind=InspectionTask.Kind.SPECIAL,
        sector=lawyer,
        starts_on=dt.date(2026, 4, 1),
        ends_on=dt.date(2026, 4, 30),
        status=InspectionTask.Status.APPROVED,
    )
    task.jurisdictions.add(home)

    with timed(f"{n_photos} photos {PHOTO_SIZE[0]}×{PHOTO_SIZE[1]} generated"):
        photos = []
        for seed in range(n_photos):
            data = photo(SEED + seed)
            name = default_storage.save(f"evidence/bench/photo-{seed}.jpg", io.BytesIO(data))
            photos.append((name, len(data), hashlib.sha256(data).hexdigest()))
    sizes = [size / 2**20 for _name, size, _sha in photos]
    print(f"  photo sizes: {min(sizes):.1f}–{max(sizes):.1f} MiB", flush=True)
    signatures = []
    for seed in range(3):
        data = signature(seed)
        name = default_storage.save(f"signatures/bench/signature-{seed}.png", io.BytesIO(data))
        signatures.append((name, hashlib.sha256(data).hexdigest()))

    finding = (
        "该所已建立收案登记、利益冲突审查、收费管理、档案管理等内部管理制度，但抽查的 12 件卷宗中有 3 件"
        "未附委托代理合同原件，2 件收费票据与合同约定金额不一致。"
    )
    now = timezone.now()
    with timed(f"{n_records} records with their items, evidence and signatures"):
        institutions = Institution.objects.bulk_create(
            Institution(
                sector=lawyer,
                jurisdiction=home,
                name=f"重庆基准测试{i}律师事务所",
                credit_code=credit_code(i),
                address=f"重庆市渝中区民族路{i}号",
                person_in_charge=f"负责人{i}",
            )
            for i in range(1, n_records + 1)
        )
        inspections = Inspection.objects.bulk_create(
            Inspection(task=task, institution=i, status=Inspection.Status.SUBMITTED)
            for i in institutions
        )
        InspectionMember.objects.bulk_create(
            InspectionMember(inspection=x, inspector=inspectors[(n + p) % 4], position=p + 1)
            for n, x in enumerate(inspections)
            for p in range(2)
        )
        # Drafts: a submitted record's PDF is rendered once and then never again (issue 12 §1),
        # so repeated measurements render drafts — the same work (snapshot built from the
        # database, HTML, WeasyPrint, store), plus the draft's fingerprint check under the lock.
        # The fields of tests/inspections/pdf_data.py's records, kept apart: made in bulk here,
        # and with the texts the figures of docs/performance.md were measured on.
        records = CheckRecord.objects.bulk_create(
            CheckRecord(
                inspection=x,
                inspected_on=dt.date(2026, 4, 8),
                place=x.institution.address,
                certificates_shown=True,
                rights_told=True,
                statement="对检查发现的问题无异议。",
                questions="问：是否建立利益冲突审查制度？\n答：已建立。",
                representative_name="张主任",
                representative_title="主任",
                summary="现场检查制度、卷宗和票据。",
                created_by=user,
            )
            for x in inspections
        )
        rows = CheckRecordItem.objects.bulk_create(
            CheckRecordItem(
                record=r,
                check_item=item,
                order=k,
                outcome="problem" if k == 1 else "compliant",
                finding=finding if k == 1 else "符合要求，未发现问题。",
                method=Method.ON_SITE,
            )
            for r in records
            for k, item in enumerate(items, start=1)
        )
        first_rows = rows[::ITEMS]
        Evidence.objects.bulk_create(
            Evidence(
                record=r,
                item=first_rows[n] if p < 2 else None,
                file=photos[(n + p) % n_photos][0],
                original_name=f"现场照片{p + 1}.jpg",
                content_type="image/jpeg",
                size=photos[(n + p) % n_photos][1],
                sha256=photos[(n + p) % n_photos][2],
                uploaded_by=user,
            )
            for n, r in enumerate(records)
            for p in range(PHOTOS_PER_RECORD)
        )
        Signature.objects.bulk_create(
            Signature(
                record=r,
                role="inspector" if s < 2 else "representative",
                inspector=(inspectors[(n + s) % 4] if s < 2 else None),
                name=(inspectors[(n + s) % 4].name if s < 2 else "张主任"),
                image=signatures[s][0],
                sha256=signatures[s][1],
                signed_at=now,
            )
            for n, r in enumerate(records)
            for s in range(3)
        )
    return [r.pk for r in records]
