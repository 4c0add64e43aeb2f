"""The one list (一单): the check items the bureau may inspect, as its spreadsheet lists them —
the lawyers' ten, some of them key items, and one or two of each other sector's."""

# code, name, content, legal basis, key item, methods
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
# code, sector, name, content, legal basis, methods (none of them a key item)
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


# The organising body, ratio and frequency every demo item shares.
BODY, RATIO, FREQUENCY = "重庆市渝中区司法局", "5%", "1"


def check_items() -> list[dict[str, object]]:
    """The rows of the check items' spreadsheet, numbered within the lawyers' items and within
    the others'."""
    lawyers = [
        (code, "律师", name, content, basis, key, methods)
        for code, name, content, basis, key, methods in LAWYER_ITEMS
    ]
    others = [
        (code, sector, name, content, basis, False, methods)
        for code, sector, name, content, basis, methods in OTHER_ITEMS
    ]
    return [
        _row(order, *item)
        for items in (lawyers, others)
        for order, item in enumerate(items, start=1)
    ]


def _row(order, code, sector, name, content, basis, key, methods) -> dict[str, object]:
    return {
        "事项编码": code,
        "行业": sector,
        "事项名称": name,
        "抽查内容": content,
        "抽查依据": basis,
        "抽查主体": BODY,
        "抽查方式": "、".join(METHOD_LABELS[c] for c in methods.split("、")),
        "抽查比例": RATIO,
        "抽查频次": FREQUENCY,
        "重点事项": "是" if key else "否",
        "排序": order,
    }
