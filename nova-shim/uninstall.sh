#!/usr/bin/env bash
# Removes the docker_bridge driver that install.sh put into Nova's nova/virt/
# (a copy or a link); leaves anything it did not install alone.
# Usage: nova-shim/uninstall.sh [--python PY] [-q]
exec "$(dirname "${BASH_SOURCE[0]}")/install.sh" --uninstall "$@"
