"""The source registry: which outlets, feeds and sitemaps to watch, loaded from YAML.

The file is validated whole on load; any mistake raises `ConfigError` naming the file, the entry
and the field, and the engine refuses to start rather than half-start.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from langnghe.yamlfile import read_yaml

OutletType = Literal["state", "national", "local", "business", "forum", "social", "other"]
DEFAULT_SOURCES = Path(__file__).resolve().parent.parent / "config" / "sources.yaml"


class ConfigError(ValueError):
    """A configuration file with mistakes; the message says where and what."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _check_http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value


class Feed(_Strict):
    url: str
    section: str = ""

    _url = field_validator("url")(classmethod(lambda cls, v: _check_http_url(v)))


def _check_urls(values: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(_check_http_url(v) for v in values)


_ENV_NAME = re.compile(r"^[A-Z_][A-Z0-9_]*$")


def _check_env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        raise ValueError(f"expected the NAME of an environment variable holding the secret "
                         f"(upper case, e.g. FB_TOKEN_MYPAGE), got {value[:12]!r}; secrets are "
                         f"read from the environment, never from this file")
    return value


EnvName = Annotated[str, AfterValidator(_check_env_name)]


class XenForoConnector(_Strict):
    """A XenForo 2 forum (e.g. voz.vn): sub-forums to follow, and single threads."""

    kind: Literal["xenforo"]
    forums: tuple[str, ...] = ()  # sub-forum URLs (…/f/<slug>.<id>/)
    threads: tuple[str, ...] = ()  # individual thread URLs
    thread_pages: int = Field(default=10, ge=1, le=100)  # per thread per visit

    _urls = field_validator("forums", "threads")(classmethod(lambda cls, v: _check_urls(v)))

    @model_validator(mode="after")
    def _something(self) -> XenForoConnector:
        if not self.forums and not self.threads:
            raise ValueError("expected at least one URL in 'forums' or 'threads'")
        return self


class TelegramConnector(_Strict):
    """Public Telegram channels read through their web preview (t.me/s/<channel>)."""

    kind: Literal["telegram"]
    channels: tuple[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{3,31}$")], ...] = \
        Field(min_length=1)  # channel usernames, without '@' or URL
    base_url: str = "https://t.me"

    _base = field_validator("base_url")(classmethod(lambda cls, v: _check_http_url(v)))


class YouTubeConnector(_Strict):
    """YouTube Data API v3: channels' uploads, keyword searches, their comment threads."""

    kind: Literal["youtube"]
    channels: tuple[Annotated[str, Field(pattern=r"^UC[A-Za-z0-9_-]{22}$")], ...] = ()
    searches: tuple[str, ...] = ()
    videos: tuple[str, ...] = ()
    api_key_env: EnvName = "YOUTUBE_API_KEY"
    daily_quota: int = Field(default=10_000, ge=1)  # units per Pacific day (project default)
    fresh_hours: float = Field(default=48, gt=0)
    base_url: str = "https://www.googleapis.com/youtube/v3"

    _base = field_validator("base_url")(classmethod(lambda cls, v: _check_http_url(v)))

    @model_validator(mode="after")
    def _something(self) -> YouTubeConnector:
        if not (self.channels or self.searches or self.videos):
            raise ValueError("expected at least one of 'channels', 'searches' or 'videos'")
        return self


class FacebookPageRef(_Strict):
    page_id: str = Field(pattern=r"^[A-Za-z0-9.]{1,100}$")
    token_env: EnvName  # the variable holding this page's access token


class FacebookConnector(_Strict):
    """Facebook Graph API: posts and comments of pages the operator holds tokens for."""

    kind: Literal["facebook"]
    pages: tuple[FacebookPageRef, ...] = Field(min_length=1)
    version: str = Field(default="v19.0", pattern=r"^v\d+\.\d+$")
    fresh_hours: float = Field(default=48, gt=0)
    base_url: str = "https://graph.facebook.com"

    _base = field_validator("base_url")(classmethod(lambda cls, v: _check_http_url(v)))


class VnExpressCommentsConnector(_Strict):
    """Comments under this source's own recent VnExpress articles (public widget endpoint)."""

    kind: Literal["vnexpress_comments"]
    fresh_hours: float = Field(default=48, gt=0)  # re-poll an article this long
    min_interval_minutes: float = Field(default=30, ge=1)
    base_url: str = "https://usi-saas.vnexpress.net/index/get"

    _base = field_validator("base_url")(classmethod(lambda cls, v: _check_http_url(v)))


Connector = Annotated[XenForoConnector | TelegramConnector | YouTubeConnector | FacebookConnector
                      | VnExpressCommentsConnector, Field(discriminator="kind")]
CONNECTOR_KINDS = ("xenforo", "telegram", "youtube", "facebook", "vnexpress_comments")


class Source(_Strict):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")
    name: str = Field(min_length=1)
    type: OutletType = "national"
    homepage: str
    enabled: bool = True
    poll_minutes: float = Field(default=15, ge=1, le=24 * 60)
    feeds: tuple[Feed, ...] = ()
    sitemaps: tuple[str, ...] = ()
    weight: float = Field(default=1.0, ge=0, le=10)  # outlet weight for alert severity
    connector: Connector | None = None  # forums, social platforms, comment threads

    _homepage = field_validator("homepage")(classmethod(lambda cls, v: _check_http_url(v)))

    @field_validator("sitemaps")
    @classmethod
    def _sitemaps(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_http_url(v) for v in values)

    @model_validator(mode="after")
    def _has_a_way_in(self) -> Source:
        if self.type in ("forum", "social") and self.connector is None \
                and not self.feeds and not self.sitemaps:
            raise ValueError(f"a {self.type} source needs a 'connector:' block (kind: one of "
                             f"{', '.join(CONNECTOR_KINDS)}) or feeds/sitemaps")
        return self

    @property
    def domain(self) -> str:
        return urlsplit(self.homepage).hostname or ""


class Registry(_Strict):
    sources: tuple[Source, ...]
    capture_retention_days: float = Field(default=90, gt=0, le=3650)  # WARC evidence kept

    @field_validator("sources")
    @classmethod
    def _unique(cls, sources: tuple[Source, ...]) -> tuple[Source, ...]:
        seen: set[str] = set()
        for s in sources:
            if s.id in seen:
                raise ValueError(f"duplicate source id {s.id!r}")
            seen.add(s.id)
        return sources

    def get(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)

    @property
    def enabled(self) -> list[Source]:
        return [s for s in self.sources if s.enabled]


def _describe(path: Path, raw: object, err: ValidationError) -> str:
    lines = [f"{path}: {err.error_count()} lỗi cấu hình / configuration error(s):"]
    for e in err.errors():
        loc = list(e["loc"])
        where = ""
        if len(loc) >= 2 and loc[0] == "sources" and isinstance(loc[1], int):
            entries = raw.get("sources") if isinstance(raw, dict) else None
            entry = entries[loc[1]] if isinstance(entries, list) and loc[1] < len(entries) else None
            ident = entry.get("id") if isinstance(entry, dict) else None
            where = f"entry #{loc[1] + 1}" + (f" (id: {ident})" if ident else "")
            loc = loc[2:]
        field = ".".join(str(p) for p in loc) or "(entry)"
        lines.append(f"  - {where + ', ' if where else ''}field {field}: {e['msg']}")
    return "\n".join(lines)


def load_registry(path: str | Path = DEFAULT_SOURCES) -> Registry:
    """Read and validate a sources file; raise ConfigError with every mistake listed."""
    path = Path(path)
    raw = read_yaml(path, ConfigError)
    if not isinstance(raw, dict) or "sources" not in raw:
        raise ConfigError(f"{path}: expected a mapping with a 'sources:' list")
    try:
        return Registry.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(path, raw, exc)) from None
