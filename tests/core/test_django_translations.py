"""Django's own strings on the Chinese staff screens (issue 12 §11.3): the two-column picker of the
filter_horizontal fields and the user form said English, because Django 5.2's zh_Hans catalogues
lack those strings; locale-django/ carries them (see its README)."""

import json
import re

import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

PICKER = {
    "Choose all %s": "全选%s",
    "Remove all %s": "移除全部%s",
    "Choose selected %s": "添加所选%s",
    "Remove selected %s": "移除所选%s",
    'Choose %s by selecting them and then select the "Choose" arrow button.': (
        "选中要添加的%s，再点击“添加”箭头按钮。"
    ),
    'Remove %s by selecting them and then select the "Remove" arrow button.': (
        "选中要移除的%s，再点击“移除”箭头按钮。"
    ),
    # Translated by Django already: they must stay so.
    "Available %s": "可用 %s",
    "Chosen %s": "选中的 %s",
    "Filter": "过滤",
}


def js_catalog(client) -> dict:
    response = client.get(reverse("admin:jsi18n"))
    assert response.status_code == 200
    found = re.search(r"const newcatalog = (\{.*?\});\n", response.content.decode(), re.S)
    return json.loads(found.group(1)) if found else {}  # English: no catalogue at all


def test_the_admin_javascript_catalogue_is_chinese(staff_client):
    catalog = js_catalog(staff_client)
    for english, chinese in PICKER.items():
        assert catalog.get(english) == chinese, english


def test_english_stays_english_when_chosen(staff_client, settings):
    staff_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "Choose all %s" not in js_catalog(staff_client)


def test_the_user_form_is_chinese(client, sysadmin_user):
    client.force_login(sysadmin_user)
    url = reverse("admin:auth_user_add")
    html = client.get(url).content.decode()
    assert "创建用户后，即可编辑该用户的其他选项。" in html
    assert "After you" not in html
    response = client.post(
        url,
        {"username": "new.staff", "usable_password": "true", "password1": "a1", "password2": "a1"},
    )
    errors = " ".join(response.context["adminform"].form.errors["password2"])
    assert "密码太短，至少须包含 10 个字符。" in errors
    assert "too short" not in errors
    assert response.content.decode().count("错误：") == 1  # the page title


def test_permissions_are_named_in_chinese(client, admin_user):
    # Django stores "Can add log entry" once, in English; the pickers name them from the model.
    # Only a superuser's screen has the picker: roles are code (core.roles), read-only on screens.
    client.force_login(admin_user)
    url = reverse("admin:auth_user_change", args=[admin_user.pk])
    form = client.get(url).context["adminform"].form
    labels = [label for _value, label in form.fields["user_permissions"].choices]
    assert "管理 | 日志记录 | 增加" in labels
    assert "抽查检查 | 检查任务 | 审批检查任务（单位负责人）" in labels
    assert "抽查检查 | 检查任务的辖区（历史记录） | 查看" in labels
    assert not [label for label in labels if re.search("[A-Za-z]{2,}", label)]
    page = client.get(url).content.decode()
    assert "Can add" not in page and "historical" not in page


def test_the_history_and_export_screens_are_chinese():
    with translation.override("zh-hans"):
        assert translation.gettext("Changes") == "变更内容"
        assert translation.gettext("Select all") == "全选"
        assert (
            translation.ngettext("Export %(len)s selected item.", "", 3)
            == "导出所选的 %(len)s 项。"
        )
