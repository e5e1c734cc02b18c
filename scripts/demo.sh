#!/usr/bin/env bash
# A Docker container as an OpenStack Nova server, in one command.
#
# Brings up the all-in-one OpenStack Zed of the end-to-end tests on loopback
# (test/e2e/aio.sh: Debian's Nova, Glance, Placement, Neutron, MariaDB,
# RabbitMQ, the nova-docker-bridge compute service, nova-compute with the
# docker_bridge driver), imports a busybox image into Glance with
# glance-docker, creates a flavor and boots one server, `demo`, on the Neutron
# network e2e-net, then shows it from both sides: `openstack server list`, the
# container in `docker ps`, and a ping from the host to the server's address.
#
# Idempotent: what exists is reused (a second run takes seconds). Needs root
# (or password-less sudo) the first time, to install Debian packages.
#
# Usage: scripts/demo.sh
# Env:   DEMO_SERVER [demo]  DEMO_IMAGE [demo-busybox]  DEMO_FLAVOR [m1.tiny]
#        DEMO_NETWORK [e2e-net, the network aio.sh makes]
#        and test/e2e/aio.sh's E2E_* settings (state directory, ports).
# Stop:  test/e2e/aio.sh down     (keeps the state; `reset` deletes it)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO"
AIO=test/e2e/aio.sh
SERVER="${DEMO_SERVER:-demo}"
IMAGE="${DEMO_IMAGE:-demo-busybox}"
FLAVOR="${DEMO_FLAVOR:-m1.tiny}"
NETWORK="${DEMO_NETWORK:-e2e-net}"
# Built locally by scripts/build-test-image.sh from Debian's busybox-static.
DOCKER_IMAGE=nova-docker-bridge-test/busybox:latest
# Prints a greeting (see `openstack console log show demo`), then idles; ends
# at once on SIGTERM so `openstack server stop` is quick.
COMMAND='sh -c '\''echo "hello from $(hostname): a Docker container that Nova booted"; trap "exit 0" TERM; while :; do sleep 3600 & wait; done'\'''

T0=$SECONDS
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() {
  echo "demo: ERROR: $*" >&2
  exit 1
}

say "Packages, RabbitMQ, Docker and the busybox test image (scripts/setup.sh --with-nova)"
bash scripts/setup.sh --no-build --quiet --with-nova

say "The all-in-one OpenStack (test/e2e/aio.sh up)"
bash "$AIO" up | grep -v '^export ' || die "the all-in-one did not come up: see test/e2e/aio.sh status and test/e2e/aio.sh logs"
eval "$(bash "$AIO" env)"
export OS_CLIENT_CONFIG_FILE OS_CLOUD

# The ID of the (first) Glance image named $1, or nothing.
image_id() { openstack image list --name "$1" -f value -c ID | head -n 1; }

say "Glance image $IMAGE (glance-docker import --from-docker $DOCKER_IMAGE)"
image=$(image_id "$IMAGE")
if [ -n "$image" ]; then
  echo "already there: $image"
else
  node bin/glance-docker.js import --from-docker "$DOCKER_IMAGE" --name "$IMAGE" \
    --property "os_command_line=$COMMAND" --wait
  image=$(image_id "$IMAGE")
  [ -n "$image" ] || die "glance-docker reported success but Glance has no image named $IMAGE"
fi

say "Flavor $FLAVOR"
if openstack flavor show "$FLAVOR" -f value -c id >/dev/null 2>&1; then
  echo "already there"
else
  openstack flavor create --vcpus 1 --ram 64 --disk 1 "$FLAVOR" -f value -c id
fi

say "Server $SERVER (openstack server create --image $IMAGE --flavor $FLAVOR --nic net-id=$NETWORK --wait $SERVER)"
status=$(openstack server show "$SERVER" -f value -c status 2>/dev/null || true)
case "$status" in
  "")
    openstack server create --image "$image" --flavor "$FLAVOR" --nic net-id="$NETWORK" --wait "$SERVER" -f value -c id -c status ||
      die "the server did not become ACTIVE: openstack server show $SERVER shows the fault"
    ;;
  ACTIVE) echo "already running" ;;
  SHUTOFF)
    echo "stopped: starting it"
    openstack server start "$SERVER"
    ;;
  ERROR)
    echo "in ERROR ($(openstack server show "$SERVER" -f json -c fault | tr -d '\n' | cut -c 1-300)): booting it again"
    # Not `delete --wait`: this openstackclient gives up at once on a server in ERROR.
    openstack server delete "$SERVER"
    for _ in $(seq 1 100); do
      openstack server show "$SERVER" -f value -c id >/dev/null 2>&1 || break
      sleep 0.5
    done
    openstack server create --image "$image" --flavor "$FLAVOR" --nic net-id="$NETWORK" --wait "$SERVER" -f value -c id -c status ||
      die "the server did not become ACTIVE: openstack server show $SERVER shows the fault"
    ;;
  *) echo "status $status: leaving it as it is" ;;
esac
# `server start` has no --wait in this openstackclient.
for _ in $(seq 1 120); do
  status=$(openstack server show "$SERVER" -f value -c status)
  case "$status" in ACTIVE | ERROR) break ;; esac
  sleep 0.5
done

say "openstack server list"
openstack server list

say "docker ps --filter label=org.openstack.nova.instance-uuid (the containers of this compute host)"
docker ps --filter label=org.openstack.nova.instance-uuid \
  --filter "label=org.openstack.nova-docker-bridge.host=${E2E_HOST:-e2e-compute}" \
  --format 'table {{.Names}}\t{{.Status}}\t{{.Label "org.openstack.nova.instance-name"}}\t{{.Label "org.openstack.nova.flavor-name"}}'

say "openstack console log show $SERVER"
openstack console log show "$SERVER" | tail -n 5

# The first address on $NETWORK; none for a server made without a port (an older demo).
address=$(openstack server show "$SERVER" -f json -c addresses |
  /usr/bin/python3 -c "import json, sys; print((json.load(sys.stdin).get('addresses') or {}).get('$NETWORK', [''])[0])" 2>/dev/null || true)
if [ -n "$address" ]; then
  say "ping $address (the server's Neutron port, from this host: the subnet's gateway)"
  /bin/busybox ping -c 2 -W 3 "$address" || die "the server does not answer on $address: see docs/troubleshooting.md (Neutron ports)"
else
  say "server $SERVER has no address on $NETWORK (made before the demo used Neutron): openstack server delete $SERVER, then run this again"
fi

cat <<EOF

Done in $((SECONDS - T0)) s. Server $SERVER is $status.

Use the cloud with the openstack CLI:
  eval "\$(test/e2e/aio.sh env)"
  openstack server list
  openstack server show $SERVER
  openstack server stop $SERVER; openstack server start $SERVER
  openstack server create --image $IMAGE --flavor $FLAVOR --nic net-id=$NETWORK --wait another
  openstack server delete $SERVER

Stop everything:   test/e2e/aio.sh down    (state kept; next scripts/demo.sh takes seconds)
Delete the state:  test/e2e/aio.sh reset
EOF
[ "$status" = ACTIVE ]
