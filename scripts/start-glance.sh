#!/usr/bin/env bash
# Starts a private Glance (Debian's glance-api) on loopback for tests and local
# trials: noauth pipeline (every request is admin, images have no owner),
# sqlite database and file store under one state directory. Idempotent: when
# our glance-api already answers, it only prints its URL.
#
#   1. installs glance-api with apt when it is missing (needs root),
#   2. writes glance-api.conf (+ a copy of the paste ini) into the state dir,
#   3. runs glance-manage db_sync once,
#   4. starts glance-api detached (setsid) with a pid file, on GLANCE_PORT or,
#      when that port is taken by something else, on a free one,
#   5. waits for /healthcheck.
#
# The last line on stdout is the URL (http://127.0.0.1:PORT); it is also kept
# in $GLANCE_STATE_DIR/url.
#
# Usage: scripts/start-glance.sh [--quiet] [--stop]
# Env:   GLANCE_STATE_DIR (default <repo>/.state/glance), GLANCE_PORT (default 19292),
#        GLANCE_WAIT_S (default 120)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QUIET=0
STOP=0
for arg in "$@"; do
  case "$arg" in
    -q | --quiet) QUIET=1 ;;
    --stop) STOP=1 ;;
    -h | --help)
      sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "start-glance: unknown argument: $arg (try --help)" >&2
      exit 2
      ;;
  esac
done

STATE="${GLANCE_STATE_DIR:-$REPO_ROOT/.state/glance}"
WANT_PORT="${GLANCE_PORT:-19292}"
WAIT_S="${GLANCE_WAIT_S:-120}"
PIDFILE="$STATE/glance-api.pid"
CONF="$STATE/glance-api.conf"
LOG="$STATE/logs/glance-api.log"
OUT="$STATE/logs/glance-api.stdout.log"

say() { echo "start-glance: $*" >&2; }
ok() { [ "$QUIET" = 1 ] || say "$*"; }
die() {
  echo "start-glance: ERROR: $*" >&2
  exit 1
}

mkdir -p "$STATE"
# Two test workers (or a test and a human) starting Glance at once would race
# on the pid file and the port; one at a time.
exec 9>"$STATE/.start.lock"
flock -w 300 9 || die "another start-glance.sh holds $STATE/.start.lock for 300 s"

our_pid() {
  [ -f "$PIDFILE" ] || return 1
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null || true)
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # A recycled pid belonging to something else is not ours.
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "glance-api.*--config-file $CONF" || return 1
  echo "$pid"
}

healthy() { [ "$(curl -s --max-time 3 "http://127.0.0.1:$1/healthcheck" 2>/dev/null)" = OK ]; }

port_free() {
  /usr/bin/python3 - "$1" <<'EOF'
import socket, sys
s = socket.socket()
# As glance-api binds: connections of a just-stopped glance-api in TIME_WAIT
# do not make the port taken (a listener still does).
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
EOF
}

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

if [ "$STOP" = 1 ]; then
  if pid=$(our_pid); then
    # The eventlet parent takes its worker with it on SIGTERM.
    kill -TERM "$pid"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
    ok "stopped glance-api (pid $pid)"
  else
    ok "glance-api is not running"
  fi
  rm -f "$PIDFILE"
  exit 0
fi

# --- already running? ------------------------------------------------------------
if pid=$(our_pid) && [ -f "$STATE/port" ]; then
  port=$(cat "$STATE/port")
  for _ in $(seq 1 $((WAIT_S * 2))); do
    healthy "$port" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  if healthy "$port"; then
    ok "glance-api is up (pid $pid)"
    echo "http://127.0.0.1:$port"
    exit 0
  fi
  say "glance-api (pid $pid) does not answer on port $port; restarting it"
  kill -KILL "$pid" 2>/dev/null || true
fi
rm -f "$PIDFILE"

# --- 1. package ----------------------------------------------------------------------
if [ ! -x /usr/bin/glance-api ] || [ ! -x /usr/bin/glance-manage ]; then
  [ "$(id -u)" = 0 ] || die "glance-api is not installed and this is not root: run 'apt-get install glance-api' (or scripts/setup.sh) as root"
  say "installing Debian's glance-api (apt)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null >/dev/null || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    glance-api </dev/null >/dev/null || die "apt-get install glance-api failed"
fi
[ -f /etc/glance/glance-api-paste.ini ] || die "/etc/glance/glance-api-paste.ini is missing: reinstall glance-api"

# --- 2. configuration ------------------------------------------------------------------
port="$WANT_PORT"
if ! port_free "$port"; then
  port=$(free_port)
  ok "port $WANT_PORT is taken by another program; using $port"
fi
mkdir -p "$STATE"/{images,staging,lock,work,logs}
cp /etc/glance/glance-api-paste.ini "$STATE/glance-api-paste.ini"
cat >"$CONF" <<EOF
# Written by scripts/start-glance.sh; rewritten on every start.
[DEFAULT]
bind_host = 127.0.0.1
bind_port = $port
# One worker: the default is one per CPU, and tests need no more.
workers = 1
log_file = $LOG
# The default file:///tmp/staging/ collides with any other Glance on the host.
node_staging_uri = file://$STATE/staging

[database]
connection = sqlite:///$STATE/glance.sqlite

[glance_store]
stores = file,http
default_store = file
filesystem_store_datadir = $STATE/images/

[paste_deploy]
# Empty flavor = pipeline "glance-api" = unauthenticated-context (noauth, admin).
flavor =
config_file = $STATE/glance-api-paste.ini

[oslo_concurrency]
lock_path = $STATE/lock

[task]
work_dir = $STATE/work
EOF

# --- 3. database ---------------------------------------------------------------------------
if [ ! -f "$STATE/.db-synced" ] || [ ! -s "$STATE/glance.sqlite" ]; then
  ok "creating the database (glance-manage db_sync)"
  glance-manage --config-file "$CONF" db_sync >"$STATE/logs/db_sync.log" 2>&1 ||
    die "glance-manage db_sync failed: $(tail -n 20 "$STATE/logs/db_sync.log")"
  touch "$STATE/.db-synced"
fi

# --- 4. start -----------------------------------------------------------------------------------
ok "starting glance-api on 127.0.0.1:$port (state in $STATE)"
# 9>&-: the daemon must not inherit (and keep) the start lock.
setsid /usr/bin/glance-api --config-file "$CONF" >>"$OUT" 2>&1 </dev/null 9>&- &
pid=$!
echo "$pid" >"$PIDFILE"
echo "$port" >"$STATE/port"

# --- 5. wait ---------------------------------------------------------------------------------------
deadline=$((SECONDS + WAIT_S))
until healthy "$port"; do
  if ! kill -0 "$pid" 2>/dev/null; then
    rm -f "$PIDFILE"
    die "glance-api exited during start-up; last log lines:
$(tail -n 25 "$LOG" 2>/dev/null || true)
$(tail -n 10 "$OUT" 2>/dev/null || true)"
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    die "glance-api (pid $pid) did not answer http://127.0.0.1:$port/healthcheck within ${WAIT_S} s; see $LOG"
  fi
  sleep 0.5
done
echo "http://127.0.0.1:$port" >"$STATE/url"
ok "glance-api is up (pid $pid)"
echo "http://127.0.0.1:$port"
