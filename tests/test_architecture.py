"""The floors hold (issue 13, docs/architecture.md): the contract in pyproject.toml is kept, the
picture in the documentation is the contract's, the import graph has no circle, and an import
that breaks a floor — even one inside a function — fails the check with its line."""

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parents[1]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
CONTRACTS = {c["id"]: c for c in CONFIG["contracts"]}
APPS = [p for p in CONFIG["root_packages"] if p not in ("config", "tools")]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=cwd,
        env={"PYTHONPATH": str(cwd), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_the_contract_is_kept():
    done = lint_imports(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in done.stdout


def test_the_picture_is_the_contract():
    """docs/architecture.md draws the floors top to bottom; they are the contract's layers."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    picture = text.split("<!-- floors:")[1].split("<!-- /floors -->")[0]
    drawn = re.findall(r"^│ ([a-z]+)\s+│", picture, re.MULTILINE)
    layers = [layer for layer in CONTRACTS["floors"]["layers"] if layer in APPS]
    assert drawn == layers
    assert set(drawn) == set(APPS)


def test_no_circle_in_the_import_graph():
    """No module reaches itself through its imports (also inside functions): the circles the
    issue found (draws → publication log → reports → archive → draws; core.deadlines ↔
    core.tasks; publication.feed ↔ publication.tasks) stay gone."""
    graph = grimp.build_graph(*CONFIG["root_packages"], cache_dir=None)
    modules = {m for m in graph.modules if ".migrations" not in m}
    circles = []
    for module in sorted(modules):
        for imported in graph.find_modules_directly_imported_by(module) & modules:
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back and not any(".migrations" in m for m in back):
                circles.append(" → ".join((module, *back)))
    assert circles == []


def test_an_upward_import_fails_the_check_with_its_line(tmp_path):
    """In a copy of the project, the registry reaches up to publication inside a function (the
    way registry/imports/engine.py once did): the check fails and names file and line."""
    for package in CONFIG["root_packages"]:
        shutil.copytree(
            ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__")
        )
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    services = tmp_path / "registry" / "services.py"
    source = services.read_text()
    services.write_text(source + "\n\ndef _publish():\n    from publication import models\n")
    line = source.count("\n") + 4

    done = lint_imports(tmp_path)

    assert done.returncode == 1
    assert "registry is not allowed to import publication" in done.stdout
    assert f"registry.services -> publication.models (l.{line})" in done.stdout


# What an app offers the others (issue 13 §4): callers import from the app, not from deep files.
# core is the ground floor's toolbox; every module of it is offered.
OFFERED = {
    "registry": {"models", "services", "selectors", "validators", "imports"},
    "inspections": {"models", "services", "selectors"},
    "publication": {"models", "services", "selectors"},
}


def test_other_apps_import_only_what_an_app_offers():
    graph = grimp.build_graph(*CONFIG["root_packages"], cache_dir=None)
    deep = []
    for module in sorted(graph.modules):
        app = module.split(".")[0]
        if app == "config" or ".migrations" in module:
            continue
        for imported in sorted(graph.find_modules_directly_imported_by(module)):
            other, _, rest = imported.partition(".")
            if other != app and other in OFFERED and rest and rest not in OFFERED[other]:
                deep.append(f"{module} -> {imported}")
    assert deep == []
