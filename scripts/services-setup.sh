#!/usr/bin/env bash
# Installs the services tests/deploy/test_topology.py starts as local processes, on a clean
# Debian machine: Debian's PostgreSQL server (Airflow's metadata DB in docker-compose.yml) and
# Redis (its Celery broker). The test runs them itself, as an unprivileged user, on free ports
# of 127.0.0.1 and in its own temporary directories; nothing here starts a service:
#   - while apt-get runs, a policy-rc.d (invoke-rc.d's hook) refuses every start, so neither
#     package's maintainer scripts leave a server listening on 5432 or 6379 (where the machine
#     already has a policy-rc.d, e.g. a Docker image's "exit 101", that one is left alone);
#   - PostgreSQL's packaging is told not to create its `main` cluster (a createcluster.d file
#     of postgresql-common), so no data directory appears under /var/lib/postgresql.
# Root is needed only when the binaries are missing: apt-get runs as root, or through sudo when
# sudo works without a password; otherwise the script stops and prints the command to run.
# Safe to run repeatedly: nothing is done when the binaries are there.
#
# Prints the PostgreSQL binary directory (initdb, pg_ctl, postgres, pg_isready) on success.
set -euo pipefail

PACKAGES=(postgresql redis-server)
NO_MAIN_CLUSTER=/etc/postgresql-common/createcluster.d/langnghe-no-main-cluster.conf
POLICY=/usr/sbin/policy-rc.d

die() { echo "services-setup: error: $*" >&2; exit 1; }

pg_bin() {  # the newest installed server's bin directory
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    [[ -n "$dir" && -x "$dir/initdb" && -x "$dir/pg_ctl" && -x "$dir/pg_isready" ]] && echo "$dir"
}

installed() {
    pg_bin >/dev/null && command -v redis-server >/dev/null && command -v redis-cli >/dev/null
}

as_root() {
    if [[ "$(id -u)" == 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
        sudo "$@"
    else
        die "installing ${PACKAGES[*]} needs root. Run once as root:
    apt-get update && apt-get install -y --no-install-recommends ${PACKAGES[*]}
(then stop the services the packages may have started) and run make test again."
    fi
}

install() {
    command -v apt-get >/dev/null \
        || die "PostgreSQL's server (initdb) or redis-server is missing and this is not a Debian-family system (no apt-get): install them"
    echo "services-setup: installing ${PACKAGES[*]} with apt-get (needs root; no service is started)" >&2
    local own_policy=0
    if [[ ! -e "$POLICY" ]]; then
        as_root sh -c "printf '#!/bin/sh\n# scripts/services-setup.sh: no service starts during its apt-get\nexit 101\n' > $POLICY && chmod 755 $POLICY"
        own_policy=1
    fi
    as_root mkdir -p "$(dirname "$NO_MAIN_CLUSTER")"
    as_root sh -c "echo 'create_main_cluster = false  # scripts/services-setup.sh: tests run their own' > $NO_MAIN_CLUSTER"
    export DEBIAN_FRONTEND=noninteractive
    local status=0
    { as_root apt-get update -q && as_root apt-get install -y -q --no-install-recommends \
        "${PACKAGES[@]}"; } || status=$?
    if (( own_policy )); then as_root rm -f "$POLICY"; fi
    (( status == 0 )) || die "apt-get install ${PACKAGES[*]} failed ($status)"
}

installed || install
installed || die "after the install, initdb/pg_ctl/pg_isready (/usr/lib/postgresql/*/bin) or redis-server/redis-cli are still missing"
pg_bin
