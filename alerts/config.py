"""Alerting configuration (YAML): what to watch, detector knobs, channels, recipient groups.

Validated whole on load; mistakes raise `AlertConfigError` naming the file, the entry and the
field. Secrets never live in the file: it names the environment variables that hold them.
"""

from __future__ import annotations

import os
from datetime import time, timedelta
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)

from alerts.detector import SEVERITIES, DetectorParams
from langnghe.yamlfile import read_yaml

SeverityName = Literal["info", "warning", "critical"]
AlertKind = Literal["spike", "rule", "negative_share", "rising", "source_health"]
ALL_KINDS: tuple[str, ...] = ("spike", "rule", "negative_share", "rising", "source_health")
BUCKETS = {"5min": timedelta(minutes=5), "15min": timedelta(minutes=15),
           "1h": timedelta(hours=1)}


MIN_SECRET_BYTES = 32  # the HMAC-SHA256 key of acknowledge links: 256 bits, a forger's whole work
PLACEHOLDER = "CHANGE_ME"  # what .env.example holds until someone sets a real value


class AlertConfigError(ValueError):
    """A configuration with mistakes; the message says where and what was expected."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Watch(_Strict):
    """A saved query to count: a watch topic, a domain or a tracked entity."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    name: str = Field(min_length=1)
    query: str = Field(min_length=1)


class WatchConfig(_Strict):
    topics: tuple[Watch, ...] = ()
    domains: tuple[str, ...] = ()  # domain labels from the NLP stage, watched as `domain:<x>`
    entities: tuple[Watch, ...] = ()
    negative_share: float = Field(default=0.6, gt=0, le=1)  # alert when negatives exceed 60%
    negative_min_items: int = Field(default=8, ge=1)  # ... of at least this many items
    negative_window_hours: float = Field(default=6, gt=0, le=72)


class DetectionConfig(_Strict):
    buckets: tuple[Literal["5min", "15min", "1h"], ...] = ("15min", "1h")
    min_count: int = Field(default=DetectorParams.min_count, ge=1)
    min_outlets: int = Field(default=DetectorParams.min_outlets, ge=1)
    score_threshold: float = Field(default=DetectorParams.score_threshold, gt=0)
    history_days: int = Field(default=DetectorParams.history_days, ge=2, le=120)
    cooldown_minutes: float = Field(default=360, ge=0)  # re-notify an incident at most 6-hourly
    incident_gap_hours: float = Field(default=24, gt=0)  # quiet this long = the incident is over

    def params(self) -> DetectorParams:
        return DetectorParams(min_count=self.min_count, min_outlets=self.min_outlets,
                              score_threshold=self.score_threshold,
                              history_days=self.history_days)


class EmailConfig(_Strict):
    host: str
    port: int = Field(default=587, ge=1, le=65535)  # 587 = submission with STARTTLS
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username_env: str | None = None
    password_env: str | None = None
    sender: str
    timeout_seconds: float = Field(default=20, gt=0)


class TelegramConfig(_Strict):
    base_url: str = "https://api.telegram.org"
    token_env: str = "LANGNGHE_TELEGRAM_TOKEN"  # noqa: S105 - a variable name, not a secret
    timeout_seconds: float = Field(default=15, gt=0)


class WebhookConfig(_Strict):
    timeout_seconds: float = Field(default=15, gt=0)
    format: Literal["generic", "slack", "teams", "zalo_oa"] = "generic"
    token_env: str | None = None  # sent as a bearer token / Zalo access_token header


class ChannelsConfig(_Strict):
    email: EmailConfig | None = None
    telegram: TelegramConfig | None = None
    webhook: WebhookConfig | None = None


class QuietHours(_Strict):
    start: time  # local (Asia/Ho_Chi_Minh) time; the window may cross midnight
    end: time


class Recipient(_Strict):
    name: str = Field(min_length=1)
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    telegram: str | None = Field(default=None, pattern=r"^-?[0-9]+$|^@[A-Za-z0-9_]{5,}$")
    webhook: str | None = Field(default=None, pattern=r"^https?://")

    @model_validator(mode="after")
    def _one_address(self) -> Recipient:
        if not (self.email or self.telegram or self.webhook):
            raise ValueError("needs at least one of email, telegram, webhook")
        return self


class Group(_Strict):
    name: str = Field(min_length=1)
    min_severity: SeverityName = "warning"
    kinds: tuple[AlertKind, ...] = ("spike", "rule", "negative_share", "rising")
    quiet_hours: QuietHours | None = None
    recipients: tuple[Recipient, ...] = Field(min_length=1)
    # Set only by web.recipients for a group added in the dashboard, never from YAML or JSON:
    # the salt of its own webhook signing key ("" while it has none). None = a group of this
    # file, whose webhooks may carry the environment's token (alerts.channels.webhook).
    _web_key_salt: str | None = PrivateAttr(default=None)

    def wants(self, kind: str, severity: str) -> bool:
        return kind in self.kinds and SEVERITIES.index(severity) >= SEVERITIES.index(
            self.min_severity)

    @property
    def web_key_salt(self) -> str | None:
        return self._web_key_salt

    def from_dashboard(self, key_salt: str) -> Group:
        """This group as one added in the dashboard, signing with the key of `key_salt`."""
        group = self.model_copy()
        group._web_key_salt = key_salt
        return group


class DigestConfig(_Strict):
    at: time = time(7, 0)  # leaders read it with breakfast
    groups: tuple[str, ...] = ()


class AlertsConfig(_Strict):
    secret_env: str = "LANGNGHE_SECRET"  # noqa: S105 - a variable name, not a secret
    public_url: str = "http://127.0.0.1:8000"  # base of acknowledge links
    ack_link_days: int = Field(default=7, ge=1, le=90)  # a week: past the incident, past a leave
    watch: WatchConfig = WatchConfig()
    detection: DetectionConfig = DetectionConfig()
    rules_file: str | None = None  # relative to this file
    channels: ChannelsConfig = ChannelsConfig()
    groups: tuple[Group, ...] = ()
    digest: DigestConfig = DigestConfig()
    max_attempts: int = Field(default=8, ge=1, le=50)  # 8 tries with backoff span ~2 hours
    base_dir: str = ""  # set by the loader: the directory of the file

    @field_validator("groups")
    @classmethod
    def _unique_groups(cls, groups: tuple[Group, ...]) -> tuple[Group, ...]:
        names = [g.name for g in groups]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"duplicate group name(s): {', '.join(dupes)}")
        return groups

    @model_validator(mode="after")
    def _channels_exist(self) -> AlertsConfig:
        for g in self.groups:
            for r in g.recipients:
                for ch in ("email", "telegram", "webhook"):
                    if getattr(r, ch) and getattr(self.channels, ch) is None:
                        raise ValueError(f"group {g.name!r}, recipient {r.name!r} has a {ch} "
                                         f"address but channels.{ch} is not configured")
        names = {g.name for g in self.groups}
        missing = [n for n in self.digest.groups if n not in names]
        if missing:
            raise ValueError(f"digest.groups names unknown group(s): {', '.join(missing)}")
        return self

    def secret(self) -> bytes:
        """The signing key of acknowledge links; AlertConfigError when unset or weak."""
        value = os.environ.get(self.secret_env, "")
        if not value:
            raise AlertConfigError(f"environment variable {self.secret_env} (the signing secret "
                                   "for acknowledge links) is not set")
        key = value.encode("utf-8")
        if PLACEHOLDER in value.upper():
            raise AlertConfigError(f"{self.secret_env} is still the example's placeholder "
                                   f"({PLACEHOLDER}): set a random value, e.g. "
                                   "`openssl rand -hex 32`")
        if len(key) < MIN_SECRET_BYTES:
            raise AlertConfigError(f"{self.secret_env} is {len(key)} bytes long; acknowledge "
                                   f"links need at least {MIN_SECRET_BYTES} random bytes, e.g. "
                                   "`openssl rand -hex 32`")
        return key

    def check_secret(self) -> None:
        """At start: refuse a signing secret that is set but weak (AlertConfigError). Unset is
        allowed: alerts then go out without acknowledge links, and the start says so."""
        if os.environ.get(self.secret_env):
            self.secret()

    def rules_path(self) -> Path | None:
        return Path(self.base_dir, self.rules_file) if self.rules_file else None


def describe_errors(path: Path | str, err: ValidationError) -> str:
    lines = [f"{path}: {err.error_count()} lỗi cấu hình / configuration error(s):"]
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"]) or "(top level)"
        lines.append(f"  - field {where}: {e['msg']}")
    return "\n".join(lines)


def load_config(path: str | Path) -> AlertsConfig:
    """Read and validate an alerts YAML file; AlertConfigError lists every mistake."""
    path = Path(path)
    raw = read_yaml(path, AlertConfigError)
    if not isinstance(raw, dict):
        raise AlertConfigError(f"{path}: expected a mapping (watch:, channels:, groups: ...)")
    raw["base_dir"] = str(path.resolve().parent)
    try:
        return AlertsConfig.model_validate(raw)
    except ValidationError as exc:
        raise AlertConfigError(describe_errors(path, exc)) from None
