"""The DAGs' shared settings: source groups for mapped crawls, setting precedence, run times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pendulum
import pytest

from tests.dags.conftest import DAGS

IDS = [f"source{i}" for i in range(40)] + ["baothanhhoa", "vnexpress", "tuoitre"]


@pytest.fixture
def common(dagbag):
    import langnghe_common  # on sys.path once the bundle is parsed, as on a worker

    assert langnghe_common.__file__ == str(DAGS / "langnghe_common.py")
    return langnghe_common


def test_source_groups_cover_every_source_once_in_at_most_n_groups(common):
    groups = common.source_groups(IDS, 4)
    assert len(groups) <= 4 and all(groups)
    flat = [sid for g in groups for sid in g]
    assert sorted(flat) == sorted(IDS) and len(flat) == len(set(flat))


def test_source_groups_keep_a_source_in_its_group_when_others_come_and_go(common):
    before = {sid: i for i, g in enumerate(common.source_groups(IDS, 4)) for sid in g}
    after_groups = common.source_groups(IDS[5:] + ["new-outlet"], 4)
    after = {sid: g for g in after_groups for sid in g}
    by_first = {}
    for sid in IDS[5:]:
        by_first.setdefault(before[sid], set()).add(tuple(after[sid]))
    assert all(len(v) == 1 for v in by_first.values())  # old group-mates stay together


def test_source_groups_rejects_zero_groups_with_the_expected_range(common):
    with pytest.raises(ValueError, match="≥ 1"):
        common.source_groups(IDS, 0)


def test_setting_prefers_airflow_variable_then_environment_then_default(common, monkeypatch):
    assert common.setting("collect_groups", "4") == "4"
    monkeypatch.setenv("LANGNGHE_COLLECT_GROUPS", "6")
    assert common.setting("collect_groups", "4") == "6"
    monkeypatch.setenv("AIRFLOW_VAR_LANGNGHE_COLLECT_GROUPS", "8")  # an Airflow Variable
    assert common.setting("collect_groups", "4") == "8"


def test_deployment_defaults_to_sqlite_store_under_the_shared_home(common, monkeypatch, tmp_path):
    monkeypatch.setenv("LANGNGHE_HOME", str(tmp_path / "shared"))
    monkeypatch.delenv("LANGNGHE_STORE_URL", raising=False)
    dep = common.deployment()
    assert dep.store_url == f"sqlite:///{tmp_path / 'shared' / 'store.sqlite'}"
    assert not dep.is_elasticsearch
    monkeypatch.setenv("LANGNGHE_STORE_URL", "http://es-node:9200")
    assert common.deployment().is_elasticsearch


def test_restrict_keeps_one_group_and_the_registry_settings(common, monkeypatch, tmp_path):
    """A crawl group's registry keeps `capture_retention_days`: its collect prunes evidence
    with the sources file's retention, not the default (it once fell back to 90 days)."""
    monkeypatch.setenv("LANGNGHE_HOME", str(tmp_path))
    everything = common.deployment().effective(datetime.now(UTC)).registry
    everything = everything.model_copy(update={"capture_retention_days": 30})
    wanted = [s.id for s in everything.sources[:2]]
    group = common.restrict(everything, wanted)
    assert [s.id for s in group.sources] == wanted and group.capture_retention_days == 30
    hidden = common.discovery_registry(everything)
    assert hidden.enabled == [] and hidden.capture_retention_days == 30


def test_run_time_is_a_plain_aware_datetime_that_subtracts_like_one(common):
    moment = common.run_time(pendulum.datetime(2026, 3, 1, 7, 0, tz="Asia/Ho_Chi_Minh"))
    assert type(moment) is datetime and moment.tzinfo is UTC
    assert moment == datetime(2026, 3, 1, 0, 0, tzinfo=UTC)
    assert (moment - datetime(2026, 2, 28, 23, 0, tzinfo=UTC)) // timedelta(minutes=15) == 4
