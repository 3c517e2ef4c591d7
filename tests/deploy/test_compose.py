"""docker-compose.yml, checked without Docker: the Compose Specification's JSON schema (as bundled
by dclint), dclint's rules, and the deployment's own policy — pinned images, health checks,
loopback ports, secrets from .env, memory that fits a 16 GB host, docs that match the file."""

from __future__ import annotations

import copy
import json
import re
import subprocess
import tomllib

import jsonschema
import pytest

from tests.deploy.conftest import NPM_BIN, REPO, interpolate, npm_tool, variables

HOST_GB = 16
OS_RESERVE_GB = 2  # kernel, Docker, and page cache beyond Elasticsearch's heap
# dclint rules switched off, on purpose:
# no-build-and-image: our images are built here AND tagged with the release, so one build
#   serves the six Airflow services; services-alphabetical-order / service-keys-order: the file
#   is ordered by dependency (storage, then Airflow, then the app), which reads better
DCLINT_OFF = ("no-build-and-image", "services-alphabetical-order", "service-keys-order")
UNITS = {"k": 1 / 1024 ** 2, "m": 1 / 1024, "g": 1.0}


@pytest.fixture(scope="module")
def schema() -> dict:
    path = NPM_BIN.parent / "dclint" / "schemas" / "compose.schema.json"
    assert path.exists(), f"{path} missing: run scripts/airflow-env.sh"
    return json.loads(path.read_text(encoding="utf-8"))


def _one_shot(name: str, svc: dict) -> bool:
    return svc.get("restart") == "no"


def _gigabytes(value: str) -> float:
    number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([kmg])", value.lower()).groups()
    return float(number) * UNITS[unit]


def test_compose_validates_against_the_compose_spec_schema(compose, schema):
    jsonschema.validate(compose, schema, cls=jsonschema.Draft7Validator)


def test_compose_schema_check_rejects_an_unknown_service_key(compose, schema):
    broken = copy.deepcopy(compose)
    broken["services"]["elasticsearch"]["heathcheck"] = {"test": ["CMD", "true"]}  # typo
    with pytest.raises(jsonschema.ValidationError, match="heathcheck"):
        jsonschema.validate(broken, schema, cls=jsonschema.Draft7Validator)


def test_compose_passes_dclint():
    args = [str(npm_tool("dclint")), str(REPO / "docker-compose.yml"), "--color=false"]
    for rule in DCLINT_OFF:
        args += ["--disable-rule", rule]
    result = subprocess.run(args, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "problem" not in result.stdout, result.stdout


def test_every_image_is_pinned_to_a_version(compose):
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    for name, svc in compose["services"].items():
        image = svc.get("image")
        assert image, f"service {name} has no image"
        repo, _, tag = image.rpartition(":")
        assert repo and re.fullmatch(r"\d+(\.\d+)+(-[a-z0-9.]+)?", tag), f"{name}: {image}"
        if "build" in svc:
            assert tag == version, f"{name}: a built image is tagged with the release {version}"


def test_one_elasticsearch_version_for_every_elastic_image(compose):
    tags = {svc["image"].rpartition(":")[2] for svc in compose["services"].values()
            if svc["image"].startswith("docker.elastic.co/")}
    script = (REPO / "scripts" / "elasticsearch.sh").read_text(encoding="utf-8")
    tested = re.search(r'LANGNGHE_ES_VERSION:-([0-9.]+)', script).group(1)
    assert tags == {tested}  # the version the Elasticsearch tests run against


def test_every_long_running_service_has_a_healthcheck(compose):
    for name, svc in compose["services"].items():
        if not _one_shot(name, svc):
            check = svc.get("healthcheck", {})
            assert check.get("test") and not check.get("disable"), f"{name} has no health check"


def test_one_shot_services_gate_what_depends_on_them(compose):
    services = compose["services"]
    one_shots = {n for n, s in services.items() if _one_shot(n, s)}
    assert {"airflow-init", "langnghe-init", "es-setup"} <= one_shots
    waited_for = {dep for s in services.values()
                  for dep, cond in (s.get("depends_on") or {}).items()
                  if cond.get("condition") == "service_completed_successfully"}
    assert one_shots == waited_for


def test_depends_on_names_existing_services_without_cycles(compose):
    services = compose["services"]
    graph = {n: set(s.get("depends_on") or {}) for n, s in services.items()}
    assert all(dep in services for deps in graph.values() for dep in deps)
    done: set[str] = set()
    while len(done) < len(graph):
        ready = {n for n, deps in graph.items() if n not in done and deps <= done}
        assert ready, f"dependency cycle among {sorted(set(graph) - done)}"
        done |= ready


def test_published_ports_bind_to_loopback(compose):
    for name, svc in compose["services"].items():
        for port in svc.get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name} publishes {port} publicly"


def test_env_example_defines_every_variable_compose_reads(compose_text, env_example):
    used = {name for name, _, _ in variables(compose_text)}
    assert used <= set(env_example), sorted(used - set(env_example))
    required = {name for name, op, _ in variables(compose_text) if op == "?"}
    for name in required:  # secrets have no default: the example makes the user set them
        assert "CHANGE_ME" in env_example[name], name


def test_compose_refuses_to_start_without_any_one_secret(compose_text, env_example):
    interpolate(compose_text, env_example)  # complete: no error
    for secret in ("ELASTIC_PASSWORD", "KIBANA_PASSWORD", "POSTGRES_PASSWORD",
                   "AIRFLOW_FERNET_KEY", "AIRFLOW_JWT_SECRET", "LANGNGHE_SECRET"):
        partial = {k: v for k, v in env_example.items() if k != secret}
        with pytest.raises(KeyError, match=secret):
            interpolate(compose_text, partial)


def test_memory_limits_fit_a_16_gb_host(compose, env_example):
    total = 0.0
    for name, svc in compose["services"].items():
        assert "mem_limit" in svc, f"{name} has no memory limit"
        total += _gigabytes(interpolate(str(svc["mem_limit"]), env_example))
    assert total <= HOST_GB - OS_RESERVE_GB, f"{total:.2f} GB of limits"


def test_elasticsearch_heap_is_half_its_memory(compose, env_example):
    es = compose["services"]["elasticsearch"]
    heap = re.search(r"-Xmx(\S+)", interpolate(es["environment"]["ES_JAVA_OPTS"], env_example))
    limit = _gigabytes(interpolate(es["mem_limit"], env_example))
    assert _gigabytes(heap.group(1)) <= limit / 2


def test_airflow_services_share_the_home_and_a_celery_setup(compose):
    airflow = {n: s for n, s in compose["services"].items() if n.startswith("airflow-")}
    assert {"airflow-apiserver", "airflow-scheduler", "airflow-dag-processor",
            "airflow-triggerer", "airflow-worker"} <= set(airflow)
    for name, svc in airflow.items():
        assert "langnghe-home:/data" in svc["volumes"], name
        assert svc["environment"]["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
    lock = (REPO / "scripts" / "airflow-requirements.lock").read_text(encoding="utf-8")
    for package in ("apache-airflow-providers-celery==", "apache-airflow-providers-postgres==",
                    "psycopg2-binary==", "redis=="):  # what that environment needs, pinned
        assert package in lock, package


def test_every_service_the_docs_mention_exists(compose):
    docs = (REPO / "docs" / "deploy.md").read_text(encoding="utf-8")
    table = re.search(r"<!-- services -->(.*?)<!-- /services -->", docs, re.S).group(1)
    named = set(re.findall(r"^\| `([a-z0-9-]+)`", table, re.M))
    assert named == set(compose["services"])
    for mention in re.findall(r"docker compose \S+(?: -\S+)* ([a-z][a-z0-9-]+)", docs):
        assert mention in compose["services"], mention


# What tests/deploy/test_topology.py cannot run (it maps every container onto 127.0.0.1 and one
# directory), checked here on the file: the names containers reach each other by, the volumes.
IMAGE_PORTS = {"postgres": 5432, "redis": 6379}  # health checks that use the default port


def _addresses(compose: dict) -> set[tuple[str, str, int]]:
    """(service, host, port) of every `//host:port` or `@host:port` a service's environment or
    command names (URLs between containers)."""
    found = set()
    for name, svc in compose["services"].items():
        text = json.dumps([svc.get("environment"), svc.get("command")])
        found |= {(name, host, int(port)) for host, port in
                  re.findall(r"(?<=[/@])([a-z][a-z0-9-]*):(\d+)\b", text)}
    return found


def test_addresses_between_containers_name_a_service_and_the_port_it_listens_on(compose):
    services = compose["services"]
    addresses = _addresses(compose)
    assert {host for _, host, _ in addresses} >= {"postgres", "redis", "airflow-apiserver",
                                                  "elasticsearch", "kibana"}
    for name, host, port in addresses:
        assert host in services, f"{name} reaches {host}:{port}, which is no service"
        check = json.dumps(services[host].get("healthcheck", {}).get("test", []))
        assert re.search(rf"//(localhost|127\.0\.0\.1):{port}\b", check) \
            or IMAGE_PORTS.get(host) == port, f"{name} reaches {host} on {port}, not its port"


def test_named_volumes_are_declared_and_each_declared_one_is_mounted(compose):
    mounted = {str(v).split(":")[0] for svc in compose["services"].values()
               for v in svc.get("volumes", []) if not str(v).startswith((".", "/"))}
    assert mounted == set(compose.get("volumes") or {})
