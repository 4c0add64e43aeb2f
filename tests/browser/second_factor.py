"""The admin's second step in the browser (issue 14 §1): the user's authenticator (a known key,
tests/twofactor.py) and its current code typed on the code page."""

from playwright.sync_api import Page

from tests.twofactor import confirmed_totp, totp_code


def with_authenticator(user) -> None:
    """Give the staff account a confirmed authenticator before it logs in (no enrolment)."""
    confirmed_totp(user)


def pass_second_factor(page: Page, user) -> None:
    """On the code page after the password: the authenticator's current code."""
    page.get_by_label("验证码").fill(totp_code(confirmed_totp(user)))
    page.get_by_role("button", name="验证").click()
