"""The public pages of annual plans and draws (Y3.4, N10–N12, RFC 3797 publication): anonymous,
Chinese, without personal data, with bounded queries; every published draw document verifies with
tools/verify_draw.py, in process and as the downloaded file run by a citizen."""

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inspections import selectors
from inspections.models import AnnualPlan, Draw, PlanRound, PlanSection
from inspections.services.draws import (
    draw_announce,
    draw_document,
    draw_execute,
    draw_immediate,
    draw_redraw,
)
from inspections.services.plans import plan_publish, plan_revision_open, plan_revision_publish
from inspections.services.tasks import task_create_for_round, task_decide, task_submit
from registry.models import CheckItem, Inspector
from tests.factories import (
    CheckItemFactory,
    ConflictFactory,
    InspectorFactory,
    InstitutionFactory,
    JurisdictionFactory,
    PractitionerFactory,
    UserFactory,
    make_id_number,
    sector,
)
from tests.inspections.conftest import VERIFIER_OK, clock, mismatches
from tools import verify_draw as algorithm

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_sources_day")]

YEAR = 2026  # the seeded working-day calendar knows it (plan revisions count working days)
SCRIPT_NAME = "<script>alert('x')</script>律所"
SOURCES_DAY = dt.date(YEAR, 3, 20)
SOURCES = [
    {"name": "中国福利彩票双色球 第2026045期", "kind": "ssq", "date": f"{YEAR}-03-20"},
    {"name": "上证综合指数收盘点位", "kind": "index", "date": f"{YEAR}-03-20"},
]
VALUES = ["3 9 14 22 27 31 12", "3312.45"]
# The re-draw is decided on the evening of SOURCES_DAY, on the next 双色球 and index close.
REDRAW_DAY = dt.date(YEAR, 3, 24)
REDRAW_SOURCES = [
    {"name": "中国福利彩票双色球 第2026046期", "kind": "ssq", "date": f"{YEAR}-03-24"},
    {"name": "上证综合指数收盘点位（3 月 24 日）", "kind": "index", "date": f"{YEAR}-03-24"},
]


@pytest.fixture
def on_sources_day():
    """Draws are executed on the evening of the day of SOURCES (announce: that morning)."""
    with clock(SOURCES_DAY, 22):
        yield


def announce(**kwargs):
    with clock(SOURCES_DAY, 10):
        return draw_announce(**kwargs)


def shanghai(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(10)))


def get(client, url: str, status: int = 200, **params):
    response = client.get(url, params)
    assert response.status_code == status, url
    return response


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def page(client, url: str, **params) -> str:
    return body(get(client, url, **params)).decode()


def make_plan(user, *, year: int = YEAR, title: str = "", publish: bool = True) -> AnnualPlan:
    plan = AnnualPlan.objects.create(
        jurisdiction=JurisdictionFactory(), year=year, title=title or f"渝中区 {year} 年度抽查计划"
    )
    section = PlanSection.objects.create(
        plan=plan,
        sector=sector("lawyer"),
        methods=["on_site", "phone"],
        target_scope="渝中区内全部执业律师事务所",
        ratio_normal=50,  # many selections for a small pool: the pages show more than one row
    )
    # N9: every item of the sector's list; created once, shared by the plans of a test.
    items = list(CheckItem.objects.filter(sector=section.sector)) or CheckItemFactory.create_batch(
        2
    )
    section.check_items.set(items)
    PlanRound.objects.create(
        section=section, number=1, starts_on=dt.date(year, 4, 1), ends_on=dt.date(year, 5, 31)
    )
    PlanRound.objects.create(
        section=section, number=2, starts_on=dt.date(year, 9, 1), ends_on=dt.date(year, 9, 30)
    )
    if publish:
        plan_publish(plan=plan, user=user)
    return plan


def approved_task(plan: AnnualPlan, number: int, staff, leader, name: str = ""):
    plan_round = PlanRound.objects.get(section__plan=plan, number=number)
    task = task_create_for_round(plan_round=plan_round, name=name, user=staff)
    task_submit(task=task, user=staff)
    return task_decide(task=task, user=leader, approve=True)


@pytest.fixture
def world(staff_user, leader_user):
    """A published plan with a revision, a draft plan, and draws in every state: executed and
    superseded, its re-draw, an immediate one and one only announced. With data that must never be
    published: practitioners' ID numbers and phones, inspectors' and staff's login accounts."""
    staff_user.username = "wang.staff.account"
    staff_user.save()
    yuzhong = JurisdictionFactory()
    neighbour = JurisdictionFactory(code="500105", name="江北区")
    yuzhong.neighbours.add(neighbour)
    institutions = InstitutionFactory.create_batch(11) + [InstitutionFactory(name=SCRIPT_NAME)]
    person = PractitionerFactory(
        institution=institutions[0],
        name="李明",
        id_number=make_id_number(777, birth="19750505"),
        phone="13812345678",
    )
    inspectors = [InspectorFactory(user=UserFactory(username="zhao.login"))]
    inspectors += InspectorFactory.create_batch(5)
    inspectors.append(InspectorFactory(jurisdiction=neighbour))
    for institution in institutions[:4]:
        ConflictFactory(inspector=inspectors[0], institution=institution)

    plan = make_plan(staff_user, title="渝中区司法局 2026 年度“双随机、一公开”抽查计划")
    AnnualPlan.objects.filter(pk=plan.pk).update(published_at=shanghai(dt.date(YEAR, 3, 2)))
    revision = plan_revision_open(
        plan=plan,
        reason="第二批检查时间调整",
        summary="第二批检查推迟一周。",
        changed_on=dt.date(YEAR, 6, 1),
        affected_starts_on=dt.date(YEAR, 9, 1),
        user=staff_user,
    )
    with clock(dt.date(YEAR, 6, 3)):
        plan_revision_publish(revision=revision, user=staff_user)
    draft = make_plan(staff_user, year=YEAR + 1, title="2027 年度计划（草稿）", publish=False)

    task = approved_task(plan, 1, staff_user, leader_user)
    first = announce(task=task, sources=SOURCES, user=staff_user)
    first = draw_execute(draw=first, values=VALUES, user=staff_user)
    redraw = draw_redraw(
        draw=first,
        reason="抽中的一家律师事务所在公告后注销。",
        requested_by=staff_user,
        approved_by=leader_user,
        sources=REDRAW_SOURCES,
    )
    with clock(REDRAW_DAY, 22):
        redraw = draw_execute(draw=redraw, values=["1 2 3 4 5 6 7", "3312.46"], user=staff_user)
    immediate = draw_immediate(
        task=approved_task(plan, 2, staff_user, leader_user, name="第二批当场抽取"),
        reason="随机源停开",
        witnesses=["见证人甲", "见证人乙"],
        user=staff_user,
    )
    announced = draw_announce(
        task=approved_task(plan, 2, staff_user, leader_user, name="第二批补充抽查"),
        sources=REDRAW_SOURCES,
        user=staff_user,
    )
    return {
        "plan": plan,
        "draft": draft,
        "first": Draw.objects.get(pk=first.pk),
        "redraw": redraw,
        "immediate": immediate,
        "announced": announced,
        "person": person,
        "inspectors": inspectors,
        "staff": staff_user,
        "leader": leader_user,
    }


def draws(world) -> list[Draw]:
    return [world[k] for k in ("first", "redraw", "immediate", "announced")]


def public_urls(world) -> list[str]:
    urls = [
        reverse("inspections:plan_list"),
        reverse("inspections:plan_detail", args=[world["plan"].pk]),
        reverse("inspections:draw_list"),
        reverse("inspections:draw_list_json"),
        reverse("inspections:verifier_download"),
    ]
    for draw in draws(world):
        urls += [
            reverse("inspections:draw_detail", args=[draw.pk]),
            reverse("inspections:draw_json", args=[draw.pk]),
        ]
    return urls


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


class TestPlans:
    def test_list_shows_published_plans_with_the_late_flag(self, client, world, staff_user):
        on_time = make_plan(staff_user, year=YEAR + 2, title="按时公布的计划")
        AnnualPlan.objects.filter(pk=on_time.pk).update(
            published_at=shanghai(dt.date(YEAR + 2, 1, 20))
        )
        listing = page(client, reverse("inspections:plan_list"))
        late_row = listing.split(world["plan"].title)[1].split("</tr>")[0]
        on_time_row = listing.split("按时公布的计划")[1].split("</tr>")[0]
        assert "逾期公布" in late_row  # Y3.4: after 31 January
        assert "逾期公布" not in on_time_row
        assert "渝中区" in late_row

    def test_detail_shows_sections_rounds_and_revision_history(self, client, world):
        plan = world["plan"]
        text = page(client, reverse("inspections:plan_detail", args=[plan.pk]))
        section = plan.sections.get()
        for item in section.check_items.all():
            assert item.name in text and item.code in text
        assert "《中华人民共和国律师法》第二十三条" in text  # the legal basis of each item
        assert "渝中区内全部执业律师事务所" in text
        assert "50%" in text and "20%" in text and "2%" in text
        assert "现场检查" in text and "电话回访当事人" in text
        assert "2026年4月1日" in text and "2026年9月30日" in text
        assert "逾期公布" in text
        # The revision: number, reason, summary, dates.
        assert "第 1 次修订" in text and "第二批检查时间调整" in text
        assert "第二批检查推迟一周。" in text
        assert "2026年6月1日" in text  # decided
        revision = plan.revisions.get()
        assert revision.publish_by.strftime("%Y年%-m月%-d日") in text

    def test_unpublished_changes_stay_off_the_public_page(self, client, world, staff_user):
        """The content is the latest published revision's snapshot: changes prepared under an
        open revision are not public before that revision is published (Y3.4)."""
        plan = world["plan"]
        plan_revision_open(
            plan=plan,
            reason="尚未发布的修订原因",
            summary="尚未发布",
            changed_on=dt.date(YEAR, 7, 1),
            affected_starts_on=dt.date(YEAR, 9, 1),
            user=staff_user,
        )
        PlanSection.objects.filter(plan=plan).update(target_scope="尚未公布的新范围")
        text = page(client, reverse("inspections:plan_detail", args=[plan.pk]))
        assert "尚未公布的新范围" not in text
        assert "尚未发布的修订原因" not in text
        assert "渝中区内全部执业律师事务所" in text

    def test_query_counts(self, client, world, staff_user, django_assert_max_num_queries):
        for year in range(YEAR + 2, YEAR + 6):
            make_plan(staff_user, year=year)
        with django_assert_max_num_queries(2):
            page(client, reverse("inspections:plan_list"))
        with django_assert_max_num_queries(2):  # plan, revisions (content from the snapshot)
            page(client, reverse("inspections:plan_detail", args=[world["plan"].pk]))
        unrevised = AnnualPlan.objects.filter(year=YEAR + 2).get()
        with django_assert_max_num_queries(5):  # + sections, check items, rounds
            page(client, reverse("inspections:plan_detail", args=[unrevised.pk]))


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
