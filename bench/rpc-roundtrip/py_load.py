#!/usr/bin/python3
"""Python oslo.messaging load client for the RPC round-trip benchmark.

Usage:
  /usr/bin/python3 py_load.py <transport_url> <topic> [--server S]
      [--concurrency N | --sequential] [--processes P] [--seconds D]
      [--warmup W] [--transport shared|per-caller] [--method noop]
      [--version 1.3]

N callers, spread over P client processes (threads inside each), each loop on
a blocking RPCClient.call of a no-op method. After W seconds of warm-up (reply
queues declared, connection pools filled, caches warm on both sides) every
call that *starts* inside the next D seconds and finishes before the window
closes is counted and its latency recorded.

--transport shared     one oslo transport per client process (one reply queue,
                       one reply-waiter thread, one send pool) for all its
                       callers: how a real OpenStack service calls, and the
                       cheaper client (measured: it loads both servers harder).
--transport per-caller one transport per caller thread.
--processes P          one Python process holds the GIL for all its callers
                       and tops out near one core; P > 1 splits the callers
                       so that a fast server is not capped by the client.

Prints "WINDOW START" and "WINDOW END" when the measured window opens and
closes, then one JSON object as the last line of stdout: count, errors,
throughput_per_s, p50_ms, p90_ms, p99_ms, mean_ms, max_ms, plus the client's
own CPU use over the window so readers can see how much of the machine the
load generator took. Exit status 1 when any call failed.
"""
import argparse
import json
import logging
import multiprocessing
import resource
import sys
import threading
import time

from oslo_config import cfg
import oslo_messaging as messaging
import oslo_messaging.opts  # noqa: F401  (messaging.opts.list_opts)

# CLOCK_MONOTONIC is system-wide on Linux, so all client processes share one window.
clock = time.monotonic


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
    p.add_argument('--processes', type=int, default=1,
                   help='client processes the callers are spread over (capped at --concurrency)')
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
    if a.concurrency < 1 or a.processes < 1 or a.seconds <= 0 or a.warmup < 0:
        p.error('--concurrency and --processes must be >= 1, --seconds > 0, --warmup >= 0')
    a.processes = min(a.processes, a.concurrency)
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


def cpu_seconds():
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def run_callers(a, n, ready, window_start, go, results):
    """One client process: n caller threads; sends its latencies and CPU use to `results`."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    conf = configure(a.exchange)
    transports = []

    def client_for():
        if a.transport == 'shared':
            if not transports:
                transports.append(messaging.get_rpc_transport(conf, url=a.url))
            t = transports[0]
        else:
            t = messaging.get_rpc_transport(conf, url=a.url)
            transports.append(t)
        c = messaging.get_rpc_client(t, messaging.Target(topic=a.topic, exchange=a.exchange),
                                     timeout=a.timeout)
        return c.prepare(server=a.server, version=a.version)

    clients = [client_for() for _ in range(n)]
    lat = [[] for _ in range(n)]
    errors = [0] * n
    first_error = []
    ready.wait()  # every process built its clients
    go.wait()  # the parent has fixed the window
    t_start = window_start.value
    t_end = t_start + a.seconds

    def caller(i):
        call = clients[i].call
        mine = lat[i]
        ctxt = {}
        while True:
            t0 = clock()
            if t0 >= t_end:
                return
            try:
                call(ctxt, a.method)
            except Exception as exc:  # reported; any error fails the run
                errors[i] += 1
                if not first_error:
                    first_error.append('%s: %s' % (type(exc).__name__, exc))
                if not isinstance(exc, messaging.MessagingTimeout):
                    return  # a broken set-up would otherwise spin here
                continue
            t1 = clock()
            if t0 >= t_start and t1 <= t_end:
                mine.append(t1 - t0)

    threads = [threading.Thread(target=caller, args=(i,), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    time.sleep(max(0.0, t_start - clock()))
    cpu0 = cpu_seconds()
    time.sleep(max(0.0, t_end - clock()))
    cpu1 = cpu_seconds()
    stuck = 0
    deadline = t_end + a.timeout + 10
    for t in threads:
        t.join(max(0.0, deadline - clock()))
        stuck += t.is_alive()
    results.put({
        'latencies': [x for per in lat for x in per],
        'errors': sum(errors) + stuck,
        'first_error': first_error[0] if first_error else
        ('%d caller(s) still waiting for a reply %.0f s after the window' % (stuck, a.timeout + 10)
         if stuck else None),
        'cpu_s': cpu1 - cpu0,
    })
    for t in transports:
        try:
            t.cleanup()
        except Exception:
            pass


def main(argv):
    a = parse_args(argv)
    # fork: children inherit the parsed arguments; no transport or thread exists yet.
    ctx = multiprocessing.get_context('fork')
    ready = ctx.Barrier(a.processes + 1)
    go = ctx.Barrier(a.processes + 1)
    window_start = ctx.Value('d', 0.0)
    results = ctx.Queue()
    shares = [a.concurrency // a.processes + (1 if i < a.concurrency % a.processes else 0)
              for i in range(a.processes)]
    procs = [ctx.Process(target=run_callers, args=(a, n, ready, window_start, go, results), daemon=True)
             for n in shares]
    for p in procs:
        p.start()
    try:
        ready.wait(timeout=120)
    except threading.BrokenBarrierError:
        sys.stderr.write('client processes did not connect within 120 s\n')
        return 1
    window_start.value = clock() + a.warmup
    go.wait()
    time.sleep(max(0.0, window_start.value - clock()))
    # Markers let a driver sample the server's CPU over exactly the window.
    sys.stdout.write('WINDOW START\n')
    sys.stdout.flush()
    time.sleep(max(0.0, window_start.value + a.seconds - clock()))
    sys.stdout.write('WINDOW END\n')
    sys.stdout.flush()

    parts = []
    for _ in procs:
        try:
            parts.append(results.get(timeout=a.timeout + 60))
        except Exception:
            break
    for p in procs:
        p.join(10)
    if len(parts) < len(procs):
        sys.stderr.write('%d of %d client processes reported no result\n' % (len(procs) - len(parts), len(procs)))
        return 1

    all_lat = sorted(x for part in parts for x in part['latencies'])
    ms = lambda v: None if v is None else round(v * 1000.0, 3)
    errors = sum(part['errors'] for part in parts)
    first_errors = [part['first_error'] for part in parts if part['first_error']]
    out = {
        'concurrency': a.concurrency,
        'processes': a.processes,
        'transport': a.transport,
        'seconds': a.seconds,
        'count': len(all_lat),
        'errors': errors,
        'first_error': first_errors[0] if first_errors else None,
        'throughput_per_s': round(len(all_lat) / a.seconds, 1),
        'p50_ms': ms(percentile(all_lat, 50)),
        'p90_ms': ms(percentile(all_lat, 90)),
        'p99_ms': ms(percentile(all_lat, 99)),
        'mean_ms': ms(sum(all_lat) / len(all_lat)) if all_lat else None,
        'max_ms': ms(all_lat[-1]) if all_lat else None,
        'client_cpu_s': round(sum(part['cpu_s'] for part in parts), 2),
    }
    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()
    return 0 if out['count'] > 0 and errors == 0 else 1


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
