#!/usr/bin/env bash
# Prepares a Debian (bookworm) machine to build, run and test nova-docker-bridge.
#
#   1. Debian packages, installed only when missing: docker.io, rabbitmq-server,
#      python3-oslo.messaging, busybox-static, iptables, ca-certificates, glance-api
#      (the test Glance; scripts/start-glance.sh runs it, nothing starts it here)
#      python3-glanceclient (the `glance` CLI bench/glance/run.ts compares with),
#      and python3-sahara, python3-oslotest, python3-pytest, patch (sahara-patches/
#      and its tests).
#   2. npm dependencies (npm ci, or npm install without a lockfile) when
#      node_modules is missing or older than package-lock.json.
#   3. npm run build (TypeScript → dist/), unless --no-build.
#   4. scripts/start-services.sh: dockerd and RabbitMQ running, guest/guest on "/".
#   5. scripts/build-test-image.sh: the local busybox test image.
#
# Idempotent and quick on a ready machine. Runs as root, or with password-less
# sudo when not root. Never reads stdin; needs no systemd.
#
# Usage: scripts/setup.sh [--no-build] [--quiet] [--with-nova]
#   --with-nova  also the Debian packages of the all-in-one Nova that
#                test/e2e/aio.sh runs (nova-api/-conductor/-scheduler,
#                placement-api, mariadb-server, neutron-server and the
#                linuxbridge agent, openstack CLI; ~70 s of apt)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

BUILD=1
QUIET=0
WITH_NOVA=0
for arg in "$@"; do
  case "$arg" in
    --no-build) BUILD=0 ;;
    --with-nova) WITH_NOVA=1 ;; # e2e all-in-one packages, see below
    -q | --quiet) QUIET=1 ;;
    -h | --help)
      sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "setup: unknown argument: $arg (try --help)" >&2
      exit 2
      ;;
  esac
done
QUIET_FLAG=()
[ "$QUIET" = 1 ] && QUIET_FLAG=(--quiet)

export DEBIAN_FRONTEND=noninteractive
PACKAGES=(docker.io rabbitmq-server python3-oslo.messaging busybox-static iptables ca-certificates glance-api
  python3-glanceclient curl
  # sahara-patches/: Sahara 16 to patch, and what its unit tests and ours import (~10 s of apt).
  python3-sahara python3-oslotest python3-pytest patch)
# >>> --with-nova (owner: test/e2e) >>>
# The all-in-one Zed of test/e2e/aio.sh. Not Debian's nova-compute package: it
# pulls a hypervisor (libvirt/qemu); nova-compute runs from python3-nova.
# Neutron: the API server (ML2/linuxbridge) and the linuxbridge agent the
# driver's ports are bound for; iproute2 for the veth pair of e2e-net.
if [ "$WITH_NOVA" = 1 ]; then
  PACKAGES+=(nova-api nova-conductor nova-scheduler placement-api python3-osc-placement
    python3-openstackclient uwsgi-plugin-python3 mariadb-server python3-pymysql curl
    neutron-server neutron-linuxbridge-agent iproute2)
fi
# <<< --with-nova <<<
NODE_MAJOR_MIN=20

say() { echo "setup: $*"; }
ok() { [ "$QUIET" = 1 ] || say "$*"; }
die() {
  echo "setup: ERROR: $*" >&2
  exit 1
}

SUDO=()
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  fi
fi
can_root() { [ "$(id -u)" = 0 ] || [ "${#SUDO[@]}" -gt 0 ]; }

# --- 1. Debian packages -------------------------------------------------------
missing=()
for pkg in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$pkg")
done
if [ "${#missing[@]}" -eq 0 ]; then
  ok "Debian packages present"
else
  can_root || die "missing Debian packages (${missing[*]}) and no root or password-less sudo to install them"
  say "installing Debian packages: ${missing[*]}"
  "${SUDO[@]}" apt-get update -qq </dev/null >/dev/null || die "apt-get update failed"
  # No systemd here: package scripts may fail to start daemons; start-services.sh does that.
  "${SUDO[@]}" apt-get install -y -qq --no-install-recommends \
    -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" </dev/null >/dev/null || die "apt-get install ${missing[*]} failed"
fi

# --- 2. Node.js and npm dependencies -----------------------------------------
command -v node >/dev/null 2>&1 || die "Node.js >= $NODE_MAJOR_MIN is required (Debian bookworm's nodejs is 18: install Node $NODE_MAJOR_MIN+ from nodejs.org or NodeSource)"
node_major=$(node -p 'process.versions.node.split(".")[0]')
[ "$node_major" -ge "$NODE_MAJOR_MIN" ] || die "Node.js $(node -v) is too old; >= $NODE_MAJOR_MIN is required"
command -v npm >/dev/null 2>&1 || die "npm not found (it ships with Node.js)"

# npm rewrites node_modules/.package-lock.json on every install, so it being older
# than the lockfile means the lockfile changed since the last install. (npm writes
# both files within the same moment; the 2 s slack keeps that from counting.)
needs_install=0
if [ ! -d node_modules ] || [ ! -f node_modules/.package-lock.json ]; then
  needs_install=1
elif [ -f package-lock.json ] &&
  [ "$(stat -c %Y package-lock.json)" -gt $(($(stat -c %Y node_modules/.package-lock.json) + 2)) ]; then
  needs_install=1
fi
NPM_FLAGS=(--no-audit --no-fund --loglevel=error)
if [ "$needs_install" = 1 ]; then
  # The project does not rely on package install scripts (npm 11 blocks them by
  # default); tsx, vitest and esbuild work from their prebuilt optional packages.
  if [ -f package-lock.json ]; then
    say "installing npm dependencies (npm ci)"
    npm ci "${NPM_FLAGS[@]}" </dev/null || die "npm ci failed"
  else
    say "installing npm dependencies (npm install; no package-lock.json)"
    npm install "${NPM_FLAGS[@]}" </dev/null || die "npm install failed"
  fi
else
  ok "npm dependencies up to date"
fi

# --- 3. Build ------------------------------------------------------------------
if [ "$BUILD" = 1 ]; then
  say "building (npm run build → dist/)"
  npm run --silent build </dev/null || die "npm run build failed (TypeScript errors above)"
  # scripts/test.sh compares sources with this stamp to spot a stale dist/.
  touch dist/.build-stamp
fi

# --- 4. Services and 5. test image ----------------------------------------------
bash "$REPO_ROOT/scripts/start-services.sh" "${QUIET_FLAG[@]}"
bash "$REPO_ROOT/scripts/build-test-image.sh" "${QUIET_FLAG[@]}"
ok "ready"
