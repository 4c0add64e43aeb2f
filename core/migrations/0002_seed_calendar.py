"""Seed the working-day calendar with every year chinese-calendar knows (SPEC §6); later years are
entered by staff (admin, or `manage.py workdays import`)."""

from django.db import migrations


def seed(apps, schema_editor):
    from chinese_calendar import constants

    from core.services import HOLIDAY_NAMES_ZH

    CalendarDay = apps.get_model("core", "CalendarDay")
    CalendarYear = apps.get_model("core", "CalendarYear")
    years = {d.year for d in constants.holidays} & {d.year for d in constants.workdays}
    days = [
        CalendarDay(date=d, kind="holiday", name=HOLIDAY_NAMES_ZH.get(n, n))
        for d, n in constants.holidays.items()
    ] + [
        CalendarDay(date=d, kind="workday", name=HOLIDAY_NAMES_ZH.get(n, n))
        for d, n in constants.workdays.items()
    ]
    CalendarDay.objects.bulk_create(days, ignore_conflicts=True)
    CalendarYear.objects.bulk_create(
        [CalendarYear(year=y, complete=True, source="seeded") for y in sorted(years)],
        ignore_conflicts=True,
    )


def unseed(apps, schema_editor):
    apps.get_model("core", "CalendarYear").objects.filter(source="seeded").delete()
    apps.get_model("core", "CalendarDay").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(seed, unseed)]
