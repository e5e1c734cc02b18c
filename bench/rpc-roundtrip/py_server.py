#!/usr/bin/python3
"""Reference Python oslo.messaging RPC server for the round-trip benchmark.

Usage: /usr/bin/python3 py_server.py <transport_url> <topic> <server>

Serves one endpoint (version 1.3) with a no-op method `noop` returning None,
on control exchange "nova", with the 'threading' executor and oslo's default
pool of 64 worker threads (executor_thread_pool_size). Prints READY once it is
consuming and exits cleanly on SIGTERM/SIGINT.
"""
import logging
import signal
import sys
import threading

from oslo_config import cfg
import oslo_messaging as messaging


class NoopEndpoint(object):
    target = messaging.Target(version='1.3')

    def noop(self, ctxt):
        return None


def main():
    if len(sys.argv) != 4:
        sys.stderr.write('usage: py_server.py <transport_url> <topic> <server>\n')
        return 2
    url, topic, server = sys.argv[1:4]
    # Warnings only: per-message logging would tax the server being measured.
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)

    messaging.set_transport_defaults('nova')
    conf = cfg.CONF  # the global config, as OpenStack services use
    conf([], project='bench-py-server')
    transport = messaging.get_rpc_transport(conf, url=url)
    target = messaging.Target(topic=topic, server=server)
    srv = messaging.get_rpc_server(transport, target, [NoopEndpoint()],
                                   executor='threading')

    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)

    srv.start()
    sys.stdout.write('READY\n')
    sys.stdout.flush()
    while not stop.wait(0.5):
        pass
    srv.stop()
    srv.wait()
    transport.cleanup()
    sys.stdout.write('STOPPED\n')
    sys.stdout.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main())
