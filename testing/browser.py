"""Helpers for the Playwright tests."""

from testing.factories import TEST_PASSWORD


def sign_in(page, site, email, password=TEST_PASSWORD):
    page.goto(site + "/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name="Sign In").click()
