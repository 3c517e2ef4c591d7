"""Upgrading a running deployment's documents template, as docs/deploy.md ("Upgrading a running
deployment") tells the operator, through the `langnghe es` CLI on the real node.

Two releases of index_mappings/: the previous one — the shipped documents template without the
`place` fields, which is what documents.v1.json was before they were added — and the current
one, which ships the shipped template as the next version. The previous release sets up its
alias and writes documents; the current release's `langnghe es setup` puts its templates while
the previous release's reader keeps serving; the current store refuses to start until
`langnghe es migrate` has copied every month into the new version (re-deriving every field from
the stored record, so `place:` finds the old documents) and switched the alias in one call.
"""

from __future__ import annotations

import contextlib
import io
import json
import shutil
import uuid

import pytest

from langnghe.document import Document, Entity, NlpSection, document_id
from runner.es_cli import es_main
from store import es_index
from store.elastic import ElasticStore, client_from_env
from store.es_index import TemplateMissing
from tests.elastic.node import es_url

pytestmark = pytest.mark.elasticsearch

PLACE_FIELDS = ("place", "k_place", "p_place")  # added to the template after its first release
PLACE_QUERY = 'place:"Thanh Hóa"'


def _releases(folder) -> tuple:
    """(previous index_mappings/, current index_mappings/, previous version, current version)."""
    shipped = es_index.latest_version("documents")
    previous, current = folder / "previous", folder / "current"
    shutil.copytree(es_index.MAPPINGS, previous)
    shutil.copytree(es_index.MAPPINGS, current)
    old = json.loads((previous / f"documents.v{shipped}.json").read_text(encoding="utf-8"))
    for name in PLACE_FIELDS:
        del old["template"]["mappings"]["properties"][name]
    (previous / f"documents.v{shipped}.json").write_text(json.dumps(old), encoding="utf-8")
    new = json.loads((current / f"documents.v{shipped}.json").read_text(encoding="utf-8"))
    new["version"] = shipped + 1
    (current / f"documents.v{shipped + 1}.json").write_text(json.dumps(new), encoding="utf-8")
    return previous, current, shipped, shipped + 1


def _docs() -> list[Document]:
    """Three documents over two months; two name Thanh Hóa (resolved to unit 38)."""
    from datetime import UTC, datetime

    out = []
    for n, (month, title) in enumerate([(3, "Mưa lũ ở Thanh Hóa"), (4, "Sạt lở đất ở Thanh Hóa"),
                                        (4, "Giá vàng hôm nay")]):
        url = f"https://bao.example.vn/nang-cap-{n}.html"
        place = [Entity(text="Thanh Hóa", type="LOC", start=9, end=18, unit="38")] \
            if "Thanh Hóa" in title else []
        out.append(Document(id=document_id(url), url=url, canonical_url=url, source_id="baotest",
                            title=title, published_at=datetime(2025, month, 10, tzinfo=UTC),
                            nlp=NlpSection(title=title, entities=place)))
    return out


def _cli(url: str, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = es_main(["--url", url, *args])
    return code, out.getvalue()


@pytest.fixture(scope="module")
def upgrade(tmp_path_factory):
    """The upgrade, step by step, with what each step left behind."""
    folder = tmp_path_factory.mktemp("releases")
    previous, current, old_version, new_version = _releases(folder)
    prefix = f"lntest-upgrade-{uuid.uuid4().hex[:8]}"
    url = f"elasticsearch+{es_url()}?prefix={prefix}"  # the deployment's LANGNGHE_STORE_URL
    client = client_from_env(es_url())
    seen: dict = {"old_version": old_version, "new_version": new_version, "docs": _docs()}
    try:
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(es_index, "MAPPINGS", previous)  # the previous release's image
            seen["old_setup"] = _cli(url, "setup")
            old_store = ElasticStore(es_url(), prefix=prefix)
            old_store.upsert(seen["docs"])
            seen["old_place_hits"] = old_store.search(PLACE_QUERY).total
            seen["alerts_before"] = sorted(client.indices.get_alias(name=f"{prefix}-alerts"))

            patch.setattr(es_index, "MAPPINGS", current)  # the current release's image
            seen["new_setup"] = _cli(url, "setup")
            with pytest.raises(TemplateMissing) as refused:
                ElasticStore(es_url(), prefix=prefix)
            seen["refused"] = str(refused.value)
            seen["old_reader_during"] = old_store.search("thanh hoa").total
            seen["migrate"] = _cli(url, "migrate")
            seen["indices"] = es_index.aliased_indices(client, prefix)
            seen["old_reader_after"] = old_store.search("thanh hoa").total
            new_store = ElasticStore(es_url(), prefix=prefix)
            seen["new_count"] = new_store.count()
            seen["new_get"] = [new_store.get(d.id) for d in seen["docs"]]
            seen["new_place_hits"] = new_store.search(PLACE_QUERY).total
            seen["again"] = (_cli(url, "setup"), _cli(url, "migrate"))
            seen["indices_again"] = es_index.aliased_indices(client, prefix)
            seen["alerts_after"] = sorted(client.indices.get_alias(name=f"{prefix}-alerts"))

            old_store.close()
            new_store.close()
        yield seen
    finally:
        client.options(ignore_status=404).indices.delete(index=f"{prefix}*",
                                                         expand_wildcards="all")
        client.options(ignore_status=404).indices.delete_index_template(name=f"{prefix}*")
        client.close()


def test_previous_release_cannot_search_fields_added_since(upgrade):
    assert upgrade["old_setup"][0] == 0
    assert upgrade["old_place_hits"] == 0  # its mapping has no `place`


def test_setup_of_the_new_release_leaves_the_running_one_serving(upgrade):
    code, out = upgrade["new_setup"]
    assert code == 0 and f"-v{upgrade['new_version']}: ok" in out
    assert upgrade["old_reader_during"] == 2


def test_new_release_refuses_to_start_until_migrated(upgrade):
    assert "langnghe es migrate" in upgrade["refused"]


def test_migrate_moves_every_month_to_the_new_version_in_one_switch(upgrade):
    code, out = upgrade["migrate"]
    assert code == 0 and out.count(" documents") == 2  # one line per month copied
    assert [(i.month, i.version) for i in upgrade["indices"]] == [
        ("2025.03", upgrade["new_version"]), ("2025.04", upgrade["new_version"])]
    assert upgrade["alerts_after"] == upgrade["alerts_before"]  # the alerts index is untouched


def test_readers_of_the_alias_keep_working_across_the_switch(upgrade):
    assert upgrade["old_reader_after"] == upgrade["old_reader_during"] == 2


def test_migrated_documents_are_whole_and_re_derived(upgrade):
    assert upgrade["new_count"] == 3
    assert upgrade["new_get"] == upgrade["docs"]
    assert upgrade["new_place_hits"] == 2  # `place` derived from the stored record


def test_rerunning_setup_and_migrate_changes_nothing(upgrade):
    (setup_code, _), (migrate_code, out) = upgrade["again"]
    assert setup_code == migrate_code == 0 and "nothing to migrate" in out
    assert upgrade["indices_again"] == upgrade["indices"]
