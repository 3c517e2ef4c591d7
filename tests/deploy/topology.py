"""docker-compose.yml's services as local processes (tests/deploy/test_topology.py).

What this module owns: reading a service from the compose file (command, environment, health
check, depends_on) and from the Dockerfile stage its image is built from (ENV, WORKDIR,
ENTRYPOINT); mapping a container's world onto this machine by one function, `Mapping.text`
(with `Mapping.argv` for command lines); starting each service as a process group in compose's
dependency order, waiting on its depends_on conditions with the services' own health checks,
and stopping everything, whatever happened.

The mapping, all of it (everything else is passed through as the file says, so a renamed
variable or a changed command reaches the processes and the test sees the drift):
- addresses between containers → 127.0.0.1 and a free port: `postgres:5432`, `redis:6379`,
  `airflow-apiserver:8080`, `elasticsearch:9200` (after `//` or `@`, as in URLs);
- a container's own loopback → 127.0.0.1 and that service's free port: `localhost:PORT` /
  `127.0.0.1:PORT` inside a service, and `--port PORT` in its command; `0.0.0.0` binds →
  127.0.0.1 (nothing is published here);
- paths → this machine: `/data` → the test's home, `/opt/airflow` → a temporary AIRFLOW_HOME,
  `/app/config` → the test world's config folder (the outlets it replays), `/app` → this
  checkout, `/venv` → `.venv-airflow` (the airflow image) or `.venv` (the app image);
- the store URL `elasticsearch+http://elasticsearch:9200` gets `?prefix=` a fresh alias on the
  shared test node, so the test never touches another test's indices;
- the two images not built here are Debian's packages: `postgres` is initdb + postgres under
  an unprivileged user, as the image's entrypoint does with POSTGRES_USER / _PASSWORD / _DB
  (its clients find it through PGHOST/PGPORT); `redis-server` gets `--port --bind --dir`
  (redis-cli gets `-p`).
Every container gets what Docker gives it: the image's ENV (mapped), `HOSTNAME` (here the
machine's, which is also the name the Celery worker gives itself), a HOME, and LANG=C.UTF-8
of the python base image.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from tests.deploy.conftest import interpolate
from tests.deploy.test_dockerfile import stages

SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BASE_ENV = {"LANG": "C.UTF-8"}  # what python:3.11-slim sets besides PATH
SERVICE_USER = "langnghe-svc"  # PostgreSQL refuses root; the redis image runs as its own user
STOP_GRACE_S = 20  # then SIGKILL: the worker's compose grace (11 min) would outlast the test
POLL_S = 2.0  # health checks are polled this often while someone waits on them
TIMINGS: list[str] = []  # wall times of the topology test, printed in pytest's summary


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stalled(RuntimeError):
    """A service or a run did not get where it should within the test's deadline."""


@dataclass
class Deadline:
    """The whole test's time bound; each wait names what it waited for when it runs out."""

    seconds: float
    start: float = field(default_factory=time.monotonic)

    def left(self) -> float:
        return self.seconds - (time.monotonic() - self.start)

    def wait(self, what: str, probe: Callable[[], object], every: float = POLL_S,
             limit: float | None = None, why: Callable[[], str] = lambda: ""):
        """probe() until it returns something truthy; Stalled naming `what` after the deadline
        (or `limit` seconds)."""
        until = time.monotonic() + min(self.left(), limit if limit is not None else 1e9)
        while True:
            found = probe()
            if found:
                return found
            if time.monotonic() >= until:
                raise Stalled(f"stalled: {what} (after {self.seconds - self.left():.0f} s of "
                              f"the {self.seconds:.0f} s budget) {why()}".rstrip())
            time.sleep(every)


# ---- what the image gives a container --------------------------------------------------------

@dataclass(frozen=True)
class Image:
    env: dict[str, str]
    workdir: str
    entrypoint: tuple[str, ...]


def image(dockerfile: str, target: str) -> Image:
    """ENV, WORKDIR and ENTRYPOINT of a Dockerfile stage, following its FROM chain."""
    by_stage = stages(dockerfile)
    chain, name = [], target
    while name in by_stage:
        chain.insert(0, name)
        name = by_stage[name][0].split()[1]  # FROM <parent> AS <name>
    env = {"PATH": SYSTEM_PATH, **BASE_ENV}
    workdir, entrypoint = "/", ()
    for stage in chain:
        for line in by_stage[stage][1:]:
            word, _, rest = line.partition(" ")
            if word == "ENV":
                for pair in shlex.split(rest):
                    key, _, value = pair.partition("=")
                    env[key] = re.sub(r"\$\{?(\w+)\}?", lambda m: env.get(m.group(1), ""), value)
            elif word == "WORKDIR":
                workdir = rest.strip()
            elif word == "ENTRYPOINT":  # the exec form, a JSON array
                entrypoint = tuple(json.loads(rest))
    return Image(env, workdir, entrypoint)


# ---- the mapping ----------------------------------------------------------------------------

@dataclass
class Mapping:
    """Container names, ports and paths → this machine (the module docstring lists it all)."""

    addresses: dict[str, int]  # "postgres:5432" → local port
    listens: dict[str, dict[int, int]]  # service → {its container port: local port}
    paths: dict[str, Path]  # container path → local path
    store_prefix: str  # the alias of the test's documents on the shared node
    venvs: dict[str, Path] = field(default_factory=dict)  # service → what stands for its /venv

    def text(self, service: str, value: str) -> str:
        es = self.addresses["elasticsearch:9200"]
        value = re.sub(r"(elasticsearch\+https?://)elasticsearch:9200\b",
                       rf"\g<1>127.0.0.1:{es}?prefix={self.store_prefix}", value)
        for address, port in self.addresses.items():
            value = re.sub(rf"(?<=[/@]){re.escape(address)}\b", f"127.0.0.1:{port}", value)
        for inside, port in self.listens.get(service, {}).items():
            value = re.sub(rf"(?<=[/@])(localhost|127\.0\.0\.1):{inside}\b",
                           f"127.0.0.1:{port}", value)
        paths = {**self.paths, **({"/venv": self.venvs[service]} if service in self.venvs
                                   else {})}
        for path in sorted(paths, key=len, reverse=True):  # /app/config before /app
            value = re.sub(rf"(?<![\w./-]){re.escape(path)}(?=/|:|$|[\s'\"])",
                           str(paths[path]), value)
        return value.replace("0.0.0.0", "127.0.0.1")

    def argv(self, service: str, argv: list[str]) -> list[str]:
        out = [self.text(service, arg) for arg in argv]
        for i, arg in enumerate(out[:-1]):
            if arg == "--port" and int(out[i + 1]) in self.listens.get(service, {}):
                out[i + 1] = str(self.listens[service][int(out[i + 1])])
        return out


# ---- the compose file ------------------------------------------------------------------------

def unescape(value: str) -> str:
    """Compose's `$$` (a `$` left for the container's shell)."""
    return value.replace("$$", "$")


def compose_env(svc: dict, dotenv: dict[str, str]) -> dict[str, str]:
    env = svc.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: unescape(interpolate(str(value), dotenv)) for key, value in env.items()}


def health_argv(svc: dict, dotenv: dict[str, str]) -> list[str] | None:
    test = (svc.get("healthcheck") or {}).get("test")
    if not test:
        return None
    test = [unescape(interpolate(str(part), dotenv)) for part in test]
    if test[0] == "CMD-SHELL":
        return ["sh", "-c", test[1]]
    assert test[0] == "CMD", test
    return test[1:]


def health_budget(svc: dict) -> float:
    """How long compose would wait before calling the service unhealthy."""
    check = svc.get("healthcheck") or {}

    def seconds(value: str | None, default: float) -> float:
        if not value:
            return default
        return sum(float(n) * {"s": 1, "m": 60, "h": 3600}[u]
                   for n, u in re.findall(r"(\d+(?:\.\d+)?)([smh])", str(value)))

    return seconds(check.get("start_period"), 0) + seconds(check.get("interval"), 30) * \
        int(check.get("retries", 3))


def start_order(compose: dict, names: list[str]) -> list[str]:
    """`names` in an order that starts every dependency first (file order among equals)."""
    services = compose["services"]
    done: list[str] = []
    while len(done) < len(names):
        ready = [n for n in names if n not in done
                 and all(d in done or d not in names for d in services[n].get("depends_on", {}))]
        assert ready, f"dependency cycle among {sorted(set(names) - set(done))}"
        done.append(ready[0])
    return done


# ---- processes ------------------------------------------------------------------------------

def ensure_user(name: str) -> str | None:
    """An unprivileged system user to run a server as when the test runs as root, else None."""
    if os.geteuid() != 0:
        return None
    if subprocess.run(["id", "-u", name], capture_output=True).returncode != 0:
        subprocess.run(["useradd", "-r", "-M", "-d", "/nonexistent", "-s", "/usr/sbin/nologin",
                        name], check=True, capture_output=True)
    return name


def as_user(user: str | None, argv: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *argv] if user else argv


@dataclass
class Proc:
    """One service: a process group, its output in `log`, its health check."""

    name: str
    argv: list[str]
    env: dict[str, str]
    cwd: Path
    log: Path
    health: list[str] | None = None
    user: str | None = None
    stop_signal: int = signal.SIGTERM
    popen: subprocess.Popen | None = None
    started: float = 0.0

    def start(self) -> Proc:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(as_user(self.user, self.argv), env=self.env,
                                          cwd=self.cwd, stdout=out, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        self.started = time.monotonic()
        return self

    @property
    def exit_code(self) -> int | None:
        return self.popen.poll() if self.popen else None

    def check(self, timeout: float = 30) -> subprocess.CompletedProcess:
        """The health check, run as compose runs it: in the service's environment and dir."""
        return subprocess.run(self.health, env=self.env, cwd=self.cwd, capture_output=True,
                              text=True, timeout=timeout)

    def healthy(self) -> bool:
        try:
            return self.check().returncode == 0
        except subprocess.TimeoutExpired:
            return False

    def tail(self, lines: int = 25) -> str:
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return "(no log)"
        return "\n".join(text.splitlines()[-lines:])

    def stop(self) -> None:
        """The group gets the stop signal, then SIGKILL after STOP_GRACE_S; descendants that
        left the group (the crawl subprocess starts its own session) are killed too."""
        if not self.popen or self.popen.poll() is not None:
            return
        try:
            family = psutil.Process(self.popen.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            family = []
        _signal_group(self.popen.pid, self.stop_signal)
        try:
            self.popen.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            _signal_group(self.popen.pid, signal.SIGKILL)
            self.popen.wait(10)
        for child in family:
            try:
                child.kill()
            except psutil.NoSuchProcess:
                pass


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


class Topology:
    """The running services, in start order; `down()` stops them in reverse."""

    def __init__(self, compose: dict, deadline: Deadline):
        self.compose = compose
        self.deadline = deadline
        self.procs: dict[str, Proc] = {}
        self.external: dict[str, Proc] = {}  # running already (the shared Elasticsearch node)
        self.healthy: set[str] = set()
        self.extra: list[Proc] = []  # stand-ins that are not compose services (SMTP)

    def all(self) -> dict[str, Proc]:
        return {**self.external, **self.procs}

    def up(self, name: str, proc: Proc, skip: set[str] = frozenset(),
           then: Callable[[Proc], None] | None = None) -> Proc:
        """Start `name` once its depends_on conditions hold (services in `skip` are not run:
        conditions on them are not waited for); `then` runs right after the start."""
        for dep, cond in (self.compose["services"][name].get("depends_on") or {}).items():
            if dep in skip:
                continue
            condition = cond.get("condition", "service_started")
            if condition == "service_healthy":
                self.wait_healthy(dep)
            elif condition == "service_completed_successfully":
                self.wait_completed(dep)
        self.procs[name] = proc.start()
        if then:
            then(proc)
        return proc

    def wait_healthy(self, name: str) -> None:
        if name in self.healthy:
            return
        proc = self.all()[name]
        budget = health_budget(self.compose["services"][name])

        def probe():
            if proc.popen and proc.exit_code is not None:
                raise Stalled(f"{name} exited with {proc.exit_code} before it was healthy:\n"
                              f"{proc.tail()}")
            return proc.healthy()

        self.deadline.wait(f"{name} healthy (its compose health check: {proc.health})", probe,
                           limit=budget, why=lambda: f"\n{proc.tail()}")
        self.healthy.add(name)

    def wait_completed(self, name: str) -> None:
        proc = self.procs[name]
        self.deadline.wait(f"{name} (one-shot) to finish", lambda: proc.exit_code is not None,
                           every=0.5, why=lambda: f"\n{proc.tail()}")
        if proc.exit_code != 0:
            raise Stalled(f"{name} exited with {proc.exit_code}:\n{proc.tail(40)}")

    def down(self) -> None:
        for proc in reversed([*self.extra, *self.procs.values()]):
            try:
                proc.stop()
            except Exception as exc:  # keep stopping the others
                print(f"topology: stopping {proc.name}: {exc}")

    def tails(self, lines: int = 25) -> str:
        return "\n".join(f"--- {name} ({proc.log}) ---\n{proc.tail(lines)}"
                         for name, proc in {**self.procs, **{p.name: p for p in self.extra}}
                         .items())


# ---- the services -----------------------------------------------------------------------------

def built(name: str, compose: dict, dockerfile: str, dotenv: dict[str, str], mapping: Mapping,
          log_dir: Path, home: Path, additions: dict[str, str] | None = None,
          command: list[str] | None = None) -> Proc:
    """A service of an image built from the Dockerfile: the image's ENV, WORKDIR and ENTRYPOINT,
    the service's environment, command (or `command`, when only part of it can run here) and
    health check, all through `mapping`; `additions` are what one machine needs on top."""
    svc = compose["services"][name]
    img = image(dockerfile, svc["build"]["target"])
    env = {**img.env, **compose_env(svc, dotenv)}
    env = {key: mapping.text(name, value) for key, value in env.items()}
    env.update({"HOSTNAME": socket.gethostname(), "HOME": str(home), **(additions or {})})
    health = health_argv(svc, dotenv)
    argv = [*img.entrypoint, *(command if command is not None else svc["command"])]
    workdir = Path(mapping.text(name, img.workdir))
    workdir.mkdir(parents=True, exist_ok=True)  # as WORKDIR creates it in the image
    return Proc(name, mapping.argv(name, argv), env, workdir, log_dir / f"{name}.log",
                mapping.argv(name, health) if health else None)


def pg_bin() -> Path | None:
    """Debian's newest PostgreSQL server (scripts/services-setup.sh installs it)."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    return found[-1].parent if found else None


def postgres(compose: dict, dotenv: dict[str, str], root: Path, port: int, log_dir: Path,
             user: str | None) -> Proc:
    """The postgres image on Debian's server: what its entrypoint does on an empty volume —
    initdb with POSTGRES_USER as the superuser and POSTGRES_PASSWORD, password (scram-sha-256)
    over TCP — then `postgres` on 127.0.0.1:port. `create_database` makes POSTGRES_DB."""
    svc = compose["services"]["postgres"]
    env = {"PATH": f"{pg_bin()}:{SYSTEM_PATH}", **BASE_ENV, **compose_env(svc, dotenv),
           "PGHOST": "127.0.0.1", "PGPORT": str(port)}  # where its clients find it here
    data, sockets, pwfile = root / "data", root / "run", root / "pwfile"
    sockets.mkdir(parents=True)
    pwfile.write_text(env["POSTGRES_PASSWORD"], encoding="utf-8")
    pwfile.chmod(0o600)
    _give(root, user)
    subprocess.run(as_user(user, [str(pg_bin() / "initdb"), "-D", str(data), "-U",
                                  env["POSTGRES_USER"], f"--pwfile={pwfile}", "-E", "UTF8",
                                  "--auth-host=scram-sha-256", "--auth-local=trust"]),
                   env=env, check=True, capture_output=True, timeout=180)
    pwfile.unlink()
    argv = [str(pg_bin() / "postgres"), "-D", str(data), "-p", str(port), "-k", str(sockets),
            "-c", "listen_addresses=127.0.0.1"]
    return Proc("postgres", argv, env, root, log_dir / "postgres.log", health_argv(svc, dotenv),
                user, stop_signal=signal.SIGINT)  # the image's STOPSIGNAL: fast shutdown


def create_database(proc: Proc, deadline: Deadline) -> None:
    """POSTGRES_DB, as the image's entrypoint creates it (unless it is `postgres`)."""
    env = {**proc.env, "PGPASSWORD": proc.env["POSTGRES_PASSWORD"],
           "PGUSER": proc.env["POSTGRES_USER"], "PGDATABASE": "postgres"}
    deadline.wait("postgres accepting connections", lambda: subprocess.run(
        ["pg_isready"], env=env, capture_output=True).returncode == 0, every=0.5,
        why=lambda: f"\n{proc.tail()}")
    name = proc.env["POSTGRES_DB"]
    if name != "postgres":
        quoted = '"' + name.replace('"', '""') + '"'
        subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-c", f"CREATE DATABASE {quoted}"],
                       env=env, check=True, capture_output=True, timeout=60)


def redis(compose: dict, dotenv: dict[str, str], root: Path, port: int, log_dir: Path,
          user: str | None) -> Proc:
    """The redis image on Debian's redis-server: the service's command plus where to listen and
    write (the image's /data volume); its health check's redis-cli is told the port."""
    svc = compose["services"]["redis"]
    root.mkdir(parents=True)
    _give(root, user)
    env = {"PATH": SYSTEM_PATH, **BASE_ENV, **compose_env(svc, dotenv)}
    argv = [*svc["command"], "--port", str(port), "--bind", "127.0.0.1", "--dir", str(root)]
    health = health_argv(svc, dotenv)
    if health and health[0] == "redis-cli":
        health = [health[0], "-p", str(port), *health[1:]]
    return Proc("redis", argv, env, root, log_dir / "redis.log", health, user)


def _give(root: Path, user: str | None) -> None:
    """The server's directory to its unprivileged user (the path to it must be traversable)."""
    if user:
        subprocess.run(["chown", "-R", f"{user}:", str(root)], check=True)
