#!/usr/bin/env bash
# All-in-one OpenStack Zed on loopback, from Debian's packages, for the
# end-to-end tests: MariaDB (own datadir and port), Glance, Placement,
# Neutron (neutron-server with ML2/linuxbridge, noauth, and
# neutron-linuxbridge-agent for this compute host, a flat provider network
# e2e-net on a veth pair), nova-api (noauth2), nova-conductor, nova-scheduler,
# the nova-docker-bridge compute service (network_mode = neutron), and
# nova-compute loading our driver (compute_driver =
# docker_bridge.DockerBridgeDriver, installed by nova-shim/install.sh).
#
#   aio.sh up        bring everything up (idempotent: starts what is not running,
#                    creates databases and schemas the first time, re-installs
#                    the shim, waits until nova-compute takes builds)
#   aio.sh down      stop everything this script started (pid files; state kept)
#   aio.sh stop NAME stop one service (e.g. bridge, nova-compute); up restarts it
#   aio.sh status    what runs, on which port; exit 0 only when all is up
#   aio.sh reset     down, then delete the state directory
#   aio.sh env       print the exports for the openstack CLI
#   aio.sh openstack ARGS...   run the openstack CLI against this cloud
#   aio.sh logs [NAME]         list the logs, or tail one
#
# Environment (defaults in brackets):
#   E2E_STATE          state, configs, logs, pid files [<repo>/.state/e2e]
#   E2E_HOST           compute host = node = bus server name [e2e-compute]
#   E2E_DB_PORT        MariaDB port [3307]
#   E2E_GLANCE_PORT    Glance port, via scripts/start-glance.sh [19392]
#   E2E_PLACEMENT_PORT [18778]   E2E_NOVA_PORT [18774]   E2E_NEUTRON_PORT [19696]
#   E2E_SUBNET         e2e-net's IPv4 subnet, a /24 [10.219.0.0/24]; the host is .1
#   E2E_PHYS_IF        host end of the veth pair that is e2e-net's physical
#                      network (e2e-phys) [e2e-phys0]
#   E2E_NETWORK_MODE   the bridge's [compute] network_mode [neutron]
#   E2E_RABBIT         broker, without vhost [rabbit://guest:guest@127.0.0.1:5672]
#   E2E_VHOST          RabbitMQ vhost shared by Nova and the bridge [nova]
#   E2E_DRIVER         compute_driver [docker_bridge.DockerBridgeDriver];
#                      e.g. fake.SmallFakeDriver for a baseline
#   E2E_SHIM_INSTALL   copy | link | none: how up installs nova-shim [copy]
#   E2E_BRIDGE         1: up starts the compute service; 0: it runs elsewhere [1]
#   E2E_BRIDGE_CMD     command that runs it [node <repo>/bin/nova-docker-bridge.js serve]
#                      (--config-file <state>/bridge/nova-docker-bridge.conf is appended)
#   E2E_WAIT           seconds to wait for each service [180]
#   E2E_DEBUG          1: debug logging in Nova and the bridge [0]
#   E2E_START_GRACE_MS the bridge's [compute] start_grace_ms [1000]; the boot
#                      benchmark sets 0, the product default
#
# Needs: root, RabbitMQ running, Debian packages (scripts/setup.sh --with-nova).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$REPO/test/e2e"
PY=/usr/bin/python3

# Absolute: pid checks match it against command lines.
STATE="$(realpath -m "${E2E_STATE:-$REPO/.state/e2e}")"
HOST_NAME="${E2E_HOST:-e2e-compute}"
DB_PORT="${E2E_DB_PORT:-3307}"
GLANCE_PORT="${E2E_GLANCE_PORT:-19392}"
PLACEMENT_PORT="${E2E_PLACEMENT_PORT:-18778}"
NOVA_PORT="${E2E_NOVA_PORT:-18774}"
NEUTRON_PORT="${E2E_NEUTRON_PORT:-19696}"
RABBIT="${E2E_RABBIT:-rabbit://guest:guest@127.0.0.1:5672}"
VHOST="${E2E_VHOST:-nova}"
DRIVER="${E2E_DRIVER:-docker_bridge.DockerBridgeDriver}"
SHIM_INSTALL="${E2E_SHIM_INSTALL:-copy}"
BRIDGE="${E2E_BRIDGE:-1}"
WAIT="${E2E_WAIT:-180}"
START_GRACE_MS="${E2E_START_GRACE_MS:-1000}"
NETWORK_MODE="${E2E_NETWORK_MODE:-neutron}"
SUBNET="${E2E_SUBNET:-10.219.0.0/24}"
SUBNET_BASE="${SUBNET%/*}"
GATEWAY="${SUBNET_BASE%.*}.1"
PHYS_IF="${E2E_PHYS_IF:-e2e-phys0}"
PHYSNET=e2e-phys
NETWORK_NAME=e2e-net
NEUTRON_URL="http://127.0.0.1:$NEUTRON_PORT"
DEBUG=false
[ "${E2E_DEBUG:-0}" = 1 ] && DEBUG=true

TRANSPORT_URL="$RABBIT/$VHOST"
DB_USER=openstack
DB_PASS=openstack
DB_URL="mysql+pymysql://$DB_USER:$DB_PASS@127.0.0.1:$DB_PORT"
SOCK="$STATE/run/mysqld.sock"
NOVA_CONF="$STATE/nova/nova.conf"
NOVA_DB_CONF="$STATE/nova/nova-db.conf"
COMPUTE_CONF="$STATE/nova/compute.conf"
BRIDGE_CONF="$STATE/bridge/nova-docker-bridge.conf"
NOVA_ARGS=(--config-file "$NOVA_CONF" --config-file "$NOVA_DB_CONF")
NEUTRON_ARGS=(--config-file "$STATE/neutron/neutron.conf" --config-file "$STATE/neutron/ml2.ini")
# Stop order; start order is the reverse, minus the special cases in up().
SERVICES=(nova-compute bridge nova-api nova-scheduler nova-conductor neutron-agent neutron-server placement mariadb)

T0=$(date +%s%N)
elapsed() { local ms=$((($(date +%s%N) - T0) / 1000000)); printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100)); }
log() { printf '[e2e %5ss] %s\n' "$(elapsed)" "$*"; }
die() {
  echo "e2e: ERROR: $*" >&2
  exit 1
}

# ---- processes ---------------------------------------------------------------------
pidfile() { echo "$STATE/run/$1.pid"; }

# The pid of our running $1, or failure. A pid is ours only if its command line
# mentions the state directory (every service gets a config or log path in it).
our_pid() {
  local f pid
  f=$(pidfile "$1")
  [ -f "$f" ] || return 1
  pid=$(cat "$f" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$STATE" || return 1
  echo "$pid"
}

# launch NAME CMD...: detached (own session: survives the calling shell), output
# to logs/NAME.out, pid file. No-op when already running.
launch() {
  local name=$1 pid
  shift
  if pid=$(our_pid "$name"); then
    log "$name already running (pid $pid)"
    return 0
  fi
  # 9>&-: the daemon must not inherit (and hold) aio.sh's lock.
  setsid "$@" >>"$STATE/logs/$name.out" 2>&1 </dev/null 9>&- &
  echo $! >"$(pidfile "$name")"
  log "started $name (pid $!)"
}

# stop NAME: SIGTERM, wait up to 30 s (nova services take 3-6 s), then SIGKILL.
stop_one() {
  local name=$1 pid i
  if ! pid=$(our_pid "$name"); then
    rm -f "$(pidfile "$name")"
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 1 150); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.2
  done
  if kill -0 "$pid" 2>/dev/null; then
    log "$name (pid $pid) still running after 30 s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$(pidfile "$name")"
  log "stopped $name"
}

tail_log() { # file lines
  [ -f "$1" ] && tail -n "${2:-20}" "$1" | sed 's/^/    /' >&2 || true
}

# died NAME LOG: fail with the end of its logs.
died() {
  echo "e2e: ERROR: $1 exited during start-up; last lines of $2 and $STATE/logs/$1.out:" >&2
  tail_log "$2" 25
  tail_log "$STATE/logs/$1.out" 10
  exit 1
}

wait_http() { # name url log
  local deadline=$((SECONDS + WAIT))
  until curl -s -o /dev/null -m 3 "$2"; do
    our_pid "$1" >/dev/null || died "$1" "$3"
    [ "$SECONDS" -lt "$deadline" ] || die "$1 does not answer $2 after $WAIT s; see $3"
    sleep 0.3
  done
}

# ---- RabbitMQ ------------------------------------------------------------------------
consumers() { rabbitmqctl -q list_consumers -p "$VHOST" queue_name 2>/dev/null || true; }

wait_consumer() { # name queue log
  local deadline=$((SECONDS + WAIT))
  until consumers | grep -qx "$2"; do
    our_pid "$1" >/dev/null || died "$1" "$3"
    [ "$SECONDS" -lt "$deadline" ] || die "$1 is running but does not consume queue $2 (vhost $VHOST) after $WAIT s; see $3"
    sleep 0.5
  done
}

rabbit_vhost() {
  command -v rabbitmqctl >/dev/null || die "rabbitmqctl not found: install rabbitmq-server (scripts/setup.sh)"
  local user vhosts
  user=$(echo "$RABBIT" | sed -E 's#^rabbit://([^:@]*).*#\1#')
  vhosts=$(rabbitmqctl -q list_vhosts name 2>/dev/null) || die "RabbitMQ is not running (scripts/start-services.sh starts it)"
  if ! grep -qx "$VHOST" <<<"$vhosts"; then
    rabbitmqctl -q add_vhost "$VHOST" >/dev/null || die "cannot create RabbitMQ vhost $VHOST"
    log "created RabbitMQ vhost $VHOST"
  fi
  if ! rabbitmqctl -q list_permissions -p "$VHOST" 2>/dev/null | grep -q "^$user"$'\t'; then
    rabbitmqctl -q set_permissions -p "$VHOST" "$user" '.*' '.*' '.*' >/dev/null ||
      die "cannot grant $user access to vhost $VHOST"
    log "granted $user configure/write/read on vhost $VHOST"
  fi
}

# ---- preflight -----------------------------------------------------------------------
preflight() {
  [ "$(id -u)" = 0 ] || die "run as root (MariaDB datadir, shim install into Nova's directory)"
  local missing=() c
  for c in mariadbd mariadb mariadb-install-db uwsgi placement-manage nova-api nova-conductor \
    nova-scheduler nova-manage glance-api neutron-server neutron-db-manage neutron-linuxbridge-agent \
    openstack curl flock ip iptables; do
    command -v "$c" >/dev/null 2>&1 || [ -x "/usr/sbin/$c" ] || missing+=("$c")
  done
  [ -f /usr/lib/uwsgi/plugins/python3_plugin.so ] || missing+=(uwsgi-plugin-python3)
  [ -x /usr/bin/placement-api ] || missing+=(placement-api)
  [ "${#missing[@]}" = 0 ] || die "missing: ${missing[*]}; install with: scripts/setup.sh --with-nova"
  $PY -c 'import nova, pymysql' 2>/dev/null || die "$PY cannot import nova/pymysql: scripts/setup.sh --with-nova"
  [ -f /etc/nova/api-paste.ini ] || die "/etc/nova/api-paste.ini missing: reinstall nova-api"
}

# ---- configuration --------------------------------------------------------------------
write_configs() {
  local glance_url=$1
  mkdir -p "$STATE"/{nova,placement,neutron/state,bridge/instances,osc,lock,run,logs,state/instances,mysql}

  cat >"$STATE/mysql.cnf" <<EOF
[mysqld]
datadir = $STATE/mysql
socket = $SOCK
pid-file = $STATE/run/mysqld.pid
port = $DB_PORT
bind-address = 127.0.0.1
user = root
skip-log-bin
skip-name-resolve
innodb_buffer_pool_size = 64M
innodb_log_file_size = 32M
innodb_flush_log_at_trx_commit = 2
max_connections = 500
performance_schema = OFF
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
log-error = $STATE/logs/mariadb.err
EOF

  cat >"$STATE/placement/placement.conf" <<EOF
[DEFAULT]
debug = $DEBUG
log_file = $STATE/logs/placement-api.log

[api]
# X-Auth-Token "user:project"; user "admin" gets the admin role
auth_strategy = noauth2

[placement_database]
connection = $DB_URL/placement?charset=utf8
EOF

  # uwsgi refuses the chunked-input options on its command line: ini only.
  cat >"$STATE/placement/placement-uwsgi.ini" <<EOF
[uwsgi]
plugins = python3
http-socket = 127.0.0.1:$PLACEMENT_PORT
wsgi-file = /usr/bin/placement-api
env = OS_PLACEMENT_CONFIG_DIR=$STATE/placement
master = true
processes = 1
threads = 4
enable-threads = true
lazy-apps = true
die-on-term = true
no-orphans = true
buffer-size = 65535
socket-timeout = 10
http-auto-chunked = true
http-chunked-input = true
http-raw-body = true
wsgi-manage-chunked-input = true
add-header = Connection: close
EOF

  # Read by every Nova service. No database settings: nova-compute must not have any.
  cat >"$NOVA_CONF" <<EOF
[DEFAULT]
host = $HOST_NAME
my_ip = 127.0.0.1
state_path = $STATE/state
instances_path = $STATE/state/instances
transport_url = $TRANSPORT_URL
debug = $DEBUG
enabled_apis = osapi_compute
osapi_compute_listen = 127.0.0.1
osapi_compute_listen_port = $NOVA_PORT
osapi_compute_workers = 1
# Inventory and driver reachability refresh (default 60 s).
update_resources_interval = 20
# One compute host: a resize can only stay on it (the shim resizes in place).
allow_resize_to_same_host = true

[conductor]
workers = 1

[scheduler]
workers = 1
# One compute host: a reschedule can only fail, and it replaces the driver's
# error with "Exceeded maximum number of retries" in the fault.
max_attempts = 1

[api]
auth_strategy = noauth2

[wsgi]
# Stock paste file with noauth2 swapped for e2e_noauth (keeps the token).
api_paste_config = $STATE/nova/api-paste.ini

[glance]
endpoint_override = $glance_url

[placement]
auth_type = admin_token
endpoint = http://127.0.0.1:$PLACEMENT_PORT
token = admin:admin
endpoint_override = http://127.0.0.1:$PLACEMENT_PORT

[neutron]
# Neutron runs noauth: the token is sent and ignored.
auth_type = admin_token
endpoint = $NEUTRON_URL
token = admin:admin
endpoint_override = $NEUTRON_URL

[oslo_concurrency]
lock_path = $STATE/lock

[vnc]
enabled = false

[spice]
enabled = false
EOF

  # Neutron as a cloud would run it for linuxbridge ports, minus Keystone and
  # the DHCP/L3 agents (the driver configures fixed IPs statically).
  cat >"$STATE/neutron/neutron.conf" <<EOF
[DEFAULT]
# The agent reports for this host, the one Nova binds ports to.
host = $HOST_NAME
bind_host = 127.0.0.1
bind_port = $NEUTRON_PORT
auth_strategy = noauth
core_plugin = ml2
service_plugins =
transport_url = $TRANSPORT_URL
state_path = $STATE/neutron/state
api_workers = 1
rpc_workers = 1
rpc_state_report_workers = 1
debug = $DEBUG
# No Keystone to reach Nova with; the driver does not wait for vif-plugged events.
notify_nova_on_port_status_changes = false
notify_nova_on_port_data_changes = false
dhcp_agent_notification = false

[database]
connection = $DB_URL/neutron?charset=utf8

[oslo_concurrency]
lock_path = $STATE/lock

[agent]
# Root already: no sudo/rootwrap in front of the agent's commands.
root_helper =
report_interval = 5

[experimental]
# Zed marks ML2/linuxbridge experimental; the driver plugs its ports.
linuxbridge = true
EOF

  # Server (ML2) and agent sections in one file, as both read it.
  cat >"$STATE/neutron/ml2.ini" <<EOF
[ml2]
type_drivers = flat
tenant_network_types =
mechanism_drivers = linuxbridge
extension_drivers = port_security

[ml2_type_flat]
flat_networks = $PHYSNET

[linux_bridge]
physical_interface_mappings = $PHYSNET:$PHYS_IF

[vxlan]
enable_vxlan = false

[securitygroup]
firewall_driver = noop
enable_security_group = false
EOF

  cat >"$NOVA_DB_CONF" <<EOF
# nova-api, nova-conductor, nova-scheduler and nova-manage only.
[api_database]
connection = $DB_URL/nova_api?charset=utf8

[database]
connection = $DB_URL/nova?charset=utf8
EOF

  cat >"$COMPUTE_CONF" <<EOF
[DEFAULT]
compute_driver = $DRIVER

[docker_bridge]
topic = docker_bridge
init_host_timeout = 120
EOF

  sed 's#^paste.filter_factory = nova.api.openstack.auth:NoAuthMiddleware.factory#paste.filter_factory = e2e_noauth:NoAuthKeepToken.factory#' \
    /etc/nova/api-paste.ini >"$STATE/nova/api-paste.ini"
  grep -q e2e_noauth "$STATE/nova/api-paste.ini" || die "/etc/nova/api-paste.ini has no noauth2 filter to replace"

  cat >"$BRIDGE_CONF" <<EOF
[DEFAULT]
host = $HOST_NAME
transport_url = $TRANSPORT_URL
debug = $DEBUG

[compute]
state_dir = $STATE/bridge/instances
# A command that dies right after start must fail the spawn (ERROR with the reason)
# every time, not only when the one inspect after start is slower than the command.
start_grace_ms = $START_GRACE_MS
network_mode = $NETWORK_MODE

[glance]
# Images missing on the Engine are downloaded from here at spawn (noauth Glance).
api_servers = $glance_url
EOF

  cat >"$STATE/osc/clouds.yaml" <<EOF
clouds:
  e2e:
    # No Keystone: the admin_token plugin sends X-Auth-Token admin:admin, which
    # nova (e2e_noauth) and placement (noauth2) take as user admin, project admin.
    auth_type: admin_token
    auth:
      endpoint: http://127.0.0.1:$NOVA_PORT/v2.1
      token: admin:admin
    compute_endpoint_override: http://127.0.0.1:$NOVA_PORT/v2.1
    image_endpoint_override: $glance_url
    placement_endpoint_override: http://127.0.0.1:$PLACEMENT_PORT
    network_endpoint_override: $NEUTRON_URL
    compute_api_version: "2.latest"
    image_api_version: "2"
  e2e-placement:
    # osc-placement ignores placement_endpoint_override under admin_token (it
    # sends to the auth endpoint): openstack --os-cloud e2e-placement resource ...
    auth_type: admin_token
    auth:
      endpoint: http://127.0.0.1:$PLACEMENT_PORT
      token: admin:admin
EOF
}

# ---- MariaDB ----------------------------------------------------------------------------
sql() { mariadb --socket="$SOCK" -uroot "$@"; }

mariadb_up() {
  if [ ! -d "$STATE/mysql/mysql" ]; then
    log "initializing the MariaDB datadir"
    mariadb-install-db --no-defaults --datadir="$STATE/mysql" --user=root \
      --auth-root-authentication-method=normal --skip-test-db >"$STATE/logs/mariadb-install-db.log" 2>&1 ||
      { tail_log "$STATE/logs/mariadb-install-db.log"; die "mariadb-install-db failed"; }
  fi
  if ! our_pid mariadb >/dev/null; then
    # A port held by something else would make mariadbd exit with a bind error.
    if (exec 3<>"/dev/tcp/127.0.0.1/$DB_PORT") 2>/dev/null; then
      die "port $DB_PORT is taken by another program; set E2E_DB_PORT"
    fi
    launch mariadb /usr/sbin/mariadbd --defaults-file="$STATE/mysql.cnf"
  fi
  local deadline=$((SECONDS + WAIT))
  until sql -e 'SELECT 1' >/dev/null 2>&1; do
    our_pid mariadb >/dev/null || died mariadb "$STATE/logs/mariadb.err"
    [ "$SECONDS" -lt "$deadline" ] || die "MariaDB does not answer on $SOCK after $WAIT s"
    sleep 0.2
  done
  sql <<EOF || die "cannot create the databases"
CREATE DATABASE IF NOT EXISTS nova_api; CREATE DATABASE IF NOT EXISTS nova;
CREATE DATABASE IF NOT EXISTS nova_cell0; CREATE DATABASE IF NOT EXISTS placement;
CREATE DATABASE IF NOT EXISTS neutron;
CREATE USER IF NOT EXISTS '$DB_USER'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';
GRANT ALL PRIVILEGES ON *.* TO '$DB_USER'@'127.0.0.1';
EOF
}

# ---- schemas (once per package version) ---------------------------------------------------
run_logged() { # what cmd...
  local what=$1
  shift
  "$@" >>"$STATE/logs/schema.log" 2>&1 || { tail_log "$STATE/logs/schema.log" 25; die "$what failed (full log: $STATE/logs/schema.log)"; }
}

schemas() {
  local stamp
  stamp="$(dpkg-query -W -f='${Version}' python3-nova python3-placement python3-neutron 2>/dev/null | tr -d '\n') $DB_PORT"
  if [ "$(cat "$STATE/.schemas" 2>/dev/null)" = "$stamp" ]; then
    return 0
  fi
  log "database schemas (placement, nova_api, cell0, cell1, neutron): first run or new packages"
  run_logged "placement-manage db sync" env OS_PLACEMENT_CONFIG_DIR="$STATE/placement" \
    placement-manage --config-file "$STATE/placement/placement.conf" db sync
  run_logged "nova-manage api_db sync" nova-manage "${NOVA_ARGS[@]}" api_db sync
  run_logged "nova-manage cell_v2 map_cell0" nova-manage "${NOVA_ARGS[@]}" cell_v2 map_cell0 \
    --database_connection "$DB_URL/nova_cell0?charset=utf8"
  if ! nova-manage "${NOVA_ARGS[@]}" cell_v2 list_cells 2>/dev/null | grep -q ' cell1 '; then
    run_logged "nova-manage cell_v2 create_cell" nova-manage "${NOVA_ARGS[@]}" cell_v2 create_cell --name cell1
  fi
  run_logged "nova-manage db sync" nova-manage "${NOVA_ARGS[@]}" db sync
  run_logged "neutron-db-manage upgrade heads" neutron-db-manage "${NEUTRON_ARGS[@]}" upgrade heads
  echo "$stamp" >"$STATE/.schemas"
}

# ---- Glance ----------------------------------------------------------------------------------
# scripts/start-glance.sh runs in the background (~10 s) while the rest starts;
# the URL is fixed up front so configs can be written at once.
GLANCE_URL="http://127.0.0.1:$GLANCE_PORT"
GLANCE_JOB=

glance_start() {
  (
    GLANCE_STATE_DIR="$STATE/glance" GLANCE_PORT="$GLANCE_PORT" GLANCE_WAIT_S="$WAIT" \
      bash "$REPO/scripts/start-glance.sh" --quiet >"$STATE/run/glance.url" 2>"$STATE/logs/start-glance.err"
  ) &
  GLANCE_JOB=$!
}

glance_wait() {
  local url
  wait "$GLANCE_JOB" || {
    tail_log "$STATE/logs/start-glance.err"
    die "Glance did not start (scripts/start-glance.sh; state in $STATE/glance)"
  }
  url=$(tail -n 1 "$STATE/run/glance.url")
  # start-glance.sh moves to a free port when ours is taken: Nova is configured for ours.
  [ "$url" = "$GLANCE_URL" ] || die "Glance came up on $url, not $GLANCE_URL: port $GLANCE_PORT is taken; set E2E_GLANCE_PORT"
  log "Glance at $GLANCE_URL"
}

# ---- Neutron -----------------------------------------------------------------------------------
neutron_api() { # method path [json]
  curl -sf -m 30 -X "$1" -H 'Content-Type: application/json' ${3:+-d "$3"} "$NEUTRON_URL/v2.0/$2"
}
json_field() { # expression over the JSON document d on stdin, e.g. 'd["networks"][0]["id"]'
  $PY -c "import json, sys; d = json.load(sys.stdin); v = $1; print('' if v is None else v)" 2>/dev/null
}

# e2e-net's physical network: the host end of a veth pair, which the agent puts
# into the network's bridge; the other end carries the subnet's .1 (the host as
# the provider network's router, so tests reach instances on their addresses).
phys_net_up() {
  local peer="${PHYS_IF%0}1" prefix=${SUBNET#*/}
  if [ ! -e "/sys/class/net/$PHYS_IF" ]; then
    ip link add "$PHYS_IF" type veth peer name "$peer" || die "cannot create the veth pair $PHYS_IF/$peer (E2E_PHYS_IF)"
    log "created the veth pair $PHYS_IF/$peer for physical network $PHYSNET"
  fi
  ip link set "$PHYS_IF" up
  ip link set "$peer" up
  ip -4 addr show dev "$peer" | grep -qF "inet $GATEWAY/$prefix" || ip addr add "$GATEWAY/$prefix" dev "$peer"
  # dockerd's FORWARD policy is DROP and bridged frames pass iptables: the rule
  # docs/install-compute-node.md asks operators to add with firewall_driver = noop.
  iptables -C DOCKER-USER -i brq+ -o brq+ -j ACCEPT 2>/dev/null ||
    iptables -I DOCKER-USER -i brq+ -o brq+ -j ACCEPT ||
    die "cannot add the DOCKER-USER rule for bridged traffic (is dockerd running? scripts/start-services.sh)"
}

neutron_up() {
  phys_net_up
  local stamp s
  stamp="$(cat "$STATE/neutron/neutron.conf" "$STATE/neutron/ml2.ini" | sha1sum)"
  if [ "$(cat "$STATE/run/neutron.stamp" 2>/dev/null)" != "$stamp" ]; then
    for s in neutron-agent neutron-server; do
      if our_pid "$s" >/dev/null; then
        log "$s runs with another configuration: restarting it"
        stop_one "$s"
      fi
    done
  fi
  launch neutron-server /usr/bin/neutron-server "${NEUTRON_ARGS[@]}" --log-file "$STATE/logs/neutron-server.log"
  launch neutron-agent /usr/bin/neutron-linuxbridge-agent "${NEUTRON_ARGS[@]}" --log-file "$STATE/logs/neutron-agent.log"
  echo "$stamp" >"$STATE/run/neutron.stamp"
}

# Waits for the agent of this host, then makes e2e-net (shared, flat, no port
# security: noop firewall) and its subnet (no DHCP: the driver sets addresses) once.
neutron_network() {
  local deadline=$((SECONDS + WAIT)) net
  wait_http neutron-server "$NEUTRON_URL/" "$STATE/logs/neutron-server.log"
  until [ "$(neutron_api GET "agents?host=$HOST_NAME&binary=neutron-linuxbridge-agent" | json_field 'd["agents"][0]["alive"]')" = True ]; do
    our_pid neutron-agent >/dev/null || died neutron-agent "$STATE/logs/neutron-agent.log"
    [ "$SECONDS" -lt "$deadline" ] || die "the linuxbridge agent of $HOST_NAME is not alive in Neutron after $WAIT s; see $STATE/logs/neutron-agent.log"
    sleep 0.5
  done
  net=$(neutron_api GET "networks?name=$NETWORK_NAME" | json_field 'd["networks"][0]["id"]' || true)
  if [ -z "$net" ]; then
    net=$(neutron_api POST networks "{\"network\": {\"name\": \"$NETWORK_NAME\", \"project_id\": \"admin\", \"shared\": true,
      \"provider:network_type\": \"flat\", \"provider:physical_network\": \"$PHYSNET\", \"port_security_enabled\": false}}" |
      json_field 'd["network"]["id"]') || die "cannot create network $NETWORK_NAME; see $STATE/logs/neutron-server.log"
    log "created network $NETWORK_NAME ($net) on $PHYSNET"
  fi
  if [ -z "$(neutron_api GET "subnets?network_id=$net" | json_field 'd["subnets"][0]["id"]' || true)" ]; then
    neutron_api POST subnets "{\"subnet\": {\"name\": \"$NETWORK_NAME-v4\", \"network_id\": \"$net\", \"project_id\": \"admin\",
      \"ip_version\": 4, \"cidr\": \"$SUBNET\", \"gateway_ip\": \"$GATEWAY\", \"enable_dhcp\": false,
      \"dns_nameservers\": [\"$GATEWAY\"]}}" >/dev/null || die "cannot create subnet $SUBNET on $NETWORK_NAME; see $STATE/logs/neutron-server.log"
    log "created subnet $SUBNET on $NETWORK_NAME"
  fi
  log "Neutron at $NEUTRON_URL: network $NETWORK_NAME ($net), agent of $HOST_NAME alive"
}

# ---- the compute service -------------------------------------------------------------------
bridge_up() {
  if [ "$BRIDGE" != 1 ]; then
    log "E2E_BRIDGE=$BRIDGE: not starting the compute service; it must serve host $HOST_NAME on $TRANSPORT_URL"
    return 0
  fi
  local cmd
  if [ -n "${E2E_BRIDGE_CMD:-}" ]; then
    read -r -a cmd <<<"$E2E_BRIDGE_CMD"
  else
    command -v node >/dev/null || die "node not found: the compute service needs Node.js 20+"
    cmd=(node "$REPO/bin/nova-docker-bridge.js" serve)
  fi
  # What the service runs: its command, config and code. A running service with
  # anything else is restarted, so up always tests this tree (as for the shim).
  local stamp d dirs=()
  for d in src bin dist; do [ -d "$REPO/$d" ] && dirs+=("$REPO/$d"); done
  stamp="$(
    printf '%s\n' "${cmd[*]}"
    cat "$BRIDGE_CONF"
    find "${dirs[@]}" -type f \( -name '*.ts' -o -name '*.js' -o -name '*.json' \) -print0 | sort -z | xargs -0 sha1sum | sha1sum
  )"
  if our_pid bridge >/dev/null && [ "$(cat "$STATE/run/bridge.stamp" 2>/dev/null)" != "$stamp" ]; then
    log "the compute service runs other code or config: restarting it"
    stop_one bridge
  fi
  launch bridge "${cmd[@]}" --config-file "$BRIDGE_CONF"
  echo "$stamp" >"$STATE/run/bridge.stamp"
  wait_consumer bridge "docker_bridge.$HOST_NAME" "$STATE/logs/bridge.out"
}

# ---- up --------------------------------------------------------------------------------------
up() {
  preflight
  mkdir -p "$STATE/logs" "$STATE/run"
  exec 9>"$STATE/.aio.lock"
  flock -w 600 9 || die "another aio.sh holds $STATE/.aio.lock"
  log "state in $STATE; compute host $HOST_NAME; bus $RABBIT/$VHOST"
  rabbit_vhost
  glance_start
  write_configs "$GLANCE_URL"
  mariadb_up
  schemas
  launch placement uwsgi --ini "$STATE/placement/placement-uwsgi.ini"
  neutron_up
  # Nova's control services read their config only at start: restart the running
  # ones when it changed (e.g. a new option below), so up always runs what it wrote.
  local control_stamp s
  control_stamp="$(cat "$NOVA_CONF" "$NOVA_DB_CONF" "$STATE/nova/api-paste.ini" | sha1sum)"
  if [ "$(cat "$STATE/run/nova-control.stamp" 2>/dev/null)" != "$control_stamp" ]; then
    for s in nova-api nova-conductor nova-scheduler; do
      if our_pid "$s" >/dev/null; then
        log "$s runs with another nova.conf: restarting it"
        stop_one "$s"
      fi
    done
  fi
  launch nova-api env PYTHONPATH="$HERE/lib" /usr/bin/nova-api "${NOVA_ARGS[@]}" --log-file "$STATE/logs/nova-api.log"
  launch nova-conductor /usr/bin/nova-conductor "${NOVA_ARGS[@]}" --log-file "$STATE/logs/nova-conductor.log"
  launch nova-scheduler /usr/bin/nova-scheduler "${NOVA_ARGS[@]}" --log-file "$STATE/logs/nova-scheduler.log"
  echo "$control_stamp" >"$STATE/run/nova-control.stamp"
  case "$SHIM_INSTALL" in
    copy) bash "$REPO/nova-shim/install.sh" -q ;;
    link) bash "$REPO/nova-shim/install.sh" -q --link ;;
    none) ;;
    *) die "E2E_SHIM_INSTALL must be copy, link or none (got $SHIM_INSTALL)" ;;
  esac
  case "$DRIVER" in docker_bridge.*) bridge_up ;; esac
  # nova-compute pushes its inventory at start: placement must answer by then.
  wait_http placement "http://127.0.0.1:$PLACEMENT_PORT/" "$STATE/logs/placement-api.log"
  # What nova-compute loaded: its driver config and the shim sources. A running
  # nova-compute with anything else is restarted, so up always tests this tree.
  local stamp
  stamp="$(cat "$COMPUTE_CONF" "$NOVA_CONF"; cat "$REPO"/nova-shim/docker_bridge/*.py | sha1sum)"
  if our_pid nova-compute >/dev/null && [ "$(cat "$STATE/run/nova-compute.stamp" 2>/dev/null)" != "$stamp" ]; then
    log "nova-compute runs another driver, config or shim version: restarting it"
    stop_one nova-compute
  fi
  launch nova-compute $PY -c 'import sys; from nova.cmd.compute import main; sys.exit(main())' \
    --config-file "$NOVA_CONF" --config-file "$COMPUTE_CONF" --log-file "$STATE/logs/nova-compute.log"
  echo "$stamp" >"$STATE/run/nova-compute.stamp"
  wait_http nova-api "http://127.0.0.1:$NOVA_PORT/" "$STATE/logs/nova-api.log"
  neutron_network
  # The compute queue is consumed only after init_host and the first resource
  # update (inventory in placement): from then on builds can land.
  log "waiting for nova-compute to consume compute.$HOST_NAME"
  wait_consumer nova-compute "compute.$HOST_NAME" "$STATE/logs/nova-compute.log"
  if ! sql -N -e "SELECT host FROM nova_api.host_mappings" 2>/dev/null | grep -qx "$HOST_NAME"; then
    log "mapping host $HOST_NAME into cell1 (nova-manage cell_v2 discover_hosts)"
    run_logged "nova-manage cell_v2 discover_hosts" nova-manage "${NOVA_ARGS[@]}" cell_v2 discover_hosts
  fi
  glance_wait
  log "up in $(elapsed) s: nova-compute ($DRIVER) consumes compute.$HOST_NAME"
  print_env
}

print_env() {
  echo "export OS_CLIENT_CONFIG_FILE=$STATE/osc/clouds.yaml OS_CLOUD=e2e"
}

down() {
  local s pid pids=() names=() i
  # Everything at once (nova services take 3-6 s each to exit), Glance too.
  for s in "${SERVICES[@]}"; do
    if pid=$(our_pid "$s"); then
      kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
      names+=("$s")
    fi
    rm -f "$(pidfile "$s")"
  done
  if [ -d "$STATE/glance" ]; then
    GLANCE_STATE_DIR="$STATE/glance" bash "$REPO/scripts/start-glance.sh" --stop --quiet &
  fi
  for i in "${!pids[@]}"; do
    pid=${pids[$i]}
    for _ in $(seq 1 150); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "${names[$i]} (pid $pid) still running after 30 s: SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
    fi
    log "stopped ${names[$i]}"
  done
  wait
}

status() {
  local s pid ok=0
  printf '%-15s %-8s %s\n' SERVICE PID STATE
  for s in mariadb placement neutron-server neutron-agent nova-api nova-conductor nova-scheduler bridge nova-compute; do
    if pid=$(our_pid "$s"); then
      printf '%-15s %-8s %s\n' "$s" "$pid" running
    else
      printf '%-15s %-8s %s\n' "$s" - stopped
      ok=3
    fi
  done
  if [ -f "$STATE/glance/url" ] && [ "$(curl -s -m 3 "$(cat "$STATE/glance/url")/healthcheck")" = OK ]; then
    printf '%-15s %-8s %s\n' glance-api "$(cat "$STATE/glance/glance-api.pid" 2>/dev/null)" "running $(cat "$STATE/glance/url")"
  else
    printf '%-15s %-8s %s\n' glance-api - stopped
    ok=3
  fi
  if consumers | grep -qx "compute.$HOST_NAME"; then
    echo "nova-compute consumes compute.$HOST_NAME"
  else
    echo "nova-compute does not consume compute.$HOST_NAME"
    ok=3
  fi
  return $ok
}

reset() {
  down
  case "$STATE" in
    / | "$REPO" | "$HOME") die "refusing to delete $STATE" ;;
  esac
  rm -rf "$STATE"
  log "deleted $STATE"
  if [ -e "/sys/class/net/$PHYS_IF" ]; then
    ip link del "$PHYS_IF" && log "deleted the veth pair of $PHYS_IF"
  fi
}

logs() {
  if [ $# = 0 ]; then
    ls -1 "$STATE/logs" "$STATE/glance/logs" 2>/dev/null
  else
    local f
    for f in "$STATE/logs/$1" "$STATE/logs/$1.log" "$STATE/glance/logs/$1" "$STATE/glance/logs/$1.log"; do
      [ -f "$f" ] && exec tail -n 100 "$f"
    done
    die "no log $1 (aio.sh logs lists them)"
  fi
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
case "$cmd" in
  up) up ;;
  down) down ;;
  stop)
    [ $# = 1 ] && [[ " ${SERVICES[*]} " == *" $1 "* ]] || die "usage: aio.sh stop {${SERVICES[*]}}"
    stop_one "$1"
    ;;
  status) status ;;
  reset) reset ;;
  env) print_env ;;
  openstack) OS_CLIENT_CONFIG_FILE="$STATE/osc/clouds.yaml" OS_CLOUD=e2e exec openstack "$@" ;;
  logs) logs "$@" ;;
  -h | --help | help) sed -n '2,39p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
  *)
    sed -n '2,39p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
    ;;
esac
