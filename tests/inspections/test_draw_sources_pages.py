"""The public randomness sources on the pages (issue 12 §4; RFC 3797 §3, N10(2)): the public
draw page says when a draw was executed before its sources, or announced after one was known;
the execute screen says when a draw may run."""

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse

from core.exceptions import ServiceError
from inspections.models import Draw
from inspections.services.draws import draw_announce, draw_execute
from tests.inspections.conftest import DRAW_DAY, EXECUTE_HOUR, SOURCES, VALUES, announce, clock
from tests.inspections.draw_checks import DAY, LOTTERIES, legacy_execute, nothing_saved

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("on_draw_day")]


# -- the public page ---------------------------------------------------------------------------------
class TestPublicPage:
    def test_a_draw_executed_before_its_sources_is_reported(self, task, staff_user, client):
        """The page used to say the numbers did not exist at the announcement — true, and
        nothing about their not existing at the execution either."""
        with clock(DRAW_DAY, 17, 18) as moment:
            draw = draw_announce(task=task, sources=LOTTERIES, user=staff_user)
        values = [[6, 2, 1], [3, 9, 14, 22, 27, 31, 8], [5, 12, 19, 27, 33, 3, 11]]
        draw = legacy_execute(draw, values, moment, staff_user)
        text = client.get(reverse("inspections:draw_detail", args=[draw.pk])).content.decode()
        assert "本次抽取的时间与随机源不符，不能视为公开可验证" in text
        assert "第 3 个随机源（超级大乐透第26035期）尚未产生（2026-03-31 21:25）" in text
        assert "公告时这些数字尚未产生" in text  # they did not, and did not at the execution
        # The staff's page says it too.
        client.force_login(staff_user)
        admin = client.get(reverse("admin:inspections_draw_change", args=[draw.pk]))
        assert "第 1 个随机源（福彩3D第2026085期）尚未产生（2026-03-31 21:15）" in (
            admin.content.decode()
        )

    def test_a_source_known_at_the_announcement_is_reported(self, task, staff_user, client):
        """A draw announced under the old rule (issue 12 §4: a source dated the announcement
        day was accepted all day): the index closed at 15:00, announced at 16:00. Inserted as
        the old code wrote it; the database cannot know when a lottery is drawn."""
        with transaction.atomic():
            model = announce(task=task, sources=SOURCES, user=staff_user)
            announcement, pool_ids = model.announcement, model.pool_ids
            transaction.set_rollback(True)
        draw = Draw.objects.create(
            task=task,
            announcement=announcement,
            pool_ids=pool_ids,
            announced_at=dt.datetime(2026, 3, 31, 8, 0, tzinfo=dt.UTC),  # 16:00 Beijing
            announced_by=staff_user,
        )
        text = client.get(reverse("inspections:draw_detail", args=[draw.pk])).content.decode()
        assert (
            "第 2 个随机源（上证综合指数 2026-03-31 收盘）于 2026-03-31 15:00 产生，不晚于公告时间"
            in text
        )
        assert "公告时这些数字尚未产生" not in text
        # Nor can it be executed now: its result could never verify; a re-draw is due.
        with pytest.raises(ServiceError, match="第 2 个随机源.*不晚于公告时间：本次抽取不能执行"):
            draw_execute(draw=draw, values=VALUES, user=staff_user)
        nothing_saved(draw)

    def test_an_honest_draw_has_no_warning_and_shows_the_drawing_times(self, executed, client):
        text = client.get(reverse("inspections:draw_detail", args=[executed.pk])).content.decode()
        assert "不能视为公开可验证" not in text
        assert f"{DAY} 21:15" in text and f"{DAY} 15:00" in text
        assert "公告时这些数字尚未产生" in text


def test_the_execute_screen_says_when_it_may_run(task, staff_user, client):
    draw = announce(task=task, sources=SOURCES, user=staff_user)
    client.force_login(staff_user)
    url = reverse("admin:inspections_draw_execute", args=[draw.pk])
    with clock(DRAW_DAY, 17, 18):
        response = client.post(url, {"source_1": VALUES[0], "source_2": VALUES[1]})
    assert response.status_code == 200
    (error,) = response.context["form"].errors["source_1"]
    assert "最早可于 2026-03-31 21:15 之后执行" in error
    assert "source_2" not in response.context["form"].errors  # the index closed at 15:00
    nothing_saved(draw)
    with clock(DRAW_DAY, EXECUTE_HOUR):
        response = client.post(url, {"source_1": VALUES[0], "source_2": VALUES[1]})
    assert response.status_code == 302
    draw.refresh_from_db()
    assert draw.source_values == [[3, 9, 14, 22, 27, 31, 8], [325671]]
