"""The public pages of draws (N10–N12, RFC 3797 publication): anonymous, Chinese, without personal
data, with bounded queries; the list, and each draw's page with its announcement, result, teams
and what it does not list.

The plans' pages: test_public_plans.py; the draw documents and the verifier:
test_public_draw_documents.py."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inspections import selectors
from inspections.services.draws import draw_execute
from registry.models import Inspector, Institution
from tests.factories import InspectorFactory, InstitutionFactory, JurisdictionFactory
from tests.inspections.public_pages import (
    SCRIPT_NAME,
    SOURCES,
    VALUES,
    announce,
    approved_task,
    body,
    draws,
    get,
    make_plan,
    page,
    public_urls,
)
from tests.inspections.public_pages import on_sources_day as on_sources_day  # a fixture
from tests.inspections.public_pages import world as world  # a fixture
from tests.pii_shapes import personal_shapes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_sources_day")]


class TestAnonymousAccess:
    def test_every_page_answers_anonymously(self, client, world):
        for url in public_urls(world):
            get(client, url)

    def test_html_pages_are_chinese_and_link_from_the_navigation(self, client, world):
        home = page(client, reverse("registry:home"))
        assert reverse("inspections:plan_list") in home
        assert reverse("inspections:draw_list") in home
        detail = page(client, reverse("inspections:draw_detail", args=[world["redraw"].pk]))
        assert 'lang="zh-hans"' in detail
        assert "如何验证" in detail

    def test_drafts_and_unknown_ids_are_404(self, client, world):
        draft = world["draft"]
        get(client, reverse("inspections:plan_detail", args=[draft.pk]), status=404)
        assert draft.title not in page(client, reverse("inspections:plan_list"))
        missing = max(d.pk for d in draws(world)) + 1
        get(client, reverse("inspections:draw_detail", args=[missing]), status=404)
        get(client, reverse("inspections:draw_json", args=[missing]), status=404)


class TestDrawList:
    def test_lists_every_draw_with_its_labels_and_links(self, client, world):
        text = page(client, reverse("inspections:draw_list"))
        for draw in draws(world):
            assert reverse("inspections:draw_detail", args=[draw.pk]) in text
            assert reverse("inspections:draw_json", args=[draw.pk]) in text
        assert text.count("已被重新抽取取代") == 1
        assert text.count("不可公开验证") == 1
        assert "已公告，待抽取" in text
        # Newest first.
        positions = [
            text.index(reverse("inspections:draw_detail", args=[d.pk])) for d in draws(world)
        ]
        assert positions == sorted(positions, reverse=True)

    def test_query_count(self, client, world, django_assert_max_num_queries):
        with django_assert_max_num_queries(2):
            page(client, reverse("inspections:draw_list"))
        with django_assert_max_num_queries(1):
            get(client, reverse("inspections:draw_list_json"))


class TestDrawPage:
    def test_announcement_and_result(self, client, world):
        draw = world["redraw"]
        text = page(client, reverse("inspections:draw_detail", args=[draw.pk]))
        announcement = draw.announcement
        for source in announcement["sources"]:
            assert source["name"] in text and source["date"] in text
        assert "中国福利彩票“双色球”开奖号码" in text  # how it is read
        assert announcement["missing_source_rule"] in text
        entropy = announcement["entropy"]
        assert f"{entropy['sources_bits']} 比特" in text and str(entropy["needed_bits"]) in text
        for pool in ("targets", "inspectors", "conflicts"):
            assert announcement["pools"][pool]["sha256"] in text
        assert "1 2 3 4 5 6 7" in text  # source values, as published
        assert draw.result["key"] in text
        assert "本次为重新抽取" in text and "抽中的一家律师事务所在公告后注销。" in text
        for selection, team in zip(draw.result["selections"], draw.result["teams"], strict=True):
            assert selection["digest"] in text and selection["credit_code"] in text
            for member in team["members"]:
                assert member["certificate"] in text
            for certificate in team["excluded_for_conflict"]:
                assert certificate in text
        assert f"python3 verify_draw.py draw-{draw.pk}.json" in text
        assert "https://www.rfc-editor.org/rfc/rfc3797" in text
        assert reverse("inspections:verifier_download") in text

    def test_selected_teams_name_their_inspectors(self, client, world):
        draw = world["redraw"]
        text = page(client, reverse("inspections:draw_detail", args=[draw.pk]))
        names = dict(Inspector.objects.values_list("certificate_number", "name"))
        for team in draw.result["teams"]:
            for member in team["members"]:
                assert names[member["certificate"]] in text

    def test_superseded_immediate_and_announced_draws(self, client, world):
        first = page(client, reverse("inspections:draw_detail", args=[world["first"].pk]))
        assert "已被重新抽取取代" in first
        assert reverse("inspections:draw_detail", args=[world["redraw"].pk]) in first
        immediate = page(client, reverse("inspections:draw_detail", args=[world["immediate"].pk]))
        assert "不可公开验证" in immediate
        assert "随机源停开" in immediate and "见证人甲" in immediate
        announced = page(client, reverse("inspections:draw_detail", args=[world["announced"].pk]))
        assert "抽取尚未执行" in announced
        assert world["announced"].announcement["pools"]["targets"]["sha256"] in announced

    def test_borrowed_flag(self, client, staff_user, leader_user):
        """With one local inspector, teams of two borrow the neighbour's (N11, Y3.5)."""
        yuzhong = JurisdictionFactory()
        neighbour = JurisdictionFactory(code="500105", name="江北区")
        yuzhong.neighbours.add(neighbour)
        InstitutionFactory.create_batch(3)
        InspectorFactory()
        InspectorFactory(jurisdiction=neighbour, name="江北借调员")
        plan = make_plan(staff_user)
        draw = announce(
            task=approved_task(plan, 1, staff_user, leader_user), sources=SOURCES, user=staff_user
        )
        draw = draw_execute(draw=draw, values=VALUES, user=staff_user)
        text = page(client, reverse("inspections:draw_detail", args=[draw.pk]))
        assert "江北借调员" in text and "借调" in text

    def test_large_pools_are_counted_and_hashed_not_listed(self, client, world, monkeypatch):
        draw = world["redraw"]
        url = reverse("inspections:draw_detail", args=[draw.pk])
        entries = draw.announcement["pools"]["targets"]["entries"]
        selected = {s["credit_code"] for s in draw.result["selections"]}
        unselected = [t for t in entries if t["credit_code"] not in selected]
        assert unselected
        assert unselected[0]["credit_code"] in page(client, url)  # a small pool is listed
        monkeypatch.setattr(selectors, "POOL_INLINE_MAX", 3)
        text = page(client, url)
        assert all(t["credit_code"] not in text for t in unselected)
        assert f"{len(entries)} 家机构" in text
        assert draw.announcement["pools"]["targets"]["sha256"] in text
        assert reverse("inspections:draw_json", args=[draw.pk]) in text

    def test_selections_are_paginated(self, client, world, monkeypatch):
        from publication.views import draws as draw_views

        draw = world["redraw"]
        monkeypatch.setattr(draw_views, "SELECTIONS_PAGE_SIZE", 1)
        url = reverse("inspections:draw_detail", args=[draw.pk])
        second = draw.result["selections"][1]
        assert second["digest"] not in page(client, url)
        assert second["digest"] in page(client, url, page=2)

    def test_query_count_does_not_grow_with_selections(
        self, client, world, django_assert_max_num_queries
    ):
        assert len(world["redraw"].result["selections"]) > 3
        url = reverse("inspections:draw_detail", args=[world["redraw"].pk])
        # draw, inline pool, jurisdiction names, count, selections, teams
        with django_assert_max_num_queries(6):
            page(client, url)

    def test_the_page_does_not_load_the_pools(self, client, world, monkeypatch):
        """For a large pool only the stripped announcement leaves the database."""
        monkeypatch.setattr(selectors, "POOL_INLINE_MAX", 0)
        url = reverse("inspections:draw_detail", args=[world["redraw"].pk])
        with CaptureQueriesContext(connection) as ctx:
            page(client, url)
        column = '"inspections_draw"."announcement"'
        sql = " ".join(q["sql"] for q in ctx.captured_queries)
        assert f"JSON_REMOVE({column}" in sql or f"({column} #-" in sql
        sql = sql.replace(f"JSON_REMOVE({column}", "").replace(f"({column} #-", "")
        assert column not in sql

    def test_script_in_an_institution_name_is_escaped(self, client, world):
        assert any(
            t["name"] == SCRIPT_NAME
            for t in world["redraw"].announcement["pools"]["targets"]["entries"]
        )
        for draw in draws(world):
            text = page(client, reverse("inspections:draw_detail", args=[draw.pk]))
            assert "<script>alert" not in text
            assert "&lt;script&gt;alert" in text


class TestNothingPrivateIsPublished:
    def test_no_id_numbers_phones_or_accounts(self, client, world):
        person = world["person"]
        secrets = [
            person.id_number,
            person.id_number[-6:],
            person.phone,
            "zhao.login",
            world["staff"].username,
            world["leader"].username,
        ]
        for url in public_urls(world):
            if url == reverse("inspections:verifier_download"):
                continue
            text = body(get(client, url)).decode()
            for secret in secrets:
                assert secret not in text, (url, secret)

    def test_no_id_or_phone_shape_appears_anywhere(self, client, world):
        """Issue 14 §4: nothing shaped like an ID number or a phone, on the pages and in the
        documents (the draws' JSON), whoever's it would be."""
        codes = list(Institution.objects.values_list("credit_code", flat=True))
        for url in public_urls(world):
            if url == reverse("inspections:verifier_download"):
                continue
            text = body(get(client, url)).decode()
            assert personal_shapes(text, allowed=codes) == [], url

    def test_documents_carry_no_user_fields(self, client, world):
        for draw in draws(world):
            doc = json.loads(body(get(client, reverse("inspections:draw_json", args=[draw.pk]))))
            text = json.dumps(doc, ensure_ascii=False)
            for field in ("announced_by", "executed_by", "approved_by", "requested_by", "user"):
                assert f'"{field}"' not in text
            for entry in doc["pools"]["inspectors"]["entries"]:
                assert set(entry) == {"certificate", "name", "jurisdiction", "local"}
            for entry in doc["pools"]["targets"]["entries"]:
                assert set(entry) == {"credit_code", "name", "tier", "jurisdiction"}
