#!/usr/bin/python3
"""A real Python oslo.messaging RPC server for the interop tests.

Usage: py_rpc_server.py TRANSPORT_URL EXCHANGE TOPIC SERVER

Endpoints (Target version 1.3, no namespace), the same as test/fixtures/echo-endpoint.ts:
  echo(**kw)          -> {"ctxt": <request context>, "kw": kw}
  boom(what, kind)    -> raises: kind "bridge" (default) nova_docker_bridge.exception.Conflict
                         exactly as our echo endpoint's BridgeError('ERR_CONFLICT') arrives;
                         "custom" interop_exc.InteropError; "value" ValueError
  slow(seconds)       -> sleeps, returns "slept <seconds>"
  note(**kw)          -> prints "CAST <json>" on stdout (casts and fanouts)
plus a namespaced endpoint (namespace "baseapi", version 1.1): ping(arg) -> {"pong": arg},
and oslo's own oslo_rpc_server_ping (rpc_ping_enabled = True).
Prints READY once consuming; SIGTERM stops it cleanly (exit 0).
"""
import json
import logging
import os
import signal
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, 'nova-shim'))
sys.path.insert(0, HERE)

from oslo_config import cfg  # noqa: E402
import oslo_messaging as om  # noqa: E402
from oslo_messaging.rpc import dispatcher as om_dispatcher  # noqa: E402

import interop_exc  # noqa: E402
from nova_docker_bridge import exception as bridge_exc  # noqa: E402

logging.basicConfig(level=logging.DEBUG if os.environ.get('DEBUG') else logging.WARNING,
                    stream=sys.stderr, format='%(asctime)s py_rpc_server %(name)s %(levelname)s %(message)s')

if len(sys.argv) != 5:
    sys.exit('usage: py_rpc_server.py TRANSPORT_URL EXCHANGE TOPIC SERVER')
URL, EXCHANGE, TOPIC, SERVER = sys.argv[1:]
_out = threading.Lock()


def say(line):
    with _out:
        sys.stdout.write(line + '\n')
        sys.stdout.flush()


class Manager:
    target = om.Target(version='1.3')

    def echo(self, ctxt, **kw):
        return {'ctxt': ctxt, 'kw': kw}

    def boom(self, ctxt, what, kind='bridge'):
        if kind == 'custom':
            raise interop_exc.InteropError(what=what)
        if kind == 'value':
            raise ValueError('bad value: %s' % what)
        raise bridge_exc.Conflict('Proto failure: %s' % what, code='ERR_CONFLICT', fault='client', what=what)

    def slow(self, ctxt, seconds):
        time.sleep(seconds)
        return 'slept %s' % seconds

    def note(self, ctxt, **kw):
        say('CAST ' + json.dumps({'method': 'note', 'args': kw, 'context': ctxt}))


class BaseApi:
    target = om.Target(namespace='baseapi', version='1.1')

    def ping(self, ctxt, arg):
        return {'pong': arg}


om.set_transport_defaults('nova')
CONF = cfg.CONF
CONF([], project='nova-docker-bridge-interop')
# The dispatcher registers rpc_ping_enabled itself, too late for an override.
CONF.register_opts(om_dispatcher._dispatcher_opts)
CONF.set_override('rpc_ping_enabled', True)

transport = om.get_rpc_transport(CONF, url=URL)
target = om.Target(exchange=EXCHANGE, topic=TOPIC, server=SERVER)
server = om.get_rpc_server(transport, target, [Manager(), BaseApi()], executor='threading')
stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
signal.signal(signal.SIGINT, lambda *_: stop.set())
server.start()
say('READY')
while not stop.wait(0.2):
    pass
server.stop()
server.wait()
transport.cleanup()
say('STOPPED')
