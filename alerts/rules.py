"""Crisis rules from YAML, validated on load, evaluated against the store each cycle.

    rules:
      - id: tieu-cuc-ubnd            # lower-case id, unique
        type: negative_volume        # >= min_items negative items about X from >= min_outlets
        query: '"UBND tỉnh" Thanh Hóa'
        min_items: 5
        min_outlets: 3
        window_minutes: 120
        severity: warning
      - id: bao-nha-nuoc-khung-hoang
        type: state_outlet_crisis    # any item from a state outlet about X with a crisis term
        query: Thanh Hóa
        lexicon: [cháy, nổ, sập, ngộ độc, biểu tình, lũ quét]
        severity: critical
      - id: binh-luan-doc-hai
        type: toxic_comment_surge    # many toxic comments under an article about X
        query: Thanh Hóa
        min_comments: 10
        min_share: 0.3

A mistake raises `RuleError` naming the file, the rule (number and id) and the field.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, field_validator

from langnghe.document import Document
from langnghe.query import QueryError, parse
from langnghe.sources import OutletType, Registry
from langnghe.yamlfile import read_yaml
from store.base import Filters

TOXIC_LABELS = {"toxic", "offensive", "hate"}  # UIT-ViHSD / ViCTSD style labels, lower-cased


class RuleError(ValueError):
    """A rules file with mistakes; the message says where and what was expected."""


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]{0,63}$")
    name: str = ""
    query: str = Field(min_length=1)
    window_minutes: float = Field(default=60, gt=0, le=7 * 24 * 60)
    severity: Literal["info", "warning", "critical"] = "warning"

    @field_validator("query")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            parse(value)
        except QueryError as exc:
            raise ValueError(str(exc)) from None
        return value

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)

    def title(self) -> str:
        return self.name or self.id


class NegativeVolume(_Rule):
    type: Literal["negative_volume"]
    min_items: int = Field(default=5, ge=1)
    min_outlets: int = Field(default=2, ge=1)


class StateOutletCrisis(_Rule):
    type: Literal["state_outlet_crisis"]
    lexicon: tuple[str, ...] = Field(min_length=1)
    outlet_types: tuple[OutletType, ...] = ("state",)
    severity: Literal["info", "warning", "critical"] = "critical"

    @field_validator("lexicon")
    @classmethod
    def _terms(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        bad = [v for v in values if not v.strip() or '"' in v]
        if bad:
            raise ValueError(f"lexicon terms must be non-empty words without quotes: {bad}")
        return values


class ToxicCommentSurge(_Rule):
    type: Literal["toxic_comment_surge"]
    min_comments: int = Field(default=10, ge=1)
    min_share: float = Field(default=0.3, gt=0, le=1)
    article_days: float = Field(default=3, gt=0, le=30)  # articles this recent are watched


Rule = Annotated[NegativeVolume | StateOutletCrisis | ToxicCommentSurge,
                 Field(discriminator="type")]
_RULES = TypeAdapter(list[Rule])


@dataclass
class RuleHit:
    rule: _Rule
    docs: list[Document]
    count: int
    reason: str


def _describe(path: Path, raw: list, err: ValidationError) -> str:
    lines = [f"{path}: {err.error_count()} lỗi trong quy tắc / rule error(s):"]
    for e in err.errors():
        loc = list(e["loc"])
        where = "(rules)"
        if loc and isinstance(loc[0], int):
            entry = raw[loc[0]] if loc[0] < len(raw) else None
            ident = entry.get("id") if isinstance(entry, dict) else None
            where = f"rule #{loc[0] + 1}" + (f" (id: {ident})" if ident else "")
            loc = [p for p in loc[1:] if p not in ("negative_volume", "state_outlet_crisis",
                                                   "toxic_comment_surge")]
        field = ".".join(str(p) for p in loc) or "(rule)"
        msg = e["msg"]
        if e["type"] == "union_tag_invalid" or e["type"] == "union_tag_not_found":
            msg += " (expected type: negative_volume | state_outlet_crisis | toxic_comment_surge)"
        lines.append(f"  - {where}, field {field}: {msg}")
    return "\n".join(lines)


def load_rules(path: str | Path) -> list[_Rule]:
    path = Path(path)
    raw = read_yaml(path, RuleError)
    if not isinstance(raw, dict) or not isinstance(raw.get("rules"), list):
        raise RuleError(f"{path}: expected a mapping with a 'rules:' list")
    try:
        rules = _RULES.validate_python(raw["rules"])
    except ValidationError as exc:
        raise RuleError(_describe(path, raw["rules"], exc)) from None
    ids = [r.id for r in rules]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RuleError(f"{path}: duplicate rule id(s): {', '.join(dupes)}")
    return rules


def _quote(term: str) -> str:
    return f'"{term}"'


def _negative(doc: Document) -> bool:
    return bool(doc.nlp and doc.nlp.sentiment and doc.nlp.sentiment.label == "negative")


def _toxic(doc: Document) -> bool:
    labels = [doc.nlp.toxicity] if doc.nlp else []
    return any(lab is not None and lab.label.lower() in TOXIC_LABELS for lab in labels)


def evaluate(rule: _Rule, store, now: datetime, registry: Registry | None) -> RuleHit | None:
    """Whether the rule fires on the store's documents in its window ending at `now`."""
    since = Filters(since=now - rule.window, until=now)
    if isinstance(rule, NegativeVolume):
        docs = [d for d in store.iter_documents(rule.query, since) if _negative(d)]
        outlets = {d.source_id for d in docs}
        stories = {(d.nlp.story_id if d.nlp else None) or d.id for d in docs}
        if len(stories) >= rule.min_items and len(outlets) >= rule.min_outlets:
            return RuleHit(rule, docs, len(stories),
                           f"{len(stories)} tin tiêu cực từ {len(outlets)} nguồn trong "
                           f"{rule.window_minutes:g} phút (ngưỡng: ≥ {rule.min_items} tin, "
                           f"≥ {rule.min_outlets} nguồn)")
        return None
    if isinstance(rule, StateOutletCrisis):
        query = f"({rule.query}) AND ({' OR '.join(_quote(t) for t in rule.lexicon)})"
        types = set(rule.outlet_types)
        docs = [d for d in store.iter_documents(query, since)
                if registry and (s := registry.get(d.source_id)) and s.type in types]
        if docs:
            return RuleHit(rule, docs, len(docs),
                           f"{len(docs)} tin từ báo {'/'.join(sorted(types))} có từ khóa khủng "
                           f"hoảng trong {rule.window_minutes:g} phút")
        return None
    return _toxic_surge(rule, store, now, since)


def _toxic_surge(rule: ToxicCommentSurge, store, now: datetime, since) -> RuleHit | None:
    articles = Filters(since=now - timedelta(days=rule.article_days), until=now,
                       kinds=("article",))
    about = {d.id: d for d in store.iter_documents(rule.query, articles)}
    comments = Filters(since=since.since, until=now, kinds=("comment",))
    by_article: dict[str, list[Document]] = {}
    for c in store.iter_documents("", comments):
        if c.parent_id in about:
            by_article.setdefault(c.parent_id, []).append(c)
    for article_id, items in by_article.items():
        toxic = [c for c in items if _toxic(c)]
        if len(toxic) >= rule.min_comments and len(toxic) / len(items) >= rule.min_share:
            return RuleHit(rule, [about[article_id], *toxic], len(toxic),
                           f"{len(toxic)}/{len(items)} bình luận độc hại dưới bài "
                           f"“{about[article_id].title}” trong {rule.window_minutes:g} phút")
    return None


def evaluate_all(rules: Sequence[_Rule], store, now: datetime,
                 registry: Registry | None) -> list[RuleHit]:
    return [hit for r in rules if (hit := evaluate(r, store, now, registry)) is not None]
