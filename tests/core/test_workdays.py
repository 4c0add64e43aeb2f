"""Working-day arithmetic (SPEC §6): "within N working days after D" is the N-th working day
strictly after D; a year without a complete calendar is refused, never guessed.

The 2025–2026 expectations are checked against chinese-calendar's own constants, which the
migration seeds the table from, so a wrong seed or a wrong rule both show up here."""

import datetime as dt

import chinese_calendar
import pytest
from chinese_calendar import constants
from hypothesis import given, settings
from hypothesis import strategies as st

from core.exceptions import CalendarMissing, ServiceError
from core.models import CalendarDay, CalendarYear
from core.services import (
    WorkdayCalendar,
    calendar_import_csv,
    calendar_seed,
    calendar_year_mark_complete,
    workdays_add,
    workdays_between,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

D = dt.date


def days(start: dt.date, end: dt.date) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]


def add(start: dt.date, n: int) -> dt.date:
    return workdays_add(start=start, days=n)


def between(start: dt.date, end: dt.date) -> int:
    return workdays_between(start=start, end=end)


# A 2027 schedule for the tests only (the State Council's has not been published yet).
CSV_2027 = (
    "date,kind,name\n"
    "2027-01-01,holiday,元旦\n"
    "2027-01-02,holiday,元旦\n"
    "2027-01-03,holiday,元旦\n"
    "2027-02-05,holiday,春节\n"
).encode()


class TestSeededCalendar:
    def test_the_table_agrees_with_chinese_calendar_day_by_day(self):
        calendar = WorkdayCalendar()
        for day in days(D(2025, 1, 1), D(2026, 12, 31)):
            assert calendar.is_workday(day) == chinese_calendar.is_workday(day), day

    def test_2027_is_not_known_yet(self):
        # The premise of the 2027 tests: the pinned chinese-calendar stops at 2026.
        assert max(d.year for d in constants.holidays) == 2026
        assert not CalendarYear.objects.filter(year=2027).exists()

    def test_seeding_again_changes_nothing(self):
        before = CalendarDay.objects.count()
        assert 2026 in calendar_seed()
        assert CalendarDay.objects.count() == before

    def test_seeding_a_year_chinese_calendar_does_not_know_is_refused(self):
        with pytest.raises(ServiceError, match="2027"):
            calendar_seed(years=[2026, 2027])
        assert not CalendarYear.objects.filter(year=2027).exists()

    def test_seeding_leaves_a_staff_entered_year_alone(self):
        calendar_year_mark_complete(year=2026)
        CalendarDay.objects.filter(date=D(2026, 10, 10)).delete()
        assert 2026 not in calendar_seed(years=[2026])
        assert not CalendarDay.objects.filter(date=D(2026, 10, 10)).exists()


class TestSpringFestival2026:
    def test_schedule_as_published(self):
        off = days(D(2026, 2, 15), D(2026, 2, 23))
        assert all(constants.holidays[d] == "Spring Festival" for d in off)
        assert constants.workdays[D(2026, 2, 14)] == "Spring Festival"
        assert constants.workdays[D(2026, 2, 28)] == "Spring Festival"
        # Both make-up days are Saturdays.
        assert D(2026, 2, 14).weekday() == D(2026, 2, 28).weekday() == 5
        stored = CalendarDay.objects.filter(date__range=(off[0], off[-1]))
        assert set(stored.values_list("kind", "name")) == {(CalendarDay.Kind.HOLIDAY, "春节")}
        assert CalendarDay.objects.get(date=D(2026, 2, 14)).kind == CalendarDay.Kind.WORKDAY

    def test_the_saturday_before_is_a_working_day(self):
        assert add(D(2026, 2, 13), 1) == D(2026, 2, 14)

    def test_the_holiday_is_skipped(self):
        assert add(D(2026, 2, 14), 1) == D(2026, 2, 24)
        assert add(D(2026, 2, 13), 2) == D(2026, 2, 24)
        assert between(D(2026, 2, 13), D(2026, 2, 24)) == 2

    def test_the_saturday_after_is_a_working_day(self):
        assert add(D(2026, 2, 27), 1) == D(2026, 2, 28)
        assert add(D(2026, 2, 27), 2) == D(2026, 3, 2)


class TestNationalDay2026:
    def test_schedule_as_published(self):
        assert all(
            constants.holidays[d] == "National Day" for d in days(D(2026, 10, 1), D(2026, 10, 7))
        )
        assert all(
            constants.holidays[d] == "Mid-autumn Festival"
            for d in days(D(2026, 9, 25), D(2026, 9, 27))
        )
        assert constants.workdays[D(2026, 9, 20)] == "National Day"  # a Sunday
        assert constants.workdays[D(2026, 10, 10)] == "National Day"  # a Saturday
        assert D(2026, 9, 20).weekday() == 6 and D(2026, 10, 10).weekday() == 5

    def test_the_issue_example(self):
        assert add(D(2026, 9, 25), 20) == D(2026, 10, 29)

    def test_make_up_days_count(self):
        assert add(D(2026, 9, 18), 1) == D(2026, 9, 20)
        assert add(D(2026, 10, 9), 1) == D(2026, 10, 10)

    def test_the_week_off_is_skipped(self):
        assert add(D(2026, 9, 30), 1) == D(2026, 10, 8)
        assert between(D(2026, 9, 30), D(2026, 10, 8)) == 1


class TestStartDay:
    def test_a_holiday_start_does_not_shift_the_count(self):
        # Not "roll D to the next working day, then count": that would give 10-09.
        assert add(D(2026, 10, 1), 1) == D(2026, 10, 8)
        assert add(D(2026, 10, 3), 5) == D(2026, 10, 13)
        assert add(D(2026, 10, 7), 1) == add(D(2026, 9, 30), 1)

    def test_a_weekend_start(self):
        assert add(D(2026, 3, 7), 1) == D(2026, 3, 9)  # Saturday → Monday
        assert add(D(2026, 3, 8), 5) == D(2026, 3, 13)  # Sunday → Friday
        assert add(D(2026, 3, 6), 1) == D(2026, 3, 9)  # Friday → Monday

    def test_a_make_up_day_start_is_not_counted(self):
        assert add(D(2026, 10, 10), 1) == D(2026, 10, 12)

    def test_the_start_day_itself_is_never_counted(self):
        assert add(D(2026, 3, 9), 1) == D(2026, 3, 10)
        assert between(D(2026, 3, 9), D(2026, 3, 9)) == 0

    @pytest.mark.parametrize("n", [0, -1])
    def test_at_least_one_day(self, n):
        with pytest.raises(ServiceError, match="至少为 1"):
            add(D(2026, 3, 9), n)


class TestBetween:
    def test_counts_working_days_after_start_up_to_end(self):
        assert between(D(2026, 3, 6), D(2026, 3, 13)) == 5
        assert between(D(2026, 9, 30), D(2026, 10, 7)) == 0

    def test_reversed_dates_give_a_negative_count(self):
        assert between(D(2026, 3, 13), D(2026, 3, 6)) == -5

    @settings(max_examples=200, deadline=None)
    @given(
        start=st.dates(min_value=D(2025, 1, 1), max_value=D(2026, 10, 9)),
        n=st.integers(min_value=1, max_value=60),
    )
    def test_is_the_inverse_of_add(self, start, n):
        # max_value: 60 working days after 2026-10-09 is still in 2026 (2027 is unknown).
        end = add(start, n)
        assert between(start, end) == n
        assert between(start, end - dt.timedelta(days=1)) == n - 1


class TestUnknownYear:
    def test_a_computation_into_2027_is_refused_naming_the_year(self):
        with pytest.raises(CalendarMissing) as info:
            add(D(2026, 12, 28), 5)
        assert info.value.year == 2027
        assert "2027" in str(info.value)
        assert info.value.exit_code == 2

    def test_between_across_the_boundary_is_refused(self):
        with pytest.raises(CalendarMissing, match="2027"):
            between(D(2026, 12, 1), D(2027, 1, 5))

    def test_a_computation_that_stays_in_2026_still_works(self):
        assert add(D(2026, 12, 28), 3) == D(2026, 12, 31)

    def test_an_earlier_unknown_year_is_refused_too(self):
        with pytest.raises(CalendarMissing, match="2003"):
            add(D(2003, 12, 30), 1)

    def test_rows_without_the_complete_mark_are_not_enough(self):
        calendar_import_csv(content=CSV_2027)
        assert CalendarDay.objects.filter(date__year=2027).count() == 4
        with pytest.raises(CalendarMissing, match="2027"):
            add(D(2026, 12, 31), 1)

    def test_a_year_explicitly_incomplete_is_refused(self):
        CalendarYear.objects.create(year=2027, complete=False)
        calendar_import_csv(content=CSV_2027)
        with pytest.raises(CalendarMissing, match="2027"):
            add(D(2026, 12, 31), 1)

    def test_entering_2027_makes_the_boundary_computable(self):
        user = UserFactory()
        result = calendar_import_csv(content=CSV_2027, complete_years=True, user=user)
        assert result == {"rows": 4, "years": [2027]}
        year = CalendarYear.objects.get(year=2027)
        assert year.complete and year.source == CalendarYear.Source.STAFF
        assert year.marked_by == user and year.marked_at is not None
        # 12-31 (Thu); 2027-01-01..03 off; 01-04 Mon is the first working day of 2027.
        assert add(D(2026, 12, 30), 1) == D(2026, 12, 31)
        assert add(D(2026, 12, 30), 2) == D(2027, 1, 4)
        assert add(D(2026, 12, 25), 20) == D(2027, 1, 25)
        assert between(D(2026, 12, 30), D(2027, 1, 4)) == 2
        # 2027-02-05 (Fri) is off in the imported schedule.
        assert add(D(2027, 2, 4), 1) == D(2027, 2, 8)

    def test_marking_complete_keeps_an_existing_note(self):
        CalendarYear.objects.create(year=2027, note="国办发明电〔2026〕X号")
        calendar_year_mark_complete(year=2027)
        assert CalendarYear.objects.get(year=2027).note == "国办发明电〔2026〕X号"


class TestImportService:
    def test_a_second_import_corrects_a_day(self):
        calendar_import_csv(content=CSV_2027)
        calendar_import_csv(
            content=b"date,kind,name\n2027-02-05,workday,\xe6\x98\xa5\xe8\x8a\x82\n"
        )
        assert CalendarDay.objects.get(date=D(2027, 2, 5)).kind == CalendarDay.Kind.WORKDAY
        assert CalendarDay.objects.filter(date__year=2027).count() == 4

    def test_chinese_kinds_and_excel_dates_are_accepted(self):
        content = "date,kind,name\n2027/1/1,休,元旦\n2027-01-31,班,春节\n".encode()
        assert calendar_import_csv(content=content)["rows"] == 2
        assert CalendarDay.objects.get(date=D(2027, 1, 31)).kind == CalendarDay.Kind.WORKDAY

    def test_a_bad_file_changes_nothing(self):
        content = "date,kind,name\n2026-10-08,holiday,国庆节\n2026-10-32,holiday,\n".encode()
        with pytest.raises(ServiceError, match="第 3 行，date"):
            calendar_import_csv(content=content, complete_years=True)
        assert CalendarDay.objects.filter(date=D(2026, 10, 8)).count() == 0
        assert CalendarYear.objects.get(year=2026).source == CalendarYear.Source.SEEDED

    def test_every_problem_of_a_row_is_reported(self):
        content = ("date,kind,name\n2027-02-30,rest," + "节" * 51 + "\n").encode()
        with pytest.raises(ServiceError) as info:
            calendar_import_csv(content=content)
        lines = str(info.value).splitlines()
        assert [line.split("：")[0] for line in lines] == [
            "第 2 行，date",
            "第 2 行，kind",
            "第 2 行，name",
        ]

    def test_old_mac_line_endings(self):
        content = b"date,kind,name\r2027-01-01,holiday,\r2027-01-02,holiday,\r"
        assert calendar_import_csv(content=content)["rows"] == 2

    def test_dry_run_writes_nothing(self):
        assert calendar_import_csv(content=CSV_2027, dry_run=True, complete_years=True) == {
            "rows": 4,
            "years": [2027],
        }
        assert not CalendarDay.objects.filter(date__year=2027).exists()
        assert not CalendarYear.objects.filter(year=2027).exists()
