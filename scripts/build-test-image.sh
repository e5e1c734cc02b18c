#!/usr/bin/env bash
# Builds the image the integration tests run: nova-docker-bridge-test/busybox:latest.
#
# No registry is reachable, so the image is made locally with `docker import` from
# a root filesystem holding Debian's statically linked busybox (busybox-static)
# and a symlink per applet, /etc/passwd (root only), /etc/group, /etc/hosts,
# /root and /tmp.
#
# Idempotent: does nothing when the image exists and carries this recipe's
# version label. --force rebuilds anyway. Bump RECIPE_VERSION when the rootfs
# changes so machines with an older image rebuild it.
#
# Usage: scripts/build-test-image.sh [--force] [--quiet]
set -euo pipefail

IMAGE=nova-docker-bridge-test/busybox:latest
RECIPE_VERSION=2
LABEL_KEY=nova-docker-bridge.test-image.recipe
BUSYBOX=/bin/busybox

FORCE=0
QUIET=0
for arg in "$@"; do
  case "$arg" in
    -f | --force) FORCE=1 ;;
    -q | --quiet) QUIET=1 ;;
    -h | --help)
      sed -n '2,13p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      exit 0
      ;;
    *)
      echo "build-test-image: unknown argument: $arg (try --help)" >&2
      exit 2
      ;;
  esac
done

say() { echo "build-test-image: $*"; }
ok() { [ "$QUIET" = 1 ] || say "$*"; }
die() {
  echo "build-test-image: ERROR: $*" >&2
  exit 1
}

command -v docker >/dev/null 2>&1 || die "docker CLI not found: run scripts/setup.sh"
docker version --format '{{.Server.APIVersion}}' >/dev/null 2>&1 ||
  die "the Docker Engine does not answer: run scripts/start-services.sh"

if [ "$FORCE" = 0 ]; then
  have=$(docker image inspect --format "{{index .Config.Labels \"$LABEL_KEY\"}}" "$IMAGE" 2>/dev/null || true)
  if [ "$have" = "$RECIPE_VERSION" ]; then
    ok "$IMAGE is present (recipe $RECIPE_VERSION)"
    exit 0
  fi
fi

[ -x "$BUSYBOX" ] || die "$BUSYBOX not found: install Debian busybox-static (scripts/setup.sh)"
# The image has no libc: a dynamically linked busybox (Debian 'busybox') would not start.
if command -v ldd >/dev/null 2>&1 && ! { ldd "$BUSYBOX" 2>&1 || true; } | grep -q 'not a dynamic executable'; then
  die "$BUSYBOX is dynamically linked; install Debian busybox-static instead of busybox"
fi

# An older image of ours (any recipe) is removed once replaced; a foreign image
# under the same tag is only untagged, never deleted.
old_id=$(docker image inspect --format "{{if index .Config.Labels \"$LABEL_KEY\"}}{{.Id}}{{end}}" "$IMAGE" 2>/dev/null || true)

ROOTFS=$(mktemp -d "${TMPDIR:-/tmp}/ndb-test-rootfs.XXXXXX")
trap 'rm -rf "$ROOTFS"' EXIT

say "building $IMAGE from $BUSYBOX"
mkdir -p "$ROOTFS"/{bin,sbin,usr/bin,usr/sbin,etc,root,tmp,proc,sys,dev,run,var/tmp}
chmod 0700 "$ROOTFS/root"
chmod 1777 "$ROOTFS/tmp" "$ROOTFS/var/tmp"
cp "$BUSYBOX" "$ROOTFS/bin/busybox"
chmod 0755 "$ROOTFS/bin/busybox"

# One symlink per applet, where busybox itself says it belongs (bin/sh, usr/bin/env, ...).
count=0
while IFS= read -r applet; do
  [ -n "$applet" ] || continue
  case "$applet" in bin/busybox | linuxrc) continue ;; esac
  dir=$(dirname "$applet")
  mkdir -p "$ROOTFS/$dir"
  # Absolute target: resolved inside the container, never against this host's layout.
  ln -sf /bin/busybox "$ROOTFS/$applet"
  count=$((count + 1))
done < <("$BUSYBOX" --list-full)
[ -e "$ROOTFS/bin/sh" ] || die "busybox has no 'sh' applet; cannot build a usable image"

cat >"$ROOTFS/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
EOF
cat >"$ROOTFS/etc/group" <<'EOF'
root:x:0:
EOF
cat >"$ROOTFS/etc/hosts" <<'EOF'
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
EOF
: >"$ROOTFS/etc/hostname"
: >"$ROOTFS/etc/resolv.conf"

tar --numeric-owner --owner=0 --group=0 -C "$ROOTFS" -cf - . |
  docker import \
    --change 'ENV PATH=/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["sh"]' \
    --change "LABEL $LABEL_KEY=$RECIPE_VERSION" \
    --message "nova-docker-bridge test image (busybox-static rootfs, recipe $RECIPE_VERSION)" \
    - "$IMAGE" >/dev/null

# Prove the image runs before anyone relies on it.
out=$(docker run --rm --network none "$IMAGE" sh -c 'echo ok; id -u' 2>&1) ||
  die "the new image does not run: $out"
[ "$out" = "$(printf 'ok\n0')" ] || die "the new image ran but printed unexpected output: $out"
new_id=$(docker image inspect --format '{{.Id}}' "$IMAGE")
if [ -n "$old_id" ] && [ "$old_id" != "$new_id" ]; then
  # Fails harmlessly while a container still uses the old image.
  docker image rm "$old_id" >/dev/null 2>&1 || true
fi
say "built $IMAGE ($count applets)"
