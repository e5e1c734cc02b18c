#!/usr/bin/python3
"""Python oslo.messaging load client for the RPC round-trip benchmark.

Usage:
  /usr/bin/python3 py_load.py <transport_url> <topic> [--server S]
      [--concurrency N | --sequential] [--seconds D] [--warmup W]
      [--transport shared|per-caller] [--method noop] [--version 1.3]

N threads each loop on a blocking RPCClient.call of a no-op method. After
W seconds of warm-up (reply queues declared, connection pools filled, JITs and
caches warm on both sides) every call that *starts* inside the next D seconds
and finishes before the window closes is counted and its latency recorded.

--transport shared     one oslo transport (one reply queue, one reply-waiter
                       thread, one send pool) for all callers: how a real
                       OpenStack service calls, and the cheaper client.
--transport per-caller one transport per caller thread.

Prints "WINDOW START" and "WINDOW END" when the measured window opens and
closes, then one JSON object as the last line of stdout: count, errors, throughput_per_s, p50_ms,
p90_ms, p99_ms, mean_ms, max_ms, plus the client's own CPU use so readers can
see how much of the 2-core machine the load generator took.
"""
import argparse
import json
import logging
import resource
import sys
import threading
import time

from oslo_config import cfg
import oslo_messaging as messaging
import oslo_messaging.opts  # noqa: F401  (messaging.opts.list_opts)


def percentile(sorted_values, q):
    """Nearest-rank percentile of an ascending list (q in 0..100)."""
    if not sorted_values:
        return None
    rank = max(1, int(-(-q * len(sorted_values) // 100)))  # ceil(q/100 * n)
    return sorted_values[min(rank, len(sorted_values)) - 1]


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument('url')
    p.add_argument('topic')
    p.add_argument('--server', default=None,
                   help='address <topic>.<server> instead of any server of the topic')
    p.add_argument('--concurrency', type=int, default=1)
    p.add_argument('--sequential', action='store_true',
                   help='one caller, back-to-back calls: clean latency (same as --concurrency 1)')
    p.add_argument('--seconds', type=float, default=10.0)
    p.add_argument('--warmup', type=float, default=2.0)
    p.add_argument('--transport', choices=('shared', 'per-caller'), default='shared')
    p.add_argument('--method', default='noop')
    p.add_argument('--version', default='1.3')
    p.add_argument('--exchange', default='nova')
    p.add_argument('--timeout', type=float, default=30.0, help='rpc_response_timeout per call, s')
    a = p.parse_args(argv)
    if a.sequential:
        a.concurrency = 1
    if a.concurrency < 1 or a.seconds <= 0 or a.warmup < 0:
        p.error('--concurrency must be >= 1, --seconds > 0, --warmup >= 0')
    return a


def configure(exchange):
    # The global cfg.CONF, as OpenStack services use: the RPC client reads
    # options (oslo_messaging_metrics) that oslo registers only there.
    conf = cfg.CONF
    messaging.set_transport_defaults(exchange)
    conf([], project='bench-py-load')
    # A send connection per concurrent caller, so callers never queue for oslo's
    # pool (default 30). The driver registers this option only when it loads, so
    # register it (the same definition) first to be able to override it.
    pool_opts = [o for group, opts in messaging.opts.list_opts() if group is None
                 for o in opts if o.name == 'rpc_conn_pool_size']
    conf.register_opts(pool_opts, group='oslo_messaging_rabbit')
    conf.set_override('rpc_conn_pool_size', 128, group='oslo_messaging_rabbit')
    return conf


def make_transport(conf, url):
    return messaging.get_rpc_transport(conf, url=url)


def main(argv):
    a = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    conf = configure(a.exchange)
    transports = []

    def client_for():
        if a.transport == 'shared':
            if not transports:
                transports.append(make_transport(conf, a.url))
            t = transports[0]
        else:
            t = make_transport(conf, a.url)
            transports.append(t)
        c = messaging.get_rpc_client(t, messaging.Target(topic=a.topic, exchange=a.exchange),
                                     timeout=a.timeout)
        return c.prepare(server=a.server, version=a.version)

    clients = [client_for() for _ in range(a.concurrency)]
    lat = [[] for _ in range(a.concurrency)]
    errors = [0] * a.concurrency
    first_error = []
    barrier = threading.Barrier(a.concurrency + 1)
    window = {}

    def caller(i):
        call = clients[i].call
        mine = lat[i]
        ctxt = {}
        barrier.wait()
        t_start, t_end = window['start'], window['end']
        clock = time.perf_counter
        while True:
            t0 = clock()
            if t0 >= t_end:
                return
            try:
                call(ctxt, a.method)
            except Exception as exc:  # reported; any error fails the run in the driver
                errors[i] += 1
                if not first_error:
                    first_error.append('%s: %s' % (type(exc).__name__, exc))
                if not isinstance(exc, messaging.MessagingTimeout):
                    return  # a broken set-up would otherwise spin here
                continue
            t1 = clock()
            if t0 >= t_start and t1 <= t_end:
                mine.append(t1 - t0)

    threads = [threading.Thread(target=caller, args=(i,), daemon=True) for i in range(a.concurrency)]
    for t in threads:
        t.start()
    now = time.perf_counter()
    window['start'] = now + a.warmup
    window['end'] = window['start'] + a.seconds
    barrier.wait()
    time.sleep(max(0.0, window['start'] - time.perf_counter()))
    # Markers let a driver sample the server's CPU over exactly the window.
    sys.stdout.write('WINDOW START\n')
    sys.stdout.flush()
    ru0 = resource.getrusage(resource.RUSAGE_SELF)
    time.sleep(max(0.0, window['end'] - time.perf_counter()))
    ru1 = resource.getrusage(resource.RUSAGE_SELF)
    sys.stdout.write('WINDOW END\n')
    sys.stdout.flush()
    for t in threads:
        t.join(a.timeout + 10)

    all_lat = sorted(x for per in lat for x in per)
    ms = lambda v: None if v is None else round(v * 1000.0, 3)
    out = {
        'concurrency': a.concurrency,
        'transport': a.transport,
        'seconds': a.seconds,
        'count': len(all_lat),
        'errors': sum(errors),
        'first_error': first_error[0] if first_error else None,
        'throughput_per_s': round(len(all_lat) / a.seconds, 1),
        'p50_ms': ms(percentile(all_lat, 50)),
        'p90_ms': ms(percentile(all_lat, 90)),
        'p99_ms': ms(percentile(all_lat, 99)),
        'mean_ms': ms(sum(all_lat) / len(all_lat)) if all_lat else None,
        'max_ms': ms(all_lat[-1]) if all_lat else None,
        'client_cpu_s': round((ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime), 2),
    }
    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()
    for t in transports:
        try:
            t.cleanup()
        except Exception:
            pass
    return 0 if out['count'] > 0 and out['errors'] == 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
