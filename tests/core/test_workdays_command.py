"""`python manage.py workdays …` (SPEC §6): what it prints, its exit codes (1 bad input,
2 unknown calendar year), and that a bad import file writes nothing."""

import datetime as dt
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection

from core.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db

SAMPLE_2027 = Path(settings.BASE_DIR) / "docs" / "samples" / "workdays-2027.csv"


def run(*args: str) -> tuple[int, str, str]:
    """Call the command like the shell does: (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("workdays", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return exc.code, out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def csv_file(tmp_path: Path, content: str | bytes, name: str = "cal.csv") -> str:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode()
    path.write_bytes(content)
    return str(path)


def calendar_snapshot() -> tuple[list, list]:
    return (
        list(CalendarDay.objects.values_list("date", "kind", "name")),
        list(CalendarYear.objects.values_list("year", "complete", "source")),
    )


class TestAdd:
    def test_the_issue_example_prints_exactly_the_date(self):
        assert run("add", "2026-09-25", "20") == (0, "2026-10-29\n", "")

    def test_into_2027_exits_2_naming_the_year(self):
        code, out, err = run("add", "2026-12-25", "10")
        assert code == 2
        assert out == ""
        assert "2027 年的工作日历尚未录入" in err

    def test_a_bad_date_is_a_command_error(self):
        # The shell turns CommandError into exit code 1 with the message on stderr.
        with pytest.raises(CommandError, match="2026-02-30"):
            run("add", "2026-02-30", "5")

    def test_zero_days_exits_1(self):
        code, _out, err = run("add", "2026-09-25", "0")
        assert code == 1
        assert "至少为 1" in err


class TestBetween:
    def test_counts_working_days(self):
        assert run("between", "2026-09-25", "2026-10-29") == (0, "20\n", "")

    def test_reversed(self):
        assert run("between", "2026-10-29", "2026-09-25")[1] == "-20\n"

    def test_into_2027_exits_2(self):
        code, _out, err = run("between", "2026-12-01", "2027-01-05")
        assert code == 2
        assert "2027" in err


class TestImport:
    def test_the_sample_with_complete_makes_2027_computable(self, tmp_path):
        code, out, err = run("import", str(SAMPLE_2027), "--complete")
        assert (code, err) == (0, "")
        assert "已导入 34 行" in out and "2027" in out
        year = CalendarYear.objects.get(year=2027)
        assert year.complete and year.source == CalendarYear.Source.STAFF
        # The sample keeps 2027-01-01..03 off: the 2nd working day after 12-30 is 01-04.
        assert run("add", "2026-12-30", "2") == (0, "2027-01-04\n", "")

    def test_without_complete_2027_still_refused(self, tmp_path):
        assert run("import", str(SAMPLE_2027))[0] == 0
        assert CalendarDay.objects.filter(date__year=2027).count() == 34
        assert not CalendarYear.objects.filter(year=2027, complete=True).exists()
        assert run("add", "2026-12-30", "2")[0] == 2

    def test_a_utf8_bom_is_fine(self, tmp_path):
        path = csv_file(tmp_path, "\ufeffdate,kind,name\r\n2027-01-01,holiday,元旦\r\n")
        code, out, _err = run("import", path)
        assert code == 0
        assert CalendarDay.objects.get(date=dt.date(2027, 1, 1)).name == "元旦"

    def test_bad_rows_are_all_reported_and_nothing_is_written(self, tmp_path):
        path = csv_file(
            tmp_path,
            "date,kind,name\n"
            "2027-01-01,holiday,元旦\n"  # row 2: good
            "2027-13-01,holiday,元旦\n"  # row 3: no 13th month
            "2027-02-06,vacation,春节\n"  # row 4: unknown kind
            "2027-01-01,holiday,元旦\n"  # row 5: same date as row 2
            "2027-02-07,holiday,春节\n"  # row 6: good
            "2027-02-08,,春节\n",  # row 7: kind missing
        )
        before = calendar_snapshot()
        code, out, err = run("import", path, "--complete")
        assert code == 1
        assert out == ""
        assert err.splitlines() == [
            "第 3 行，date：“2027-13-01”不是 YYYY-MM-DD 格式的日期。",
            "第 4 行，kind：“vacation”应为 holiday 或 workday。",
            "第 5 行，date：2027-01-01 与第 2 行重复。",
            "第 7 行，kind：“”应为 holiday 或 workday。",
        ]
        assert calendar_snapshot() == before

    def test_a_bad_row_also_protects_existing_years(self, tmp_path):
        path = csv_file(tmp_path, "date,kind,name\n2026-10-08,holiday,国庆节\n2026-10-09,off,\n")
        before = calendar_snapshot()
        assert run("import", path)[0] == 1
        assert calendar_snapshot() == before

    def test_an_empty_file(self, tmp_path):
        code, _out, err = run("import", csv_file(tmp_path, b""))
        assert code == 1
        assert err.strip() == "文件为空。"

    def test_only_a_header(self, tmp_path):
        code, _out, err = run("import", csv_file(tmp_path, "date,kind,name\n"))
        assert code == 1
        assert err.strip() == "文件中没有数据行。"

    def test_a_wrong_header(self, tmp_path):
        path = csv_file(tmp_path, "日期,类型,名称\n2027-01-01,holiday,元旦\n")
        code, _out, err = run("import", path)
        assert code == 1
        assert "第 1 行应为表头 date,kind,name" in err
        assert "日期,类型,名称" in err
        assert not CalendarDay.objects.filter(date__year=2027).exists()

    def test_a_gbk_file_is_refused(self, tmp_path):
        path = csv_file(tmp_path, "date,kind,name\n2027-01-01,holiday,元旦\n".encode("gbk"))
        code, _out, err = run("import", path)
        assert code == 1
        assert "UTF-8" in err

    def test_a_missing_file(self, tmp_path):
        code, _out, err = run("import", str(tmp_path / "nope.csv"))
        assert code == 1
        assert "找不到文件" in err

    def test_dry_run_writes_nothing(self, tmp_path):
        before = calendar_snapshot()
        code, out, _err = run("import", str(SAMPLE_2027), "--complete", "--dry-run")
        assert code == 0
        assert "检查通过（未写入） 34 行" in out
        assert calendar_snapshot() == before

    def test_dry_run_still_reports_errors(self, tmp_path):
        path = csv_file(tmp_path, "date,kind,name\n2027-1-32,holiday,\n")
        code, _out, err = run("import", path, "--dry-run")
        assert code == 1
        assert "第 2 行，date" in err


class TestMaintenance:
    def test_complete_then_status(self):
        assert run("complete", "2027") == (0, "2027 年已标记为完整。\n", "")
        code, out, _err = run("status")
        assert code == 0
        assert "2027\t完整\t工作人员录入" in out.splitlines()
        assert "2026\t完整\t由 chinese-calendar 导入" in out.splitlines()

    def test_seed_an_unknown_year_exits_1(self):
        code, _out, err = run("seed", "2027")
        assert code == 1
        assert "2027" in err

    def test_seed_again(self):
        assert run("seed", "2026") == (0, "已导入年份：2026\n", "")


@pytest.mark.postgres
class TestRealProcess:
    """The shell's view: a real `manage.py` process against the (committed, seeded) test database.
    PostgreSQL only: SQLite's in-memory test database is invisible to another process."""

    @staticmethod
    def manage(*args: str) -> subprocess.CompletedProcess:
        db = connection.settings_dict
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
        env = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
        return subprocess.run(
            [sys.executable, "manage.py", "workdays", *args],
            cwd=settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )

    def test_add(self):
        result = self.manage("add", "2026-09-25", "20")
        assert (result.returncode, result.stdout) == (0, "2026-10-29\n")

    def test_unknown_year_exit_code(self):
        result = self.manage("add", "2026-12-25", "10")
        assert result.returncode == 2
        assert "2027" in result.stderr

    def test_bad_date_exit_code(self):
        result = self.manage("add", "2026-02-30", "1")
        assert result.returncode == 1
        assert "2026-02-30" in result.stderr
