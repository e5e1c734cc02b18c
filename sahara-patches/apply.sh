#!/bin/bash
# Applies (or checks, or reverts) the Sahara patches in patches/ to an
# installed Sahara 16 (Debian's python3-sahara, Zed), idempotently: a patch
# already in place is skipped, one that fits neither way stops the run
# before anything changes.
#
#   sahara-patches/apply.sh [--check | --revert] [--target DIR]
#
# DIR is the directory holding the `sahara` package (default: where
# /usr/bin/python3 imports it from, /usr/lib/python3/dist-packages on Debian).
# Restart sahara-engine afterwards. --check only reports, exit 1 when a patch
# is missing or does not fit.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
mode=apply
target=
while [ $# -gt 0 ]; do
  case "$1" in
    --check) mode=check ;;
    --revert) mode=revert ;;
    --target) target=${2:?--target needs a directory}; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "apply.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
command -v patch >/dev/null || { echo "apply.sh: needs patch(1): apt-get install patch" >&2; exit 1; }
if [ -z "$target" ]; then
  target=$(/usr/bin/python3 -c 'import os, sahara; print(os.path.dirname(os.path.dirname(sahara.__file__)))' 2>/dev/null) || {
    echo "apply.sh: Sahara is not importable by /usr/bin/python3 (apt-get install python3-sahara), and no --target was given" >&2
    exit 1
  }
fi
[ -f "$target/sahara/service/engine.py" ] || { echo "apply.sh: $target holds no sahara package (no sahara/service/engine.py)" >&2; exit 1; }

patches=("$here"/patches/*.patch)
state() { # prints applied | missing | conflict
  if patch -p1 -d "$target" -R --dry-run -s -f <"$1" >/dev/null 2>&1; then echo applied
  elif patch -p1 -d "$target" --dry-run -s -f <"$1" >/dev/null 2>&1; then echo missing
  else echo conflict; fi
}

# All patches are judged before any is changed: a run stops whole, not half-way.
bad=0
for p in "${patches[@]}"; do
  s=$(state "$p")
  [ "$s" = conflict ] && { echo "$(basename "$p"): does not fit $target/sahara (expected Sahara 16.0.0; a local change or another version)" >&2; bad=1; }
  [ "$mode" = check ] && echo "$(basename "$p"): $s"
  [ "$mode" = check ] && [ "$s" = missing ] && bad=1
done
[ "$bad" = 0 ] || exit 1
[ "$mode" = check ] && exit 0

for p in "${patches[@]}"; do
  s=$(state "$p")
  if [ "$mode" = apply ] && [ "$s" = missing ]; then
    patch -p1 -d "$target" -s -f --no-backup-if-mismatch <"$p"
    echo "$(basename "$p"): applied"
  elif [ "$mode" = revert ] && [ "$s" = applied ]; then
    patch -p1 -d "$target" -R -s -f --no-backup-if-mismatch <"$p"
    echo "$(basename "$p"): reverted"
  else
    echo "$(basename "$p"): already $([ "$mode" = apply ] && echo applied || echo absent)"
  fi
done
