"""The project's catalogues (locale/): complete, compilable and in step with the code.

`locale/en` translates every string; `locale/zh_Hans` is the identity catalogue (msgstr = msgid).
A string added to the code without regenerating the catalogues, an entry left empty or *fuzzy*
(never compiled: the screen would show the Chinese source, or the old guess), fails here. The fix is
the command of CONTRIBUTING.md's "Translations" section, then translating what it adds."""

import ast
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = ["en", "zh_Hans"]
# As CONTRIBUTING.md's makemessages command: the virtualenv, Django's own strings (locale-django/,
# see its README) and the tests (which call gettext on Django's strings) are not the project's.
IGNORED = [".venv", "locale-django", "tests"]
NOT_SOURCES = {"locale", "var", "node_modules"}  # catalogues, runtime data: no strings to mark
EXTENSIONS = {".py", ".html", ".txt"}  # makemessages' defaults
CJK = re.compile("[\u4e00-\u9fff]")
REGENERATE = (
    ".venv/bin/python manage.py makemessages -l zh_Hans -l en --ignore=.venv "
    "--ignore=locale-django --ignore=tests"
)


def read_po(path: Path) -> list[dict]:
    """The live entries of a PO file (obsolete `#~` ones left out): msgid, msgid_plural (or None),
    msgstr (a list: one form, or the plural forms in order) and flags."""
    entries = []
    for block in re.split(r"\n[ \t]*\n", path.read_text(encoding="utf-8").strip()):
        lines = block.splitlines()
        if any(line.startswith("#~") for line in lines):
            continue
        fields: dict[str, str] = {}
        flags: set[str] = set()
        key = None
        for line in lines:
            if line.startswith("#,"):
                flags.update(flag.strip() for flag in line[2:].split(","))
            elif line.startswith("#") or not line.strip():
                continue
            elif line.startswith('"'):
                fields[key] += ast.literal_eval(line)
            else:
                key, _space, value = line.partition(" ")
                fields[key] = ast.literal_eval(value)
        forms = sorted(k for k in fields if k.startswith("msgstr["))
        entries.append(
            {
                "msgid": fields["msgid"],
                "msgid_plural": fields.get("msgid_plural"),
                "msgstr": [fields[k] for k in forms] if forms else [fields.get("msgstr", "")],
                "flags": flags,
            }
        )
    return entries


def catalogue(language: str) -> list[dict]:
    return read_po(LOCALE / language / "LC_MESSAGES" / "django.po")


def listing(msgids) -> str:
    msgids = sorted(msgids)
    shown = "\n  ".join(repr(m) for m in msgids[:15])
    more = f"\n  … and {len(msgids) - 15} more" if len(msgids) > 15 else ""
    return f"{len(msgids)} entries:\n  {shown}{more}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_entry_is_translated_and_none_is_fuzzy(language):
    entries = catalogue(language)
    untranslated = [e["msgid"] for e in entries[1:] if not all(e["msgstr"])]
    fuzzy = [e["msgid"] or "(header)" for e in entries if "fuzzy" in e["flags"]]
    assert not untranslated, f"untranslated in locale/{language}: {listing(untranslated)}"
    assert not fuzzy, f"fuzzy (never compiled) in locale/{language}: {listing(fuzzy)}"


def test_the_chinese_catalogue_is_the_identity():
    # nplurals=1: one form, the plural source. Django's own (English) msgids used by the templates,
    # such as "Home", keep their Chinese translation.
    wrong = [
        e["msgid"]
        for e in catalogue("zh_Hans")[1:]
        if CJK.search(e["msgid"]) and e["msgstr"] != [e["msgid_plural"] or e["msgid"]]
    ]
    assert not wrong, f"msgstr differs from msgid in locale/zh_Hans: {listing(wrong)}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogues_compile_with_their_placeholders(language):
    if shutil.which("msgfmt") is None:
        pytest.skip("GNU gettext (msgfmt) is not installed")
    path = LOCALE / language / "LC_MESSAGES" / "django.po"
    result = subprocess.run(
        ["msgfmt", "-c", "--check-format", "-o", "/dev/null", str(path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr


def _copy_sources(target: Path) -> None:
    """The files makemessages reads, as the project's command sees them."""
    root = Path(settings.BASE_DIR)

    def ignore(directory, names):
        top = Path(directory) == root
        return [
            name
            for name in names
            if name.startswith(".")
            or name in IGNORED
            or (top and name in NOT_SOURCES)
            or (Path(directory, name).is_file() and Path(name).suffix not in EXTENSIONS)
        ]

    shutil.copytree(root, target, ignore=ignore, symlinks=True)


def test_the_catalogues_hold_every_string_of_the_code(tmp_path, monkeypatch):
    missing_tools = [t for t in ("xgettext", "msguniq", "msgmerge") if shutil.which(t) is None]
    if missing_tools:
        pytest.skip(f"GNU gettext ({', '.join(missing_tools)}) is not installed")
    sources = tmp_path / "src"
    _copy_sources(sources)
    (sources / "locale").mkdir()
    monkeypatch.chdir(sources)
    # LOCALE_PATHS empty: makemessages writes to ./locale of the copy, never to the project's.
    with override_settings(LOCALE_PATHS=[]):
        call_command("makemessages", locale=["en"], ignore_patterns=IGNORED, verbosity=0)
    fresh = {
        (e["msgid"], e["msgid_plural"])
        for e in read_po(sources / "locale" / "en" / "LC_MESSAGES" / "django.po")[1:]
    }
    assert len(fresh) > 1000  # the copy held the sources
    for language in LANGUAGES:
        held = {(e["msgid"], e["msgid_plural"]) for e in catalogue(language)[1:]}
        missing = {msgid for msgid, _plural in fresh - held}
        gone = {msgid for msgid, _plural in held - fresh}
        assert not missing, (
            f"marked for translation in the code but missing from locale/{language} (run "
            f"`{REGENERATE}`, then translate): {listing(missing)}"
        )
        assert not gone, (
            f"in locale/{language} but no longer in the code (run `{REGENERATE}`): {listing(gone)}"
        )
