"""The autonomous admin pages in Chromium: the till's page follows a full import by itself
(rows, rate, time left, then synchronised) while the test applies its pages; the central page
makes a till's package in the background, follows it and downloads the file when it is
ready."""
import re
import threading
from decimal import Decimal

import pytest

from addons.point_of_sale import Product
from addons.pos_autonomous.central import builds, exports
from addons.pos_autonomous.till.synchroniser import Synchroniser, request_full_import
from core.addons import AddonCatalog
from core.errors import CoreError
from core.instance import Instance
from tests.browser import expect, screenshot, watch_errors
from tests.pos_autonomous.conftest import TILL_MANAGER, TILL_MANAGER_PIN
from tests.pos_autonomous.till_helpers import set_parameters
from tests.support import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    BUILT_IN_ADDONS_ONLY,
    start_core_server,
    stop_process_group,
)

pytestmark = [pytest.mark.browser, pytest.mark.server, pytest.mark.timeout(120)]


def sign_in(page, url, login=ADMIN_LOGIN, secret=ADMIN_PASSWORD):
    """The admin page of `url`: the central's admin, or on a till its manager with the PIN."""
    page.goto(url + "/web/pos_autonomous/")
    expect(page).to_have_url(re.compile(r"/web/login\?next="))
    page.get_by_label("Login").fill(login)
    page.get_by_label("Password").fill(secret)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/web/pos_autonomous/"))


def rows_done(page):
    text = page.locator("#checkpoint-point_of_sale\\.product td").nth(3).text_content()
    return int(re.search(r"(\d+)/\d+ rows", text).group(1))


def test_the_till_page_follows_a_full_import_and_the_central_page_makes_a_package(
        browser_context, central, central_server, make_till, tmp_path):
    till_url = make_till(1, "--cashier", TILL_MANAGER)
    set_parameters(till_url, {"pos_autonomous.page_size": "100"})
    with central.engine.begin() as connection:
        connection.execute(Product.__table__.insert(), [
            {"name": f"Item {n}", "price": Decimal("1.50"), "tax_rate": Decimal("20"),
             "category": "Bulk", "barcode": f"B{n}"} for n in range(3000)])
    till = Instance(till_url, AddonCatalog())
    request_full_import(till)
    synchroniser = Synchroniser(till)
    till_server = start_core_server(till_url, tmp_path, env=BUILT_IN_ADDONS_ONLY)
    page = browser_context.new_page()
    errors = watch_errors(page)
    try:
        sign_in(page, till_server.url, TILL_MANAGER, TILL_MANAGER_PIN)
        product = page.locator("#checkpoint-point_of_sale\\.product")
        for _ in range(3):
            synchroniser.pull_page()
        expect(page.locator("#sync-state td")).to_have_text("importing")
        expect(product).to_contain_text(re.compile(r"requested: \d+/30\d\d rows, \d+ rows/s"))
        first = rows_done(page)
        for _ in range(10):
            synchroniser.pull_page()
        expect(product).to_contain_text(re.compile(r"\d+/30\d\d rows, \d+ rows/s, \d+ s left"))
        expect(product).to_contain_text(re.compile(rf"\b{first + 1000}/"))  # by itself
        screenshot(page, "pos_autonomous_till_admin_importing.png")
        synchroniser.sync_once()
        expect(page.locator("#sync-state td")).to_have_text("ok", timeout=8000)
        expect(product.locator("td").nth(1)).to_have_text("incremental")
        expect(product.locator("td").nth(3)).to_have_text("")

        central_page = browser_context.new_page()
        sign_in(central_page, central_server.url)
        form = central_page.locator("#new-till")
        form.get_by_label("POS config").select_option("2")
        form.get_by_label("Name").fill("Bar till")
        form.get_by_label("This server's address").fill(central_server.url)
        form.get_by_label(TILL_MANAGER).check()
        screenshot(central_page, "pos_autonomous_central_admin.png")
        with central_page.expect_download(timeout=30000) as download:
            form.get_by_role("button", name="Make the package (download)").click()
        package = tmp_path / "bar.package"
        download.value.save_as(package)
        made = re.fullmatch(r"till-(\d+)-config-2\.package", download.value.suggested_filename)
        assert made, download.value.suggested_filename
        assert package.read_bytes().startswith(b"SQLite format 3\x00")
        central_page.reload()
        build = central_page.locator("#package-builds tbody tr").first
        expect(build.locator(".build-state")).to_have_text("done")
        expect(build.locator(".build-till")).to_have_text(made.group(1))
        expect(build.locator(".build-progress")).to_have_text(
            re.compile(r"^\d{4,} rows copied; downloaded \(the file is gone\)$"))
        build.scroll_into_view_if_needed()
        screenshot(central_page, "pos_autonomous_central_package_built.png")
        row = central_page.locator(f"#till-{made.group(1)}")
        expect(row.locator("td").nth(1)).to_have_text("Bar till")
        expect(row.locator("summary")).to_have_text(TILL_MANAGER)  # its cashiers
    finally:
        synchroniser.client.close()
        till.engine.dispose()
        stop_process_group(till_server.process)
    assert errors == []


def test_the_central_page_follows_a_package_being_made_then_downloads_it(
        browser_context, central, central_server, tmp_path):
    """The build runs here (run_build, as its process does) and pauses after its first page
    (its `say` waits) until the page has shown that page's progress."""
    with central.engine.begin() as connection:
        connection.execute(Product.__table__.insert(), [
            {"name": f"Item {n}", "price": Decimal("1.50"), "tax_rate": Decimal("20"),
             "category": "Bulk", "barcode": f"B{n}"} for n in range(25000)])
    build_id = builds.request_build(central, 1, central_server.url, launch=False)
    first_page_seen, pages = threading.Event(), []

    def say(words):
        pages.append(words)
        first_page_seen.wait(60)
    page = browser_context.new_page()
    errors = watch_errors(page)
    sign_in(page, central_server.url)
    row = page.locator(f"#build-{build_id}")
    expect(row.locator(".build-progress")).to_have_text("starting…")
    worker = threading.Thread(target=builds.run_build, args=(central, build_id, say))
    worker.start()
    try:
        expect(row.locator(".build-state")).to_have_text("running")
        expect(row.locator(".build-progress")).to_have_text(
            re.compile(r"^10000/250\d\d rows, \d+ rows/s, \d+ s left$"))
        row.scroll_into_view_if_needed()
        screenshot(page, "pos_autonomous_central_package_progress.png")
        with page.expect_download(timeout=30000) as download:
            first_page_seen.set()
    finally:
        first_page_seen.set()
        worker.join()
    assert download.value.suggested_filename.endswith("-config-1.package")
    expect(row.locator(".build-state")).to_have_text("done")
    assert len(pages) >= 3 and errors == []


def test_the_central_page_shows_the_file_exports_and_their_errors(
        browser_context, central, central_server, tmp_path):
    exports.run_export(central, 1, str(tmp_path / "exports"), interval_s=300)
    with pytest.raises(CoreError):
        exports.run_export(central, 2, "ftp://till:secret123@127.0.0.1:9/", interval_s=300)
    page = browser_context.new_page()
    errors = watch_errors(page)
    sign_in(page, central_server.url)
    table = page.locator("#export-runs")
    table.scroll_into_view_if_needed()
    first, second = table.locator("tbody tr").nth(0), table.locator("tbody tr").nth(1)
    expect(first.locator("td").nth(2)).to_have_text("every 300 s")
    expect(first.locator("td").nth(3)).to_contain_text(re.compile(r"full, \d+ file\(s\)"))
    expect(first.locator("td").nth(5)).to_have_text("none")
    expect(second.locator("td").nth(1)).to_have_text("ftp://127.0.0.1:9/")  # no password
    expect(second.locator("td").nth(3)).to_have_text("never")
    expect(second.locator("td").nth(5)).to_contain_text(
        re.compile(r"cannot reach the FTP server ftp://127\.0\.0\.1:9/.*\(1 failure\(s\) in a row\)"))
    screenshot(page, "pos_autonomous_central_file_exports.png")
    assert errors == []
