"""The published draw documents (RFC 3797 publication, N10–N12): UTF-8 JSON as draw_document makes
them, each executed one verifying with tools/verify_draw.py, in process and as the downloaded file
run by a citizen; the index of their URLs; `manage.py verify_draw`."""

import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from inspections.services.draws import draw_document
from registry.models import Inspector
from tests.inspections.conftest import VERIFIER_OK, mismatches
from tests.inspections.public_pages import body, draws, get
from tests.inspections.public_pages import on_sources_day as on_sources_day  # a fixture
from tests.inspections.public_pages import world as world  # a fixture
from tools import verify_draw as algorithm

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_sources_day")]


class TestDrawDocuments:
    def test_document_is_draw_document_as_utf8_json(self, client, world):
        draw = world["redraw"]
        response = get(client, reverse("inspections:draw_json", args=[draw.pk]))
        assert response["Content-Type"] == "application/json; charset=utf-8"
        assert response["Content-Disposition"] == f"inline; filename=draw-{draw.pk}.json"
        raw = body(response)
        assert "双色球".encode() in raw  # ensure_ascii=False
        assert json.loads(raw) == json.loads(json.dumps(draw_document(draw)))

    def test_every_executed_document_verifies(self, client, world):
        for draw in draws(world):
            doc = json.loads(body(get(client, reverse("inspections:draw_json", args=[draw.pk]))))
            if draw.is_executed:
                assert algorithm.verify(doc) == [], draw
            else:
                assert doc["result"] is None
                assert all("values" not in s for s in doc["sources"])

    def test_the_downloaded_verifier_on_a_saved_copy(self, client, world, tmp_path: Path):
        verifier = get(client, reverse("inspections:verifier_download"))
        assert verifier["Content-Type"] == "text/x-python; charset=utf-8"
        assert 'filename="verify_draw.py"' in verifier["Content-Disposition"]
        code = body(verifier)
        assert code == Path(algorithm.__file__).read_bytes()
        (tmp_path / "verify_draw.py").write_bytes(code)
        draw = world["redraw"]
        saved = tmp_path / f"draw-{draw.pk}.json"
        saved.write_bytes(body(get(client, reverse("inspections:draw_json", args=[draw.pk]))))

        def run(path: Path) -> subprocess.CompletedProcess:
            return subprocess.run(
                [sys.executable, "-I", str(tmp_path / "verify_draw.py"), str(path)],
                capture_output=True,
                text=True,
                cwd=tmp_path,
                timeout=60,
            )

        ok = run(saved)
        assert (ok.returncode, ok.stdout.strip()) == (0, VERIFIER_OK), ok.stderr
        doc = json.loads(saved.read_text(encoding="utf-8"))
        doc["result"]["selections"][0]["digest"] = "0" * 32
        tampered = tmp_path / "tampered.json"
        tampered.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        bad = run(tampered)
        assert bad.returncode == 1 and mismatches(bad.stdout)

    def test_index_lists_urls_that_resolve(self, client, world):
        response = get(client, reverse("inspections:draw_list_json"))
        assert response["Content-Type"] == "application/json; charset=utf-8"
        index = json.loads(response.content)
        rows = {row["id"]: row for row in index["draws"]}
        assert set(rows) == {d.pk for d in draws(world)}
        assert rows[world["first"].pk]["superseded"] is True
        assert rows[world["redraw"].pk]["superseded"] is False
        assert rows[world["immediate"].pk]["verifiable"] is False
        assert rows[world["announced"].pk]["status"] == "announced"
        assert rows[world["announced"].pk]["executed_at"] is None
        for row in index["draws"]:
            url = urlsplit(row["url"])
            assert url.scheme in ("http", "https") and url.netloc
            doc = json.loads(body(get(client, url.path)))
            assert doc["id"] == row["id"]
            assert row["task"] == doc["task"]["name"]
            get(client, urlsplit(row["page"]).path)

    def test_document_is_one_query(self, client, world, django_assert_max_num_queries):
        with django_assert_max_num_queries(1):
            body(get(client, reverse("inspections:draw_json", args=[world["redraw"].pk])))


class TestVerifyDrawCommand:
    def test_ok(self, world, capsys):
        for key in ("first", "redraw", "immediate"):
            call_command("verify_draw", str(world[key].pk))
            assert capsys.readouterr().out.strip() == VERIFIER_OK

    def test_not_executed_exits_1(self, world):
        with pytest.raises(CommandError) as raised:
            call_command("verify_draw", str(world["announced"].pk))
        assert raised.value.returncode == 1
        assert "尚未执行" in str(raised.value)

    def test_unknown_id_exits_2(self, world):
        with pytest.raises(CommandError) as raised:
            call_command("verify_draw", "999999")
        assert raised.value.returncode == 2
        assert "不存在" in str(raised.value)

    def test_rows_that_disagree_with_the_result_are_a_mismatch(self, world, capsys):
        """The page names teams from the rows: a changed certificate number is caught."""
        draw = world["redraw"]
        certificate = draw.result["teams"][0]["members"][0]["certificate"]
        Inspector.objects.filter(certificate_number=certificate).update(
            certificate_number="999999999999"
        )
        with pytest.raises(SystemExit) as raised:
            call_command("verify_draw", str(draw.pk))
        assert raised.value.code == 1
        out = capsys.readouterr().out
        ((zh, en),) = mismatches(out)
        assert "999999999999" in zh and "999999999999" in en
