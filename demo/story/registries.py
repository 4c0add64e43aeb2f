"""The registries of Yuzhong district: its jurisdictions and neighbours, the institutions and their
lawyers, the inspectors and the conflicts they declared, as the bureau's spreadsheets hold them, and
each firm's supervision history (the risk tiers). Rows go through the same import pipeline as the
bureau's own spreadsheets, so running the demo twice changes nothing."""

import csv
import datetime as dt
import io
import random
from collections.abc import Iterator

from django.utils.translation import gettext as _

from demo.story.check_items import check_items
from registry.imports import KINDS, registry_import
from registry.models import Institution, Jurisdiction, RiskPolicy, SupervisionRecord
from registry.services import institution_risk_refresh
from registry.validators import credit_code_check_char, id_number_check_char

# A spreadsheet row: its cells by column header. Each kind's rows are spelled out with the headers
# (inspector(), _institution(), …): alike in shape, but each is its own spreadsheet's columns.
Row = dict[str, object]

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

FIRM_WORDS = "正信明德衡泰华渝诚智鼎合君瑞金石朝天海嘉陵山城远博通新立志恒"
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
# The district's notary office and legal aid centre, beside its law firms: credit code (without
# its check character), name, sector, head, address, founded, size.
OTHER_INSTITUTIONS = [
    ("32500103MA0000001", "重庆市渝中公证处", "公证", "李主任", "重庆市渝中区中山一路8号", "1985-06-01", 40),
    ("12500103MB1234567", "渝中区法律援助中心", "法律援助", "张主任", "重庆市渝中区人民路2号", "1998-01-01", 12),
]  # fmt: skip
CIVIL_SERVANT, ASSOCIATION = "司法行政机关工作人员", "行业协会工作人员"


def inspector(
    name: str,
    certificate: str,
    valid_to: str,
    sectors: str,
    *,
    jurisdiction: str = YUZHONG,
    staff: str = CIVIL_SERVANT,
    status: str = "在岗",
) -> Row:
    return {
        "执法证号": certificate,
        "姓名": name,
        "辖区代码": jurisdiction,
        "证件有效期至": valid_to,
        "可检查行业": sectors,
        "人员类别": staff,
        "状态": status,
        "发证机关": "重庆市人民政府",
    }


INSPECTORS = [
    inspector("陈立新", "500103001001", "2028-12-31", "律师、公证、基层法律服务"),
    inspector("刘晓梅", "500103001002", "2029-06-30", "律师、法律援助"),
    inspector("王建国", "500103001003", "2028-03-31", "律师"),
    inspector("赵敏", "500103001004", "2029-12-31", "律师、司法鉴定"),
    inspector("孙浩然", "500103001005", "2028-09-30", "律师、仲裁"),
    inspector("周静", "500103001006", "2029-03-31", "律师、公证"),
    inspector("吴涛", "500103001007", "2028-12-31", "律师"),
    inspector("郑雪", "500103001008", "2027-12-31", "律师、基层法律服务"),
    inspector("黄磊", "500103001009", "2025-12-31", "律师"),
    inspector("林欣怡", "500103001010", "2029-12-31", "律师", status="暂停执法"),
    inspector("马志远", "500103009001", "2029-12-31", "律师", staff=ASSOCIATION),
    inspector("何丽", "500103009002", "2029-12-31", "律师", staff=ASSOCIATION),
    inspector("唐鹏飞", "500105001001", "2029-12-31", "律师", jurisdiction="500105"),
    inspector("冯玉兰", "500108001001", "2029-12-31", "律师、公证", jurisdiction="500108"),
    inspector("邓宇航", "500106001001", "2028-12-31", "律师", jurisdiction="500106"),
]
# Inspector, the firm (by its place among the institutions), relation, lawyer, note, source.
FIRST_LAWYER = "150012200110000001"  # of the first firm
CONFLICTS = [
    ("500103001001", 0, "近亲属关系", FIRST_LAWYER, "配偶在该所执业", "本人申报"),
    ("500103001002", 1, "曾在该机构任职", "", "2019 年前在该所任行政主管", "工作人员核实"),
    ("500103001003", 2, "经济利益关系", "", "持有该所合伙人经营企业的股份", "他人举报"),
    ("500103001004", 0, "曾有纠纷", "", "曾与该所存在民事纠纷", "本人申报"),
    ("500103001005", 3, "近亲属关系", "", "兄弟为该所主任", "本人申报"),
]


def jurisdictions() -> None:
    """Chongqing, Yuzhong and its neighbours, and Yuzhong's risk policy."""
    for code, name, level, parent in JURISDICTIONS:
        wanted = {
            "name": name,
            "level": level,
            "parent": Jurisdiction.objects.filter(code=parent).first(),
        }
        jurisdiction = Jurisdiction.objects.filter(code=code).first()
        # Saved only when something differs: every save adds a history row (N6).
        if jurisdiction is None or any(getattr(jurisdiction, f) != v for f, v in wanted.items()):
            Jurisdiction.objects.update_or_create(code=code, defaults=wanted)
    yuzhong = Jurisdiction.objects.get(code=YUZHONG)
    yuzhong.neighbours.set(Jurisdiction.objects.filter(code__in=NEIGHBOURS))
    RiskPolicy.objects.get_or_create(jurisdiction=yuzhong)


def sheets(rng: random.Random) -> Iterator[tuple[str, list[Row]]]:
    """Each import kind's spreadsheet, in the order they refer to one another."""
    yield "check-items", check_items()
    firms = institutions(rng)
    yield "institutions", firms
    yield "practitioners", practitioners(rng, firms)
    yield "inspectors", INSPECTORS
    yield "conflicts", conflicts(firms)


def sheet_import(kind: str, rows: list[Row]) -> str:
    """Import `rows` as the bureau's spreadsheet of `kind`; the import's summary."""
    result = registry_import(kind=kind, stream=_csv(kind, rows), reason=_("演示数据"))
    if not result.ok:
        raise RuntimeError("\n".join(str(e) for e in result.errors))
    return result.summary()


def _csv(kind: str, rows: list[Row]) -> io.BytesIO:
    """A CSV of the columns the rows fill, in the order of the import's own columns."""
    header = [column.header for column in KINDS[kind].columns if column.header in rows[0]]
    text = io.StringIO()
    writer = csv.DictWriter(text, header)  # a cell under another header raises ValueError
    writer.writeheader()
    writer.writerows(rows)
    return io.BytesIO(text.getvalue().encode("utf-8"))


def credit_code(prefix: str, division: str, serial: int) -> str:
    body = f"{prefix}{division}MA{serial:07d}"
    return body + credit_code_check_char(body)


def id_number(rng: random.Random) -> str:
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=rng.randrange(365 * 38))
    body = f"{YUZHONG}{birth:%Y%m%d}{rng.randrange(1000):03d}"
    return body + id_number_check_char(body)


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice([1, 2])))


def institutions(rng: random.Random) -> list[Row]:
    """150 law firms (one in 37 suspended), the notary office and the legal aid centre."""
    rows, names = [], set()
    for n in range(1, 151):
        name = _firm_name(rng, taken=names)
        rows.append(
            _institution(
                credit_code("31", YUZHONG, n),
                name,
                "律师",
                person(rng),
                f"重庆市渝中区{rng.choice(STREETS)}{rng.randint(1, 300)}号",
                f"{rng.randint(1995, 2022)}-{rng.randint(1, 12):02d}-01",
                10,
                licence=f"3150020{n:08d}",
                status="执业" if n % 37 else "停业整顿",
            )
        )
    rows += [
        _institution(code + credit_code_check_char(code), *row) for code, *row in OTHER_INSTITUTIONS
    ]
    return rows


def _firm_name(rng: random.Random, *, taken: set[str]) -> str:
    while True:
        name = "重庆" + "".join(rng.sample(FIRM_WORDS, 2)) + "律师事务所"
        if name not in taken:
            taken.add(name)
            return name


def _institution(
    code: str,
    name: str,
    sector: str,
    head: str,
    address: str,
    founded: str,
    size: int,
    *,
    licence: str = "",
    status: str = "执业",
) -> Row:
    return {
        "统一社会信用代码": code,
        "机构名称": name,
        "行业": sector,
        "辖区代码": YUZHONG,
        "执业许可证号": licence,
        "负责人": head,
        "地址": address,
        "状态": status,
        "成立日期": founded,
        "规模": size,
    }


def practitioners(rng: random.Random, institutions: list[Row]) -> list[Row]:
    """Ten lawyers in each law firm, with an ID number and a phone number (staff side only)."""
    rows, serial = [], 0
    for firm in institutions[:150]:
        for _i in range(10):
            serial += 1
            rows.append(
                {
                    "执业证号": f"150012{2000 + serial % 20}1{serial:07d}",
                    "姓名": person(rng),
                    "统一社会信用代码": firm["统一社会信用代码"],
                    "身份证号": id_number(rng),
                    "状态": "执业",
                    "联系电话": f"13{rng.randint(0, 9)}{rng.randrange(10**8):08d}",
                }
            )
    return rows


def conflicts(institutions: list[Row]) -> list[Row]:
    return [
        {
            "执法证号": certificate,
            "统一社会信用代码": institutions[firm]["统一社会信用代码"],
            "关系类型": kind,
            "执业证号": lawyer,
            "说明": note,
            "来源": source,
        }
        for certificate, firm, kind, lawyer, note, source in CONFLICTS
    ]


def histories(rng: random.Random) -> None:
    """Supervision events that give all three risk tiers (Y3.2); added once per institution."""
    today = dt.date.today()
    firms = Institution.objects.filter(sector__code="lawyer").order_by("credit_code")
    have = set(SupervisionRecord.objects.values_list("institution_id", flat=True).distinct())
    records = [
        record
        for index, firm in enumerate(firms)
        if firm.id not in have
        for record in _history(firm, index, rng=rng, today=today)
    ]
    SupervisionRecord.objects.bulk_create(records)
    institution_risk_refresh()


def _history(
    firm: Institution, index: int, *, rng: random.Random, today: dt.date
) -> list[SupervisionRecord]:
    """One firm's events, by its place: in every ten firms three are key, three reduced, four
    normal."""
    Kind = SupervisionRecord.Kind

    def event(kind: str, days_ago: int, **fields) -> SupervisionRecord:
        date = today - dt.timedelta(days=days_ago)
        return SupervisionRecord(institution=firm, kind=kind, date=date, **fields)

    profile = index % 10
    if profile == 0:  # key: an administrative penalty
        reference = f"渝中司罚决字〔{today.year - 1}〕{index}号"
        return [
            event(Kind.PENALTY, 200, reference=reference, description="未统一收案收费，予以警告")
        ]
    if profile == 1:  # key: repeated valid complaints
        complaint = {"valid": True, "description": "当事人投诉未及时告知案件进展"}
        return [event(Kind.COMPLAINT, 30 + 40 * k, **complaint) for k in range(2)]
    if profile == 2:  # key: refused pro-bono work and poor satisfaction
        return [event(Kind.PRO_BONO_REFUSAL, 90), event(Kind.SATISFACTION, 60, score=55)]
    if profile in (3, 4, 5):  # reduced: clean record, high satisfaction, pro bono
        records = [
            event(Kind.SATISFACTION, 50, score=rng.randint(90, 99)),
            event(Kind.PRO_BONO, 120, description="参与公共法律服务值班"),
        ]
        if profile == 3:
            commendation = {"reference": "渝中司发〔2025〕8号", "description": "年度优秀律师事务所"}
            records.append(event(Kind.COMMENDATION, 300, **commendation))
        return records
    # normal: average satisfaction, an invalid complaint
    return [
        event(Kind.SATISFACTION, 70, score=rng.randint(70, 89)),
        event(Kind.COMPLAINT, 100, valid=False, description="投诉经核查不属实"),
    ]
