/**
 * Our RpcClient against real Python oslo.messaging 14 RPC servers
 * (test/interop/py_rpc_server.py, two of them on one topic), on the real broker.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type BridgeError, isBridgeError } from '../../../src/errors/bridge-error.js';
import type { AmqpBus } from '../../../src/rpc/amqp-bus.js';
import { RemoteRpcError } from '../../../src/rpc/remote-failure.js';
import { RpcClient } from '../../../src/rpc/rpc-client.js';
import { DEFAULT_TOPOLOGY_FLAGS } from '../../../src/rpc/topology.js';
import { capturingLogger, deleteTopology, PyServer, testBus, testNames, uniqueName } from './rpc-test-env.js';

const { exchange, topic } = testNames('ndb-tsc');
const SERVERS = ['alpha', 'beta'] as const;

let bus: AmqpBus;
let client: RpcClient;
const py = new Map<string, PyServer>();

beforeAll(async () => {
  bus = testBus(uniqueName('ndb-tsc-client'), capturingLogger().logger);
  const servers = await Promise.all(SERVERS.map((s) => PyServer.start(exchange, topic, s)));
  servers.forEach((s, i) => py.set(SERVERS[i] ?? '', s));
  await bus.start();
  client = new RpcClient({ bus, exchange, topic, server: 'alpha', timeoutMs: 15_000, flags: DEFAULT_TOPOLOGY_FLAGS });
});

afterAll(async () => {
  await client?.close();
  await bus?.close();
  await Promise.all([...py.values()].map((s) => s.stop()));
  await deleteTopology({ queues: [topic, ...SERVERS.map((s) => `${topic}.${s}`)], exchanges: [exchange] });
});

function pyServer(name: string): PyServer {
  const s = py.get(name);
  if (!s) throw new Error(`Python server ${name} did not start`);
  return s;
}

/** The error a call rejected with (fails the test if it resolved). */
async function rejection(p: Promise<unknown>): Promise<BridgeError> {
  try {
    const v = await p;
    throw new Error(`expected a rejection, got ${JSON.stringify(v)}`);
  } catch (err) {
    if (!isBridgeError(err)) throw err;
    return err;
  }
}

describe('our RpcClient → Python oslo.messaging server', () => {
  test('call: arguments and result round-trip, the context reaches the Python endpoint', async () => {
    const args = { a: 1, b: 'two', c: [1, 2], d: { k: null }, u: 'héllo € 😀', f: 1e-5, g: 3.5 };
    const context = { request_id: 'req-22222222-0000-4000-8000-000000000000', user_id: 'u1', roles: ['admin'] };
    expect(await client.call('echo', args, { context })).toEqual({ ctxt: { ...context, client_timeout: null }, kw: args });
  });

  test('call without a server goes to the topic queue and is answered', async () => {
    expect(await client.call('echo', { x: 1 }, { server: null })).toEqual({ ctxt: { client_timeout: null }, kw: { x: 1 } });
  });

  test('version and namespace', async () => {
    expect(await client.call('echo', {}, { version: '1.2' })).toEqual({ ctxt: { client_timeout: null }, kw: {} });
    expect(await client.call('ping', { arg: 'hi' }, { namespace: 'baseapi', version: '1.1' })).toEqual({ pong: 'hi' });
  });

  test('cast reaches the addressed Python server only', async () => {
    const mark = uniqueName('cast');
    await client.cast('note', { mark }, { context: { request_id: 'req-cast' } });
    const got = await pyServer('alpha').waitForCast((c) => c.args.mark === mark);
    expect(got).toEqual({ method: 'note', args: { mark }, context: { request_id: 'req-cast', client_timeout: null } });
    // beta gets a call after the cast; had the cast been routed to beta it would have arrived first.
    await client.call('echo', {}, { server: 'beta' });
    expect(pyServer('beta').casts.some((c) => c.args.mark === mark)).toBe(false);
  });

  test('fanout reaches every Python server of the topic', async () => {
    const mark = uniqueName('fanout');
    await client.fanout('note', { mark });
    await Promise.all(SERVERS.map((s) => pyServer(s).waitForCast((c) => c.args.mark === mark)));
  });

  test('oslo_rpc_server_ping → "pong" (rpc_ping_enabled on the Python server)', async () => {
    expect(await client.call('oslo_rpc_server_ping')).toBe('pong');
  });

  test('a nova_docker_bridge.exception class raised in Python maps back to our error code', async () => {
    const e = await rejection(client.call('boom', { what: 'disk full' }));
    expect(e).toBeInstanceOf(RemoteRpcError);
    const r = e as RemoteRpcError;
    expect(r.code).toBe('ERR_CONFLICT');
    expect([r.remoteModule, r.remoteClass, r.remoteMessage]).toEqual(['nova_docker_bridge.exception', 'Conflict', 'Proto failure: disk full']);
    expect(r.remoteKwargs).toEqual({ code: 'ERR_CONFLICT', fault: 'client', what: 'disk full' });
    expect(r.remoteTraceback.at(-1)).toBe('nova_docker_bridge.exception.Conflict: Proto failure: disk full\n');
  });

  test('an application exception arrives as RemoteRpcError (ERR_RPC_REMOTE) with class, module, args and kwargs', async () => {
    const e = (await rejection(client.call('boom', { what: 'no disk', kind: 'custom' }))) as RemoteRpcError;
    expect(e).toBeInstanceOf(RemoteRpcError);
    expect(e.code).toBe('ERR_RPC_REMOTE');
    expect([e.remoteModule, e.remoteClass, e.remoteMessage]).toEqual(['interop_exc', 'InteropError', 'Interop failure: no disk']);
    expect(e.remoteArgs).toEqual(['Interop failure: no disk']);
    expect(e.remoteKwargs).toEqual({ what: 'no disk', code: 500 });
    expect(e.message).toBe('Remote error: InteropError Interop failure: no disk');
  });

  test('a builtin exception keeps its builtins module', async () => {
    const e = (await rejection(client.call('boom', { what: 'x', kind: 'value' }))) as RemoteRpcError;
    expect([e.code, e.remoteModule, e.remoteClass, e.remoteMessage]).toEqual(['ERR_RPC_REMOTE', 'builtins', 'ValueError', 'bad value: x']);
  });

  test('unknown and private methods → ERR_NO_SUCH_METHOD; unsupported version → ERR_UNSUPPORTED_VERSION', async () => {
    const nsm = (await rejection(client.call('does_not_exist'))) as RemoteRpcError;
    expect([nsm.code, nsm.remoteModule, nsm.remoteClass, nsm.remoteMessage]).toEqual([
      'ERR_NO_SUCH_METHOD',
      'oslo_messaging.rpc.dispatcher',
      'NoSuchMethod',
      'Endpoint does not support RPC method does_not_exist',
    ]);
    expect((await rejection(client.call('_private'))).code).toBe('ERR_NO_SUCH_METHOD');
    const uv = (await rejection(client.call('echo', {}, { version: '1.4' }))) as RemoteRpcError;
    expect([uv.code, uv.remoteMessage]).toEqual(['ERR_UNSUPPORTED_VERSION', 'Endpoint does not support RPC version 1.4. Attempted method: echo']);
    expect((await rejection(client.call('echo', {}, { namespace: 'other' }))).code).toBe('ERR_UNSUPPORTED_VERSION');
  });

  test('a call longer than callMonitorTimeout succeeds on the Python server\'s heartbeats', async () => {
    const started = Date.now();
    expect(await client.call('slow', { seconds: 3.5 }, { callMonitorTimeout: 2, timeoutMs: 20_000 })).toBe('slept 3.5');
    expect(Date.now() - started).toBeGreaterThanOrEqual(3500);
  });

  test('without heartbeats the call monitor gives up after callMonitorTimeout, not the overall timeout', async () => {
    const started = Date.now();
    // Nobody consumes this server's queue: no reply and no heartbeat will come.
    const e = await rejection(client.call('echo', {}, { server: 'nobody', callMonitorTimeout: 1, timeoutMs: 20_000 }));
    const elapsed = Date.now() - started;
    expect(e.code).toBe('ERR_RPC_TIMEOUT');
    expect(e.details).toMatchObject({ call_monitor: true, method: 'echo' });
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(elapsed).toBeLessThan(5000);
  });

  test('timeout → ERR_RPC_TIMEOUT; the late reply is dropped and the client keeps working', async () => {
    const started = Date.now();
    const e = await rejection(client.call('slow', { seconds: 2 }, { timeoutMs: 800 }));
    const elapsed = Date.now() - started;
    expect(e.code).toBe('ERR_RPC_TIMEOUT');
    expect(e.details).toMatchObject({ call_monitor: false, timeout_ms: 800 });
    expect(elapsed).toBeGreaterThanOrEqual(790);
    expect(elapsed).toBeLessThan(3000);
    // Slow is still running on alpha (threading executor); its late reply must not disturb this call.
    expect(await client.call('echo', { after: 'timeout' }, { server: 'beta' })).toEqual({ ctxt: { client_timeout: null }, kw: { after: 'timeout' } });
  });

  test('concurrent calls are matched to their own replies', async () => {
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => client.call('echo', { i }, { server: i % 2 ? 'alpha' : 'beta' })));
    expect(results).toEqual(Array.from({ length: 40 }, (_, i) => ({ ctxt: { client_timeout: null }, kw: { i } })));
  });
});
