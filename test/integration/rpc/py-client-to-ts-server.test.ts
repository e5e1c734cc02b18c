/**
 * A real Python oslo.messaging 14 RPCClient (Debian's /usr/bin/python3) against
 * our RpcServer, on the real broker. Besides checking what the Python caller
 * gets, the "same as a Python server" tests send each request to a real Python
 * oslo.messaging server as well and require the Python caller to see the same
 * outcome from both.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { AmqpBus } from '../../../src/rpc/amqp-bus.js';
import type { RpcEndpoint } from '../../../src/rpc/rpc-endpoint.js';
import { RpcServer } from '../../../src/rpc/rpc-server.js';
import { DEFAULT_TOPOLOGY_FLAGS } from '../../../src/rpc/topology.js';
import { echoEndpoint, type EchoRecorder } from '../../fixtures/echo-endpoint.js';
import {
  capturingLogger,
  deleteTopology,
  type PeerCommand,
  type PeerResult,
  PyPeer,
  PyServer,
  testBus,
  testNames,
  uniqueName,
  waitFor,
} from './rpc-test-env.js';

const { exchange, topic } = testNames('ndb-pyc');
const pyTopic = `${topic}-py`;
const SERVERS = ['alpha', 'beta'] as const;
const BRIDGE_EXMODS = ['nova_docker_bridge.exception'];

/** What our test endpoints add to the echo fixture: the request context as the endpoint sees it. */
const contextEndpoint: RpcEndpoint = {
  version: '1.3',
  methods: {
    whoami: (ctx) => ({ requestId: ctx.requestId ?? null, authToken: ctx.authToken ?? null, clientTimeout: ctx.clientTimeout, values: ctx.values }),
  },
};
/** Like Nova's BaseRPCAPI: a namespaced endpoint next to the manager; py_rpc_server.py has the same. */
const baseApiEndpoint: RpcEndpoint = { namespace: 'baseapi', version: '1.1', methods: { ping: (_ctx, args) => ({ pong: args.arg }) } };

interface Ours {
  bus: AmqpBus;
  server: RpcServer;
  recorder: EchoRecorder;
}

const ours = new Map<string, Ours>();
let peer: PyPeer;
let pyServer: PyServer;

beforeAll(async () => {
  const start = async (name: string): Promise<void> => {
    const recorder: EchoRecorder = { casts: [] };
    const bus = testBus(uniqueName(`ndb-pyc-${name}`), capturingLogger().logger);
    await bus.start();
    const server = new RpcServer({
      bus,
      exchange,
      topic,
      server: name,
      flags: DEFAULT_TOPOLOGY_FLAGS,
      endpoints: [echoEndpoint(recorder), contextEndpoint, baseApiEndpoint],
      pingEnabled: true,
      maxInFlight: 8,
      logger: capturingLogger().logger,
    });
    await server.start();
    ours.set(name, { bus, server, recorder });
  };
  // Python start-up takes seconds: overlap it with ours.
  const [p, s] = await Promise.all([PyPeer.start(), PyServer.start(exchange, pyTopic, 'alpha'), ...SERVERS.map(start)]);
  peer = p as PyPeer;
  pyServer = s as PyServer;
});

afterAll(async () => {
  await peer?.close();
  await pyServer?.stop();
  for (const o of ours.values()) {
    await o.server.stop(5000);
    await o.bus.close();
  }
  await deleteTopology({
    queues: [topic, ...SERVERS.map((s) => `${topic}.${s}`), pyTopic, `${pyTopic}.alpha`],
    exchanges: [exchange],
  });
});

function ourServer(name: string): Ours {
  const o = ours.get(name);
  if (!o) throw new Error(`server ${name} did not start`);
  return o;
}

const toOurs = (cmd: Omit<PeerCommand, 'exchange' | 'topic'>): PeerCommand => ({ exchange, topic, server: 'alpha', ...cmd });

describe('Python RPCClient → our server', () => {
  test('call: arguments (unicode, floats, nesting) and result round-trip; the context reaches the endpoint', async () => {
    const args = { a: 1, b: 'two', c: [1, 2], d: { k: null }, u: 'héllo € 😀', f: 1e-5, g: 3.5, big: 2 ** 53 };
    const context = { request_id: 'req-11111111-2222-3333-4444-555555555555', user_id: 'u1', roles: ['admin'], auth_token: 'tok', is_admin: false };
    expect(await peer.callOk(toOurs({ method: 'echo', args, context }))).toEqual({ ctxt: { ...context, client_timeout: null }, kw: args });
    expect(await peer.callOk(toOurs({ method: 'whoami', context }))).toEqual({
      requestId: context.request_id,
      authToken: 'tok',
      clientTimeout: null,
      values: { ...context, client_timeout: null },
    });
  });

  test('call without a server (topic queue) is served by one of the servers', async () => {
    expect(await peer.callOk(toOurs({ server: null, method: 'echo', args: { x: 1 } }))).toEqual({ ctxt: { client_timeout: null }, kw: { x: 1 } });
  });

  test('version 1.2 is served by the 1.3 endpoint; a namespaced call reaches the namespaced endpoint', async () => {
    expect(await peer.callOk(toOurs({ method: 'echo', version: '1.2', timeout: 7, args: { x: 1 } }))).toEqual({ ctxt: { client_timeout: null }, kw: { x: 1 } });
    expect(await peer.callOk(toOurs({ method: 'ping', namespace: 'baseapi', version: '1.1', args: { arg: 'hi' } }))).toEqual({ pong: 'hi' });
  });

  test('cast reaches only the addressed server, with its arguments and context', async () => {
    const mark = uniqueName('cast');
    const r = await peer.cast(toOurs({ method: 'note', args: { mark }, context: { request_id: 'req-cast' } }));
    expect(r.ok).toBe(true);
    const alpha = ourServer('alpha').recorder;
    const got = await waitFor(() => alpha.casts.find((c) => c.args.mark === mark), { what: 'the cast on alpha' });
    expect(got).toEqual({ method: 'note', args: { mark }, context: { request_id: 'req-cast', client_timeout: null } });
    // A call to beta afterwards is ordered behind anything already routed to it.
    await peer.callOk(toOurs({ server: 'beta', method: 'echo' }));
    expect(ourServer('beta').recorder.casts.some((c) => c.args.mark === mark)).toBe(false);
  });

  test('fanout cast reaches every server of the topic', async () => {
    const mark = uniqueName('fanout');
    expect((await peer.cast(toOurs({ server: null, fanout: true, method: 'note', args: { mark } }))).ok).toBe(true);
    for (const name of SERVERS) {
      const rec = ourServer(name).recorder;
      await waitFor(() => rec.casts.find((c) => c.args.mark === mark), { what: `the fanout cast on ${name}` });
    }
  });

  test('oslo_rpc_server_ping answers "pong" (rpc_ping_enabled)', async () => {
    expect(await peer.callOk(toOurs({ method: 'oslo_rpc_server_ping' }))).toBe('pong');
  });

  test('an error without allowed_remote_exmods arrives as RemoteError naming our class', async () => {
    const r = await peer.call(toOurs({ method: 'boom', args: { what: 'disk full' } }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error).toMatchObject({ module: 'oslo_messaging.rpc.client', class: 'RemoteError', exc_type: 'Conflict', value: 'Proto failure: disk full' });
  });

  test('an error with allowed_remote_exmods is re-raised as nova_docker_bridge.exception.Conflict', async () => {
    const r = await peer.call(toOurs({ method: 'boom', args: { what: 'disk full' }, allowed_remote_exmods: BRIDGE_EXMODS }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.module).toBe('nova_docker_bridge.exception_Remote');
    expect(r.error.class).toBe('Conflict_Remote');
    expect(r.error.mro).toContain('nova_docker_bridge.exception.Conflict');
    expect(r.error.mro).toContain('nova_docker_bridge.exception.BridgeError');
    expect(r.error.str.split('\n')[0]).toBe('Proto failure: disk full');
    expect(r.error.kwargs).toEqual({ code: 'ERR_CONFLICT', fault: 'client', what: 'disk full' });
  });

  test('unknown and private methods → NoSuchMethod; unsupported version → UnsupportedVersion', async () => {
    const expectRemote = (r: PeerResult, excType: string, value: string): void => {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatchObject({ class: 'RemoteError', exc_type: excType, value });
    };
    expectRemote(await peer.call(toOurs({ method: 'does_not_exist' })), 'NoSuchMethod', 'Endpoint does not support RPC method does_not_exist');
    expectRemote(await peer.call(toOurs({ method: '_private' })), 'NoSuchMethod', 'Endpoint does not support RPC method _private');
    expectRemote(
      await peer.call(toOurs({ method: 'echo', version: '1.4' })),
      'UnsupportedVersion',
      'Endpoint does not support RPC version 1.4. Attempted method: echo',
    );
  });

  test('a call longer than call_monitor_timeout succeeds thanks to our heartbeats', async () => {
    // Without heartbeats the Python caller gives up after call_monitor_timeout (2 s), whatever its timeout.
    const r = await peer.call(toOurs({ method: 'slow', args: { seconds: 4.5 }, call_monitor_timeout: 2, timeout: 20 }));
    expect(r).toMatchObject({ ok: true, result: 'slept 4.5' });
    expect(r.elapsed).toBeGreaterThanOrEqual(4.5);
  });
});

/** What a Python caller can observe, without the parts that differ by nature (tracebacks, elapsed time). */
function observable(r: PeerResult): Record<string, unknown> {
  if (r.ok) return { ok: true, result: r.result };
  const e = r.error;
  return {
    ok: false,
    type: `${e.module}.${e.class}`,
    firstLine: e.str.split('\n')[0],
    exc_type: e.exc_type,
    value: e.value,
    kwargs: e.kwargs,
    // The class hierarchy, minus the per-call _Remote class itself.
    bases: e.mro.slice(1),
  };
}

describe('the Python caller cannot tell our server from a Python oslo.messaging server', () => {
  const context = { request_id: 'req-diff', user_id: 'u', roles: ['reader'] };
  const SCENARIOS: Array<[string, Omit<PeerCommand, 'exchange' | 'topic' | 'server'>, 'ok' | 'raises']> = [
    ['echo with context and unicode', { method: 'echo', args: { s: 'héllo € 😀', n: [1, 2.5, null], f: 1e-7 }, context }, 'ok'],
    ['echo at version 1.2', { method: 'echo', version: '1.2' }, 'ok'],
    ['echo at version 1.3.0', { method: 'echo', version: '1.3.0' }, 'ok'],
    ['namespaced ping', { method: 'ping', namespace: 'baseapi', version: '1.0', args: { arg: 7 } }, 'ok'],
    ['namespace mismatch', { method: 'echo', namespace: 'other' }, 'raises'],
    ['namespace with a too new version', { method: 'ping', namespace: 'baseapi', version: '1.2', args: { arg: 1 } }, 'raises'],
    ['oslo ping', { method: 'oslo_rpc_server_ping' }, 'ok'],
    ['oslo ping at 1.1 (a 1.3 endpoint lacks it)', { method: 'oslo_rpc_server_ping', version: '1.1' }, 'raises'],
    ['no such method', { method: 'nope' }, 'raises'],
    ['private method', { method: '_private' }, 'raises'],
    ['unsupported version', { method: 'echo', version: '1.4' }, 'raises'],
    ['other major', { method: 'echo', version: '2.0' }, 'raises'],
    ['version without minor (IndexError)', { method: 'echo', version: '1' }, 'raises'],
    ['unparsable version (ValueError)', { method: 'echo', version: '1.x' }, 'raises'],
    ['our error, RemoteError', { method: 'boom', args: { what: 'disk full' } }, 'raises'],
    ['our error, re-raised', { method: 'boom', args: { what: 'disk full' }, allowed_remote_exmods: BRIDGE_EXMODS }, 'raises'],
    ['NoSuchMethod with the dispatcher module allowed', { method: 'nope', allowed_remote_exmods: ['oslo_messaging.rpc.dispatcher'] }, 'raises'],
    ['UnsupportedVersion with the dispatcher module allowed', { method: 'echo', version: '1.9', allowed_remote_exmods: ['oslo_messaging.rpc.dispatcher'] }, 'raises'],
    ['result null', { method: 'note', args: { mark: 'call-not-cast' } }, 'ok'],
  ];

  test.each(SCENARIOS)('%s', async (_name, cmd, expected) => {
    const [fromOurs, fromPython] = await Promise.all([
      peer.call({ ...cmd, exchange, topic, server: 'alpha', timeout: 15 }),
      peer.call({ ...cmd, exchange, topic: pyTopic, server: 'alpha', timeout: 15 }),
    ]);
    expect(observable(fromOurs)).toEqual(observable(fromPython));
    expect(fromPython.ok ? 'ok' : 'raises').toBe(expected);
  });
});
