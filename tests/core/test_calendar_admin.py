"""Admin smoke tests for the working-day calendar (SPEC §6): the pages load, the CSV import
writes a good file and reports every error of a bad one without writing, and marking a year
complete records who did it (Y4(2))."""

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db

IMPORT_URL = reverse("admin:core_calendarday_import_csv")
DAY_LIST = reverse("admin:core_calendarday_changelist")
YEAR_LIST = reverse("admin:core_calendaryear_changelist")

GOOD_CSV = "date,kind,name\n2027-01-01,holiday,元旦\n2027-01-02,holiday,元旦\n"
BAD_CSV = "date,kind,name\n2027-01-01,holiday,元旦\n2027-02-30,holiday,春节\n2027-02-06,rest,春节\n"


def upload(content: str) -> SimpleUploadedFile:
    return SimpleUploadedFile("cal.csv", content.encode(), content_type="text/csv")


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def leader_client(client, leader_user):
    client.force_login(leader_user)
    return client


class TestPagesLoad:
    @pytest.mark.parametrize(
        "url",
        [
            DAY_LIST,
            DAY_LIST + "?date__year=2026",
            DAY_LIST + "?date__year=2026&date__month=10",
            DAY_LIST + "?kind__exact=workday",
            DAY_LIST + "?q=春节",
            reverse("admin:core_calendarday_add"),
            YEAR_LIST,
            YEAR_LIST + "?complete__exact=1",
            reverse("admin:core_calendaryear_add"),
            IMPORT_URL,
        ],
    )
    def test_superuser(self, admin_client, url):
        assert admin_client.get(url).status_code == 200

    def test_day_change_and_history(self, admin_client):
        day = CalendarDay.objects.get(date=dt.date(2026, 10, 10))
        change = admin_client.get(reverse("admin:core_calendarday_change", args=[day.pk]))
        assert change.status_code == 200
        history = admin_client.get(reverse("admin:core_calendarday_history", args=[day.pk]))
        assert history.status_code == 200

    def test_changelist_shows_weekday_and_import_button(self, admin_client):
        response = admin_client.get(DAY_LIST + "?date__year=2026&date__month=10")
        content = response.content.decode()
        assert "星期六" in content  # 2026-10-10, a make-up working day
        assert IMPORT_URL in content

    def test_year_change_page_marks_fields_read_only(self, admin_client):
        year = CalendarYear.objects.get(year=2026)
        response = admin_client.get(reverse("admin:core_calendaryear_change", args=[year.pk]))
        assert response.status_code == 200
        form = response.context["adminform"].form
        assert {"source", "marked_by", "marked_at"}.isdisjoint(form.fields)


class TestImport:
    def test_a_good_file_is_imported_and_the_year_marked(self, admin_client, admin_user):
        response = admin_client.post(
            IMPORT_URL, {"file": upload(GOOD_CSV), "complete_years": "on"}, follow=True
        )
        assert response.redirect_chain == [(DAY_LIST, 302)]
        assert texts(response) == ["已导入 2 行，年份 2027 已标记为完整。"]
        assert CalendarDay.objects.filter(date__year=2027).count() == 2
        year = CalendarYear.objects.get(year=2027)
        assert year.complete and year.marked_by == admin_user

    def test_without_the_checkbox_the_year_stays_unknown(self, admin_client):
        response = admin_client.post(IMPORT_URL, {"file": upload(GOOD_CSV)}, follow=True)
        assert "暂不能用于期限计算" in texts(response)[0]
        assert CalendarDay.objects.filter(date__year=2027).count() == 2
        assert not CalendarYear.objects.filter(year=2027).exists()

    def test_the_history_records_the_importing_user(self, admin_client, admin_user):
        admin_client.post(IMPORT_URL, {"file": upload(GOOD_CSV)})
        record = CalendarDay.history.filter(date=dt.date(2027, 1, 1)).get()
        assert record.history_user == admin_user

    def test_a_bad_file_reports_every_error_and_writes_nothing(self, admin_client):
        response = admin_client.post(IMPORT_URL, {"file": upload(BAD_CSV), "complete_years": "on"})
        assert response.status_code == 200
        assert texts(response) == [
            "导入失败，未写入任何数据。",
            "第 3 行，date：“2027-02-30”不是 YYYY-MM-DD 格式的日期。",
            "第 4 行，kind：“rest”应为 holiday 或 workday。",
        ]
        assert not CalendarDay.objects.filter(date__year=2027).exists()
        assert not CalendarYear.objects.filter(year=2027).exists()

    def test_the_errors_are_shown_on_the_page(self, admin_client):
        response = admin_client.post(IMPORT_URL, {"file": upload(BAD_CSV)})
        content = response.content.decode()
        assert "第 3 行，date" in content and "第 4 行，kind" in content

    def test_no_file(self, admin_client):
        response = admin_client.post(IMPORT_URL, {})
        assert response.status_code == 200
        assert response.context["form"].errors["file"]

    def test_an_empty_file(self, admin_client):
        response = admin_client.post(IMPORT_URL, {"file": upload("")})
        assert response.status_code == 200
        # Django's FileField refuses an empty upload before the service sees it.
        assert response.context["form"].errors["file"]


class TestPermissions:
    def test_staff_may_import(self, staff_client):
        response = staff_client.post(IMPORT_URL, {"file": upload(GOOD_CSV), "complete_years": "on"})
        assert response.status_code == 302
        assert CalendarYear.objects.get(year=2027).complete

    def test_a_read_only_role_may_not_import(self, leader_client):
        assert leader_client.get(DAY_LIST).status_code == 200
        assert IMPORT_URL not in leader_client.get(DAY_LIST).content.decode()
        assert leader_client.get(IMPORT_URL).status_code == 403
        assert leader_client.post(IMPORT_URL, {"file": upload(GOOD_CSV)}).status_code == 403
        assert not CalendarDay.objects.filter(date__year=2027).exists()

    def test_anonymous_is_sent_to_login(self, client):
        response = client.get(IMPORT_URL)
        assert response.status_code == 302
        assert reverse("admin:login") in response["Location"]


class TestMarkComplete:
    def test_the_action_records_who_marked(self, admin_client, admin_user):
        year = CalendarYear.objects.create(year=2027, note="国办发明电")
        response = admin_client.post(
            YEAR_LIST, {"action": "mark_complete", "_selected_action": [year.pk]}, follow=True
        )
        assert texts(response) == ["已将 2027 年标记为完整。"]
        year.refresh_from_db()
        assert year.complete and year.marked_by == admin_user and year.marked_at
        assert year.source == CalendarYear.Source.STAFF
        assert year.note == "国办发明电"

    def test_the_action_leaves_a_seeded_year_alone(self, admin_client):
        year = CalendarYear.objects.get(year=2026)
        response = admin_client.post(
            YEAR_LIST, {"action": "mark_complete", "_selected_action": [year.pk]}, follow=True
        )
        assert "均已是完整状态" in texts(response)[0]
        year.refresh_from_db()
        assert year.source == CalendarYear.Source.SEEDED and year.marked_by is None

    def test_a_read_only_role_has_no_action(self, leader_client):
        year = CalendarYear.objects.create(year=2027)
        leader_client.post(YEAR_LIST, {"action": "mark_complete", "_selected_action": [year.pk]})
        year.refresh_from_db()
        assert not year.complete

    def test_ticking_complete_in_the_form_records_who_marked(self, admin_client, admin_user):
        response = admin_client.post(
            reverse("admin:core_calendaryear_add"),
            {"year": 2027, "complete": "on", "note": "已核对国务院通知"},
        )
        assert response.status_code == 302
        year = CalendarYear.objects.get(year=2027)
        assert year.complete and year.marked_by == admin_user and year.marked_at
        assert year.note == "已核对国务院通知"

    def test_saving_without_complete_records_no_marker(self, admin_client):
        admin_client.post(reverse("admin:core_calendaryear_add"), {"year": 2027, "note": ""})
        year = CalendarYear.objects.get(year=2027)
        assert not year.complete and year.marked_by is None


class TestHostileFiles:
    """issue 12 §6: a calendar file is a few hundred rows; anything else is refused, clearly."""

    def test_a_file_over_one_megabyte_is_refused_before_it_is_read(self, admin_client):
        commas = SimpleUploadedFile("cal.csv", b"date,kind,name\n" + b"," * (20 * 2**20))
        response = admin_client.post(IMPORT_URL, {"file": commas})
        assert response.status_code == 200
        assert "1 MB" in str(response.context["form"].errors["file"])
        assert not CalendarDay.objects.filter(date__year=2027).exists()

    def test_a_csv_error_is_told_in_chinese(self, admin_client):
        long = 'date,kind,name\n2027-01-01,holiday,"' + "节" * 200_000 + '"\n'
        response = admin_client.post(IMPORT_URL, {"file": upload(long)})
        messages = texts(response)
        assert messages[0] == "导入失败，未写入任何数据。"
        assert "131072" in messages[1] and "field" not in messages[1]

    def test_a_long_value_is_not_repeated_whole(self, admin_client):
        response = admin_client.post(
            IMPORT_URL, {"file": upload("date,kind\n" + "9" * 5000 + ",x\n")}
        )
        assert all(len(m) < 300 for m in texts(response))

    def test_the_command_refuses_a_large_file_too(self, tmp_path):
        from tests.core.test_workdays_command import run

        path = tmp_path / "big.csv"
        path.write_bytes(b"date,kind,name\n" + b"," * (2 * 2**20))
        code, _out, err = run("import", str(path))
        assert code == 1 and "1 MB" in err
