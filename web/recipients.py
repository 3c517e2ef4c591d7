"""Alert recipient groups managed by admins in the dashboard, and their merge with alerts.yaml.

config/alerts.yaml stays the reviewed base (its groups are shown read-only, with their origin);
admins add, edit, disable and re-enable groups kept in the web database (`alert_groups`), every
change audited. The engine merges them on each cycle with `merge_config(base, db_path)` and
rebuilds its channels from the result, as it does for sources (web.sources_admin) and topics
(web.topics), so alert delivery uses them through the ordinary outbox and channel code.

A web group sends on one channel (email, Telegram or webhook) to one or more addresses, with a
severity floor, alert kinds and quiet hours like a YAML group. Webhook URLs must point at the
public internet, since the server would otherwise POST into its own network on a form's say-so:
the egress guard (langnghe.egress) checks them when saved and again at every send, and only
`LANGNGHE_EGRESS_ALLOW` names exceptions (tests, a receiver deliberately on the same network).

Secrets: the environment's webhook token goes only to the addresses of config/alerts.yaml. A
webhook group added here signs its requests with a key of its own (alerts.channels.webhook),
generated when the group is first saved as a webhook group and kept through edits and renames.
The database holds only the key's random salt (table `alert_group_keys`, created here beside
its only user); the key is derived from it and the signing secret, and shown once: on the
admin page, the first time it is opened after the save (`WebGroup.take_new_key`), whether the
group came from the form or the API. A lost key is replaced by adding the group anew under
another name. Environment secrets stay there: `secrets_status` only says whether each is set.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from pydantic import ValidationError

from alerts.channels.webhook import signing_key
from alerts.config import (
    ALL_KINDS,
    AlertConfigError,
    AlertsConfig,
    Group,
    TelegramConfig,
    WebhookConfig,
    describe_errors,
)
from langnghe import egress
from web import db

log = logging.getLogger(__name__)
CHANNELS = ("email", "telegram", "webhook")
KEYS_TABLE = ("CREATE TABLE IF NOT EXISTS alert_group_keys(name TEXT PRIMARY KEY, "
              "salt TEXT NOT NULL, secret_env TEXT NOT NULL, created_at TEXT NOT NULL, "
              "shown_at TEXT)")
NAME_MAX = 64  # a group name is a label in lists, audit lines and URLs
MAX_ADDRESSES = 50  # a group is a team on call, not a mailing list
DEFAULT_KINDS = ("spike", "rule", "negative_share", "rising")  # as alerts.config.Group


class RecipientInputError(ValueError):
    """A rejected recipient-group form; the message says what was expected."""


@dataclass(frozen=True)
class GroupForm:
    """What the admin typed. `addresses`: one per line, `address` or `Tên | address`."""

    name: str
    channel: str
    addresses: str
    min_severity: str = "warning"
    kinds: tuple[str, ...] = DEFAULT_KINDS
    quiet_start: str = ""  # HH:MM, Vietnam time; both empty = no quiet hours
    quiet_end: str = ""


@dataclass(frozen=True)
class WebGroup:
    """One stored group: the validated alerts.config.Group plus its channel and state."""

    name: str
    channel: str
    group: Group
    active: bool
    updated_by: str
    updated_at: str
    key_pending: bool = False  # a webhook signing key not shown yet
    db_path: str = ""

    def take_new_key(self) -> str | None:
        """The group's webhook signing key if it was never shown, now marked shown (so the admin
        page shows it exactly once); None otherwise, or while the signing secret is unset."""
        if not self.key_pending:
            return None
        with db.connect(self.db_path) as con:
            row = con.execute("SELECT salt, secret_env FROM alert_group_keys WHERE name = ?",
                              (self.name,)).fetchone()
            secret = os.environ.get(row["secret_env"], "") if row else ""
            if not secret or not con.execute(
                    "UPDATE alert_group_keys SET shown_at = ? WHERE name = ? AND shown_at IS NULL",
                    (db.now_iso(), self.name)).rowcount:
                return None  # no secret to derive it from yet, or another page showed it
        return signing_key(secret.encode("utf-8"), row["salt"])

    def form(self) -> GroupForm:
        """The group as the edit form shows it (saving it unchanged gives the same group)."""
        g, quiet = self.group, self.group.quiet_hours
        return GroupForm(g.name, self.channel,
                         "\n".join(f"{r.name} | {getattr(r, self.channel)}" for r in g.recipients),
                         g.min_severity, g.kinds, quiet.start.strftime("%H:%M") if quiet else "",
                         quiet.end.strftime("%H:%M") if quiet else "")


def private_allowed() -> str:
    """The egress guard's exceptions in force (LANGNGHE_EGRESS_ALLOW), for the page; "" if none."""
    return os.environ.get(egress.ALLOW_ENV, "").strip()


def _check_webhook(url: str) -> None:
    try:
        egress.check_url(url)
    except socket.gaierror:
        return  # does not resolve from here now; the guard checks it again at every send
    except egress.EgressRefused as exc:
        raise RecipientInputError(f"Webhook: {exc}") from None


def _recipients(form: GroupForm) -> list[dict]:
    lines = [line.strip() for line in form.addresses.splitlines() if line.strip()]
    if not lines:
        raise RecipientInputError("Cần ít nhất một địa chỉ nhận (mỗi dòng một địa chỉ)")
    if len(lines) > MAX_ADDRESSES:
        raise RecipientInputError(f"Tối đa {MAX_ADDRESSES} địa chỉ mỗi nhóm, nhận được "
                                  f"{len(lines)}")
    out = []
    for i, line in enumerate(lines, 1):
        name, sep, address = line.partition("|")
        name, address = (name.strip(), address.strip()) if sep else ("", line)
        if form.channel == "webhook":
            _check_webhook(address)
        # names must differ inside a group: the outbox keys a delivery by recipient name
        out.append({"name": name or (form.name if len(lines) == 1 else f"{form.name} {i}"),
                    form.channel: address})
    return out


def _quiet(form: GroupForm) -> dict | None:
    start, end = form.quiet_start.strip(), form.quiet_end.strip()
    if not start and not end:
        return None
    if not (start and end):
        raise RecipientInputError("Giờ yên lặng cần cả giờ bắt đầu và giờ kết thúc (HH:MM)")
    return {"start": start, "end": end}


def build_group(form: GroupForm) -> Group:
    """The alerts.config.Group a form describes; RecipientInputError says what is wrong."""
    name = form.name.strip()
    if not name or len(name) > NAME_MAX or "/" in name or not name.isprintable():
        raise RecipientInputError(f"Tên nhóm: 1–{NAME_MAX} ký tự, không có dấu '/': {name!r}")
    if form.channel not in CHANNELS:
        raise RecipientInputError(f"Kênh phải là một trong: {', '.join(CHANNELS)}")
    unknown = [k for k in form.kinds if k not in ALL_KINDS]
    if unknown or not form.kinds:
        raise RecipientInputError(f"Loại cảnh báo phải chọn trong: {', '.join(ALL_KINDS)}")
    data = {"name": name, "min_severity": form.min_severity, "kinds": list(form.kinds),
            "quiet_hours": _quiet(form),
            "recipients": _recipients(GroupForm(**{**form.__dict__, "name": name}))}
    try:
        return Group.model_validate(data)
    except ValidationError as exc:
        raise RecipientInputError(describe_errors(f"nhóm {name!r}", exc)) from None


def _check_deliverable(base: AlertsConfig | None, group: Group, channel: str) -> None:
    if base is None:
        raise RecipientInputError("Cảnh báo chưa bật (không có tệp config/alerts.yaml): chưa "
                                  "thể thêm nhóm người nhận")
    if group.name in {g.name for g in base.groups}:
        raise RecipientInputError(f"Tên nhóm {group.name!r} đã có trong config/alerts.yaml: "
                                  "hãy chọn tên khác")
    if channel == "email" and base.channels.email is None:
        raise RecipientInputError("Kênh email cần máy chủ SMTP khai báo trong config/alerts.yaml"
                                  " (channels.email): chưa có")


def _keep_key(con, name: str, original: str, channel: str, secret_env: str) -> None:
    """A webhook group keeps its signing key through edits and renames; a new one gets one."""
    con.execute(KEYS_TABLE)
    if original and original != name:
        con.execute("UPDATE alert_group_keys SET name = ? WHERE name = ?", (name, original))
    if channel != "webhook":
        con.execute("DELETE FROM alert_group_keys WHERE name = ?", (name,))
        return
    con.execute("INSERT OR IGNORE INTO alert_group_keys(name, salt, secret_env, created_at) "
                "VALUES (?, ?, ?, ?)", (name, secrets.token_hex(16), secret_env, db.now_iso()))


def save_group(db_path: str | Path, form: GroupForm, by: str, base: AlertsConfig | None, *,
               original: str = "") -> Group:
    """Add a group (`original` empty) or replace the group named `original`; audited."""
    group = build_group(form)
    _check_deliverable(base, group, form.channel)
    with db.connect(db_path) as con:
        taken = con.execute("SELECT 1 FROM alert_groups WHERE name = ?", (group.name,)).fetchone()
        if taken and group.name != original:
            raise RecipientInputError(f"Đã có nhóm tên {group.name!r}")
        if original and original != group.name:
            con.execute("DELETE FROM alert_groups WHERE name = ?", (original,))
        con.execute("INSERT OR REPLACE INTO alert_groups(name, channel, spec, active, updated_by,"
                    " updated_at) VALUES (?, ?, ?, 1, ?, ?)",
                    (group.name, form.channel, group.model_dump_json(), by, db.now_iso()))
        _keep_key(con, group.name, original, form.channel, base.secret_env)
        addresses = ", ".join(getattr(r, form.channel) for r in group.recipients)
        db.audit(con, by, "recipients.edit" if original else "recipients.add",
                 f"{group.name} ({form.channel}, từ mức {group.min_severity}): {addresses}"
                 + (f" (trước đây: {original})" if original and original != group.name else ""))
    return group


def set_active(db_path: str | Path, name: str, active: bool, by: str) -> None:
    with db.connect(db_path) as con:
        done = con.execute("UPDATE alert_groups SET active = ?, updated_by = ?, updated_at = ? "
                           "WHERE name = ?", (int(active), by, db.now_iso(), name)).rowcount
        if not done:
            raise RecipientInputError(f"Không có nhóm người nhận tên {name!r} (do web quản lý)")
        db.audit(con, by, "recipients.enable" if active else "recipients.disable", name)


def list_groups(db_path: str | Path) -> list[WebGroup]:
    """Every web-managed group, enabled or not, by name."""
    if not Path(db_path).exists():
        return []
    with db.connect(db_path) as con:
        con.execute(KEYS_TABLE)
        rows = con.execute("SELECT g.*, k.salt, k.shown_at FROM alert_groups g LEFT JOIN "
                           "alert_group_keys k ON k.name = g.name ORDER BY g.name").fetchall()
    return [WebGroup(r["name"], r["channel"],
                     Group.model_validate(json.loads(r["spec"])).from_dashboard(r["salt"] or ""),
                     bool(r["active"]), r["updated_by"], r["updated_at"],
                     bool(r["salt"]) and r["shown_at"] is None, str(db_path)) for r in rows]


def merge_config(base: AlertsConfig, db_path: str | Path | None) -> AlertsConfig:
    """`base` with the enabled web groups appended (YAML names win; email groups need SMTP).

    A web group on Telegram or webhook with no such channel in the YAML gets the channel with
    its defaults (token and format from the environment / defaults of alerts.config)."""
    if db_path is None:
        return base
    taken = {g.name for g in base.groups}
    extra: list[Group] = []
    for wg in list_groups(db_path):
        if not wg.active or wg.name in taken:
            continue
        if wg.channel == "email" and base.channels.email is None:
            log.warning("recipient group %r uses email but channels.email is not configured",
                        wg.name)
            continue
        extra.append(wg.group)
    if not extra:
        return base
    used = {c for g in extra for r in g.recipients for c in CHANNELS if getattr(r, c)}
    channels = base.channels.model_copy(update={
        **({"telegram": TelegramConfig()} if "telegram" in used and not base.channels.telegram
           else {}),
        **({"webhook": WebhookConfig()} if "webhook" in used and not base.channels.webhook
           else {})})
    return AlertsConfig.model_validate({**dict(base), "groups": (*base.groups, *extra),
                                        "channels": channels})


def yaml_groups(base: AlertsConfig | None) -> list[dict]:
    """The YAML groups as read-only rows: name, channels, addresses, filters."""
    if base is None:
        return []
    return [{"name": g.name, "group": g,
             "recipients": [(r.name, c, getattr(r, c)) for r in g.recipients for c in CHANNELS
                            if getattr(r, c)]} for g in base.groups]


def secrets_status(base: AlertsConfig | None) -> list[dict]:
    """Which secret environment variables are set (never their values)."""
    if base is None:
        return []
    c = base.channels
    wanted = [("Khóa ký liên kết xác nhận", base.secret_env)]
    if c.email:
        wanted += [("Tên đăng nhập SMTP", c.email.username_env),
                   ("Mật khẩu SMTP", c.email.password_env)]
    wanted.append(("Token bot Telegram", (c.telegram or TelegramConfig()).token_env))
    if c.webhook and c.webhook.token_env:
        wanted.append(("Token webhook (chỉ gửi tới webhook trong config/alerts.yaml)",
                       c.webhook.token_env))
    return [{"label": label, "env": env, "set": bool(os.environ.get(env, ""))}
            for label, env in wanted if env]


def send_test(config: AlertsConfig, name: str, by: str, now: datetime) -> list[tuple[str, str]]:
    """Send one test message to every address of group `name` through the real channels.

    Returns (recipient, "" when sent or the error) per address."""
    from alerts.channels.base import DeliveryError
    from alerts.engine import build_channels
    from alerts.model import Alert, Explanation
    from alerts.render import build_message

    group = next((g for g in config.groups if g.name == name), None)
    if group is None:
        raise RecipientInputError(f"Không có nhóm đang bật tên {name!r}")
    try:
        channels = build_channels(config)
    except AlertConfigError as exc:  # e.g. SMTP credentials in clear text to a remote host
        raise RecipientInputError(str(exc)) from None
    alert = Alert(key=f"test:{name}", kind="rule", severity="info", detected_at=now,
                  id=f"test-{now.strftime('%Y%m%d%H%M%S')}",
                  title=f"Tin nhắn thử tới nhóm “{name}”",
                  explanation=Explanation(reason=f"{by} gửi thử từ trang quản trị Lắng Nghe để "
                                                 "kiểm tra kênh nhận cảnh báo."))
    results = []
    for r in group.recipients:
        for channel in (c for c in CHANNELS if getattr(r, c)):
            try:
                if channel not in channels:
                    raise DeliveryError(f"kênh {channel} chưa được cấu hình")
                channels[channel].send(build_message(alert, r.name, None), getattr(r, channel))
                results.append((f"{r.name} ({channel})", ""))
            except DeliveryError as exc:
                results.append((f"{r.name} ({channel})", str(exc)))
    return results
