"""`python manage.py demo_data [--password PW]`: a realistic, idempotent demo of Yuzhong district.

Registry rows go through the same import pipeline as the bureau's spreadsheets (so running it twice
changes nothing); accounts get the given password, or a random one that is printed. The 2026 plan,
its tasks and draws go through the inspection services (plan_publish, task_*, draw_*), so the demo
shows one announced-and-executed draw in which a conflict of interest recused an inspector, and one
draw that is announced and waits for its sources.
"""

import csv
import datetime as dt
import io
import random
import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from core import roles
from demo.story import fieldwork as demo_fieldwork
from demo.story.fieldwork import shanghai
from inspections.models import AnnualPlan, Draw, InspectionTask, PlanRound, PlanSection
from inspections.services.draws import draw_announce, draw_execute, draw_inputs
from inspections.services.plans import plan_publish
from inspections.services.tasks import task_create_for_round, task_decide, task_submit
from registry.imports import registry_import
from registry.models import (
    CheckItem,
    Inspector,
    Institution,
    Jurisdiction,
    RiskPolicy,
    Sector,
    SupervisionRecord,
)
from registry.services import institution_risk_refresh
from registry.validators import credit_code_check_char, id_number_check_char
from tools import verify_draw as algorithm

SEED = 20260101
YUZHONG = "500103"
JURISDICTIONS = [
    ("500000", "重庆市", "province", None),
    (YUZHONG, "渝中区", "county", "500000"),
    ("500105", "江北区", "county", "500000"),
    ("500106", "沙坪坝区", "county", "500000"),
    ("500107", "九龙坡区", "county", "500000"),
    ("500108", "南岸区", "county", "500000"),
]
NEIGHBOURS = ["500105", "500106", "500107", "500108"]

LAWYER_ITEMS = [
    (
        "LS-01",
        "律师事务所内部管理制度建设",
        "检查是否建立健全执业管理、利益冲突审查、收费与财务管理、投诉查处、年度考核、档案管理等制度并有效执行",
        "《中华人民共和国律师法》第二十三条",
        True,
        "on_site、case_file",
    ),
    (
        "LS-02",
        "年度执业情况报告和律师执业考核",
        "检查是否按期提交本所年度执业情况报告和律师执业考核结果",
        "《中华人民共和国律师法》第二十四条",
        False,
        "system、written",
    ),
    (
        "LS-03",
        "统一收案、统一收费",
        "检查律师承办业务是否由律师事务所统一接受委托、签订书面委托合同、统一收取费用并如实入账",
        "《中华人民共和国律师法》第二十五条",
        True,
        "case_file、phone",
    ),
    (
        "LS-04",
        "利益冲突审查",
        "检查是否存在在同一案件中为双方当事人担任代理人，或代理与本人及其近亲属有利益冲突的法律事务",
        "《中华人民共和国律师法》第三十九条",
        True,
        "case_file、system",
    ),
    (
        "LS-05",
        "律师执业禁止行为",
        "检查律师是否私自接受委托、收取费用，接受委托人财物或者其他利益",
        "《中华人民共和国律师法》第四十条",
        True,
        "case_file、phone",
    ),
    (
        "LS-06",
        "履行法律援助义务",
        "检查律师事务所和律师是否按照国家规定履行法律援助义务",
        "《中华人民共和国律师法》第四十二条",
        False,
        "system、written",
    ),
    (
        "LS-07",
        "律师在一个律师事务所执业",
        "检查律师是否同时在两个以上律师事务所执业",
        "《中华人民共和国律师法》第十条",
        False,
        "system",
    ),
    (
        "LS-08",
        "律师事务所执业许可证书使用",
        "检查是否涂改、出借、出租、抵押、转让、损毁执业许可证书",
        "《律师事务所管理办法》第六十五条",
        False,
        "on_site",
    ),
    (
        "LS-09",
        "律师执业证书管理",
        "检查律师执业证书是否由律师事务所统一保管，是否存在出借、出租执业证书",
        "《律师执业管理办法》第五十三条",
        False,
        "on_site、system",
    ),
    (
        "LS-10",
        "收费合同和收费票据",
        "检查是否与委托人签订收费合同，是否按规定出具合法票据",
        "《律师服务收费管理办法》第十二条",
        False,
        "case_file",
    ),
]
OTHER_ITEMS = [
    (
        "GZ-01",
        "公证",
        "公证员执业禁止行为",
        "检查公证员是否为本人及近亲属办理公证或者办理与本人及近亲属有利害关系的公证",
        "《中华人民共和国公证法》第二十三条",
        "case_file",
    ),
    (
        "GZ-02",
        "公证",
        "公证书出具程序",
        "检查公证事项的审查、出具程序是否合法",
        "《中华人民共和国公证法》第三十条",
        "case_file、on_site",
    ),
    (
        "SJ-01",
        "司法鉴定",
        "司法鉴定程序",
        "检查司法鉴定委托受理、实施、出具意见书是否符合程序规定",
        "《司法鉴定程序通则》第十一条",
        "case_file",
    ),
    (
        "ZC-01",
        "仲裁",
        "仲裁员回避",
        "检查仲裁员是否依法回避",
        "《中华人民共和国仲裁法》第三十四条",
        "case_file",
    ),
    (
        "FY-01",
        "法律援助",
        "法律援助服务质量",
        "检查法律援助人员是否依法履行职责、提供符合标准的法律援助服务",
        "《中华人民共和国法律援助法》第十九条",
        "case_file、phone",
    ),
    (
        "JC-01",
        "基层法律服务",
        "基层法律服务工作者执业范围",
        "检查是否超越业务范围执业",
        "《基层法律服务工作者管理办法》第三十三条",
        "case_file、on_site",
    ),
]
METHOD_LABELS = {
    "on_site": "现场检查",
    "system": "信息系统核查",
    "phone": "电话回访当事人",
    "written": "书面/网上检查",
    "case_file": "案卷评查",
}
FIRM_WORDS = [
    "正",
    "信",
    "明",
    "德",
    "衡",
    "泰",
    "华",
    "渝",
    "诚",
    "智",
    "鼎",
    "合",
    "君",
    "瑞",
    "金",
    "石",
    "朝",
    "天",
    "海",
    "嘉",
    "陵",
    "山",
    "城",
    "远",
    "博",
    "通",
    "新",
    "立",
    "志",
    "恒",
]
STREETS = [
    "解放碑民族路",
    "邹容路",
    "中山一路",
    "上清寺路",
    "大坪正街",
    "化龙桥",
    "两路口",
    "较场口",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国文辉力鹏飞宇航晨雪梅琳欣怡浩然"

INSPECTORS = [
    # name, certificate, jurisdiction, valid_to, sectors, staff type, status, account
    (
        "陈立新",
        "500103001001",
        YUZHONG,
        "2028-12-31",
        "律师、公证、基层法律服务",
        "司法行政机关工作人员",
        "在岗",
        "demo-inspector-1",
    ),
    (
        "刘晓梅",
        "500103001002",
        YUZHONG,
        "2029-06-30",
        "律师、法律援助",
        "司法行政机关工作人员",
        "在岗",
        "demo-inspector-2",
    ),
    (
        "王建国",
        "500103001003",
        YUZHONG,
        "2028-03-31",
        "律师",
        "司法行政机关工作人员",
        "在岗",
        "demo-inspector-3",
    ),
    (
        "赵敏",
        "500103001004",
        YUZHONG,
        "2029-12-31",
        "律师、司法鉴定",
        "司法行政机关工作人员",
        "在岗",
        "",
    ),
    (
        "孙浩然",
        "500103001005",
        YUZHONG,
        "2028-09-30",
        "律师、仲裁",
        "司法行政机关工作人员",
        "在岗",
        "",
    ),
    (
        "周静",
        "500103001006",
        YUZHONG,
        "2029-03-31",
        "律师、公证",
        "司法行政机关工作人员",
        "在岗",
        "",
    ),
    ("吴涛", "500103001007", YUZHONG, "2028-12-31", "律师", "司法行政机关工作人员", "在岗", ""),
    (
        "郑雪",
        "500103001008",
        YUZHONG,
        "2027-12-31",
        "律师、基层法律服务",
        "司法行政机关工作人员",
        "在岗",
        "",
    ),
    ("黄磊", "500103001009", YUZHONG, "2025-12-31", "律师", "司法行政机关工作人员", "在岗", ""),
    (
        "林欣怡",
        "500103001010",
        YUZHONG,
        "2029-12-31",
        "律师",
        "司法行政机关工作人员",
        "暂停执法",
        "",
    ),
    ("马志远", "500103009001", YUZHONG, "2029-12-31", "律师", "行业协会工作人员", "在岗", ""),
    ("何丽", "500103009002", YUZHONG, "2029-12-31", "律师", "行业协会工作人员", "在岗", ""),
    ("唐鹏飞", "500105001001", "500105", "2029-12-31", "律师", "司法行政机关工作人员", "在岗", ""),
    (
        "冯玉兰",
        "500108001001",
        "500108",
        "2029-12-31",
        "律师、公证",
        "司法行政机关工作人员",
        "在岗",
        "",
    ),
    ("邓宇航", "500106001001", "500106", "2028-12-31", "律师", "司法行政机关工作人员", "在岗", ""),
]
ACCOUNTS = [
    ("demo-admin", roles.SYSADMIN, True),
    ("demo-staff", roles.STAFF, True),
    ("demo-leader", roles.LEADER, True),
    ("demo-legal", roles.LEGAL, True),
    ("demo-auditor", roles.AUDITOR, True),
    ("demo-inspector-1", roles.INSPECTOR, False),
    ("demo-inspector-2", roles.INSPECTOR, False),
    ("demo-inspector-3", roles.INSPECTOR, False),
]


# The 2026 plan of Yuzhong (Y3.4, N7): sector, methods and the rounds' windows.
PLAN_YEAR = 2026
PLAN_TITLE = "重庆市渝中区司法局2026年度“双随机、一公开”抽查工作计划"
PLAN_SECTIONS = [
    (
        "lawyer",
        ["on_site", "system", "case_file", "phone"],
        [
            (dt.date(2026, 4, 1), dt.date(2026, 5, 31)),
            (dt.date(2026, 10, 12), dt.date(2026, 12, 18)),
        ],
    ),
    (
        "notary",
        ["case_file", "on_site"],
        [
            (dt.date(2026, 5, 11), dt.date(2026, 6, 19)),
            (dt.date(2026, 12, 7), dt.date(2026, 12, 25)),
        ],
    ),
]
# Demo draws: the lawyers' two rounds, announced and executed (the first carried through to the
# filing, the second in progress: registry/management/demo_fieldwork.py); the notaries' second
# round, announced and waiting for its sources. Times are Asia/Shanghai.
DEMO_DRAWS = [
    {
        "sector": "lawyer",
        "round": 1,
        "applied_at": (2026, 3, 16, 9, 30),
        "approved_at": (2026, 3, 17, 15, 0),
        "announced_at": (2026, 3, 20, 10, 0),
        "sources": [
            {"kind": "ssq", "name": "中国福利彩票双色球第2026032期", "date": "2026-03-24"},
            {"kind": "dlt", "name": "超级大乐透第26032期", "date": "2026-03-23"},
            {"kind": "index", "name": "上证综合指数收盘点位", "date": "2026-03-25"},
        ],
        "executed_at": (2026, 3, 26, 16, 30),
    },
    {
        "sector": "lawyer",
        "round": 2,
        "applied_at": (2026, 9, 21, 9, 30),
        "approved_at": (2026, 9, 22, 15, 0),
        "announced_at": (2026, 9, 28, 10, 0),
        "sources": [
            {"kind": "ssq", "name": "中国福利彩票双色球第2026115期", "date": "2026-10-08"},
            {"kind": "dlt", "name": "超级大乐透第26115期", "date": "2026-10-07"},
            {"kind": "index", "name": "上证综合指数收盘点位", "date": "2026-10-09"},
        ],
        "executed_at": (2026, 10, 9, 16, 30),
    },
    {
        "sector": "notary",
        "round": 2,
        "applied_at": (2026, 11, 19, 9, 30),
        "approved_at": (2026, 11, 20, 11, 0),
        "announced_at": (2026, 11, 24, 10, 0),
        "sources": [
            {"kind": "ssq", "name": "中国福利彩票双色球第2026138期", "date": "2026-12-01"},
            {"kind": "dlt", "name": "超级大乐透第26139期", "date": "2026-12-02"},
            {"kind": "index", "name": "上证综合指数收盘点位", "date": "2026-12-02"},
        ],
        "executed_at": None,
    },
]


def _csv(header: list[str], rows: list[list]) -> io.BytesIO:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(header)
    writer.writerows(rows)
    return io.BytesIO(text.getvalue().encode("utf-8"))


def credit_code(prefix: str, division: str, serial: int) -> str:
    body = f"{prefix}{division}MA{serial:07d}"
    return body + credit_code_check_char(body)


def source_values(rng: random.Random, kind: str) -> list[int]:
    """Plausible numbers of one public source, as they are read (SOURCE_KINDS)."""
    if kind == "ssq":  # 6 red balls of 33, 1 blue of 16
        return sorted(rng.sample(range(1, 34), 6)) + [rng.randint(1, 16)]
    if kind == "dlt":  # 5 front of 35, 2 back of 12
        return sorted(rng.sample(range(1, 36), 5)) + sorted(rng.sample(range(1, 13), 2))
    return [rng.randint(380_000, 410_000)]  # a close of the SSE Composite × 100


def id_number(rng: random.Random) -> str:
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(365 * 38))
    body = f"{YUZHONG}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + id_number_check_char(body)


class Command(BaseCommand):
    help = _("载入渝中区演示数据（可重复执行）")

    def add_arguments(self, parser):
        parser.add_argument("--password", help=_("演示账号的密码；不指定则随机生成并打印"))

    def handle(self, *args, password=None, **options):
        rng = random.Random(SEED)
        with transaction.atomic():
            self.jurisdictions()
            self.load("check-items", *self.check_items())
            firms = self.firms(rng)
            self.load("institutions", *firms)
            self.load("practitioners", *self.lawyers(rng, firms[1]))
            self.load("inspectors", *self.inspectors())
            self.load("conflicts", *self.conflicts(firms[1]))
            self.histories(rng)
            password = self.accounts(password)
            plan = self.plan()
            for spec in DEMO_DRAWS:
                self.draw(plan, spec)
            self.fieldwork(plan)
        self.stdout.write(self.style.SUCCESS(_("演示数据已就绪。")))
        self.stdout.write(
            _("演示账号（密码：%(pw)s）：%(names)s")
            % {"pw": password, "names": "、".join(a[0] for a in ACCOUNTS)}
        )

    def load(self, kind: str, header: list[str], rows: list[list]) -> None:
        result = registry_import(kind=kind, stream=_csv(header, rows), reason=_("演示数据"))
        if not result.ok:
            raise RuntimeError("\n".join(str(e) for e in result.errors))
        self.stdout.write(f"{kind}: {result.summary()}")

    def jurisdictions(self) -> None:
        for code, name, level, parent in JURISDICTIONS:
            wanted = {
                "name": name,
                "level": level,
                "parent": Jurisdiction.objects.filter(code=parent).first(),
            }
            jurisdiction = Jurisdiction.objects.filter(code=code).first()
            # Saved only when something differs: every save adds a history row (N6).
            if jurisdiction is None or any(
                getattr(jurisdiction, f) != v for f, v in wanted.items()
            ):
                Jurisdiction.objects.update_or_create(code=code, defaults=wanted)
        yuzhong = Jurisdiction.objects.get(code=YUZHONG)
        yuzhong.neighbours.set(Jurisdiction.objects.filter(code__in=NEIGHBOURS))
        RiskPolicy.objects.get_or_create(jurisdiction=yuzhong)

    def check_items(self):
        header = [
            "事项编码",
            "行业",
            "事项名称",
            "抽查内容",
            "抽查依据",
            "抽查主体",
            "抽查方式",
            "抽查比例",
            "抽查频次",
            "重点事项",
            "排序",
        ]
        body = "重庆市渝中区司法局"
        rows = [
            [
                code,
                "律师",
                name,
                content,
                basis,
                body,
                self._methods(methods),
                "5%",
                "1",
                "是" if key else "否",
                i,
            ]
            for i, (code, name, content, basis, key, methods) in enumerate(LAWYER_ITEMS, start=1)
        ] + [
            [code, sector, name, content, basis, body, self._methods(methods), "5%", "1", "否", i]
            for i, (code, sector, name, content, basis, methods) in enumerate(OTHER_ITEMS, start=1)
        ]
        return header, rows

    @staticmethod
    def _methods(codes: str) -> str:
        return "、".join(METHOD_LABELS[c] for c in codes.split("、"))

    def firms(self, rng: random.Random):
        header = [
            "统一社会信用代码",
            "机构名称",
            "行业",
            "辖区代码",
            "执业许可证号",
            "负责人",
            "地址",
            "状态",
            "成立日期",
            "规模",
        ]
        rows, names = [], set()
        for n in range(1, 151):
            while True:
                name = "重庆" + "".join(rng.sample(FIRM_WORDS, 2)) + "律师事务所"
                if name not in names:
                    names.add(name)
                    break
            status = "执业" if n % 37 else "停业整顿"
            rows.append(
                [
                    credit_code("31", YUZHONG, n),
                    name,
                    "律师",
                    YUZHONG,
                    f"3150020{n:08d}",
                    self._person(rng),
                    f"重庆市渝中区{rng.choice(STREETS)}{rng.randint(1, 300)}号",
                    status,
                    f"{rng.randint(1995, 2022)}-{rng.randint(1, 12):02d}-01",
                    10,
                ]
            )
        rows.append(
            [
                credit_code("32", YUZHONG, 1),
                "重庆市渝中公证处",
                "公证",
                YUZHONG,
                "",
                "李主任",
                "重庆市渝中区中山一路8号",
                "执业",
                "1985-06-01",
                40,
            ]
        )
        rows.append(
            [
                "12500103MB1234567" + credit_code_check_char("12500103MB1234567"),
                "渝中区法律援助中心",
                "法律援助",
                YUZHONG,
                "",
                "张主任",
                "重庆市渝中区人民路2号",
                "执业",
                "1998-01-01",
                12,
            ]
        )
        return header, rows

    @staticmethod
    def _person(rng: random.Random) -> str:
        return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))

    def lawyers(self, rng: random.Random, firm_rows):
        header = ["执业证号", "姓名", "统一社会信用代码", "身份证号", "状态", "联系电话"]
        rows, serial = [], 0
        for firm in firm_rows[:150]:
            for _i in range(10):
                serial += 1
                rows.append(
                    [
                        f"150012{2000 + serial % 20}1{serial:07d}",
                        self._person(rng),
                        firm[0],
                        id_number(rng),
                        "执业",
                        f"13{rng.randint(0, 9)}{rng.randrange(10**8):08d}",
                    ]
                )
        return header, rows

    def inspectors(self):
        header = [
            "执法证号",
            "姓名",
            "辖区代码",
            "证件有效期至",
            "可检查行业",
            "人员类别",
            "状态",
            "发证机关",
        ]
        rows = [
            [cert, name, jur, valid_to, sectors, staff, status, "重庆市人民政府"]
            for name, cert, jur, valid_to, sectors, staff, status, _acct in INSPECTORS
        ]
        return header, rows

    def conflicts(self, firm_rows):
        header = ["执法证号", "统一社会信用代码", "关系类型", "执业证号", "说明", "来源"]
        first_lawyer = "150012{}1{:07d}"
        rows = [
            [
                "500103001001",
                firm_rows[0][0],
                "近亲属关系",
                first_lawyer.format(2001, 1),
                "配偶在该所执业",
                "本人申报",
            ],
            [
                "500103001002",
                firm_rows[1][0],
                "曾在该机构任职",
                "",
                "2019 年前在该所任行政主管",
                "工作人员核实",
            ],
            [
                "500103001003",
                firm_rows[2][0],
                "经济利益关系",
                "",
                "持有该所合伙人经营企业的股份",
                "他人举报",
            ],
            ["500103001004", firm_rows[0][0], "曾有纠纷", "", "曾与该所存在民事纠纷", "本人申报"],
            ["500103001005", firm_rows[3][0], "近亲属关系", "", "兄弟为该所主任", "本人申报"],
        ]
        return header, rows

    def histories(self, rng: random.Random) -> None:
        """Supervision events that give all three risk tiers (Y3.2); added once per institution."""
        today = dt.date.today()
        Kind = SupervisionRecord.Kind
        firms = Institution.objects.filter(sector__code="lawyer").order_by("credit_code")
        have = set(SupervisionRecord.objects.values_list("institution_id", flat=True).distinct())
        records = []
        for index, firm in enumerate(firms):
            if firm.id in have:
                continue
            ago = lambda days: today - dt.timedelta(days=days)  # noqa: E731
            profile = index % 10
            if profile == 0:  # key: an administrative penalty
                records.append(
                    SupervisionRecord(
                        institution=firm,
                        kind=Kind.PENALTY,
                        date=ago(200),
                        reference=f"渝中司罚决字〔{today.year - 1}〕{index}号",
                        description="未统一收案收费，予以警告",
                    )
                )
            elif profile == 1:  # key: repeated valid complaints
                records += [
                    SupervisionRecord(
                        institution=firm,
                        kind=Kind.COMPLAINT,
                        date=ago(30 + 40 * k),
                        valid=True,
                        description="当事人投诉未及时告知案件进展",
                    )
                    for k in range(2)
                ]
            elif profile == 2:  # key: refused pro-bono work and poor satisfaction
                records += [
                    SupervisionRecord(institution=firm, kind=Kind.PRO_BONO_REFUSAL, date=ago(90)),
                    SupervisionRecord(
                        institution=firm, kind=Kind.SATISFACTION, date=ago(60), score=55
                    ),
                ]
            elif profile in (3, 4, 5):  # reduced: clean record, high satisfaction, pro bono
                records += [
                    SupervisionRecord(
                        institution=firm,
                        kind=Kind.SATISFACTION,
                        date=ago(50),
                        score=rng.randint(90, 99),
                    ),
                    SupervisionRecord(
                        institution=firm,
                        kind=Kind.PRO_BONO,
                        date=ago(120),
                        description="参与公共法律服务值班",
                    ),
                ]
                if profile == 3:
                    records.append(
                        SupervisionRecord(
                            institution=firm,
                            kind=Kind.COMMENDATION,
                            date=ago(300),
                            reference="渝中司发〔2025〕8号",
                            description="年度优秀律师事务所",
                        )
                    )
            else:  # normal: average satisfaction, an invalid complaint
                records += [
                    SupervisionRecord(
                        institution=firm,
                        kind=Kind.SATISFACTION,
                        date=ago(70),
                        score=rng.randint(70, 89),
                    ),
                    SupervisionRecord(
                        institution=firm,
                        kind=Kind.COMPLAINT,
                        date=ago(100),
                        valid=False,
                        description="投诉经核查不属实",
                    ),
                ]
        SupervisionRecord.objects.bulk_create(records)
        institution_risk_refresh()

    def accounts(self, password: str | None) -> str:
        password = password or secrets.token_urlsafe(9)
        User = get_user_model()
        for username, group, is_staff in ACCOUNTS:
            user, _created = User.objects.get_or_create(username=username)
            user.is_staff = is_staff
            user.is_superuser = False  # least privilege: roles come from the groups
            user.set_password(password)
            user.save()
            user.groups.set([Group.objects.get(name=group)])
        for _name, cert, *_rest, account in INSPECTORS:
            if account:
                Inspector.objects.filter(certificate_number=cert).update(
                    user=User.objects.get(username=account)
                )
        return password

    def plan(self) -> AnnualPlan:
        """The 2026 plan with every check item in force per sector (N9) and two rounds (N8)."""
        staff = get_user_model().objects.get(username="demo-staff")
        plan, _created = AnnualPlan.objects.get_or_create(
            jurisdiction=Jurisdiction.objects.get(code=YUZHONG),
            year=PLAN_YEAR,
            defaults={"title": PLAN_TITLE},
        )
        if plan.is_published:
            return plan
        for sector_code, methods, rounds in PLAN_SECTIONS:
            sector = Sector.objects.get(code=sector_code)
            section, _created = PlanSection.objects.get_or_create(
                plan=plan, sector=sector, defaults={"methods": methods}
            )
            items = CheckItem.objects.filter(sector=sector).active_on(rounds[0][0])
            section.check_items.set(items)
            for number, (starts_on, ends_on) in enumerate(rounds, start=1):
                PlanRound.objects.get_or_create(
                    section=section,
                    number=number,
                    defaults={"starts_on": starts_on, "ends_on": ends_on},
                )
        # Published on time (Y3.4: by 31 January), replayed on its day: the publication time and
        # the plan's deadline agree.
        with demo_fieldwork.replayed_at(shanghai(2026, 1, 20, 9, 30)):
            plan_publish(plan=plan, user=staff)
        self.stdout.write(f"plan: {plan}")
        return plan

    def draw(self, plan: AnnualPlan, spec: dict) -> None:
        """A task applied for by the office and approved by the leader in charge (N10(1)), its
        draw announced and, when `spec` says so, executed. Each step is done once only."""
        User = get_user_model()
        staff, leader = (
            User.objects.get(username="demo-staff"),
            User.objects.get(username="demo-leader"),
        )
        plan_round = PlanRound.objects.get(
            section__plan=plan, section__sector__code=spec["sector"], number=spec["round"]
        )
        task = plan_round.tasks.filter(kind=InspectionTask.Kind.RANDOM).first()
        if task is None:
            task = task_create_for_round(plan_round=plan_round, user=staff)
        if task.status == InspectionTask.Status.DRAFT:
            # Replayed on their days, before the round (whatever day the demo is loaded on): the
            # stamps are those days, and the approval is not one of a period already past.
            with demo_fieldwork.replayed_at(shanghai(*spec["applied_at"])):
                task = task_submit(task=task, user=staff)
            with demo_fieldwork.replayed_at(shanghai(*spec["approved_at"])):
                task = task_decide(task=task, user=leader, approve=True, note="同意。")
        draw = task.current_draw()
        if draw is None:
            # Replayed at its own dates: the sources lie after the announcement and no later
            # than the execution, whatever day the demo is loaded on.
            draw = draw_announce(
                task=task, sources=spec["sources"], user=staff, at=shanghai(*spec["announced_at"])
            )
        if spec["executed_at"] and not draw.is_executed:
            draw = draw_execute(
                draw=draw,
                values=self.values_with_conflict(draw),
                user=staff,
                at=shanghai(*spec["executed_at"]),
            )
        self.stdout.write(f"draw: {draw} ({draw.get_status_display()})")

    def fieldwork(self, plan: AnnualPlan) -> None:
        User = get_user_model()
        staff, leader, legal = (
            User.objects.get(username=name) for name in ("demo-staff", "demo-leader", "demo-legal")
        )
        demo_fieldwork.inspector_accounts()
        tasks = {
            t.plan_round.number: t
            for t in InspectionTask.objects.filter(
                plan_round__section__plan=plan, plan_round__section__sector__code="lawyer"
            ).select_related("plan_round")
        }
        demo_fieldwork.finish_round(tasks[1], staff=staff, leader=leader, legal=legal)
        demo_fieldwork.round_in_progress(tasks[2])
        self.stdout.write(_("检查：第 1 批已办结并备案，第 2 批检查进行中。"))

    @staticmethod
    def values_with_conflict(draw: Draw) -> list[list[int]]:
        """Source values, chosen deterministically, under which a conflicted inspector is drawn
        and recused (N11): the demo's public pages then show a recusal step."""
        rng = random.Random(SEED)  # the same values on every fresh database
        kinds = [s["kind"] for s in draw.announcement["sources"]]
        for _attempt in range(1000):
            values = [source_values(rng, kind) for kind in kinds]
            result = algorithm.compute_draw(draw_inputs(draw, values))
            steps = (step for team in result["teams"] for step in team["steps"])
            if any(step["outcome"] == "conflict" for step in steps):
                return values
        raise RuntimeError("no demo source values give a recusal; add conflicts to the demo")
