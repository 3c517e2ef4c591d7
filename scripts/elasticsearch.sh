#!/usr/bin/env bash
# A local single-node Elasticsearch for tests and benchmarks: download (cached), start, stop.
#
#   scripts/elasticsearch.sh start    # download if needed, start, wait for health, print the URL
#   scripts/elasticsearch.sh stop     # stop the node this script started
#   scripts/elasticsearch.sh status   # print the URL and health, exit 1 when not running
#
# The distribution is Elastic's `integ-test-zip` (no bundled JDK) from Maven Central,
# fetched with Maven; it runs on the system Java (17+ for Elasticsearch 8.x). Elasticsearch
# refuses to run as root, so as root the node runs as an unprivileged system user created here.
# Every step is idempotent: `start` on a running node only prints its URL.
#
# Needs: curl and Java 17+ always; Maven (mvn) and unzip on the first start (the download). No
# root: run by a normal user, the node runs as that user. Only when run as root does it create
# the system user (useradd) and start the node through runuser.
#
# Environment (all optional):
#   LANGNGHE_ES_VERSION  Elasticsearch version (default below: the newest integ-test-zip published)
#   LANGNGHE_ES_HOME     cache dir for the distribution, data and logs
#                        (default ${XDG_CACHE_HOME:-$HOME/.cache}/langnghe/elasticsearch; as root
#                        /var/cache/langnghe/elasticsearch, since /root is not readable by the
#                        node's user)
#   LANGNGHE_ES_PORT     HTTP port on 127.0.0.1 (default 9200)
#   LANGNGHE_ES_USER     user the node runs as when started by root (default langnghe-es)
#   LANGNGHE_ES_HEAP     the node's JVM heap (default 512m; a running node keeps the heap it has)
#   ES_JAVA_HOME         Java for the node (default: the `java` on PATH)
set -euo pipefail

VERSION="${LANGNGHE_ES_VERSION:-8.19.21}"  # 8.19 is the last line with an integ-test-zip; Java 17 ok
PORT="${LANGNGHE_ES_PORT:-9200}"
ES_USER="${LANGNGHE_ES_USER:-langnghe-es}"
HEAP="${LANGNGHE_ES_HEAP:-512m}"  # tests hold < 1 GB of documents and the machine is shared;
# the benchmark passes the composed deployment's heap (docker-compose.yml: ES_HEAP, 2g)
HEALTH_WAIT_S=180    # first start on 2 busy cores takes ~30-60 s (JIT, plugin scan)
URL="http://127.0.0.1:${PORT}"

if [[ -n "${LANGNGHE_ES_HOME:-}" ]]; then
    HOME_DIR="$LANGNGHE_ES_HOME"
elif [[ "$(id -u)" == 0 ]]; then
    HOME_DIR="/var/cache/langnghe/elasticsearch"
else
    HOME_DIR="${XDG_CACHE_HOME:-$HOME/.cache}/langnghe/elasticsearch"
fi
DIST="$HOME_DIR/elasticsearch-$VERSION"
RUN_DIR="$HOME_DIR/run-$PORT"     # data, logs, config, tmp and pid of the node on this port
PID_FILE="$RUN_DIR/es.pid"

say() { echo "elasticsearch.sh: $*" >&2; }
die() { say "error: $*"; exit 1; }

healthy() {
    curl -fsS --max-time 5 "$URL/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null \
        | grep -q '"status":"\(green\|yellow\)"'
}

download() {
    [[ -x "$DIST/bin/elasticsearch" ]] && return 0
    command -v mvn >/dev/null || die "Maven (mvn) is needed to fetch the distribution"
    command -v unzip >/dev/null || die "unzip is needed to unpack the distribution"
    mkdir -p "$HOME_DIR/dist"
    local zip="$HOME_DIR/dist/elasticsearch-$VERSION.zip"
    if [[ ! -s "$zip" ]]; then
        say "downloading Elasticsearch $VERSION (integ-test-zip) from Maven Central"
        mvn -q -B dependency:copy \
            "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$VERSION:zip" \
            "-DoutputDirectory=$HOME_DIR/dist" >&2 \
            || die "mvn could not fetch org.elasticsearch.distribution.integ-test-zip:elasticsearch:$VERSION:zip"
    fi
    unzip -q -o "$zip" -d "$HOME_DIR/unpack-$$"
    mv "$HOME_DIR/unpack-$$/elasticsearch-$VERSION" "$DIST"
    rm -rf "$HOME_DIR/unpack-$$"
}

java_home() {
    local home java major
    if [[ -n "${ES_JAVA_HOME:-}" ]]; then
        home="$ES_JAVA_HOME"
    else
        java="$(command -v java)" || die "no java on PATH; install a JDK 17+ or set ES_JAVA_HOME"
        home="$(dirname "$(dirname "$(readlink -f "$java")")")"
    fi
    # `java -version` prints e.g. openjdk version "17.0.12" (or "1.8.0_402" for Java 8)
    major="$("$home/bin/java" -version 2>&1 | sed -n 's/.*version "\(1\.\)\{0,1\}\([0-9]*\).*/\2/p' | head -n 1)"
    [[ "${major:-0}" -ge 17 ]] || die "Elasticsearch $VERSION needs Java 17+, $home has ${major:-no java}"
    echo "$home"
}

ensure_user() {
    id -u "$ES_USER" >/dev/null 2>&1 && return 0
    command -v useradd >/dev/null || die "useradd is missing (Debian: passwd package); or start as a normal user"
    say "as root: creating system user $ES_USER (Elasticsearch refuses to run as root)"
    useradd -r -M -d /nonexistent -s /usr/sbin/nologin "$ES_USER" \
        || die "could not create user $ES_USER"
}

prepare_run_dir() {
    mkdir -p "$RUN_DIR/data" "$RUN_DIR/logs" "$RUN_DIR/tmp"
    # a private copy of the config: the node writes its keystore there
    [[ -d "$RUN_DIR/config" ]] || cp -r "$DIST/config" "$RUN_DIR/config"
    if [[ "$(id -u)" == 0 ]]; then
        ensure_user
        chown -R "$ES_USER:" "$RUN_DIR"
        chmod -R a+rX "$DIST"
        # every parent of the cache must be traversable by the node's user
        local dir="$HOME_DIR"
        while [[ "$dir" != "/" ]]; do
            runuser -u "$ES_USER" -- test -x "$dir" \
                || die "$ES_USER cannot enter $dir; set LANGNGHE_ES_HOME to a readable place"
            dir="$(dirname "$dir")"
        done
    fi
}

start() {
    command -v curl >/dev/null || die "curl is needed to check the node's health"
    if healthy; then echo "$URL"; return 0; fi
    if curl -s --max-time 2 "$URL" >/dev/null 2>&1; then
        die "port $PORT answers but not as a healthy Elasticsearch; set LANGNGHE_ES_PORT"
    fi
    local jhome
    jhome="$(java_home)"  # before the download: a wrong Java fails at once
    download
    prepare_run_dir
    local -a cmd=(env "ES_JAVA_HOME=$jhome" "ES_PATH_CONF=$RUN_DIR/config"
        "ES_TMPDIR=$RUN_DIR/tmp" "ES_JAVA_OPTS=-Xms$HEAP -Xmx$HEAP"
        "$DIST/bin/elasticsearch" -d -p "$PID_FILE"
        -Ediscovery.type=single-node -Enetwork.host=127.0.0.1 "-Ehttp.port=$PORT"
        "-Epath.data=$RUN_DIR/data" "-Epath.logs=$RUN_DIR/logs"
        # shared dev machines may be nearly full; tests must not stall on disk watermarks
        -Ecluster.routing.allocation.disk.threshold_enabled=false
        -Eaction.destructive_requires_name=false
        # the 8.x integ-test-zip carries x-pack core and security: plain HTTP on loopback
        -Expack.security.enabled=false)
    say "starting Elasticsearch $VERSION on $URL (java: $jhome, data: $RUN_DIR)"
    if [[ "$(id -u)" == 0 ]]; then
        runuser -u "$ES_USER" -- "${cmd[@]}" >"$RUN_DIR/logs/stdout.log" 2>&1 \
            || { tail -n 30 "$RUN_DIR/logs/stdout.log" >&2; die "the node did not start"; }
    else
        "${cmd[@]}" >"$RUN_DIR/logs/stdout.log" 2>&1 \
            || { tail -n 30 "$RUN_DIR/logs/stdout.log" >&2; die "the node did not start"; }
    fi
    local waited=0
    until healthy; do
        if [[ -f "$PID_FILE" ]] && ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
            tail -n 30 "$RUN_DIR/logs/"*.log >&2 || true
            die "the node exited during startup (logs in $RUN_DIR/logs)"
        fi
        (( waited >= HEALTH_WAIT_S )) && die "no healthy node on $URL after ${HEALTH_WAIT_S}s"
        sleep 2
        waited=$((waited + 2))
    done
    echo "$URL"
}

stop() {
    if [[ ! -f "$PID_FILE" ]]; then say "no node started by this script on port $PORT"; return 0; fi
    local pid
    pid="$(cat "$PID_FILE")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
        kill -0 "$pid" 2>/dev/null && { say "node $pid ignores SIGTERM; killing"; kill -9 "$pid"; }
    fi
    rm -f "$PID_FILE"
    say "stopped"
}

status() {
    if healthy; then
        echo "$URL"
        curl -fsS "$URL/_cluster/health" >&2; echo >&2
    else
        say "no healthy node on $URL"
        return 1
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
