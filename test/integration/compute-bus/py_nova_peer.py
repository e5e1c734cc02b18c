#!/usr/bin/python3
"""A long-lived Python caller of the compute service, as nova-compute is one.

It builds real Nova objects (nova.objects.Instance, Flavor, ImageMeta,
nova.network.model.NetworkInfo) from the fields the test sends, projects them
to JSON with the Nova shim's own projection module
(nova-shim/docker_bridge/projection.py) exactly as docker_bridge.driver does
for each method, and calls the service with oslo.messaging, with a Nova
RequestContext and allowed_remote_exmods=['nova.exception'] (what Nova's
transport allows), so failures come back as the nova.exception classes Nova
would catch.

Usage: py_nova_peer.py TRANSPORT_URL EXCHANGE TOPIC SERVER

One JSON command per line on stdin (calls may overlap, each runs in a thread):
  {"id": 1, "method": "spawn", "instance": {Instance fields, "flavor": {...}},
   "image_meta": {...}, "network_info": [VIF dicts], "injected_files": [[path, text]],
   "admin_password": null, "power_on": true, "kwargs": {...}, "raw_args": {...},
   "timeout": 60, "call_monitor_timeout": 30}
One JSON result per line on stdout:
  {"id": 1, "ok": true, "result": ..., "elapsed": 0.1}
  {"id": 1, "ok": false, "elapsed": 0.1, "error": {"module", "class", "str", "mro",
   "args", "kwargs", and "exc_type"/"value" for RemoteError}}
Prints READY once Nova and oslo.messaging are imported; exits on EOF.
"""
import json
import logging
import os
import sys
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(HERE)))
sys.path.insert(0, os.path.join(REPO, 'nova-shim'))

from oslo_config import cfg  # noqa: E402
import oslo_messaging as om  # noqa: E402

from nova import context as nova_context  # noqa: E402
from nova import objects  # noqa: E402
from nova.network import model as network_model  # noqa: E402

from docker_bridge import projection  # noqa: E402

logging.basicConfig(level=logging.DEBUG if os.environ.get('DEBUG') else logging.WARNING,
                    stream=sys.stderr, format='%(asctime)s py_nova_peer %(name)s %(levelname)s %(message)s')

if len(sys.argv) != 5:
    sys.exit('usage: py_nova_peer.py TRANSPORT_URL EXCHANGE TOPIC SERVER')
URL, EXCHANGE, TOPIC, SERVER = sys.argv[1:]

objects.register_all()
om.set_transport_defaults('nova')
CONF = cfg.CONF
# No config files: a nova.conf on this machine (the e2e all-in-one) must not leak in.
CONF([], project='nova-docker-bridge-compute-bus', default_config_files=[])

TRANSPORT = om.get_rpc_transport(CONF, url=URL, allowed_remote_exmods=['nova.exception'])
TARGET = om.Target(exchange=EXCHANGE, topic=TOPIC, server=SERVER, version='1.0')
_out_lock = threading.Lock()


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


def build_instance(fields):
    fields = dict(fields)
    flavor = fields.pop('flavor', None)
    inst = objects.Instance(**fields)
    if flavor is not None:
        inst.flavor = objects.Flavor(**flavor)
    return inst


def build_args(cmd):
    """The keyword arguments docker_bridge.driver sends for this method."""
    if 'raw_args' in cmd:
        return cmd['raw_args']
    method = cmd['method']
    kwargs = dict(cmd.get('kwargs') or {})
    if isinstance(kwargs.get('flavor'), dict):
        kwargs['flavor'] = projection.flavor(objects.Flavor(**kwargs['flavor']))
    inst = build_instance(cmd['instance']) if cmd.get('instance') else None
    if method == 'spawn':
        image = objects.ImageMeta.from_dict(cmd.get('image_meta') or {})
        nw = network_model.NetworkInfo.hydrate(cmd.get('network_info') or [])
        files = [(p, c) for p, c in cmd.get('injected_files') or []]
        kwargs.update(
            instance=projection.instance_full(inst),
            image_meta=projection.image_meta(image),
            injected_files=projection.injected_files(files),
            admin_password=cmd.get('admin_password') or None,
            network_info=projection.network_info(nw),
            power_on=bool(cmd.get('power_on', True)))
    elif inst is not None:
        kwargs['instance'] = projection.instance_ref(inst)
    return kwargs


def run(cmd):
    started = time.monotonic()
    try:
        ctxt = nova_context.RequestContext(user_id='u1', project_id='p1', is_admin=False,
                                           request_id='req-%s' % uuid.uuid4())
        prepare = {'timeout': cmd.get('timeout', 60)}
        if cmd.get('call_monitor_timeout') is not None:
            prepare['call_monitor_timeout'] = cmd['call_monitor_timeout']
        client = om.get_rpc_client(TRANSPORT, TARGET).prepare(**prepare)
        result = client.call(ctxt.to_dict(), cmd['method'], **build_args(cmd))
        write({'id': cmd.get('id'), 'ok': True, 'result': result, 'elapsed': time.monotonic() - started})
    except Exception as exc:  # every failure is a result the test inspects
        write({'id': cmd.get('id'), 'ok': False, 'error': describe(exc), 'elapsed': time.monotonic() - started})


def main():
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
    TRANSPORT.cleanup()


if __name__ == '__main__':
    main()
