"""The topology of docker-compose.yml, running: its services started as local processes with the
commands, environment and health checks the file gives them (read from it, so the test breaks
when the file drifts), the DAGs unpaused and run by the scheduler on their schedule — no
`dag.test()` — and the deployment checked from the outside.

Started (tests/deploy/topology.py maps containers onto this machine; its docstring is the whole
mapping), in compose's dependency order, each waiting for its depends_on conditions through the
services' own health checks: PostgreSQL (Airflow's metadata DB) and Redis (the Celery broker)
from Debian's packages, run by an unprivileged user when the test runs as root;
`airflow db migrate` (airflow-init); Airflow's api-server, scheduler, dag-processor, triggerer
and a Celery worker from `.venv-airflow`, with the executor the file configures
(CeleryExecutor); `langnghe es setup` (langnghe-init without its Kibana step) and the web app
`langnghe web` from `.venv`. The shared Elasticsearch test node (LANGNGHE_ES_URL) stands for
`elasticsearch`, under an alias of its own. The outlets are the replay server of
tests/dags/world.py (real pages of ../shared/data/web and a scripted burst), the province's mail
server a local SMTP server (aiosmtpd, writing a Maildir).

Set for the test beyond the file (`additions`): collect and detect_alerts every minute
(`LANGNGHE_COLLECT_CRON` / `LANGNGHE_DETECT_CRON`, read by the DAG files, unset in compose:
every 5 minutes), the listening ports that must differ on one machine, and the world's files.

What it proves (each check fails when its feature breaks):
1. collect, then enrich_index (triggered by the spool asset) run on schedule, every task of the
   run through Redis on the Celery worker, and the replayed outlets' documents are returned by
   the web app's `/api/v1/search` on Elasticsearch, with an API token made on the web app's
   account page after the first admin's one-time sign-in (its password read from the log);
2. a source an admin adds with the web app's form after the first collect run is in the plan
   of the next collect run, and its documents become searchable;
3. the burst (from that source: the crisis rule watches local press) reaches the leaders by
   email once — one message for the incident, none before the source was added, none again in
   the next detect runs;
4. every compose health-check command succeeds against its running service, and the one-shots
   exited 0 (their success gated the services after them).
Running the file this way found two faults a static check had not: langnghe-init's
`langnghe es setup --url …` exited 2 (the CLI took --url only before the action), and the web
app's health check failed on a new deployment until the first document was indexed.

What it cannot cover, and what stands for it:
- the images: the services run from this checkout's virtualenvs (no Docker engine here); this
  test takes their ENV / WORKDIR / ENTRYPOINT from the Dockerfile, which is linted and checked
  statically (test_dockerfile.py: stages, pinned base, non-root users, the locks the tests
  install, every package copied, the Airflow home the image creates and owns, the DAG folder
  where the DAGs are copied);
- container networking: every service listens on 127.0.0.1 on its own port; compose's DNS
  names, the fixed subnet and the reverse proxy's gateway are not exercised (test_compose.py:
  every address between containers names a service and the port it listens on, published
  ports on loopback only);
- named volumes: `/data` is one directory all processes share, as the volume is shared, and
  the processes run as the test's user; the mounts, their declaration and one owner (uid
  50000:0) are checked statically (test_compose.py, test_shared_home.py);
- memory limits, ulimits, restart policies, stop grace periods: test_compose.py (the limits
  fit a 16 GB host, the heap is half its limit);
- the images' PostgreSQL 17.6 and Redis 7.4.5: Debian's packages run instead (bookworm: 15 and
  7.0); Kibana, es-setup and langnghe-init's Kibana step are not started;
- Elasticsearch security: the test node runs without it, so the composed credentials are
  passed but not checked (tests/elastic/test_credentials.py covers credentials);
- the daily digest and maintenance DAGs stay paused (daily schedules; tests/dags runs them).
Note: the Celery worker's and the triggerer's log servers (Airflow's serve_logs) bind every
interface, with no setting to change it; here they take free ports for the test's duration.
"""

from __future__ import annotations

import json
import mailbox
import os
import re
import secrets
import shutil
import socket
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import httpx
import pytest
from cryptography.fernet import Fernet

from tests.dags.world import RULE_ID, build_world
from tests.deploy import topology as tp
from tests.deploy.conftest import REPO, VENV

RUN = ("postgres", "redis", "airflow-init", "airflow-apiserver", "airflow-scheduler",
       "airflow-dag-processor", "airflow-triggerer", "airflow-worker", "elasticsearch",
       "langnghe-init", "langnghe")
EXTERNAL = {"elasticsearch": "the shared test node (scripts/elasticsearch.sh)"}
NOT_RUN = {"kibana": "ad-hoc dashboards: no part of the stages' flow",
           "es-setup": "sets Kibana's password"}
CHAIN = ("langnghe_collect", "langnghe_enrich_index", "langnghe_detect_alerts")
EVERY_MINUTE = "* * * * *"
DEADLINE_S = 12 * 60  # measured 4.7 min on the shared 2-core machine: room for a busy one
WEB_SOURCE = "demo-songlam"  # the burst's local outlet, added in the web app
DETECT_RUNS_AFTER_MAIL = 2  # detect runs that must send nothing more
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
FIRST_ADMIN_RE = re.compile(r"Tài khoản quản trị đầu tiên: (\S+) / (\S+)")
TOKEN_RE = re.compile(r"<code>(ln_[^<]+)</code>")
APP_VENV = (REPO / os.environ.get("VENV", ".venv")).resolve()  # make test's VENV=DIR


class Clock:
    """Wall time per phase, for the report line."""

    def __init__(self):
        self.start = time.monotonic()
        self.phases: list[tuple[str, float]] = []

    @contextmanager
    def phase(self, name: str):
        began = time.monotonic()
        try:
            yield
        finally:
            self.phases.append((name, time.monotonic() - began))

    def report(self) -> str:
        parts = ", ".join(f"{name} {seconds:.0f} s" for name, seconds in self.phases)
        return f"topology: {time.monotonic() - self.start:.0f} s in all — {parts}"


def _dotenv(example: dict[str, str]) -> dict[str, str]:
    """The deployment's .env: the example with every CHANGE_ME set to a fresh secret."""
    env = {key: secrets.token_hex(32) if "CHANGE_ME" in value else value
           for key, value in example.items()}
    env["AIRFLOW_FERNET_KEY"] = Fernet.generate_key().decode()
    return env


def _when(stamp: str | None) -> datetime | None:
    return datetime.fromisoformat(stamp) if stamp else None


class Airflow:
    """The api-server's REST API, signed in as the composed admin (simple auth manager)."""

    def __init__(self, base: str, airflow_home: Path, users: str):
        user = users.split(",")[0].split(":")[0]  # SIMPLE_AUTH_MANAGER_USERS: user:role,...
        passwords = json.loads((airflow_home / "simple_auth_manager_passwords.json.generated")
                               .read_text(encoding="utf-8"))
        token = httpx.post(f"{base}/auth/token", json={"username": user,
                                                       "password": passwords[user]},
                           timeout=30).raise_for_status().json()["access_token"]
        self.http = httpx.Client(base_url=f"{base}/api/v2", timeout=30,
                                 headers={"Authorization": f"Bearer {token}"})

    def dag_parsed(self, dag_id: str) -> bool:
        return self.http.get(f"/dags/{dag_id}").status_code == 200

    def unpause(self, dag_id: str) -> None:
        body = self.http.patch(f"/dags/{dag_id}", json={"is_paused": False}).raise_for_status()
        assert body.json()["is_paused"] is False

    def runs(self, dag_id: str) -> list[dict]:
        return self.http.get(f"/dags/{dag_id}/dagRuns", params={
            "order_by": "-run_after", "limit": 50}).raise_for_status().json()["dag_runs"]

    def tasks(self, dag_id: str, run_id: str) -> list[dict]:
        return self.http.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances").raise_for_status(
        ).json()["task_instances"]

    def xcom(self, dag_id: str, run_id: str, task_id: str):
        value = self.http.get(f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/"
                              "xcomEntries/return_value").raise_for_status().json()["value"]
        return json.loads(value) if isinstance(value, str) else value

    def summary(self) -> str:
        """The recent runs of the chain and the tasks of any that did not succeed."""
        lines = []
        for dag_id in CHAIN:
            try:
                runs = self.runs(dag_id)[:6]
            except httpx.HTTPError as exc:
                lines.append(f"{dag_id}: {exc}")
                continue
            lines.append(f"{dag_id}: " + "; ".join(
                f"{r['dag_run_id']} {r['run_type']} {r['state']}" for r in runs))
            for r in runs:
                if r["state"] != "success":
                    lines += [f"    {t['task_id']}[{t['map_index']}] {t['state']} "
                              f"try {t['try_number']}" for t in self.tasks(dag_id, r["dag_run_id"])]
        return "\n".join(lines)

    def finished(self, dag_id: str, match) -> dict | None:
        """The newest run matching `match` once it succeeded; Stalled if it failed."""
        for run in self.runs(dag_id):
            if match(run):
                if run["state"] == "failed":
                    raise tp.Stalled(f"{dag_id} run {run['dag_run_id']} failed:\n"
                                     f"{self.summary()}")
                return run if run["state"] == "success" else None
        return None


class Web:
    """The web app as a browser and an API client use it."""

    def __init__(self, port: int):
        self.http = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60)
        self.token = ""

    def csrf(self, path: str) -> str:
        return CSRF_RE.search(self.http.get(path).raise_for_status().text).group(1)

    def first_sign_in(self, log_text: str) -> None:
        """The first admin's one-time password (the service's log), a new password chosen,
        then an API token made on the account page."""
        user, one_time = FIRST_ADMIN_RE.search(log_text).groups()
        login = self.http.post("/login", data={"username": user, "password": one_time,
                                               "csrf": self.csrf("/login"), "next": "/"})
        assert login.status_code == 303 and login.headers["location"] == "/account", login.text
        new = secrets.token_urlsafe(18)
        changed = self.http.post("/account/password", data={
            "current": "", "new": new, "confirm": new, "csrf": self.csrf("/account")})
        assert changed.status_code == 303, changed.text
        page = self.http.post("/account/token", data={
            "label": "topology", "days": "1", "csrf": self.csrf("/account")}).raise_for_status()
        self.token = TOKEN_RE.search(page.text).group(1)

    def add_source(self, form: dict) -> None:
        response = self.http.post("/sources", data={
            "id": form["id"], "name": form["name"], "type": form["type"],
            "homepage": form["homepage"], "feed": " ".join(form["feeds"]),
            "csrf": self.csrf("/sources")})
        assert response.status_code == 303, response.text

    def search(self, **params) -> dict:
        return self.http.get("/api/v1/search", params={"limit": 200, **params}, headers={
            "Authorization": f"Bearer {self.token}"}).raise_for_status().json()


def _mails(maildir: Path) -> list:
    box = mailbox.Maildir(maildir, create=False)
    return [message_from_bytes(box.get_bytes(key), policy=policy.default) for key in box.keys()]


def _incident(home: Path) -> str | None:
    """The id of the burst's incident in the outbox, once recorded."""
    from alerts.outbox import Outbox

    if not (home / "alerts.sqlite").exists():
        return None
    box = Outbox(home / "alerts.sqlite")
    try:
        return next((a.id for a in box.open_alerts() if a.key == f"rule:{RULE_ID}"), None)
    finally:
        box.close()


def _task_log_tails(airflow_home: Path, files: int = 3, lines: int = 30) -> str:
    logs = sorted((airflow_home / "logs").rglob("*.log"), key=lambda p: p.stat().st_mtime)
    return "\n".join(f"--- task log {p.relative_to(airflow_home)} ---\n" + "\n".join(
        p.read_text(errors="replace").splitlines()[-lines:]) for p in logs[-files:])


class Scenario:
    """The topology, up, and what the checks observe in it."""

    def __init__(self, compose: dict, dockerfile: str, example: dict, tmp: Path):
        self.compose, self.dockerfile = compose, dockerfile
        self.deadline = tp.Deadline(DEADLINE_S)
        self.clock = Clock()
        self.seen: dict = {}
        self.dotenv = _dotenv(example)
        self.es_url = os.environ.get("LANGNGHE_ES_URL", "http://127.0.0.1:9200").rstrip("/")
        self.smtp_port = tp.free_port()
        self.world = build_world(tmp, datetime.now(UTC).replace(microsecond=0),
                                 web_sources=(WEB_SOURCE,), smtp_port=self.smtp_port)
        self.home, self.logs = self.world.home, tmp / "logs"
        self.home.mkdir(parents=True, exist_ok=True)
        self.airflow_home = tmp / "airflow"
        self.maildir = tmp / "maildir"
        # the servers' directories: outside pytest's private tmp, which their user cannot enter
        self.servers = Path(tempfile.mkdtemp(prefix="langnghe-topology-"))
        self.servers.chmod(0o755)
        self.ports = {name: tp.free_port() for name in
                      ("postgres", "redis", "api", "scheduler", "web", "worker_logs",
                       "trigger_logs")}
        es_port = int(self.es_url.rsplit(":", 1)[1])
        self.prefix = f"lntest-topology-{secrets.token_hex(4)}"
        self.mapping = tp.Mapping(
            addresses={"postgres:5432": self.ports["postgres"], "redis:6379": self.ports["redis"],
                       "airflow-apiserver:8080": self.ports["api"], "elasticsearch:9200": es_port},
            listens={"airflow-apiserver": {8080: self.ports["api"]},
                     "airflow-scheduler": {8974: self.ports["scheduler"]},
                     "langnghe": {8080: self.ports["web"]}, "elasticsearch": {9200: es_port}},
            paths={"/data": self.home, "/opt/airflow": self.airflow_home,
                   "/app/config": self.world.config, "/app": REPO},
            store_prefix=self.prefix,
            venvs={name: VENV.resolve() if svc["build"]["target"] == "airflow" else APP_VENV
                   for name, svc in compose["services"].items() if "build" in svc})
        self.topology = tp.Topology(compose, self.deadline)
        self.airflow: Airflow | None = None
        self.web = Web(self.ports["web"])

    # ---- what one machine adds to the file ---------------------------------------------------

    def airflow_additions(self) -> dict[str, str]:
        """Ports the containers would each have to themselves, the world's files (in the image,
        the package's defaults under /app/config) and the test's schedule."""
        env = self.world.env
        return {
            "AIRFLOW__API__HOST": "127.0.0.1", "AIRFLOW__API__PORT": str(self.ports["api"]),
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_HOST": "127.0.0.1",
            "AIRFLOW__SCHEDULER__SCHEDULER_HEALTH_CHECK_SERVER_PORT":
                str(self.ports["scheduler"]),
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(self.ports["worker_logs"]),
            "AIRFLOW__LOGGING__TRIGGER_LOG_SERVER_PORT": str(self.ports["trigger_logs"]),
            **{key: env[key] for key in ("LANGNGHE_SOURCES", "LANGNGHE_WATCH", "LANGNGHE_ALERTS",
                                         "LANGNGHE_HOST_MAP", "LANGNGHE_EGRESS_ALLOW")},
            "LANGNGHE_COLLECT_CRON": EVERY_MINUTE, "LANGNGHE_DETECT_CRON": EVERY_MINUTE,
        }

    def proc(self, name: str) -> tp.Proc:
        user = tp.ensure_user(tp.SERVICE_USER)
        if name == "postgres":
            return tp.postgres(self.compose, self.dotenv, self.servers / "postgres",
                               self.ports["postgres"], self.logs, user)
        if name == "redis":
            return tp.redis(self.compose, self.dotenv, self.servers / "redis",
                            self.ports["redis"], self.logs, user)
        if name == "elasticsearch":
            svc = self.compose["services"][name]
            env = {"PATH": tp.SYSTEM_PATH, **tp.compose_env(svc, self.dotenv)}
            return tp.Proc(name, [], env, self.servers, self.logs / f"{name}.log",
                           self.mapping.argv(name, tp.health_argv(svc, self.dotenv)))
        home = self.servers / "users" / name
        home.mkdir(parents=True, exist_ok=True)
        if name.startswith("airflow-"):
            return tp.built(name, self.compose, self.dockerfile, self.dotenv, self.mapping,
                            self.logs, home, self.airflow_additions())
        if name == "langnghe-init":  # its Kibana step needs Kibana, which is not run
            script = self.compose["services"][name]["command"][-1]
            steps = [s for s in script.split(" && ") if not any(f"//{other}:" in s
                                                                for other in NOT_RUN)]
            return tp.built(name, self.compose, self.dockerfile, self.dotenv, self.mapping,
                            self.logs, home, command=["sh", "-c", " && ".join(steps)])
        return tp.built(name, self.compose, self.dockerfile, self.dotenv, self.mapping,
                        self.logs, home)

    # ---- the scenario ------------------------------------------------------------------------

    def run(self) -> None:
        with self.clock.phase("services up"):
            self.start_smtp()
            for name in tp.start_order(self.compose, list(RUN)):
                if name in EXTERNAL:
                    self.topology.external[name] = self.proc(name)
                    continue
                then = (lambda p: tp.create_database(p, self.deadline)) \
                    if name == "postgres" else None
                self.topology.up(name, self.proc(name), skip=set(NOT_RUN), then=then)
            self.topology.wait_healthy("langnghe")
            self.topology.wait_healthy("airflow-apiserver")
        with self.clock.phase("web sign-in and API token"):
            self.web.first_sign_in(self.topology.procs["langnghe"].log.read_text())
        with self.clock.phase("DAGs parsed and unpaused"):
            env = self.topology.procs["airflow-apiserver"].env
            self.airflow = Airflow(f"http://127.0.0.1:{self.ports['api']}", self.airflow_home,
                                   env["AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS"])
            for dag_id in CHAIN:
                self.deadline.wait(f"the dag-processor to parse {dag_id}",
                                   lambda d=dag_id: self.airflow.dag_parsed(d))
                self.airflow.unpause(dag_id)
        with self.clock.phase("first collect → enrich_index → searchable"):
            collect = self.collected_after(None)
            self.seen["first"] = self.searchable()
            self.seen["mails_before_source"] = len(_mails(self.maildir))
            self.seen["first_collect_tasks"] = self.airflow.tasks(CHAIN[0],
                                                                  collect["dag_run_id"])
        with self.clock.phase("source added in the web app → next collect → searchable"):
            added = datetime.now(UTC)
            self.web.add_source(self.world.web_sources[0])
            collect = self.collected_after(added)
            self.seen["plan_after_source"] = self.airflow.xcom(CHAIN[0], collect["dag_run_id"],
                                                               "plan_groups")
            self.seen["after_source"] = self.searchable()
        with self.clock.phase("burst email, then detect runs that send nothing more"):
            self.mailed()
        with self.clock.phase("health checks"):
            self.seen["health"] = {name: self.health(name) for name in RUN
                                   if self.compose["services"][name].get("restart") != "no"}
            self.seen["one_shots"] = {name: self.topology.procs[name].exit_code for name in RUN
                                      if self.compose["services"][name].get("restart") == "no"}

    def start_smtp(self) -> None:
        """The province's mail server: aiosmtpd from the main virtualenv, into a Maildir."""
        smtp = tp.Proc("smtp", [str(APP_VENV / "bin" / "python"), "-m", "aiosmtpd", "-n", "-l",
                                f"127.0.0.1:{self.smtp_port}", "-c",
                                "aiosmtpd.handlers.Mailbox", str(self.maildir)],
                       {"PATH": tp.SYSTEM_PATH, **tp.BASE_ENV}, self.servers,
                       self.logs / "smtp.log").start()
        self.topology.extra.append(smtp)

        def listening() -> bool:
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.smtp_port)) == 0

        self.deadline.wait("the SMTP server", listening, every=0.3, why=smtp.tail)

    def collected_after(self, moment: datetime | None) -> dict:
        """The first collect run that started after `moment` (any, when None), once it and an
        enrich_index run its spool update triggered have succeeded."""
        af = self.airflow
        collect = self.deadline.wait(
            f"a {CHAIN[0]} run started after {moment or 'the unpause'} to succeed",
            lambda: af.finished(CHAIN[0], lambda r: moment is None
                                or (_when(r["start_date"]) or moment) > moment),
            every=3, why=af.summary)
        started = _when(collect["start_date"])
        self.deadline.wait(
            f"the {CHAIN[1]} run triggered by {collect['dag_run_id']}'s spool update to succeed",
            lambda: af.finished(CHAIN[1], lambda r: r["run_type"] == "asset_triggered"
                                and _when(r["run_after"]) >= started),
            every=3, why=af.summary)
        return collect

    def searchable(self) -> dict:
        everything = self.web.search()
        return {"total": everything["total"], "urls": {h["url"] for h in everything["hits"]},
                "sources": {h["source_id"] for h in everything["hits"]},
                "burst_hits": {h["title"] for h in self.web.search(q="chay cho")["hits"]},
                "web_source": self.web.search(source=WEB_SOURCE)["total"]}

    def mailed(self) -> None:
        """Wait for the incident's email, then for DETECT_RUNS_AFTER_MAIL more detect runs."""
        af = self.airflow

        def incident_mail():
            incident = _incident(self.home)
            if incident is None:
                return None
            keys = [m["X-Langnghe-Idempotency-Key"] or "" for m in _mails(self.maildir)]
            return incident if any(k.startswith(f"{incident}:") for k in keys) else None

        incident = self.deadline.wait("the burst's incident email", incident_mail, every=3,
                                      why=af.summary)
        mailed_at = datetime.now(UTC)
        self.deadline.wait(
            f"{DETECT_RUNS_AFTER_MAIL} more {CHAIN[2]} runs to succeed",
            lambda: len([r for r in af.runs(CHAIN[2]) if r["state"] == "success"
                         and _when(r["start_date"]) > mailed_at]) >= DETECT_RUNS_AFTER_MAIL,
            every=3, why=af.summary)
        mails = _mails(self.maildir)
        self.seen["incident_mails"] = [m for m in mails if (
            m["X-Langnghe-Idempotency-Key"] or "").startswith(f"{incident}:")]
        self.seen["all_mail_subjects"] = [str(m["Subject"]) for m in mails]

    def health(self, name: str) -> tuple[int, str]:
        proc = self.topology.all()[name]
        try:
            done = proc.check(timeout=60)
        except Exception as exc:
            return -1, f"{proc.health}: {exc}"
        return done.returncode, f"{proc.health}: {done.stdout[-300:]}{done.stderr[-300:]}"

    # ---- the end -----------------------------------------------------------------------------

    def diagnose(self, exc: BaseException) -> str:
        runs = self.airflow.summary() if self.airflow else "(Airflow's API not reached)"
        return (f"{type(exc).__name__}: {exc}\n\nDAG runs:\n{runs}\n\nservice logs:\n"
                f"{self.topology.tails()}\n\n{_task_log_tails(self.airflow_home)}")

    def down(self) -> None:
        """Everything stopped and removed, each step whatever the others did."""
        with self.clock.phase("teardown"):
            steps = [self.topology.down, self.world.stop,
                     *(lambda p=path: httpx.delete(f"{self.es_url}/{p}*", timeout=60)
                       for path in (self.prefix, f"_index_template/{self.prefix}")),
                     lambda: shutil.rmtree(self.servers, ignore_errors=True)]
            for step in steps:
                try:
                    step()
                except Exception as exc:
                    print(f"topology teardown: {exc!r}")


@pytest.fixture(scope="module")
def scenario(compose, env_example, tmp_path_factory):
    if tp.pg_bin() is None or not shutil.which("redis-server"):
        pytest.fail("PostgreSQL's server or redis-server is missing: run scripts/services-setup.sh")
    es = os.environ.get("LANGNGHE_ES_URL", "http://127.0.0.1:9200")
    try:
        httpx.get(f"{es}/_cluster/health", timeout=10).raise_for_status()
    except httpx.HTTPError as exc:
        pytest.fail(f"no Elasticsearch at {es} ({exc}): bash scripts/elasticsearch.sh start")
    dockerfile = (REPO / "Dockerfile").read_text(encoding="utf-8")
    run = Scenario(compose, dockerfile, env_example, tmp_path_factory.mktemp("topology"))
    try:
        try:
            run.run()
        except Exception as exc:  # every check reports it; the services are stopped below
            run.seen["error"] = run.diagnose(exc)
        yield run
    finally:
        run.down()
        tp.TIMINGS.append(run.clock.report())
        print(tp.TIMINGS[-1])


def seen(scenario: Scenario, key: str):
    """What the scenario observed for a check; the scenario's failure when it got no further."""
    if key not in scenario.seen:
        pytest.fail(scenario.seen.get("error", f"the scenario recorded no {key!r}"))
    return scenario.seen[key]


def test_every_service_of_the_file_is_run_or_said_not_to_be(compose):
    assert set(compose["services"]) == set(RUN) | set(NOT_RUN)


def test_replayed_outlets_are_searchable_through_the_web_api_after_scheduled_runs(scenario):
    first = seen(scenario, "first")
    world = scenario.world
    assert set(world.real_urls) <= first["urls"], sorted(set(world.real_urls) - first["urls"])
    assert "demo-thoisu" in first["sources"]  # a burst outlet of the sources file
    assert first["burst_hits"] & set(world.burst_titles)  # "chay cho": without diacritics
    assert first["web_source"] == 0  # not in the sources file: not crawled yet
    tasks = seen(scenario, "first_collect_tasks")
    crawls = [t for t in tasks if t["task_id"] == "crawl_group"]
    assert len(crawls) == int(scenario.dotenv["LANGNGHE_COLLECT_GROUPS"])  # the composed groups
    worker = scenario.topology.procs["airflow-worker"].log.read_text(errors="replace")
    ran = set(re.findall(r"Executing workload in Celery: .*?ti=TaskInstanceDTO\(id=UUID\('([^']+)'",
                         worker))
    assert {t["id"] for t in tasks} <= ran  # every task of the run went through Redis to Celery


def test_a_source_added_in_the_web_app_is_crawled_by_the_next_collect_run(scenario):
    plan = seen(scenario, "plan_after_source")
    assert WEB_SOURCE in {source for group in plan for source in group}
    after = seen(scenario, "after_source")
    assert after["web_source"] > 0
    assert after["total"] == seen(scenario, "first")["total"] + after["web_source"]
    assert set(scenario.world.burst_titles) <= after["burst_hits"]  # the whole burst now


def test_the_burst_is_emailed_once(scenario):
    assert seen(scenario, "mails_before_source") == 0  # the rule watches the added local outlet
    mails = seen(scenario, "incident_mails")
    assert len(mails) == 1, seen(scenario, "all_mail_subjects")
    (mail,) = mails
    assert mail["To"] == "vanphong@tinh.gov.vn"
    assert "cháy" in mail.get_body(("plain",)).get_content().lower()


def test_every_compose_health_check_passes_against_its_running_service(scenario):
    health = seen(scenario, "health")
    assert set(health) == {n for n in RUN if scenario.compose["services"][n].get("restart") != "no"}
    failing = {name: out for name, (code, out) in health.items() if code != 0}
    assert failing == {}
    assert seen(scenario, "one_shots") == {"airflow-init": 0, "langnghe-init": 0}
