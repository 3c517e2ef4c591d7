"""Email over SMTP (STARTTLS, SSL or plain on loopback): multipart plain text + HTML.

Credentials never cross a network in clear text: `security: none` with a user name
(`username_env`) is refused unless the host is `localhost` or a loopback address, when the
channel is built: the engine and the DAG tasks stop at start with the reason (stages.alerting
builds the channels), the web app's "Gửi thử" reports it.
"""

from __future__ import annotations

import ipaddress
import os
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from alerts.channels.base import DeliveryError
from alerts.config import AlertConfigError, EmailConfig
from alerts.render import Message

CLEAR_TEXT = ("channels.email: security: none would send the SMTP password in clear text to "
              "{host}; use security: starttls or ssl, or a relay on this machine (127.0.0.1)")


def _loopback(host: str) -> bool:
    if host.rstrip(".").lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0]).is_loopback
    except ValueError:
        return False


class EmailChannel:
    name = "email"

    def __init__(self, config: EmailConfig, ssl_context: ssl.SSLContext | None = None):
        if config.security == "none" and config.username_env and not _loopback(config.host):
            raise AlertConfigError(CLEAR_TEXT.format(host=config.host))
        self.config = config
        self.ssl_context = ssl_context or ssl.create_default_context()

    def compose(self, message: Message, address: str) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.config.sender
        mail["To"] = address
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        # one Message-ID per (alert, version, recipient): mail systems drop a replayed copy
        domain = self.config.sender.rsplit("@", 1)[-1]
        mail["Message-ID"] = make_msgid(idstring=message.idempotency_key.replace(":", "."),
                                        domain=domain)
        mail["X-Langnghe-Idempotency-Key"] = message.idempotency_key
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        return mail

    def send(self, message: Message, address: str) -> None:
        mail = self.compose(message, address)
        try:
            with self._connect() as smtp:
                user = os.environ.get(self.config.username_env or "", "")
                if user:
                    smtp.login(user, os.environ.get(self.config.password_env or "", ""))
                smtp.send_message(mail)
        except smtplib.SMTPResponseException as exc:
            # 5xx replies (bad mailbox, auth refused) fail again; 4xx are temporary by RFC 5321
            raise DeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}",
                                permanent=500 <= exc.smtp_code < 600) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryError(f"SMTP: {exc}") from exc

    def _connect(self) -> smtplib.SMTP:
        c = self.config
        if c.security == "ssl":
            return smtplib.SMTP_SSL(c.host, c.port, timeout=c.timeout_seconds,
                                    context=self.ssl_context)
        smtp = smtplib.SMTP(c.host, c.port, timeout=c.timeout_seconds)
        if c.security == "starttls":
            smtp.starttls(context=self.ssl_context)
        return smtp
