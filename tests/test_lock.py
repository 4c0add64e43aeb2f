"""Dependencies locked with hashes (issue 14 §5; GB/T 22239-2019 8.1.4 入侵防范, software
integrity): requirements.lock (the image) and requirements-dev.lock (developers and CI) pin exactly
what pyproject.toml pins, every package with the SHA-256 of its files; the Dockerfile, the Makefile
and CI install from them with hash checking. A pin changed in pyproject.toml without `make lock`
fails here."""

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
RUNTIME = PYPROJECT["dependencies"]
DEV = PYPROJECT["optional-dependencies"]["dev"]


def locked(name: str) -> dict[str, tuple[str, list[str]]]:
    """{package: (version, hashes)} of a lock file, as pip reads it."""
    text = (ROOT / name).read_text(encoding="utf-8")
    entries = {}
    for block in re.split(r"\n(?=[A-Za-z0-9])", text):
        match = re.match(r"([A-Za-z0-9_.\-\[\]]+)==([^\s;\\]+)", block)
        if match:
            package = canonicalize_name(match.group(1).split("[")[0])
            entries[package] = (match.group(2), re.findall(r"--hash=sha256:([0-9a-f]{64})", block))
    return entries


def pins(requirements: list[str]) -> dict[str, str]:
    result = {}
    for line in requirements:
        requirement = Requirement(line)
        (specifier,) = requirement.specifier  # one exact pin each (house style)
        assert specifier.operator == "==", line
        result[canonicalize_name(requirement.name)] = specifier.version
    return result


@pytest.mark.parametrize(
    ("lock", "requirements"),
    [("requirements.lock", RUNTIME), ("requirements-dev.lock", RUNTIME + DEV)],
)
def test_the_lock_pins_exactly_what_pyproject_pins(lock, requirements):
    entries = locked(lock)
    for package, version in pins(requirements).items():
        assert package in entries, f"{package} is in pyproject.toml but not in {lock}: make lock"
        assert entries[package][0] == version, (
            f"{lock} pins {package}=={entries[package][0]}, pyproject.toml {version}: make lock"
        )


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_every_locked_package_carries_its_hashes(lock):
    entries = locked(lock)
    assert len(entries) > len(RUNTIME)  # the dependencies' dependencies too
    assert [package for package, (_v, hashes) in entries.items() if not hashes] == []


def test_the_image_lock_holds_no_development_tool_and_agrees_with_the_dev_lock():
    runtime, dev = locked("requirements.lock"), locked("requirements-dev.lock")
    for package in pins(DEV):
        assert package not in runtime, f"{package} (a development tool) in the image"
    assert {p: v for p, (v, _h) in runtime.items()} == {
        p: v for p, (v, _h) in dev.items() if p in runtime
    }


def test_the_image_the_make_targets_and_ci_install_from_the_locks():
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "pip install --require-hashes --no-deps -r requirements.lock" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    assert "pip install ." not in dockerfile.replace("pip install --no-deps .", "")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "--require-hashes -r requirements-dev.lock" in makefile
    assert '".[dev]"' not in makefile
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci  # whose `venv` prerequisite is the Makefile's locked install
