"""The admin pages in a real browser (Debian's Chromium, driven by Playwright) against a real
`core serve` process, used as a person would: by labels, buttons and what the page says."""
import re

import pytest

from tests.browser import ARTIFACTS
from tests.support import ADMIN_LOGIN, ADMIN_PASSWORD, scalar

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser_context):
    return browser_context.new_page()


def test_an_admin_installs_an_addon_fixes_a_setting_and_creates_a_parameter(
        page, start_server, admin_user, instance):
    from playwright.sync_api import expect
    server = start_server()

    # Signing in: the Apps page sends a visitor to the login form, then back.
    page.goto(server.url + "/web/apps")
    expect(page).to_have_url(re.compile(r"/web/login\?next="))
    page.get_by_label("Login").fill(ADMIN_LOGIN)
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Apps")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/web/apps"))

    # Installing base_thing from its row.
    row = page.locator("#addon-base_thing")
    expect(row).to_contain_text("Not installed")
    row.get_by_role("button", name="Install").click()
    expect(page.get_by_role("status")).to_have_text("Installed: base_thing.")
    expect(row.locator("td.state-installed")).to_have_text("Installed")

    # Its settings form is there at once; a number out of range is refused with a message.
    page.goto(server.url + "/web/settings/base_thing.item/1")
    check_every = page.get_by_label("Check every (seconds)")
    expect(check_every).to_have_value("60")
    check_every.fill("99999")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#field-check_every .error")).to_have_text("must be at most 3600")
    expect(page.get_by_text("Some fields need attention.")).to_be_visible()
    expect(check_every).to_have_value("99999")  # what was typed stays, to be corrected
    expect(check_every).to_have_attribute("aria-invalid", "true")
    expect(check_every).to_have_accessible_description("must be at most 3600")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "settings-error.png"), full_page=True)

    check_every.fill("120")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Settings saved.")
    expect(page.get_by_label("Check every (seconds)")).to_have_value("120")
    expect(page.locator("#field-check_every .error")).to_have_count(0)
    expect(page.get_by_label("Check every (seconds)")).not_to_have_attribute("aria-invalid",
                                                                             "true")

    # System Parameters, in developer mode: create a value for a declared key.
    page.goto(server.url + "/web/parameters?debug=1")
    expect(page.get_by_role("heading", name="System Parameters")).to_be_visible()
    page.get_by_role("button", name="Create").click()
    expect(page.get_by_role("heading", name="Create a system parameter")).to_be_visible()
    page.get_by_label("Key").fill("core.max_request_bytes")
    page.get_by_label("Value").fill("2097152")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_have_text("Saved core.max_request_bytes.")
    expect(page.locator('[id="param-core.max_request_bytes"] td.value')).to_have_text("2097152")

    assert scalar(instance, "SELECT value FROM core_parameter WHERE key = :k",
                  k="core.max_request_bytes") == "2097152"
    assert scalar(instance, "SELECT value FROM core_record_setting WHERE form = :f AND "
                  "record_id = 1 AND field = 'check_every'", f="base_thing.item") == "120"
