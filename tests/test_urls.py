"""Photos from http(s) addresses: local, private and link-local networks are refused, also
behind redirects and DNS answers. Only 127.0.0.1 is ever contacted (a local http.server)."""

from __future__ import annotations

import io
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image

from tryon.errors import InvalidImageError
from tryon.io import load_image
from tryon.urls import MAX_REDIRECTS, fetch_url, is_public_address, is_url

REFUSED = "local or private network"
NOT_PUBLIC = ["127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254",
              "100.64.0.1", "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1",
              "fe80::1%eth0", "fc00::1", "fd12:3456::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
              "::ffff:10.1.2.3", "2002:7f00:1::1", "64:ff9b::a9fe:a9fe", "ff02::1", "not an address"]
PUBLIC = ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111", "2a00:1450:4001::200e"]


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 200, 30)).save(buf, format="PNG")
    return buf.getvalue()


class _Handler(BaseHTTPRequestHandler):
    """/photo.png; /go?to=LOCATION (302); /loop (302 to itself); /missing (404)."""

    def do_GET(self):  # noqa: N802 - http.server's name
        self.server.seen.append((self.path, self.headers.get("Host")))
        if self.path == "/photo.png":
            body = self.server.photo
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif self.path.startswith("/go?to="):
            self._redirect(self.path[len("/go?to="):])
        elif self.path == "/loop":
            self._redirect("/loop")
        else:
            self.send_error(404)

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):  # keep the test output clean
        pass


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.seen, httpd.photo = [], _png()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def local(server):
    """``(base URL, policy)``: the policy lets through exactly the test server, nothing else."""
    server.seen.clear()
    port = server.server_address[1]
    return f"http://127.0.0.1:{port}", lambda ip, p: (ip, p) == ("127.0.0.1", port)


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_local_private_and_link_local_addresses_are_not_public(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are(address):
    assert is_public_address(address)


def test_is_url():
    assert is_url("http://a/b.png") and is_url("HTTPS://a/b.png")
    assert not is_url("photo.png") and not is_url(b"http://a") and not is_url("ftp://a/b")


def test_loopback_is_refused_by_default_before_any_request(server, local):
    base, _ = local
    for url in (f"{base}/photo.png", f"http://localhost:{server.server_address[1]}/photo.png",
                f"http://[::ffff:127.0.0.1]:{server.server_address[1]}/photo.png",
                f"http://2130706433:{server.server_address[1]}/photo.png"):   # 127.0.0.1 as one number
        with pytest.raises(InvalidImageError, match=REFUSED):
            fetch_url(url)
    with pytest.raises(InvalidImageError, match=REFUSED):
        load_image(f"{base}/photo.png", what="person photo")
    assert server.seen == []


def test_the_allowed_server_serves_the_photo(server, local):
    base, allowed = local
    assert fetch_url(f"{base}/photo.png", allowed=allowed) == server.photo


@pytest.mark.parametrize("target", ["http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/x.png",
                                    "http://[::1]:{port}/photo.png",
                                    "http://127.0.0.1:{other}/photo.png", "http://[fd00::1]/x.png"])
def test_a_redirect_to_a_private_address_is_refused(server, local, target):
    base, allowed = local
    port = server.server_address[1]
    with pytest.raises(InvalidImageError, match=REFUSED):
        fetch_url(f"{base}/go?to={target.format(port=port, other=port + 1)}", allowed=allowed)
    assert [path for path, _ in server.seen] == [f"/go?to={target.format(port=port, other=port + 1)}"]


def test_an_allowed_redirect_is_followed(server, local):
    base, allowed = local
    assert fetch_url(f"{base}/go?to=/photo.png", allowed=allowed) == server.photo
    assert [p for p, _ in server.seen] == ["/go?to=/photo.png", "/photo.png"]


def test_every_dns_answer_is_checked(server, local):
    _, allowed = local
    port = server.server_address[1]
    mixed = lambda host, p: ["127.0.0.1", "169.254.169.254"]  # noqa: E731 - one good, one not
    with pytest.raises(InvalidImageError, match=REFUSED):
        fetch_url(f"http://shop.example:{port}/photo.png", resolve=mixed, allowed=allowed)
    assert server.seen == []


def test_the_connection_goes_to_the_checked_address(server, local):
    """A second DNS answer (rebinding) is never asked for: the checked address is the one used."""
    _, allowed = local
    port = server.server_address[1]
    answers = iter([["127.0.0.1"], ["10.0.0.1"]])
    calls = []

    def rebinding(host, p):
        calls.append(host)
        return next(answers)

    assert fetch_url(f"http://shop.example:{port}/photo.png", resolve=rebinding, allowed=allowed) == server.photo
    assert calls == ["shop.example"] and server.seen == [("/photo.png", f"shop.example:{port}")]


def test_redirect_loops_http_errors_and_size_are_one_sentence(server, local):
    base, allowed = local
    with pytest.raises(InvalidImageError, match=f"redirects more than {MAX_REDIRECTS} times"):
        fetch_url(f"{base}/loop", allowed=allowed)
    with pytest.raises(InvalidImageError, match="HTTP 404"):
        fetch_url(f"{base}/missing", allowed=allowed)
    with pytest.raises(InvalidImageError, match="larger than"):
        fetch_url(f"{base}/photo.png", allowed=allowed, max_bytes=100)
    with pytest.raises(InvalidImageError, match="user name or password"):
        fetch_url("http://user:secret@example.com/a.png")
    with pytest.raises(InvalidImageError, match="http:// or https://"):
        fetch_url("http:///a.png")


def test_the_cli_refuses_a_loopback_address_with_one_line(server, local, garment_example, tmp_path):
    base, _ = local
    r = subprocess.run([sys.executable, "-m", "tryon.cli", "try-on", f"{base}/photo.png", str(garment_example),
                        "-o", str(tmp_path / "out.png")], capture_output=True, text=True, timeout=120)
    assert r.returncode == 1
    assert r.stderr.splitlines() == [r.stderr.strip()] and REFUSED in r.stderr, r.stderr
    assert server.seen == []
