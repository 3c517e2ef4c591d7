"""Index lifecycle in Elasticsearch: templates, monthly indices behind an alias, migrations.

Names, for a prefix P (default "langnghe-docs") and template version N (index_mappings/):
- composable index template `P-vN` for indices `P-vN-*`, composed of component `langnghe-settings`;
- monthly indices `P-vN-YYYY.MM` (month of the document's time, Vietnam time), created on demand;
- the alias `P` over every current index: reads, counts and Kibana go through it.

`setup()` is idempotent (safe on every deploy). `migrate()` copies each older-version index into a
new-version one, re-deriving every document's fields from its stored record, then swaps the alias
in one atomic `_aliases` call. Retention deletes whole monthly indices.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from elasticsearch import Elasticsearch, NotFoundError, helpers

from langnghe.document import VN_TZ

MAPPINGS = Path(__file__).resolve().parents[1] / "index_mappings"
SETTINGS_COMPONENT = "langnghe-settings"
DOCS_PREFIX = "langnghe-docs"
ALERTS_PREFIX = "langnghe-alerts"
MERGE_TIMEOUT_S = 3600  # a force-merge of a month of a busy province: minutes on 2 cores
_INDEX_RE = re.compile(r"^(?P<prefix>.+)-v(?P<version>\d+)-(?P<month>\d{4}\.\d{2})$")


class TemplateMissing(RuntimeError):
    """The cluster has no index template for this code's mapping version: run `es setup`."""


def load_template(name: str, version: int | None = None) -> dict:
    """The JSON of `index_mappings/<name>.v<version>.json` (the newest when version is None)."""
    if version is None:
        version = latest_version(name)
    path = MAPPINGS / f"{name}.v{version}.json"
    if not path.exists():
        raise FileNotFoundError(f"no template {path.name} in {MAPPINGS}")
    return _strip_comments(json.loads(path.read_text(encoding="utf-8")))


def latest_version(name: str) -> int:
    versions = [int(p.name.split(".v")[1].split(".")[0]) for p in MAPPINGS.glob(f"{name}.v*.json")]
    if not versions:
        raise FileNotFoundError(f"no {name}.v*.json template in {MAPPINGS}")
    return max(versions)


def merge_finished_months(client: Elasticsearch, names: Iterable[str],
                          now: datetime) -> list[str]:
    """Force-merge to one segment the monthly indices among `names` whose month is over
    (Vietnam time): they take no more new documents, and a search reads one segment per index
    instead of a dozen (the slowest benchmark queries at 200k: 22-42 ms of node time -> 11-30).
    Returns the merged names; merging an index already in one segment costs nothing."""
    current = f"{now.astimezone(VN_TZ):%Y.%m}"
    done = sorted(n for n in names if (m := _INDEX_RE.match(n)) and m["month"] < current)
    if done:
        client.options(request_timeout=MERGE_TIMEOUT_S).indices.forcemerge(
            index=",".join(done), max_num_segments=1)
    return done


def refresh_interval() -> str:
    """The refresh interval index_mappings/settings.json gives every index."""
    settings = json.loads((MAPPINGS / "settings.json").read_text("utf-8"))
    return settings["template"]["settings"]["index"]["refresh_interval"]


def _strip_comments(body: dict) -> dict:
    return {k: v for k, v in body.items() if not k.startswith("_comment")}


def index_name(prefix: str, version: int, moment: datetime) -> str:
    return f"{prefix}-v{version}-{moment.astimezone(VN_TZ):%Y.%m}"


@dataclass(frozen=True)
class IndexInfo:
    name: str
    version: int
    month: str  # YYYY.MM


def aliased_indices(client: Elasticsearch, alias: str) -> list[IndexInfo]:
    """Indices behind the alias, oldest month first."""
    try:
        names = list(client.indices.get_alias(name=alias).body)
    except NotFoundError:
        return []
    out = []
    for name in names:
        match = _INDEX_RE.match(name)
        if match and match["prefix"] == alias:
            out.append(IndexInfo(name, int(match["version"]), match["month"]))
    return sorted(out, key=lambda info: (info.month, info.version))


def setup(client: Elasticsearch, prefix: str = DOCS_PREFIX,
          alerts_prefix: str = ALERTS_PREFIX, version: int | None = None) -> dict[str, str]:
    """Put the settings component and both index templates; create the alerts index; bring the
    mappings of existing indices of this version up to date. Idempotent.

    Returns what was put, name → "ok"; putting the same template again changes nothing. A field
    added to a template version (e.g. `place`) is added to that version's existing indices too
    (Elasticsearch accepts additive mapping changes); documents indexed before have no value
    for it until they are indexed again (`langnghe es migrate`, or re-ingest).
    """
    settings = _strip_comments(json.loads((MAPPINGS / "settings.json").read_text("utf-8")))
    client.cluster.put_component_template(name=SETTINGS_COMPONENT, **settings)
    docs_version = version or latest_version("documents")
    put = {SETTINGS_COMPONENT: "ok"}
    put[_put_template(client, "documents", prefix, docs_version)] = "ok"
    alerts_version = latest_version("alerts")
    put[_put_template(client, "alerts", alerts_prefix, alerts_version)] = "ok"
    _update_mappings(client, prefix, docs_version, load_template("documents", docs_version))
    first_alerts = f"{alerts_prefix}-v{alerts_version}-000001"
    if not client.indices.exists_alias(name=alerts_prefix):
        _create(client, first_alerts, {alerts_prefix: {"is_write_index": True}})
    return put


def _update_mappings(client: Elasticsearch, prefix: str, version: int, template: dict) -> None:
    """Additive mapping changes of the template onto the alias's indices of `version`."""
    properties = template.get("template", {}).get("mappings", {}).get("properties")
    current = [i.name for i in aliased_indices(client, prefix) if i.version == version]
    if properties and current:  # fields only: `_source` settings cannot change on an index
        client.indices.put_mapping(index=",".join(current), properties=properties)


def _put_template(client: Elasticsearch, name: str, prefix: str, version: int) -> str:
    body = load_template(name, version)
    body["index_patterns"] = [f"{prefix}-v{version}-*"]
    template_name = f"{prefix}-v{version}"
    client.indices.put_index_template(name=template_name, **body)
    return template_name


def check_ready(client: Elasticsearch, prefix: str, version: int) -> None:
    """Raise TemplateMissing unless this version's template exists and no older index remains."""
    if not client.indices.exists_index_template(name=f"{prefix}-v{version}"):
        raise TemplateMissing(f"Elasticsearch has no index template {prefix}-v{version}; "
                              "run `langnghe es setup` first")
    older = [i.name for i in aliased_indices(client, prefix) if i.version < version]
    if older:
        raise TemplateMissing(f"alias {prefix} still points to older indices ({', '.join(older)});"
                              " run `langnghe es migrate`")


def ensure_index(client: Elasticsearch, name: str, alias: str) -> None:
    """Create a monthly index (from its template) already in the alias; no-op when it exists."""
    if not client.indices.exists(index=name):
        _create(client, name, {alias: {}})


def _create(client: Elasticsearch, name: str, aliases: dict) -> None:
    try:
        client.indices.create(index=name, aliases=aliases)
    except Exception as exc:  # a concurrent writer may have created it first
        if "resource_already_exists_exception" not in str(exc):
            raise


def migrate(client: Elasticsearch, rebuild: Callable[[dict], tuple[str, dict]],
            prefix: str = DOCS_PREFIX, version: int | None = None,
            delete_old: bool = True, progress: Callable[[str], None] = print) -> list[str]:
    """Move every index behind the alias to template `version`, switching the alias atomically.

    `rebuild(source) -> (id, new_source)` re-derives a document from its stored record, so new
    Python-made forms reach the index too. Returns the new index names.
    """
    version = version or latest_version("documents")
    setup(client, prefix, version=version)
    old = [info for info in aliased_indices(client, prefix) if info.version < version]
    if not old:
        progress(f"{prefix}: every index is at v{version}; nothing to migrate")
        return []
    created, actions = [], []
    for info in old:
        new = f"{prefix}-v{version}-{info.month}"
        if not client.indices.exists(index=new):
            client.indices.create(index=new)  # outside the alias until the switch
        copied = _copy(client, info.name, new, rebuild)
        progress(f"{info.name} → {new}: {copied:,} documents")
        created.append(new)
        actions += [{"remove": {"index": info.name, "alias": prefix}},
                    {"add": {"index": new, "alias": prefix}}]
    client.indices.refresh(index=",".join(created))
    client.indices.update_aliases(actions=actions)  # one call: readers never see a gap
    if delete_old:
        client.indices.delete(index=",".join(info.name for info in old))
    return created


def _copy(client: Elasticsearch, source: str, target: str,
          rebuild: Callable[[dict], tuple[str, dict]]) -> int:
    def actions() -> Iterable[dict]:
        for hit in helpers.scan(client, index=source, query={"query": {"match_all": {}}}):
            doc_id, body = rebuild(hit["_source"])
            yield {"_index": target, "_id": doc_id, "_source": body}

    copied, errors = helpers.bulk(client, actions(), chunk_size=500, raise_on_error=False)
    if errors:
        raise RuntimeError(f"migration {source} → {target}: {len(errors)} documents failed, "
                           f"first: {errors[0]}")
    return copied


def delete_older_than(client: Elasticsearch, month: str, prefix: str = DOCS_PREFIX) -> list[str]:
    """Retention: delete whole monthly indices for months before `month` (YYYY.MM)."""
    if not re.fullmatch(r"\d{4}\.\d{2}", month):
        raise ValueError(f"month must look like 2025.03, not {month!r}")
    doomed = [info.name for info in aliased_indices(client, prefix) if info.month < month]
    if doomed:
        client.indices.delete(index=",".join(doomed))
    return doomed
