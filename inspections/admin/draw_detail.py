"""What the draw's pages show, computed from the published announcement and result only (the
record nobody can change): the sources, pools and strata, each target's team with the candidates
passed over and why, and before announcing the entropy estimate (RFC 3797 §5)."""

from collections import Counter
from decimal import Decimal

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inspections.models import Draw, InspectionTask
from inspections.services.draws import MINIMUM_PERCENT
from inspections.services.draws import entropy_estimate as estimate_bits
from inspections.services.sources import SOURCE_KINDS, draw_timing_problems
from registry.models import Institution, RiskTier
from tools import verify_draw as algorithm

STRATUM_LABELS = dict(RiskTier.choices)
# Why a candidate in a target's ranking did not join its team (TeamBuilder.greedy).
OUTCOMES = {
    "conflict": _("利害关系回避"),
    "load": _("已达工作量上限"),
    "already": _("已在本组"),
}
POOLS = {"local": _("本辖区"), "borrow": _("相邻辖区")}
PHASES = {1: "", 2: _("借调阶段"), 3: _("放宽工作量上限")}


def source_bits(source: dict) -> float:
    known = SOURCE_KINDS.get(source.get("kind"))
    return known["bits"] if known else float(source.get("entropy_bits") or 0)


def entropy_preview(task: InspectionTask, sources: list[dict]) -> dict:
    """RFC 3797 §5 before announcing: the bits the named sources carry against log2 C(pool, picks),
    with the pool and strata as the registry stands now (the announcement freezes them)."""
    institutions = Institution.objects.practising().filter(
        sector=task.sector, jurisdiction__in=task.jurisdictions.all()
    )
    sizes = dict.fromkeys(algorithm.STRATA, 0)
    sizes.update(Counter(institutions.values_list("risk_tier", flat=True)))
    ratios = {k: format(Decimal(v).normalize(), "f") for k, v in task.ratios.items()}
    planned = algorithm.stratum_counts(sizes, ratios, MINIMUM_PERCENT)
    pool, picks = sum(sizes.values()), sum(planned.values())
    sources = [{"name": s["name"], "entropy_bits": round(source_bits(s), 1)} for s in sources]
    return {
        **estimate_bits(sources, pool, picks),
        "pool": pool,
        "picks": picks,
        "sources": sources,
        "strata": [
            {"label": STRATUM_LABELS[s], "size": sizes[s], "planned": planned[s]}
            for s in algorithm.STRATA
        ],
    }


def draw_detail(draw: Draw) -> dict:
    """Everything the detail page shows, from the published announcement and result."""
    ann = draw.announcement
    values = draw.source_values or []
    sources = [
        {
            **s,
            "label": SOURCE_KINDS[s["kind"]]["label"] if s.get("kind") in SOURCE_KINDS else "",
            "values": " ".join(str(v) for v in values[i]) if i < len(values) else "",
        }
        for i, s in enumerate(ann["sources"])
    ]
    pools = [
        {"label": label, "size": len(ann["pools"][name]["entries"]), **ann["pools"][name]}
        for name, label in (
            ("targets", gettext("检查对象")),
            ("inspectors", gettext("执法检查人员")),
            ("conflicts", gettext("利害关系（回避）")),
        )
    ]
    strata = [
        {"label": STRATUM_LABELS.get(s["code"], s["code"]), **s} for s in ann.get("strata", [])
    ]
    estimate = None
    if ann.get("entropy"):
        estimate = {
            **ann["entropy"],
            "pool": pools[0]["size"],
            "picks": sum(s.get("planned", 0) for s in ann.get("strata", [])),
            "sources": [{"name": s["name"], "entropy_bits": s["entropy_bits"]} for s in sources],
        }
    detail = {
        "ann": ann,
        "sources": sources,
        "pools": pools,
        "strata": strata,
        "estimate": estimate,
        "targets": [],
        "stage": None,
        "timing": draw_timing_problems(sources=ann["sources"], draw=draw),
    }
    if draw.result:
        detail.update(_result_detail(ann, draw.result))
    return detail


def _result_detail(ann: dict, result: dict) -> dict:
    targets = {t["credit_code"]: t for t in ann["pools"]["targets"]["entries"]}
    inspectors = {i["certificate"]: i for i in ann["pools"]["inspectors"]["entries"]}
    teams = {team["credit_code"]: team for team in result["teams"]}

    def person(certificate: str) -> dict:
        entry = inspectors.get(certificate, {})
        return {
            "certificate": certificate,
            "name": entry.get("name", ""),
            "jurisdiction": entry.get("jurisdiction", ""),
        }

    rows = []
    for order, selection in enumerate(result["selections"], start=1):
        code = selection["credit_code"]
        team = teams.get(code, {"members": [], "steps": [], "excluded_for_conflict": []})
        rows.append(
            {
                "order": order,
                "credit_code": code,
                "name": targets.get(code, {}).get("name", ""),
                "stratum": STRATUM_LABELS.get(selection["stratum"], selection["stratum"]),
                "pick": selection["pick"],
                "remaining": selection["remaining"],
                "digest": selection["digest"],
                "members": [
                    {**person(m["certificate"]), "borrowed": m["borrowed"]} for m in team["members"]
                ],
                "skipped": [
                    {
                        **person(step["certificate"]),
                        "reason": OUTCOMES.get(step["outcome"], step["outcome"]),
                        "outcome": step["outcome"],
                        "pool": POOLS.get(step["pool"], step["pool"]),
                        "phase": PHASES.get(step["phase"], ""),
                        "pick": step["pick"],
                        "digest": step["digest"],
                    }
                    for step in team["steps"]
                    if step["outcome"] != "accepted"
                ],
                "conflicts": len(team["excluded_for_conflict"]),
            }
        )
    stage = result.get("stages", {}).get("jurisdictions")
    return {
        "targets": rows,
        "stage": stage,
        "result_strata": [
            {"label": STRATUM_LABELS.get(s["code"], s["code"]), **s} for s in result["strata"]
        ],
        "load_cap": result.get("load_cap"),
        "load_cap_relaxed": result.get("load_cap_relaxed"),
        "key": result.get("key"),
    }
