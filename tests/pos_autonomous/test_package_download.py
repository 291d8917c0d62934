"""A till's package (its credentials) is downloaded once (issue #22 item 5): by POST with the
form's CSRF token, claimed in the transaction that marks it downloaded (eight concurrent
downloads against a real server, two workers on PostgreSQL: one gets the file); the file
`core autonomous package -o` writes is mode 0600; the build folder is the server user's own."""
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from unittest.mock import patch

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from addons.pos_autonomous.central import builds
from addons.pos_autonomous.central.models import PackageBuild, PackagePart
from core.errors import CoreError
from core.models import utc_now
from tests.pos_autonomous.till_helpers import core
from tests.support import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    BUILT_IN_ADDONS_ONLY,
    csrf_token,
    post_form,
    signed_in_client,
    start_core_server,
    stop_process_group,
)
from tests.support import testing_app as built_app

PAGE = "/web/pos_autonomous/"
CONTENT = b"SQLite format 3\x00 and a till's credentials"


@pytest.fixture(autouse=True)
def package_folder(tmp_path, monkeypatch):
    folder = tmp_path / "packages"
    folder.mkdir(mode=0o700)
    monkeypatch.setenv("COMPTOIR_PACKAGE_DIR", str(folder))
    return folder


def finished_build(central):
    """A build marked done whose package is kept in the database (what `core autonomous
    build-package` leaves), in three parts."""
    build_id = builds.request_build(central, 1, "http://127.0.0.1:9", launch=False)
    path = builds.package_path(central, build_id)
    path.write_bytes(CONTENT)
    with central.engine.begin() as connection:
        with patch.object(builds, "PART_BYTES", 16):
            builds.store_package(connection, build_id, path)
        connection.execute(PackageBuild.__table__.update().where(PackageBuild.id == build_id)
                           .values(state=builds.DONE, till_id=1, finished_at=utc_now()))
    assert not path.exists()
    return build_id


def parts_left(central, build_id):
    with central.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(PackagePart).where(
            PackagePart.build_id == build_id))


def test_the_download_is_a_post_with_the_form_token_and_happens_once(central):
    admin = signed_in_client(built_app(central), central)
    build_id = finished_build(central)
    url = PAGE + f"builds/{build_id}/download"
    assert admin.get(url).status_code == 405  # a link on another site cannot spend it
    assert admin.post(url).status_code == 400  # nor a form without this page's token
    answer = post_form(admin, url, page=PAGE)
    assert answer.status_code == 200 and answer.get_data() == CONTENT
    answer.close()
    assert parts_left(central, build_id) == 0  # the till's credentials left the database
    again = post_form(admin, url, page=PAGE)
    assert again.status_code == 303


def test_concurrent_downloads_give_the_file_once(central, db_url, tmp_path, package_folder):
    """Eight downloads at once against a real server (two workers on PostgreSQL): three of
    eight got the file when reading and marking were two steps."""
    build_id = finished_build(central)
    postgres = make_url(db_url).get_backend_name() == "postgresql"
    env = {**BUILT_IN_ADDONS_ONLY, "COMPTOIR_PACKAGE_DIR": str(package_folder)}
    server = start_core_server(central.url, tmp_path, *(["--workers", "2"] if postgres else []),
                               env=env)
    try:
        session = requests.Session()
        token = csrf_token(session.get(server.url + "/web/login", timeout=10).text)
        signed = session.post(server.url + "/web/login", timeout=10, allow_redirects=False,
                              data={"login": ADMIN_LOGIN, "password": ADMIN_PASSWORD,
                                    "csrf_token": token})
        assert signed.status_code == 302, signed.text
        form_token = csrf_token(session.get(server.url + PAGE, timeout=10).text)
        cookies = session.cookies.get_dict()

        def download(_):
            answer = requests.post(server.url + PAGE + f"builds/{build_id}/download",
                                   data={"csrf_token": form_token}, cookies=cookies,
                                   allow_redirects=False, timeout=30)
            return answer.status_code, answer.content

        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(download, range(8)))
    finally:
        stop_process_group(server.process)
    got = [content for status, content in answers if status == 200]
    assert got == [CONTENT], [status for status, _ in answers]
    assert sorted(status for status, _ in answers) == [200] + [303] * 7


def test_core_autonomous_package_writes_a_file_only_its_user_reads(central, tmp_path):
    output = tmp_path / "till.package"
    core("--db", central.url, "autonomous", "package", "1", "-o", str(output),
         "--server", "http://127.0.0.1:9")
    assert stat.S_IMODE(os.stat(output).st_mode) == 0o600


def test_the_build_folder_must_be_the_servers_own(central, tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # another user made it first, or a shared temporary folder
    monkeypatch.setenv("COMPTOIR_PACKAGE_DIR", str(shared))
    with pytest.raises(CoreError, match="no one else may read"):
        builds.folder(central)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(elsewhere)
    monkeypatch.setenv("COMPTOIR_PACKAGE_DIR", str(link))
    with pytest.raises(CoreError):
        builds.folder(central)
    monkeypatch.setenv("COMPTOIR_PACKAGE_DIR", str(elsewhere))
    made = builds.folder(central)
    assert made.parent == elsewhere and stat.S_IMODE(os.stat(made).st_mode) == 0o700
