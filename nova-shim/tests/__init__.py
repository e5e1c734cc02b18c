"""Driver tests with Debian's real Nova (/usr/bin/python3). Runnable both as
``python3 -m unittest discover -s nova-shim/tests`` (modules at top level)
and as the package ``tests`` from nova-shim/: the helpers are imported by
their plain names, so this directory goes on sys.path either way."""
import os
import sys

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
