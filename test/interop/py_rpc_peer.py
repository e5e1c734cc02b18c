#!/usr/bin/python3
"""A long-lived Python oslo.messaging RPC client driven by the TypeScript tests.

Starting Python and importing oslo.messaging takes seconds, so one process
serves a whole test file: it reads one JSON command per line on stdin and
writes one JSON result per line on stdout, each tagged with the command's id.
Commands run in their own threads, so calls may overlap (oslo's reply waiter is
thread-safe).

Usage: py_rpc_peer.py TRANSPORT_URL

Commands (fields other than op/id are optional unless noted):
  {"id": 1, "op": "call", "exchange": "x", "topic": "t" (required), "server": "s",
   "method": "m" (required), "args": {...}, "context": {...}, "version": "1.2",
   "namespace": "ns", "timeout": 10, "call_monitor_timeout": 2,
   "allowed_remote_exmods": ["nova_docker_bridge.exception"]}
  {"id": 2, "op": "cast", ... same target fields ..., "fanout": true}
Results:
  {"id": 1, "ok": true, "result": <value>, "elapsed": 0.01}
  {"id": 1, "ok": false, "elapsed": 0.01, "error": {"module", "class", "str", "mro",
   "args", "kwargs", "exc_type" and "value" for RemoteError}}
Prints READY once oslo.messaging is imported and configured; exits on EOF.
"""
import json
import logging
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
# nova_docker_bridge.exception must be importable for allowed_remote_exmods to re-raise our classes.
sys.path.insert(0, os.path.join(REPO, 'nova-shim'))
sys.path.insert(0, HERE)

from oslo_config import cfg  # noqa: E402
import oslo_messaging as om  # noqa: E402

logging.basicConfig(level=logging.DEBUG if os.environ.get('DEBUG') else logging.WARNING,
                    stream=sys.stderr, format='%(asctime)s py_rpc_peer %(name)s %(levelname)s %(message)s')

if len(sys.argv) != 2:
    sys.exit('usage: py_rpc_peer.py TRANSPORT_URL')
URL = sys.argv[1]

om.set_transport_defaults('nova')
CONF = cfg.CONF
CONF([], project='nova-docker-bridge-interop')

_transports = {}
_transports_lock = threading.Lock()
_out_lock = threading.Lock()


def transport(exmods):
    """One transport (connection pool + reply queue) per allowed_remote_exmods list."""
    key = tuple(exmods or ())
    with _transports_lock:
        t = _transports.get(key)
        if t is None:
            t = om.get_rpc_transport(CONF, url=URL, allowed_remote_exmods=list(key))
            _transports[key] = t
        return t


def write(obj):
    line = json.dumps(obj, default=repr)
    with _out_lock:
        sys.stdout.write(line + '\n')
        sys.stdout.flush()


def describe(exc):
    t = type(exc)
    d = {
        'module': t.__module__,
        'class': t.__name__,
        'str': str(exc),
        'mro': ['%s.%s' % (c.__module__, c.__name__) for c in t.__mro__],
        'args': list(getattr(exc, 'args', ())),
    }
    kwargs = getattr(exc, 'kwargs', None)
    if isinstance(kwargs, dict):
        d['kwargs'] = kwargs
    if isinstance(exc, om.RemoteError):
        d['exc_type'] = exc.exc_type
        d['value'] = exc.value
    return d


def client_for(cmd):
    target = om.Target(exchange=cmd.get('exchange'), topic=cmd['topic'], server=cmd.get('server'),
                       version=cmd.get('version'), namespace=cmd.get('namespace'),
                       fanout=bool(cmd.get('fanout')))
    client = om.get_rpc_client(transport(cmd.get('allowed_remote_exmods')), target)
    prepare = {}
    if cmd.get('timeout') is not None:
        prepare['timeout'] = cmd['timeout']
    if cmd.get('call_monitor_timeout') is not None:
        prepare['call_monitor_timeout'] = cmd['call_monitor_timeout']
    return client.prepare(**prepare) if prepare else client


def run(cmd):
    started = time.monotonic()
    try:
        op = cmd['op']
        client = client_for(cmd)
        ctxt = cmd.get('context') or {}
        args = cmd.get('args') or {}
        if op == 'call':
            result = client.call(ctxt, cmd['method'], **args)
        elif op == 'cast':
            result = client.cast(ctxt, cmd['method'], **args)
        else:
            raise ValueError('unknown op %r' % op)
        write({'id': cmd.get('id'), 'ok': True, 'result': result, 'elapsed': time.monotonic() - started})
    except Exception as exc:  # every failure is a result the test inspects
        write({'id': cmd.get('id'), 'ok': False, 'error': describe(exc), 'elapsed': time.monotonic() - started})


def main():
    transport(())  # fail early (bad URL) rather than on the first command
    sys.stdout.write('READY\n')
    sys.stdout.flush()
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            cmd = json.loads(line)
        except ValueError as exc:
            write({'id': None, 'ok': False, 'error': {'class': 'ValueError', 'str': 'bad command: %s' % exc}})
            continue
        threading.Thread(target=run, args=(cmd,), daemon=True).start()
    for t in list(_transports.values()):
        t.cleanup()


if __name__ == '__main__':
    main()
