/**
 * Endpoint selection with oslo's dispatcher rules (PROTOCOL.md §3.5). Each
 * failure row was checked against oslo_messaging.rpc.dispatcher.RPCDispatcher
 * 14.0.3 fed the same message (module.class: message identical).
 */
import { describe, expect, test } from 'vitest';
import { PING_ENDPOINT, resolveMethod } from '../../../src/rpc/dispatcher.js';
import type { RemoteFailure, RpcEndpoint } from '../../../src/rpc/rpc-endpoint.js';

const ok = (name: string) => () => name;

const MANAGER: RpcEndpoint = { version: '1.3', methods: { echo: ok('manager.echo'), _private: ok('manager._private') } };
const BASEAPI: RpcEndpoint = { namespace: 'baseapi', version: '1.1', methods: { ping: ok('baseapi.ping') } };
// Nova's compute manager serves 6.x and a 5.x proxy side by side.
const V6: RpcEndpoint = { version: '6.1', methods: { build: ok('v6.build') } };
const V5: RpcEndpoint = { version: '5.13', methods: { build: ok('v5.build'), legacy: ok('v5.legacy') } };
const NO_VERSION: RpcEndpoint = { version: '', methods: { plain: ok('noversion.plain') } };

type Req = { method: string | null; version?: string; namespace?: string | null };
type Expected = { calls: string } | { fails: Pick<RemoteFailure, 'module' | 'class' | 'message'> };

const D = 'oslo_messaging.rpc.dispatcher';

const TABLE: Array<[string, RpcEndpoint[], Req, Expected]> = [
  ['exact version', [MANAGER], { method: 'echo', version: '1.3' }, { calls: 'manager.echo' }],
  ['no version means 1.0', [MANAGER], { method: 'echo' }, { calls: 'manager.echo' }],
  ['older minor', [MANAGER], { method: 'echo', version: '1.1' }, { calls: 'manager.echo' }],
  [
    'newer minor → UnsupportedVersion',
    [MANAGER],
    { method: 'echo', version: '1.4' },
    { fails: { module: D, class: 'UnsupportedVersion', message: 'Endpoint does not support RPC version 1.4. Attempted method: echo' } },
  ],
  [
    'other major → UnsupportedVersion',
    [MANAGER],
    { method: 'echo', version: '2.0' },
    { fails: { module: D, class: 'UnsupportedVersion', message: 'Endpoint does not support RPC version 2.0. Attempted method: echo' } },
  ],
  [
    'namespace mismatch → UnsupportedVersion reporting version 1.0',
    [MANAGER],
    { method: 'echo', namespace: 'other' },
    { fails: { module: D, class: 'UnsupportedVersion', message: 'Endpoint does not support RPC version 1.0. Attempted method: echo' } },
  ],
  [
    'namespaced request does not reach the null-namespace endpoint',
    [MANAGER, BASEAPI],
    { method: 'echo', namespace: 'baseapi', version: '1.1' },
    { fails: { module: D, class: 'NoSuchMethod', message: 'Endpoint does not support RPC method echo' } },
  ],
  ['namespace match', [MANAGER, BASEAPI], { method: 'ping', namespace: 'baseapi', version: '1.0' }, { calls: 'baseapi.ping' }],
  [
    'null namespace does not reach a namespaced endpoint',
    [BASEAPI],
    { method: 'ping', version: '1.0' },
    { fails: { module: D, class: 'UnsupportedVersion', message: 'Endpoint does not support RPC version 1.0. Attempted method: ping' } },
  ],
  [
    'missing method → NoSuchMethod',
    [MANAGER],
    { method: 'does_not_exist' },
    { fails: { module: D, class: 'NoSuchMethod', message: 'Endpoint does not support RPC method does_not_exist' } },
  ],
  [
    'private method → NoSuchMethod even if defined',
    [MANAGER],
    { method: '_private' },
    { fails: { module: D, class: 'NoSuchMethod', message: 'Endpoint does not support RPC method _private' } },
  ],
  [
    'inherited Object members are not methods',
    [MANAGER],
    { method: 'toString' },
    { fails: { module: D, class: 'NoSuchMethod', message: 'Endpoint does not support RPC method toString' } },
  ],
  [
    'missing "method" with a compatible endpoint → TypeError',
    [MANAGER],
    { method: null },
    { fails: { module: 'builtins', class: 'TypeError', message: "attribute name must be string, not 'NoneType'" } },
  ],
  [
    'missing "method" without a compatible endpoint → UnsupportedVersion without a method name',
    [MANAGER],
    { method: null, version: '1.9' },
    { fails: { module: D, class: 'UnsupportedVersion', message: 'Endpoint does not support RPC version 1.9' } },
  ],
  [
    'unparsable version → ValueError',
    [MANAGER],
    { method: 'echo', version: '1.x' },
    { fails: { module: 'builtins', class: 'ValueError', message: "invalid literal for int() with base 10: 'x'" } },
  ],
  [
    'version without minor → IndexError',
    [MANAGER],
    { method: 'echo', version: '1' },
    { fails: { module: 'builtins', class: 'IndexError', message: 'list index out of range' } },
  ],
  [
    'version without minor but another major → just incompatible',
    [MANAGER],
    { method: 'echo', version: '2' },
    { fails: { module: D, class: 'UnsupportedVersion', message: 'Endpoint does not support RPC version 2. Attempted method: echo' } },
  ],
  ['two majors side by side: 6.x', [V6, V5], { method: 'build', version: '6.0' }, { calls: 'v6.build' }],
  ['two majors side by side: 5.x', [V6, V5], { method: 'build', version: '5.2' }, { calls: 'v5.build' }],
  ['method only on the second compatible endpoint', [V6, V5], { method: 'legacy', version: '5.0' }, { calls: 'v5.legacy' }],
  ['endpoint without version serves 1.0', [NO_VERSION], { method: 'plain' }, { calls: 'noversion.plain' }],
  ['ping endpoint answers oslo_rpc_server_ping', [MANAGER, PING_ENDPOINT], { method: 'oslo_rpc_server_ping' }, { calls: 'pong' }],
  [
    'without the ping endpoint the ping is NoSuchMethod',
    [MANAGER],
    { method: 'oslo_rpc_server_ping' },
    { fails: { module: D, class: 'NoSuchMethod', message: 'Endpoint does not support RPC method oslo_rpc_server_ping' } },
  ],
  [
    'ping endpoint serves 1.0 only (default Target)',
    [PING_ENDPOINT],
    { method: 'oslo_rpc_server_ping', version: '1.1' },
    { fails: { module: D, class: 'UnsupportedVersion', message: 'Endpoint does not support RPC version 1.1. Attempted method: oslo_rpc_server_ping' } },
  ],
  [
    'ping at 1.1 next to a 1.3 endpoint → NoSuchMethod (the 1.3 endpoint is compatible but lacks it)',
    [MANAGER, PING_ENDPOINT],
    { method: 'oslo_rpc_server_ping', version: '1.1' },
    { fails: { module: D, class: 'NoSuchMethod', message: 'Endpoint does not support RPC method oslo_rpc_server_ping' } },
  ],
  [
    'no endpoints at all → UnsupportedVersion',
    [],
    { method: 'echo' },
    { fails: { module: D, class: 'UnsupportedVersion', message: 'Endpoint does not support RPC version 1.0. Attempted method: echo' } },
  ],
];

const signal = new AbortController().signal;
const ctx = { values: {}, requestId: undefined, authToken: undefined, clientTimeout: null };

describe('resolveMethod', () => {
  test.each(TABLE)('%s', (_name, endpoints, req, expected) => {
    const r = resolveMethod(endpoints, { method: req.method, version: req.version ?? '1.0', namespace: req.namespace ?? null });
    if ('calls' in expected) {
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.method(ctx, {}, signal)).toBe(expected.calls);
    } else {
      expect(r.ok).toBe(false);
      if (!r.ok) expect({ module: r.failure.module, class: r.failure.class, message: r.failure.message }).toEqual(expected.fails);
    }
  });

  test('the ping endpoint is frozen (shared by every server)', () => {
    expect(Object.isFrozen(PING_ENDPOINT)).toBe(true);
    expect(Object.isFrozen(PING_ENDPOINT.methods)).toBe(true);
  });
});
