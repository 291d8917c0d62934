"""The nginx samples of the docs pass the WebSocket upgrade (the bus's /longpolling/websocket
falls back to long polling without it) and name their TLS certificates."""
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = sorted([*ROOT.glob("docs/*.md"), ROOT / "README.md", *ROOT.glob("addons/*/README.md")])


def nginx_samples():
    for path in DOCS:
        for sample in re.findall(r"```nginx\n(.*?)```", path.read_text(), re.S):
            yield path.name, sample


def proxied_locations(sample):
    """The body of each `location … { … }` that proxies to core serve (one level of braces)."""
    return [body for body in re.findall(r"location [^{]*\{(.*?)\n    \}", sample, re.S)
            if "proxy_pass" in body]


def test_there_are_samples_to_check():
    samples = list(nginx_samples())
    assert len(samples) >= 2 and all(proxied_locations(sample) for _, sample in samples)


@pytest.mark.parametrize("name, sample", list(nginx_samples()))
def test_every_proxied_location_passes_the_websocket_upgrade(name, sample):
    assert "map $http_upgrade $connection_upgrade" in sample, name
    for body in proxied_locations(sample):
        assert "proxy_http_version 1.1;" in body, (name, body)
        assert "proxy_set_header Upgrade $http_upgrade;" in body, (name, body)
        assert "proxy_set_header Connection $connection_upgrade;" in body, (name, body)


@pytest.mark.parametrize("name, sample", list(nginx_samples()))
def test_every_tls_server_names_its_certificate(name, sample):
    for server in re.split(r"\nserver \{", sample)[1:]:
        if "listen 443 ssl" in server:
            assert "ssl_certificate " in server and "ssl_certificate_key " in server, name
