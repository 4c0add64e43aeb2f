"""The site's icon (issue 12 §11): browsers ask for /favicon.ico whatever the page says, and the
pages name the icon themselves (public pages, the inspectors' tablet screens, the admin)."""

import re
import urllib.request
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from PIL import Image

ICON_LINK = re.compile(r'<link rel="icon" href="([^"]+)"[^>]*>')


def test_favicon_ico_redirects_to_the_static_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == "/static/favicon.ico"
    assert "max-age=86400" in response["Cache-Control"]


def test_the_icon_files_exist_and_are_what_they_say():
    ico = finders.find("favicon.ico")
    assert ico, "static/favicon.ico is missing"
    with Image.open(ico) as image:
        assert image.format == "ICO"
        assert {(16, 16), (32, 32)} <= set(image.info["sizes"])
    svg = finders.find("favicon.svg")
    assert svg and Path(svg).read_text(encoding="utf-8").lstrip().startswith("<svg")


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("url_name", "who"),
    [
        ("registry:home", None),
        ("admin:login", None),
        ("admin:index", "staff_user"),
        ("inspect:login", None),
    ],
    ids=["public", "admin-login", "admin", "inspect"],
)
def test_every_base_template_links_the_icon(client, request, url_name, who):
    if who:
        client.force_login(request.getfixturevalue(who))
    response = client.get(reverse(url_name))
    assert response.status_code == 200
    links = ICON_LINK.findall(response.content.decode())
    assert links, "no <link rel=icon>"
    for href in links:
        assert href.startswith("/static/")
        assert finders.find(href.removeprefix("/static/")), href


# live_server makes the test transactional; serialized_rollback puts back what migrations made.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_live_server_serves_the_icon(live_server):
    # The whole way a browser goes: /favicon.ico, the redirect, the file.
    with urllib.request.urlopen(f"{live_server.url}/favicon.ico", timeout=10) as response:
        assert response.status == 200
        assert response.url.endswith("/static/favicon.ico")
        assert response.read(4) == b"\x00\x00\x01\x00"  # an ICO header
