"""deploy/nginx-invitaciones.conf served by a real nginx in front of a real app process: TLS
with one HSTS header (the app's own, as production sends it, replaced by nginx's), plain HTTP
redirected but for certbot's challenges, the body limit matching MAX_UPLOAD_MB, media served
by nginx itself, /metrics answered from inside with one charset.

Only the addresses change (loopback ports, a trustme certificate, a temporary media folder);
each change must find its line, so the test follows the file. Skipped without nginx on PATH
(Debian: `apt-get install -y nginx`; `.ci/run` installs it where it can).
"""

import getpass
import os
import re
import shutil
import socket
import stat
import subprocess
import time
from pathlib import Path

import pytest
import requests
import trustme

from config import Config
from tests.izipay_server import HMAC_KEY, PASSWORD, PUBLIC_KEY, USERNAME
from tests.servers import free_port
from utils import storage
from utils.security_headers import HSTS

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "deploy" / "nginx-invitaciones.conf"
HOST = "api.invitaciones.pe"

pytestmark = pytest.mark.slow

MAIN_CONF = """
%(user)s
worker_processes 1;
pid %(folder)s/nginx.pid;
error_log %(folder)s/error.log warn;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path %(folder)s/body;
    proxy_temp_path %(folder)s/proxy;
    fastcgi_temp_path %(folder)s/fastcgi;
    uwsgi_temp_path %(folder)s/uwsgi;
    scgi_temp_path %(folder)s/scgi;
    include %(folder)s/site.conf;
}
"""


def localised_site(app_port: int, http_port: int, https_port: int, cert: Path, key: Path,
                   media: Path) -> str:  # fmt: skip
    """The site as shipped, with its addresses pointed at this test's."""
    site = SITE.read_text()
    replacements = [
        (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{app_port};"),
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
        (r"listen \[::\]:80;\n", ""),
        (r"listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        (r"listen \[::\]:443 ssl http2;\n", ""),
        (r"ssl_certificate +/etc/letsencrypt/\S+;", f"ssl_certificate {cert};"),
        (r"ssl_certificate_key +/etc/letsencrypt/\S+;", f"ssl_certificate_key {key};"),
        (r"/srv/invitaciones/shared/media/", f"{media}/"),
        (r"root /var/www/html;", f"root {media.parent / 'acme'};"),
    ]
    for pattern, replacement in replacements:
        site, found = re.subn(pattern, replacement.replace("\\", "\\\\"), site)
        assert found, f"deploy/nginx-invitaciones.conf no longer has {pattern!r}"
    return site


def wait_for_port(port: int, server: subprocess.Popen, folder: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"nginx stopped: {(folder / 'error.log').read_text()}", pytrace=False)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail("nginx did not listen", pytrace=False)


@pytest.fixture
def behind_nginx(tmp_path, app_processes):
    nginx = shutil.which("nginx") or shutil.which("/usr/sbin/nginx")
    if nginx is None:
        pytest.skip("needs nginx on PATH (Debian: apt-get install -y nginx)")
    (app,) = app_processes(
        1,
        ENV_NAME="production",  # the app's own headers as production sends them (HSTS)
        TRUSTED_PROXIES=1,
        IZIPAY_USERNAME=USERNAME,
        IZIPAY_PASSWORD=PASSWORD,
        IZIPAY_PUBLIC_KEY=PUBLIC_KEY,
        IZIPAY_HMAC_KEY=HMAC_KEY,
    )
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", HOST)
    cert, key, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    for extra in issued.cert_chain_pems[1:]:
        extra.write_to_path(str(cert), append=True)
    issued.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(ca_file))
    media = tmp_path / "media"
    (media / "uploads" / "ab").mkdir(parents=True)
    (media / "uploads" / "ab" / "photo.jpg").write_bytes(b"\xff\xd8 stored photo")
    (tmp_path / "acme" / ".well-known" / "acme-challenge").mkdir(parents=True)
    (tmp_path / "acme" / ".well-known" / "acme-challenge" / "t0ken").write_text("t0ken.key")
    http_port, https_port = free_port(), free_port()
    app_port = int(app.url.rsplit(":", 1)[1])
    (tmp_path / "site.conf").write_text(
        localised_site(app_port, http_port, https_port, cert, key, media)
    )
    user = f"user {getpass.getuser()};" if os.geteuid() == 0 else ""
    (tmp_path / "nginx.conf").write_text(MAIN_CONF % {"user": user, "folder": tmp_path})
    checked = subprocess.run(  # noqa: S603 - nginx with the test's own files
        [nginx, "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True, text=True,
    )  # fmt: skip
    assert checked.returncode == 0, checked.stderr
    server = subprocess.Popen(  # noqa: S603
        [nginx, "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf"), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        wait_for_port(https_port, server, tmp_path)
        yield f"https://127.0.0.1:{https_port}", f"http://127.0.0.1:{http_port}", str(ca_file)
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_the_site_serves_the_app_over_tls_as_the_readme_says(behind_nginx):
    https, http, ca = behind_nginx

    redirected = requests.get(f"{http}/health", allow_redirects=False, timeout=5)
    assert redirected.status_code == 301
    assert redirected.headers["Location"].startswith("https://")

    health = requests.get(f"{https}/health", verify=ca, timeout=5)
    assert health.status_code == 200
    assert health.json()["status"] == "ok"

    metrics = requests.get(f"{https}/metrics", verify=ca, timeout=5)
    assert metrics.status_code == 200
    assert metrics.headers["Content-Type"].count("charset") == 1, metrics.headers["Content-Type"]
    # The IPN's own location passes the gateway's form straight to the app, which judges it.
    unsigned = requests.post(f"{https}/api/payments/izipay/ipn", data={"kr-answer": "{}"},
                             verify=ca, timeout=5)  # fmt: skip
    assert unsigned.status_code == 400
    assert unsigned.json()["error"]

    photo = requests.get(f"{https}/media/uploads/ab/photo.jpg", verify=ca, timeout=5)
    assert photo.content == b"\xff\xd8 stored photo"
    assert "immutable" in photo.headers["Cache-Control"]


def test_every_answer_through_the_site_carries_one_hsts_header(behind_nginx):
    https, _http, ca = behind_nginx
    hsts = HSTS[1]

    for path in ("/health", "/api/plans", "/api/no-such-route", "/media/uploads/ab/photo.jpg"):
        answer = requests.get(f"{https}{path}", verify=ca, timeout=5)
        assert answer.raw.headers.getlist("Strict-Transport-Security") == [hsts], path


def test_certbot_renews_over_plain_http_while_the_rest_is_redirected(behind_nginx):
    _https, http, _ca = behind_nginx

    challenge = requests.get(f"{http}/.well-known/acme-challenge/t0ken", timeout=5,
                             allow_redirects=False, headers={"Host": HOST})  # fmt: skip
    assert challenge.status_code == 200
    assert challenge.text == "t0ken.key"
    other = requests.get(f"{http}/api/plans", timeout=5, allow_redirects=False,
                         headers={"Host": HOST})  # fmt: skip
    assert other.status_code == 301
    assert other.headers["Location"] == f"https://{HOST}/api/plans"


def test_the_body_limit_is_max_upload_mb_plus_the_multipart_envelope(behind_nginx):
    https, _http, ca = behind_nginx
    limit_mb = int(re.search(r"client_max_body_size (\d+)m;", SITE.read_text()).group(1))
    assert limit_mb == Config.MAX_UPLOAD_MB + 1

    too_big = b"x" * ((limit_mb * 1024 + 1) * 1024)
    refused = requests.post(f"{https}/api/auth/login", data=too_big, verify=ca, timeout=10)
    assert refused.status_code == 413
    # Within nginx's limit the app gets the request and judges it itself.
    within = requests.post(f"{https}/api/auth/login", json={}, verify=ca, timeout=10)
    assert within.status_code in (400, 422)


def test_stored_media_are_readable_by_nginxs_own_user(media_root):
    # nginx runs as www-data, not as the app's user: a file only its owner may read is a 403.
    storage.LocalStorage().save("uploads/ab/photo.jpg", b"\xff\xd8 stored photo")

    mode = (media_root / "uploads" / "ab" / "photo.jpg").stat().st_mode
    assert stat.S_IMODE(mode) & 0o044 == 0o044
    assert not stat.S_IMODE(mode) & 0o022
