#!/usr/bin/env bash
# Installs the docker_bridge compute driver into the Nova that a Python finds,
# as the package nova/virt/docker_bridge/, so that nova.conf
#   [DEFAULT] compute_driver = docker_bridge.DockerBridgeDriver
# loads it with the stock nova-compute (Debian's /usr/bin/nova-compute, its
# systemd unit, or `python3 -m nova.cmd.compute`).
#
# Why a real sub-package of nova.virt (and not the namespace-package trick):
# Nova imports only 'nova.virt.<compute_driver>'. A directory inside the
# installed nova/virt/ needs nothing else: no second nova/__init__.py that
# shadows Debian's (the namespace way puts one in front of it on sys.path, so
# Nova's own __init__ silently stops running if it ever gains code), no
# pkg_resources (deprecated, slow to import), no PYTHONPATH in the service
# unit, no custom launcher. dpkg leaves unknown files alone, so a python3-nova
# upgrade keeps the driver; re-run this script after upgrading Nova to
# byte-compile for it and re-check the import.
#
# Usage: nova-shim/install.sh [--link] [--force] [--python PY] [--uninstall] [--check] [-q]
#   (default)     copy the package (a snapshot of this tree), byte-compile it,
#                 and import-check it with Nova; nothing to do when the
#                 installed copy already has these sources (--force: redo)
#   --link        symlink instead of copying (development: edits are live;
#                 restart nova-compute to pick them up)
#   --python PY   interpreter whose Nova to use (default /usr/bin/python3;
#                 Debian's python3-nova is not visible to other builds)
#   --uninstall   remove what this script installed (refuses anything else)
#   --check       only report what is installed; exit 1 if not installed
#   -q            quiet
# Idempotent. Needs write access to Nova's directory (root for Debian's).
set -euo pipefail

SHIM_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SRC="$SHIM_DIR/docker_bridge"
MARKER=.installed-by-nova-docker-bridge
PY=/usr/bin/python3
MODE=copy
ACTION=install
QUIET=0
FORCE=0

say() { [ "$QUIET" = 1 ] || echo "nova-shim: $*"; }
die() {
  echo "nova-shim: ERROR: $*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --link) MODE=link ;;
    --python)
      [ $# -ge 2 ] || die "--python needs an interpreter path"
      PY=$2
      shift
      ;;
    --force) FORCE=1 ;;
    --uninstall) ACTION=uninstall ;;
    --check) ACTION=check ;;
    -q | --quiet) QUIET=1 ;;
    -h | --help)
      # The header comment: from line 2 up to the first line that is not a comment.
      sed -n '2,/^[^#]/p' "${BASH_SOURCE[0]}" | sed '$d' | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *) die "unknown argument: $1 (try --help)" ;;
  esac
  shift
done

[ -x "$PY" ] || die "$PY not found or not executable (use --python)"
[ -f "$SRC/driver.py" ] || die "driver sources not found in $SRC"

NOVA_DIR=$("$PY" -c 'import nova, os; print(os.path.dirname(nova.__file__))' 2>/dev/null) ||
  die "$PY cannot import nova (Debian: apt-get install python3-nova; or pass --python)"
VIRT_DIR="$NOVA_DIR/virt"
TARGET="$VIRT_DIR/docker_bridge"
[ -d "$VIRT_DIR" ] || die "$VIRT_DIR does not exist: not a Nova installation"

# What is at $TARGET: none | link | copy | foreign
installed_kind() {
  if [ -L "$TARGET" ]; then
    if [ "$(readlink -f "$TARGET")" = "$(readlink -f "$SRC")" ]; then echo link; else echo foreign; fi
  elif [ -e "$TARGET" ]; then
    if [ -f "$TARGET/$MARKER" ]; then echo copy; else echo foreign; fi
  else
    echo none
  fi
}

import_check() {
  local out
  out=$("$PY" - 2>&1 <<'EOF'
import nova.virt.driver
import nova.virt.docker_bridge as shim
cls = shim.DockerBridgeDriver
assert issubclass(cls, nova.virt.driver.ComputeDriver), cls
print(shim.__file__)
EOF
  ) || die "installed, but '$PY' cannot import nova.virt.docker_bridge:
$out"
  say "import check ok: ${out##*$'\n'}"
}

# The installed copy has exactly the sources of this tree.
same_sources() {
  local f
  for f in "$SRC"/*.py; do
    cmp -s "$f" "$TARGET/$(basename "$f")" || return 1
  done
  for f in "$TARGET"/*.py; do
    [ -f "$SRC/$(basename "$f")" ] || return 1
  done
}

remove_target() {
  case "$(installed_kind)" in
    none) ;;
    link) rm -f "$TARGET" ;;
    copy) rm -rf "$TARGET" ;;
    foreign) die "$TARGET exists and was not installed by this script; remove it yourself if it is an old copy" ;;
  esac
}

case "$ACTION" in
  check)
    kind=$(installed_kind)
    case "$kind" in
      none)
        say "not installed in $VIRT_DIR"
        exit 1
        ;;
      link) say "installed as a link: $TARGET -> $(readlink "$TARGET")" ;;
      copy) say "installed as a copy: $TARGET ($(tr '\n' ' ' <"$TARGET/$MARKER"))" ;;
      foreign)
        say "$TARGET exists but was not installed by this script"
        exit 1
        ;;
    esac
    import_check
    exit 0
    ;;
  uninstall)
    kind=$(installed_kind)
    remove_target
    [ "$kind" = none ] && say "nothing installed in $VIRT_DIR" || say "removed $TARGET ($kind)"
    exit 0
    ;;
esac

[ -w "$VIRT_DIR" ] || die "no write access to $VIRT_DIR (run as root)"
[ "$(installed_kind)" = foreign ] && remove_target # dies with an explanation

if [ "$MODE" = link ]; then
  [ "$(installed_kind)" = link ] || {
    remove_target
    ln -s "$SRC" "$TARGET"
  }
  say "linked $TARGET -> $SRC"
elif [ "$(installed_kind)" = copy ] && [ "$FORCE" = 0 ] && same_sources; then
  say "up to date: $TARGET ($(grep '^revision=' "$TARGET/$MARKER" | cut -d= -f2))"
  exit 0
else
  # Build next to the target, then swap, so nova-compute never imports a
  # half-copied package.
  STAGE=$(mktemp -d "$VIRT_DIR/.docker_bridge.XXXXXX")
  trap 'rm -rf "$STAGE"' EXIT
  cp "$SRC"/*.py "$STAGE/"
  rev=$(git -C "$SHIM_DIR" rev-parse --short HEAD 2>/dev/null || echo unknown)
  dirty=$(git -C "$SHIM_DIR" status --porcelain -- docker_bridge 2>/dev/null | head -c1)
  printf 'source=%s\nrevision=%s%s\ninstalled=%s\n' "$SRC" "$rev" "${dirty:+-dirty}" "$(date -u +%FT%TZ)" >"$STAGE/$MARKER"
  # nova-compute runs as an unprivileged user that cannot write __pycache__ here.
  "$PY" -m compileall -q "$STAGE" >/dev/null || die "byte-compiling the driver failed"
  chmod -R u=rwX,go=rX "$STAGE"
  remove_target
  mv "$STAGE" "$TARGET"
  trap - EXIT
  say "copied $SRC -> $TARGET (revision $rev${dirty:+-dirty})"
fi
import_check
say "set [DEFAULT] compute_driver = docker_bridge.DockerBridgeDriver in nova.conf and restart nova-compute"
