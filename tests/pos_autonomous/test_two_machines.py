"""Two machines serve as one (#30 item 5): two `core serve` (two workers each on PostgreSQL),
each in its own working and temporary folder and package folder (standing in for two
machines), on one database, behind nginx running the very file docs/deploy.md documents
(*Two machines serving as one*: its upstream addresses, port and certificate replaced by
loopback ones and a certificate made here). Through nginx's round robin and through either
machine directly: admin sessions, a package build started on one and downloaded through the
other, a till's pull by read-ahead pages, the bus over WebSockets and long polling, and the
reloader (an addon installed through one is served by the other).

Needs nginx (Debian's nginx-light; `.ci/run` installs it, scripts/ensure-nginx) and openssl:
skipped, saying so, where either is missing."""
import json
import re
import shutil
import ssl
import subprocess
import time
import warnings
from pathlib import Path

import pytest
import requests
import simple_websocket
from urllib3.exceptions import InsecureRequestWarning

from addons.pos_autonomous.central.tills import register_till
from addons.pos_longpolling.bus import pos_channel
from tests.support import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    BUILT_IN_ADDONS_ONLY,
    bearer_header,
    csrf_token,
    free_port,
    installed_instance,
    scalar,
    set_parameter,
    start_core_server,
    stop_process_group,
)

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or next(
    (path for path in ("/usr/sbin/nginx",) if Path(path).exists()), None)
PAGE = "/web/pos_autonomous/"
WAIT = 60  # seconds at most for what happens in the background (a build, a rebuild)


def documented_nginx_file():
    """The nginx file of docs/deploy.md's *Two machines serving as one*."""
    section = (ROOT / "docs" / "deploy.md").read_text().split("## Two machines serving as one",
                                                              1)[1]
    return re.search(r"```nginx\n(.*?)```", section, re.S).group(1)


def local_nginx_file(sample, machine_ports, port, certificate, key):
    """The documented file with loopback addresses, a loopback port and this test's
    certificate: nothing else changed."""
    upstreams = re.findall(r"^\s*server [\d.]+:\d+;", sample, re.M)
    assert len(upstreams) == len(machine_ports), upstreams
    for line, machine_port in zip(upstreams, machine_ports, strict=True):
        sample = sample.replace(line, re.sub(r"[\d.]+:\d+", f"127.0.0.1:{machine_port}", line))
    assert "listen 443 ssl;" in sample
    sample = sample.replace("listen 443 ssl;", f"listen 127.0.0.1:{port} ssl;")
    sample = re.sub(r"ssl_certificate +\S+;", f"ssl_certificate {certificate};", sample)
    return re.sub(r"ssl_certificate_key +\S+;", f"ssl_certificate_key {key};", sample)


@pytest.fixture
def nginx_in_front(tmp_path):
    """`start(machine ports)`: nginx with the documented file on a loopback port, as this
    user, everything it writes under tmp_path; its https:// URL."""
    if NGINX is None:
        pytest.skip("nginx is not installed (Debian: apt-get install nginx-light; "
                    "scripts/ensure-nginx)")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: no certificate for nginx's TLS server")
    folder = tmp_path / "nginx"
    folder.mkdir()
    processes = []

    def start(machine_ports):
        certificate, key = folder / "cert.pem", folder / "key.pem"
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days",
                        "1", "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", certificate],
                       check=True, capture_output=True)
        port = free_port()
        (folder / "comptoir.conf").write_text(local_nginx_file(
            documented_nginx_file(), machine_ports, port, certificate, key))
        temp = " ".join(f"{kind}_temp_path {folder / kind};"
                        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        (folder / "nginx.conf").write_text(
            f"pid {folder / 'nginx.pid'};\nerror_log {folder / 'error.log'};\n"
            "events { worker_connections 512; }\n"
            f"http {{ access_log {folder / 'access.log'}; {temp}\n"
            f"  include {folder / 'comptoir.conf'};\n}}\n")
        processes.append(subprocess.Popen(
            [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c",
             str(folder / "nginx.conf"), "-g", "daemon off; master_process off;"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
            start_new_session=True))
        url = f"https://127.0.0.1:{port}"
        wait_until(lambda: answers(url), f"nginx on {url}: "
                   + ((folder / "error.log").read_text() if (folder / "error.log").exists()
                      else ""))
        return url

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureRequestWarning)
        yield start
    for process in processes:
        stop_process_group(process)


def answers(url):
    try:
        return requests.get(url + "/web/health", verify=False, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def wait_until(condition, what, limit=WAIT):
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"still not: {what}"
        time.sleep(0.2)


@pytest.fixture
def central(db_url):
    instance = installed_instance(db_url, ["point_of_sale", "pos_autonomous", "pos_longpolling"])
    set_parameter(instance, "pos_longpolling.poll_timeout", 2)
    yield instance
    instance.engine.dispose()


@pytest.fixture
def machines(central, tmp_path):
    """Two servers of `central`, each with its own working, temporary and package folders."""
    postgres = central.engine.dialect.name == "postgresql"
    started = []
    for name in ("a", "b"):
        folder = tmp_path / f"machine-{name}"
        (folder / "tmp").mkdir(parents=True)
        (folder / "packages").mkdir(mode=0o700)
        env = {**BUILT_IN_ADDONS_ONLY, "TMPDIR": str(folder / "tmp"),
               "COMPTOIR_PACKAGE_DIR": str(folder / "packages")}
        started.append(start_core_server(central.url, folder,
                                         *(["--workers", "2"] if postgres else []),
                                         env=env, cwd=folder))
        started[-1].folder = folder
    yield started
    for server in started:
        stop_process_group(server.process)


def served_by(server):
    """The pids answering for `server`: the process and its children (gunicorn's workers)."""
    pids = {server.process.pid}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rpartition(")")[2].split()[1])
            except (OSError, ValueError):
                continue
            if parent == server.process.pid:
                pids.add(int(entry.name))
    return pids


class Browser:
    """An admin signed in through nginx; the same cookie sent to either machine directly."""

    def __init__(self, front):
        self.front, self.session = front, requests.Session()
        token = csrf_token(self.session.get(front + "/web/login", timeout=10, verify=False).text)
        signed = self.session.post(front + "/web/login", allow_redirects=False, timeout=10,
                                   verify=False, headers={"Referer": front + "/web/login"},
                                   data={"login": ADMIN_LOGIN,
                                         "password": ADMIN_PASSWORD, "csrf_token": token})
        assert signed.status_code == 302, signed.text
        self.cookies = self.session.cookies.get_dict()

    def _kept(self, response):
        """As a browser does: what the answer sets is sent from then on (the form's token)."""
        self.cookies.update(response.cookies.get_dict())
        return response

    def _headers(self, **more):
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()), **more}

    def get(self, url):
        return self._kept(requests.get(url, headers=self._headers(), allow_redirects=False,
                                       verify=False, timeout=30))

    def post_form(self, url, page, data=None):
        """A form of `page` posted to `url` (over https, a browser names the page: Referer)."""
        token = csrf_token(self.get(page).text)
        return self._kept(requests.post(url, headers=self._headers(Referer=page),
                                        allow_redirects=False, verify=False, timeout=60,
                                        data={"csrf_token": token, **(data or {})}))


def test_every_feature_works_through_either_machine(central, machines, nginx_in_front):
    a, b = machines
    front = nginx_in_front([int(a.url.rsplit(":", 1)[1]), int(b.url.rsplit(":", 1)[1])])
    seen = {requests.get(front + "/web/health", verify=False, timeout=10).json()["pid"]
            for _ in range(8)}
    assert seen & served_by(a) and seen & served_by(b), "nginx shares requests round robin"
    admin = Browser(front)
    assert all(admin.get(front + "/web/apps").status_code == 200 for _ in range(6))
    a_package_started_on_one_is_downloaded_through_the_other(admin, a, b)
    a_till_pulls_every_page_through_both(central, front, a, b)
    the_bus_reaches_sockets_and_polls_on_both(central, front, a, b)
    an_addon_installed_through_one_is_served_by_the_other(admin, front, a, b)
    signed_out = admin.post_form(b.url + "/web/logout", b.url + "/web/apps")
    assert signed_out.status_code == 302
    assert admin.get(a.url + "/web/apps").status_code == 302  # to the sign-in page, on A too
    assert admin.get(front + "/web/apps").status_code == 302


def a_package_started_on_one_is_downloaded_through_the_other(admin, a, b):
    started = admin.post_form(a.url + PAGE + "tills/package", a.url + PAGE, data={
        "config_id": "2", "name": "Bar till", "server_url": "https://pos.example.com"})
    assert started.status_code == 303 and started.headers["Location"].endswith("#build-1")
    status = {}

    def done():
        status.update(admin.get(b.url + PAGE + "builds/1").json())
        return status["state"] not in ("queued", "running")
    wait_until(done, "build 1 finished")
    assert status["state"] == "done" and status["ready"], status
    package = admin.post_form(b.url + PAGE + "builds/1/download", b.url + PAGE)
    assert package.status_code == 200, package.text[:500]
    assert package.content.startswith(b"SQLite format 3\x00")
    assert not list((a.folder / "packages").rglob("*.package"))  # kept in the database
    again = admin.post_form(a.url + PAGE + "builds/1/download", a.url + PAGE)
    assert again.status_code == 303  # once only, through either


def a_till_pulls_every_page_through_both(central, front, a, b):
    with central.engine.begin() as connection:
        _till_id, token = register_till(connection, 3, "Boutique till")
    tables, rows, pulls = {}, 0, 0
    while True:
        answer = requests.post(front + "/pos_autonomous/pull", verify=False, timeout=30,
                               headers={"Authorization": f"Bearer {token}"},
                               json={"tables": tables, "page_size": 5})
        assert answer.status_code == 200, answer.text
        page, pulls = answer.json(), pulls + 1
        rows += len(page["tables"].get("point_of_sale.product", {}).get("rows", []))
        tables.update({name: part["checkpoint"] for name, part in page["tables"].items()})
        if not page["more"]:
            break
    assert rows == scalar(central, "SELECT count(*) FROM point_of_sale_product") and pulls > 4
    assert all("POST /pos_autonomous/pull" in server.log() for server in (a, b))


def the_bus_reaches_sockets_and_polls_on_both(central, front, a, b):
    headers = bearer_header(central, 1, central.db_name)
    channel = pos_channel(central.db_name, "pos.longpolling", 1)
    unverified = ssl.create_default_context()
    unverified.check_hostname, unverified.verify_mode = False, ssl.CERT_NONE
    sockets = [simple_websocket.Client.connect(
        front.replace("https", "wss", 1) + "/longpolling/websocket", headers=headers,
        ssl_context=unverified) for _ in range(2)]  # round robin: one on each machine
    for socket in sockets:
        socket.send(json.dumps({"channels": [channel], "last": 0, "options": {"timeout": 2}}))
    for _ in range(6):  # round robin: sent through both machines
        sent = requests.post(front + "/pos_longpolling/update", verify=False, timeout=10,
                             headers=headers, json={"pos_id": 1, "message": "PING",
                                                    "db_name": central.db_name})
        assert sent.json() == 1
    ids, other = (received_ids(socket, 6) for socket in sockets)
    assert ids == other  # each socket, whichever machine holds it, got every message
    for server in (a, b):  # polls, on each machine (the sockets still open)
        polled = requests.post(server.url + "/longpolling/poll", timeout=10, headers=headers,
                               json={"channels": [channel], "last": min(ids) - 1}).json()
        assert {item["id"] for item in polled} == ids, server.url
    for socket in sockets:
        close_and_wait(socket)


def close_and_wait(socket):
    """Close a client WebSocket and wait for its reading thread to end. simple-websocket's
    client closes the socket at once while that thread still reads, through OpenSSL, from the
    descriptor's number: a socket or pipe opened next in this process got that number, and the
    thread took the first bytes of its data (an answer's "HTTP/1.1 200 OK\r\nCont", curl's
    output through subprocess's pipe), which looked like a server's fault."""
    socket.close()
    socket.thread.join(WAIT)


def received_ids(socket, count):
    """The ids of the first `count` messages the socket receives."""
    ids = set()
    while len(ids) < count:
        text = socket.receive(timeout=WAIT)
        assert text is not None, f"the socket got {len(ids)} of {count} messages"
        ids |= {item["id"] for item in json.loads(text)}
    return ids


def an_addon_installed_through_one_is_served_by_the_other(admin, front, a, b):
    queue = "/pos/config/1/print-queue"
    assert admin.get(b.url + queue).status_code == 404
    installed = admin.post_form(a.url + "/web/apps/pos_printer/install", a.url + "/web/apps")
    assert installed.status_code == 302
    wait_until(lambda: admin.get(b.url + queue).status_code == 200, "pos_printer served by B")
    wait_until(lambda: all(admin.get(front + queue).status_code == 200 for _ in range(4)),
               "pos_printer served by every worker of both")
