#!/usr/bin/env bash
# Starts the services the project and its integration tests talk to, when they
# are not already running: the Docker Engine (dockerd) and RabbitMQ, and makes
# sure RabbitMQ accepts guest/guest on vhost "/".
#
# Idempotent and fast when everything is up (no daemon is restarted). There is no
# systemd on the target machines, so daemons are started detached by hand.
#
# Usage: scripts/start-services.sh [--quiet]
# Env:   DOCKERD_ARGS  extra arguments for dockerd (e.g. "--iptables=false")
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
QUIET=0
for arg in "$@"; do
  case "$arg" in
    -q | --quiet) QUIET=1 ;;
    -h | --help)
      sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "start-services: unknown argument: $arg (try --help)" >&2
      exit 2
      ;;
  esac
done

DOCKER_SOCKET=/var/run/docker.sock
AMQP_HOST=127.0.0.1
AMQP_PORT=5672
DOCKERD_WAIT_S=60
RABBIT_WAIT_S=90

say() { echo "start-services: $*"; }
ok() { [ "$QUIET" = 1 ] || say "$*"; }
die() {
  echo "start-services: ERROR: $*" >&2
  exit 1
}

SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  fi
fi
as_root() {
  if [ "$(id -u)" = 0 ] || [ "${#SUDO[@]}" -gt 0 ]; then
    "${SUDO[@]}" "$@"
  else
    die "need root (or password-less sudo) to run: $*"
  fi
}

# Root writes next to the other daemon logs; anyone else keeps it in the repo.
if [ -w /var/log ]; then
  DOCKERD_LOG=/var/log/dockerd.log
else
  mkdir -p "$REPO_ROOT/.state"
  DOCKERD_LOG="$REPO_ROOT/.state/dockerd.log"
fi

docker_ping() {
  if command -v curl >/dev/null 2>&1; then
    [ "$(curl -s --max-time 3 --unix-socket "$DOCKER_SOCKET" http://docker/_ping 2>/dev/null)" = OK ]
  else
    timeout 5 docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1
  fi
}

start_docker() {
  if docker_ping; then
    ok "dockerd is up ($DOCKER_SOCKET)"
    return
  fi
  command -v dockerd >/dev/null 2>&1 || die "dockerd is not installed: run scripts/setup.sh (installs Debian docker.io)"
  local launcher=""
  # A socket file can be left behind by a dockerd that died; a live one answered above.
  if [ -S "$DOCKER_SOCKET" ] && command -v pgrep >/dev/null 2>&1 && pgrep -x dockerd >/dev/null 2>&1; then
    say "dockerd is running but $DOCKER_SOCKET does not answer yet; waiting"
  else
    say "starting dockerd (log: $DOCKERD_LOG)"
    # setsid: the daemon must outlive this script's process group (CI runners and
    # test harnesses kill whole groups when a job ends).
    # shellcheck disable=SC2086 # DOCKERD_ARGS is a list of words on purpose
    as_root setsid -w nohup dockerd ${DOCKERD_ARGS:-} </dev/null >>"$DOCKERD_LOG" 2>&1 &
    launcher=$!
  fi
  local waited=0
  while ! docker_ping; do
    if [ "$waited" -ge $((DOCKERD_WAIT_S * 2)) ]; then
      echo "--- last lines of $DOCKERD_LOG ---" >&2
      tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null || true
      die "dockerd did not answer on $DOCKER_SOCKET within ${DOCKERD_WAIT_S}s; see $DOCKERD_LOG"
    fi
    if [ -n "$launcher" ] && ! kill -0 "$launcher" 2>/dev/null; then
      echo "--- last lines of $DOCKERD_LOG ---" >&2
      tail -n 20 "$DOCKERD_LOG" >&2 2>/dev/null || true
      die "dockerd exited during start-up; see $DOCKERD_LOG (extra flags can be passed with DOCKERD_ARGS)"
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  say "dockerd is up ($DOCKER_SOCKET)"
}

amqp_port_open() {
  timeout 2 bash -c "exec 3<>/dev/tcp/$AMQP_HOST/$AMQP_PORT" 2>/dev/null
}

start_rabbitmq() {
  if amqp_port_open; then
    ok "RabbitMQ is listening on $AMQP_HOST:$AMQP_PORT"
    return
  fi
  command -v rabbitmq-server >/dev/null 2>&1 || die "rabbitmq-server is not installed: run scripts/setup.sh"
  say "starting RabbitMQ (logs: /var/log/rabbitmq/)"
  # Debian's wrapper switches to the rabbitmq user itself when run as root.
  as_root rabbitmq-server -detached </dev/null >/dev/null 2>&1 || true
  local waited=0
  while ! amqp_port_open; do
    if [ "$waited" -ge $((RABBIT_WAIT_S * 2)) ]; then
      tail -n 20 /var/log/rabbitmq/startup_err /var/log/rabbitmq/startup_log 2>/dev/null >&2 || true
      die "RabbitMQ did not listen on $AMQP_HOST:$AMQP_PORT within ${RABBIT_WAIT_S}s; see /var/log/rabbitmq/"
    fi
    sleep 0.5
    waited=$((waited + 1))
  done
  as_root timeout 60 rabbitmqctl await_startup --timeout 50 >/dev/null 2>&1 ||
    die "RabbitMQ listens on $AMQP_PORT but 'rabbitmqctl await_startup' failed; see /var/log/rabbitmq/"
  say "RabbitMQ is up on $AMQP_HOST:$AMQP_PORT"
}

# Prints "ok", or the reason guest/guest cannot open vhost "/". Uses amqplib when
# the dependencies are installed (a real AMQP login, ~0.2 s), otherwise rabbitmqctl.
guest_login() {
  if [ -f "$REPO_ROOT/node_modules/amqplib/package.json" ] && command -v node >/dev/null 2>&1; then
    (cd "$REPO_ROOT" && node -e '
      require("amqplib").connect("amqp://guest:guest@'"$AMQP_HOST:$AMQP_PORT"'/", { timeout: 5000 })
        .then((c) => c.close().then(() => console.log("ok")))
        .catch((e) => console.log(String(e && e.message || e).split("\n")[0]));' 2>&1)
  else
    local out
    if out=$(as_root timeout 30 rabbitmqctl -q list_permissions -p / 2>&1) && grep -qE '^guest\s+\.\*\s+\.\*\s+\.\*' <<<"$out"; then
      echo ok
    else
      echo "guest has no full permissions on vhost / ($out)"
    fi
  fi
}

ensure_guest() {
  local result
  result=$(guest_login)
  if [ "$result" = ok ]; then
    ok "RabbitMQ accepts guest/guest on vhost /"
    return
  fi
  say "RabbitMQ refused guest/guest on vhost / ($result); repairing user and permissions"
  local ctl=(as_root timeout 60 rabbitmqctl -q)
  "${ctl[@]}" list_vhosts 2>/dev/null | grep -qx '/' || "${ctl[@]}" add_vhost / >/dev/null
  if "${ctl[@]}" list_users 2>/dev/null | grep -qE '^guest\s'; then
    "${ctl[@]}" change_password guest guest >/dev/null
  else
    "${ctl[@]}" add_user guest guest >/dev/null
    "${ctl[@]}" set_user_tags guest administrator >/dev/null
  fi
  "${ctl[@]}" set_permissions -p / guest '.*' '.*' '.*' >/dev/null
  result=$(guest_login)
  [ "$result" = ok ] || die "RabbitMQ still refuses guest/guest on vhost / after repair: $result (guest may only log in over loopback; see /var/log/rabbitmq/)"
  say "RabbitMQ accepts guest/guest on vhost /"
}

start_docker
start_rabbitmq
ensure_guest
