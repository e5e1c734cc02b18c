/**
 * Our RPC server for the round-trip benchmark: the production AmqpBus and
 * RpcServer from src/rpc with one endpoint (version 1.3) whose `noop` method
 * returns null, the exact counterpart of py_server.py. Settings mirror oslo's
 * defaults and test/fixtures/run-echo-server.ts (heartbeat 60 s, 64 requests
 * in flight = executor_thread_pool_size). The fixture itself is not used
 * because its only null-returning method (`note`) writes a line to stdout per
 * request, which would bill the benchmark for test plumbing.
 *
 * Usage: tsx bench/rpc-roundtrip/ts-server.ts <url> <topic> <server> [maxInFlight]
 * Prints READY when consuming; exits 0 on SIGTERM after draining.
 */
import { createLogger } from '../../src/log/logger.js';
import { AmqpBus } from '../../src/rpc/amqp-bus.js';
import { RpcServer } from '../../src/rpc/rpc-server.js';
import type { RpcEndpoint } from '../../src/rpc/rpc-endpoint.js';
import { DEFAULT_TOPOLOGY_FLAGS } from '../../src/rpc/topology.js';
import { parseTransportUrl } from '../../src/rpc/transport-url.js';

const [url, topic, server, max = '64'] = process.argv.slice(2);
if (!url || !topic || !server || !(Number(max) >= 1)) {
  process.stderr.write('usage: tsx bench/rpc-roundtrip/ts-server.ts <transport_url> <topic> <server> [maxInFlight>=1]\n');
  process.exit(2);
}
// Warnings only, like py_server.py: per-request logging is not what is measured.
const logger = createLogger({ level: 'warning', format: 'text' });
const bus = new AmqpBus({
  url: parseTransportUrl(url),
  logger,
  heartbeatSeconds: 60,
  retryIntervalSeconds: 1,
  retryBackoffSeconds: 2,
  intervalMaxSeconds: 30,
  publishTimeoutMs: 10_000,
});
const noopEndpoint: RpcEndpoint = { version: '1.3', methods: { noop: () => null } };
const rpc = new RpcServer({
  bus,
  exchange: 'nova',
  topic,
  server,
  flags: DEFAULT_TOPOLOGY_FLAGS,
  endpoints: [noopEndpoint],
  maxInFlight: Number(max),
  logger,
});
await bus.start();
await rpc.start();
process.stdout.write('READY\n');
let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void (async () => {
    await rpc.stop(10_000);
    await bus.close();
    process.stdout.write('STOPPED\n');
    process.exit(0);
  })();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
