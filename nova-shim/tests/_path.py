"""Makes nova-shim/docker_bridge importable as nova.virt.docker_bridge (as
install.sh places it) without installing it: the tests run against this tree
with Debian's real Nova (/usr/bin/python3)."""
import os

import nova.virt

SHIM_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if SHIM_ROOT not in nova.virt.__path__:
    # Ahead of an installed copy, so the tree under test wins.
    nova.virt.__path__.insert(0, SHIM_ROOT)
