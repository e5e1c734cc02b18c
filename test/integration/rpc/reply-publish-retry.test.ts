/**
 * A reply the broker never confirmed (the connection went while it was being
 * published) is published again, as oslo's direct_send retries: on the real
 * broker, with the loss injected at the bus port for the first reply only.
 */
import { afterAll, expect, test } from 'vitest';
import { BridgeError } from '../../../src/errors/bridge-error.js';
import type { Bus } from '../../../src/rpc/bus.js';
import { RpcClient } from '../../../src/rpc/rpc-client.js';
import { RpcServer } from '../../../src/rpc/rpc-server.js';
import { DEFAULT_TOPOLOGY_FLAGS } from '../../../src/rpc/topology.js';
import { echoEndpoint } from '../../fixtures/echo-endpoint.js';
import { capturingLogger, deleteTopology, testBus, testNames, uniqueName } from './rpc-test-env.js';

const SERVER = 'srv';
const { exchange, topic } = testNames('ndb-rpl');
const log = capturingLogger();
const bus = testBus(uniqueName('ndb-rpl-server'), log.logger);
const clientBus = testBus(uniqueName('ndb-rpl-client'), capturingLogger().logger);
let server: RpcServer | undefined;
let client: RpcClient | undefined;

afterAll(async () => {
  await client?.close();
  await server?.stop(2000);
  await clientBus.close();
  await bus.close();
  await deleteTopology({ queues: [topic, `${topic}.${SERVER}`], exchanges: [exchange] });
});

test('a reply whose confirm was lost with the connection is sent again and reaches the caller', async () => {
  await bus.start();
  let lost = 0;
  // The server's view of the bus: its first reply (to the default exchange) is "not confirmed".
  const flaky: Bus = new Proxy(bus, {
    get(target, prop, receiver) {
      if (prop === 'publish') {
        return async (...a: Parameters<Bus['publish']>) => {
          if (a[0] === '' && lost === 0) {
            lost++;
            throw new BridgeError('ERR_BUS_UNAVAILABLE', 'broker did not confirm publish (injected: channel closed)');
          }
          return target.publish(...a);
        };
      }
      const v = Reflect.get(target, prop, receiver) as unknown;
      return typeof v === 'function' ? (v as (...x: unknown[]) => unknown).bind(target) : v;
    },
  });
  server = new RpcServer({ bus: flaky, exchange, topic, server: SERVER, flags: DEFAULT_TOPOLOGY_FLAGS, endpoints: [echoEndpoint()], pingEnabled: false, maxInFlight: 4, logger: log.logger });
  await server.start();
  await clientBus.start();
  client = new RpcClient({ bus: clientBus, exchange, topic, server: SERVER, timeoutMs: 10_000, flags: DEFAULT_TOPOLOGY_FLAGS });
  expect(await client.call('echo', { n: 1 })).toEqual({ ctxt: { client_timeout: null }, kw: { n: 1 } });
  expect(lost).toBe(1);
  expect(log.lines().some((l) => l.msg === 'reply not confirmed by the broker; sending it again')).toBe(true);
});
