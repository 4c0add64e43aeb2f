"""The pools a draw freezes at its announcement (N11, Y3.3): the practising institutions of the
sector, the inspectors eligible on the start date (neighbours' marked as not local) and the
conflicts of interest in force between them, as public entries with their SHA-256."""

from django.db import connection
from django.db.models import Q

from inspections.models import InspectionTask
from registry.models import Conflict, Inspector, Institution, Jurisdiction, Practitioner
from registry.services import institution_risk_current
from tools import verify_draw as algorithm


def _freeze_pools(task: InspectionTask) -> tuple[dict, dict]:
    """Target pool (practising institutions of the sector, by credit code), inspector pool
    (eligible on the start date, by certificate number; neighbours' marked as not local) and the
    conflicts in force that day, as public entries with their SHA-256 (N11, Y3.3)."""
    day = task.starts_on
    jurisdiction_ids = list(task.jurisdictions.values_list("id", flat=True))
    institutions = Institution.objects.practising().filter(
        sector=task.sector, jurisdiction_id__in=jurisdiction_ids
    )
    institution_risk_current(institution_ids=institutions.values("id"))
    rows = institutions.order_by("credit_code").values_list(
        "id", "credit_code", "name", "risk_tier", "jurisdiction__code"
    )
    target_ids, targets = [], []
    for pk, code, name, tier, jurisdiction in rows.iterator(chunk_size=5000):
        target_ids.append(pk)
        targets.append(
            {"credit_code": code, "name": name, "tier": tier, "jurisdiction": jurisdiction}
        )

    neighbours = (
        Jurisdiction.neighbours.through.objects.filter(from_jurisdiction_id__in=jurisdiction_ids)
        .exclude(to_jurisdiction_id__in=jurisdiction_ids)
        .values_list("to_jurisdiction_id", flat=True)
    )
    eligible = Inspector.objects.eligible_on(day, task.sector)
    pool = eligible.filter(
        Q(jurisdiction_id__in=jurisdiction_ids) | Q(jurisdiction_id__in=list(neighbours))
    )
    inspector_rows = pool.order_by("certificate_number").values_list(
        "id", "certificate_number", "name", "jurisdiction_id", "jurisdiction__code"
    )
    inspector_ids, inspectors = [], []
    for pk, cert, name, jid, jcode in inspector_rows:
        inspector_ids.append(pk)
        inspectors.append(
            {
                "certificate": cert,
                "name": name,
                "jurisdiction": jcode,
                "local": jid in jurisdiction_ids,
            }
        )

    if connection.vendor == "postgresql":
        conflict_entries = _conflicts_in_force_sql(target_ids, inspector_ids, day)
    else:
        conflict_entries = _conflicts_in_force(target_ids, inspector_ids, day)
    pools = {
        "targets": {"entries": targets, "sha256": algorithm.sha256(targets)},
        "inspectors": {"entries": inspectors, "sha256": algorithm.sha256(inspectors)},
        "conflicts": {"entries": conflict_entries, "sha256": algorithm.sha256(conflict_entries)},
    }
    return pools, {"targets": target_ids, "inspectors": inspector_ids}


def _conflicts_in_force(target_ids: list[int], inspector_ids: list[int], day) -> list[list]:
    """[[target index, [inspector indices, ascending]], ...] by target index: the conflicts of
    interest in force on `day` between the two pools (N11). A conflict with a practitioner binds
    the practitioner's (current) institution too."""
    target_index = {pk: i for i, pk in enumerate(target_ids)}
    inspector_index = {pk: i for i, pk in enumerate(inspector_ids)}
    conflicts: dict[int, set[int]] = {}
    in_force = (
        Conflict.objects.filter(inspector_id__in=inspector_ids)
        .filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )
        # No ORDER BY: the model's default ordering joins inspectors and institutions only to
        # sort 200,000 rows on disk, and the entries are sorted below anyway.
        .order_by()
        .values_list("inspector_id", "institution_id", "practitioner__institution_id")
    )
    for inspector_id, institution_id, practitioner_institution_id in in_force.iterator(
        chunk_size=20000
    ):
        inspector = inspector_index[inspector_id]
        for target in (
            target_index.get(institution_id),
            target_index.get(practitioner_institution_id),
        ):
            if target is not None:
                conflicts.setdefault(target, set()).add(inspector)
    return [[t, sorted(xs)] for t, xs in sorted(conflicts.items())]


# The same as _conflicts_in_force, computed by PostgreSQL: the pools go in as two arrays (their
# positions are the indices), and 40,000 grouped rows come back instead of 200,000 pairs.
CONFLICTS_SQL = """
SELECT t.i - 1, array_agg(DISTINCT p.i - 1 ORDER BY p.i - 1)
FROM (
    SELECT c.inspector_id, c.institution_id AS target FROM {conflict} c
    WHERE c.institution_id IS NOT NULL {in_force}
    UNION ALL
    SELECT c.inspector_id, pr.institution_id FROM {conflict} c
    JOIN {practitioner} pr ON pr.id = c.practitioner_id
    WHERE TRUE {in_force}
) c
JOIN unnest(%(targets)s::bigint[]) WITH ORDINALITY AS t(id, i) ON t.id = c.target
JOIN unnest(%(inspectors)s::bigint[]) WITH ORDINALITY AS p(id, i) ON p.id = c.inspector_id
GROUP BY t.i
ORDER BY t.i
""".format(
    conflict=Conflict._meta.db_table,
    practitioner=Practitioner._meta.db_table,
    in_force="AND (c.valid_from IS NULL OR c.valid_from <= %(day)s)"
    " AND (c.valid_to IS NULL OR c.valid_to >= %(day)s)",
)


def _conflicts_in_force_sql(target_ids: list[int], inspector_ids: list[int], day) -> list[list]:
    with connection.cursor() as cursor:
        # The row estimates of unnest() are poor; JIT compiling for them costs more than the
        # query, and the grouping fits in memory. Both only for this transaction.
        cursor.execute("SET LOCAL jit = off")
        cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(
            CONFLICTS_SQL, {"targets": target_ids, "inspectors": inspector_ids, "day": day}
        )
        return [[t, xs] for t, xs in cursor.fetchall()]
