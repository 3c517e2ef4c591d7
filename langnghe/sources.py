"""The source registry: which outlets, feeds and sitemaps to watch, loaded from YAML.

The file is validated whole on load; any mistake raises `ConfigError` naming the file, the entry
and the field, and the engine refuses to start rather than half-start.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

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

    _homepage = field_validator("homepage")(classmethod(lambda cls, v: _check_http_url(v)))

    @field_validator("sitemaps")
    @classmethod
    def _sitemaps(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_http_url(v) for v in values)

    @property
    def domain(self) -> str:
        return urlsplit(self.homepage).hostname or ""


class Registry(_Strict):
    sources: tuple[Source, ...]

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
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict) or "sources" not in raw:
        raise ConfigError(f"{path}: expected a mapping with a 'sources:' list")
    try:
        return Registry.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(path, raw, exc)) from None
