"""A second, security-enabled Elasticsearch node for the credential tests: TLS on HTTP with a CA
made here (the `cryptography` package), a file-realm user, API keys.

The integ-test-zip that scripts/elasticsearch.sh fetches from Maven Central carries the
x-pack-core and x-pack-security modules (the suites' node runs with
`xpack.security.enabled=false`); this node runs the same distribution — found through the
suites' node (`path.home`) — with security on, on a free port of 127.0.0.1, as the same
unprivileged user when run as root. It is stopped by its process id when the tests end.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.elastic.node import es_client

ES_USER = os.environ.get("LANGNGHE_ES_USER", "langnghe-es")  # as scripts/elasticsearch.sh
HEAP = "384m"  # a handful of documents; the machine is shared
START_TIMEOUT_S = 300  # a JVM start on 2 busy cores


@dataclass
class SecureNode:
    url: str  # https://127.0.0.1:PORT
    ca: Path  # the CA certificate that signed the node's certificate (PEM)
    other_ca: Path  # a CA that did not
    user: str
    password: str
    pid: int
    home: Path


def _pem(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def make_certificates(folder: Path) -> tuple[Path, Path, Path, Path]:
    """(ca.crt, node.crt, node.key, other-ca.crt): a CA, a node certificate for 127.0.0.1 and
    localhost signed by it, and an unrelated CA."""
    now = dt.datetime.now(dt.UTC)

    def ca(name: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=2))
                .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True,
                                             crl_sign=True, content_commitment=False,
                                             key_encipherment=False, data_encipherment=False,
                                             key_agreement=False, encipher_only=False,
                                             decipher_only=False), critical=True)
                .sign(key, hashes.SHA256()))
        return key, cert

    ca_key, ca_cert = ca("langnghe test CA")
    _, other_cert = ca("some other CA")
    node_key = ec.generate_private_key(ec.SECP256R1())
    node_cert = (x509.CertificateBuilder()
                 .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
                 .issuer_name(ca_cert.subject).public_key(node_key.public_key())
                 .serial_number(x509.random_serial_number())
                 .not_valid_before(now - dt.timedelta(days=1))
                 .not_valid_after(now + dt.timedelta(days=2))
                 .add_extension(x509.SubjectAlternativeName([
                     x509.DNSName("localhost"),
                     x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                 .add_extension(x509.ExtendedKeyUsage([x509.ExtendedKeyUsageOID.SERVER_AUTH]),
                                critical=False)
                 .sign(ca_key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return (_pem(folder / "ca.crt", ca_cert.public_bytes(pem)),
            _pem(folder / "node.crt", node_cert.public_bytes(pem)),
            _pem(folder / "node.key", node_key.private_bytes(
                pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())),
            _pem(folder / "other-ca.crt", other_cert.public_bytes(pem)))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _as_node_user(cmd: list[str], **kwargs) -> subprocess.CompletedProcess:
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", ES_USER, "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)


def _java_home() -> str:
    if home := os.environ.get("ES_JAVA_HOME"):
        return home
    java = shutil.which("java")
    if java is None:
        raise RuntimeError("no java on PATH (scripts/elasticsearch.sh needs it too)")
    return str(Path(os.path.realpath(java)).parents[1])


def start_secure_node() -> SecureNode:
    """Start the node and wait until it answers an authenticated health request over TLS."""
    nodes = es_client().nodes.info(metric="settings")["nodes"]
    dist = Path(next(iter(nodes.values()))["settings"]["path"]["home"])
    home = Path(tempfile.mkdtemp(prefix="langnghe-es-secure-"))
    config = home / "config"
    shutil.copytree(dist / "config", config)
    ca, cert, key, other_ca = make_certificates(config)
    for name in ("data", "logs", "tmp"):
        (home / name).mkdir()
    if os.geteuid() == 0:
        home.chmod(0o755)
        subprocess.run(["chown", "-R", f"{ES_USER}:", str(home)], check=True)
    env = {**os.environ, "ES_JAVA_HOME": _java_home(), "ES_PATH_CONF": str(config),
           "ES_TMPDIR": str(home / "tmp"), "ES_JAVA_OPTS": f"-Xms{HEAP} -Xmx{HEAP}"}
    user, password = "langnghe", secrets.token_urlsafe(18)
    added = _as_node_user([str(dist / "bin" / "elasticsearch-users"), "useradd", user,
                           "-p", password, "-r", "superuser"], env=env, timeout=180)
    if added.returncode != 0:
        raise RuntimeError(f"elasticsearch-users failed: {added.stderr[-2000:]}")
    port = _free_port()
    started = _as_node_user([
        str(dist / "bin" / "elasticsearch"), "-d", "-p", str(home / "es.pid"),
        "-Ediscovery.type=single-node", "-Enetwork.host=127.0.0.1", f"-Ehttp.port={port}",
        "-Etransport.port=0", f"-Epath.data={home / 'data'}", f"-Epath.logs={home / 'logs'}",
        "-Ecluster.routing.allocation.disk.threshold_enabled=false",
        "-Expack.security.enabled=true", "-Expack.security.http.ssl.enabled=true",
        "-Expack.security.http.ssl.key=node.key",
        "-Expack.security.http.ssl.certificate=node.crt",
        "-Expack.security.authc.api_key.enabled=true"], env=env, timeout=START_TIMEOUT_S)
    if started.returncode != 0:
        raise RuntimeError(f"the secure node did not start: {started.stdout[-2000:]}"
                           f"{started.stderr[-2000:]}")
    pid = int((home / "es.pid").read_text().strip())
    node = SecureNode(f"https://127.0.0.1:{port}", ca, other_ca, user, password, pid, home)
    _wait_healthy(node)
    return node


def _wait_healthy(node: SecureNode) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    last = ""
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(f"{node.url}/_cluster/health",
                               verify=ssl.create_default_context(cafile=node.ca),
                               auth=(node.user, node.password), timeout=5)
            if answer.status_code == 200 and answer.json()["status"] in ("green", "yellow"):
                return
            last = f"{answer.status_code} {answer.text[:200]}"
        except httpx.HTTPError as exc:
            last = str(exc)
        time.sleep(2)
    stop_secure_node(node)
    raise RuntimeError(f"the secure node at {node.url} never became healthy: {last}")


def stop_secure_node(node: SecureNode) -> None:
    try:
        os.kill(node.pid, signal.SIGTERM)
        for _ in range(60):
            os.kill(node.pid, 0)
            time.sleep(0.5)
    except ProcessLookupError:
        pass
    shutil.rmtree(node.home, ignore_errors=True)
