"""Real transports on loopback: an SMTP server (aiosmtpd), a Telegram Bot API double and a webhook
receiver, both real HTTP servers with scripted failures (timeouts, 500s, 429 with retry_after).
The HTTP servers put themselves on the egress guard's allow-list (LANGNGHE_EGRESS_ALLOW)."""

from __future__ import annotations

import json
import socket
import threading
import time
from email import message_from_bytes, policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from aiosmtpd.controller import Controller

from tests.egress import allow

SLOW_SECONDS = 1.5  # longer than the 0.5 s client timeout the tests configure


class _Recorder:
    def __init__(self):
        self.requests: list[dict] = []  # accepted requests: path, headers, json
        self.script: list[object] = []  # next responses: "500", "timeout", ("429", seconds)
        self.lock = threading.Lock()

    def next_action(self):
        with self.lock:
            return self.script.pop(0) if self.script else None


def _handler(recorder: _Recorder, telegram: bool):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # keep test output clean
            pass

        def _reply(self, status: int, body: dict, headers: dict | None = None):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self):  # noqa: N802 - http.server's naming
            length = int(self.headers.get("Content-Length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            action = recorder.next_action()
            if action == "timeout":
                time.sleep(SLOW_SECONDS)
                return self._reply(200, {"ok": True, "result": {}})
            if action == "500":
                return self._reply(500, {"ok": False, "error_code": 500,
                                         "description": "Internal Server Error"})
            if isinstance(action, tuple) and action[0] == "429":
                return self._reply(429, {"ok": False, "error_code": 429,
                                         "description": f"Too Many Requests: retry after "
                                                        f"{action[1]}",
                                         "parameters": {"retry_after": action[1]}},
                                   {"Retry-After": str(action[1])})
            if action == "403":
                return self._reply(403, {"ok": False, "error_code": 403,
                                         "description": "Forbidden: bot was blocked by the user"})
            if telegram:
                return self._telegram(body)
            with recorder.lock:
                recorder.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "json": body})
            self._reply(200, {"received": True})

        def _telegram(self, body: dict):
            # https://core.telegram.org/bots/api#sendmessage : chat_id and text are required
            if not self.path.endswith("/sendMessage") or "/bot" not in self.path:
                return self._reply(404, {"ok": False, "error_code": 404,
                                         "description": "Not Found"})
            if not body.get("chat_id") or not body.get("text"):
                return self._reply(400, {"ok": False, "error_code": 400,
                                         "description": "Bad Request: message text is empty"})
            with recorder.lock:
                recorder.requests.append({"path": self.path, "headers": dict(self.headers),
                                          "json": body})
                message_id = len(recorder.requests)
            self._reply(200, {"ok": True, "result": {
                "message_id": message_id, "date": int(time.time()),
                "chat": {"id": int(body["chat_id"]), "type": "private"}, "text": body["text"]}})

    return Handler


def _serve(telegram: bool):
    recorder = _Recorder()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(recorder, telegram))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    recorder.url = f"http://127.0.0.1:{server.server_address[1]}"
    recorder.allow = f"127.0.0.1:{server.server_address[1]}"
    return server, recorder


@pytest.fixture
def webhook_server(monkeypatch):
    server, recorder = _serve(telegram=False)
    allow(monkeypatch, recorder.allow)
    yield recorder
    server.shutdown()
    server.server_close()


@pytest.fixture
def telegram_server(monkeypatch):
    server, recorder = _serve(telegram=True)
    allow(monkeypatch, recorder.allow)
    yield recorder
    server.shutdown()
    server.server_close()


class _Mailbox:
    def __init__(self):
        self.messages = []
        self.fail_next = 0  # answer 451 (temporary) to this many DATA commands

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd's naming
        if self.fail_next:
            self.fail_next -= 1
            return "451 4.3.0 Temporary failure, try again"
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content,
                                                                    policy=policy.default)))
        return "250 OK"


@pytest.fixture
def smtp_server():
    mailbox = _Mailbox()
    with socket.socket() as probe:  # a free port: aiosmtpd's readiness check needs a real one
        probe.bind(("127.0.0.1", 0))
        mailbox.port = probe.getsockname()[1]
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    yield mailbox
    controller.stop()


@pytest.fixture(scope="session")
def tls_files(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (made here: tests download nothing)."""
    import datetime as dt
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def tls_smtp_server(request, tls_files):
    """An SMTP server speaking STARTTLS (required) or implicit TLS, per `request.param`."""
    import ssl

    cert, key = tls_files
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(cert, key)
    mailbox = _Mailbox()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        mailbox.port = probe.getsockname()[1]
    if request.param == "ssl":
        controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port,
                                ssl_context=server_ctx)
    else:
        controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port,
                                tls_context=server_ctx, require_starttls=True)
    controller.start()
    mailbox.client_context = ssl.create_default_context(cafile=str(cert))
    mailbox.security = request.param
    yield mailbox
    controller.stop()
