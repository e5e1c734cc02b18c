/**
 * Endpoint selection with oslo.messaging's rules (`rpc/dispatcher.py`):
 * an endpoint matches when its namespace equals the request's (null matches
 * only requests without one) and its version is compatible; names starting
 * with "_" are never callable. No compatible endpoint → UnsupportedVersion;
 * compatible endpoints without the method → NoSuchMethod.
 */
import type { RemoteFailure, RpcEndpoint, RpcMethod } from './rpc-endpoint.js';
import { builtinFailure, noSuchMethodFailure, unsupportedVersionFailure } from './remote-failure.js';
import { isVersionCompatible, VersionError } from './rpc-version.js';

export type Resolution = { ok: true; method: RpcMethod; endpoint: RpcEndpoint } | { ok: false; failure: RemoteFailure };

export function resolveMethod(
  endpoints: readonly RpcEndpoint[],
  req: { method: string | null; version: string; namespace: string | null },
): Resolution {
  let foundCompatible = false;
  for (const endpoint of endpoints) {
    if ((endpoint.namespace ?? null) !== req.namespace) continue;
    let compatible: boolean;
    try {
      compatible = isVersionCompatible(endpoint.version || '1.0', req.version);
    } catch (err) {
      const cls = err instanceof VersionError ? err.pythonClass : 'ValueError';
      return { ok: false, failure: builtinFailure(cls, (err as Error).message) };
    }
    if (!compatible) continue;
    // Python's hasattr(endpoint, None) raises only once a compatible endpoint is
    // reached; with none, the caller gets UnsupportedVersion like any other method.
    if (req.method === null) {
      return { ok: false, failure: builtinFailure('TypeError', "attribute name must be string, not 'NoneType'") };
    }
    foundCompatible = true;
    if (!req.method.startsWith('_') && Object.hasOwn(endpoint.methods, req.method)) {
      const method = endpoint.methods[req.method];
      if (method) return { ok: true, method, endpoint };
    }
  }
  return {
    ok: false,
    failure: foundCompatible && req.method !== null ? noSuchMethodFailure(req.method) : unsupportedVersionFailure(req.version, req.method),
  };
}

/** oslo's optional liveness endpoint (`rpc_ping_enabled`): default target, so version 1.0 and no namespace. */
export const PING_ENDPOINT: RpcEndpoint = Object.freeze({
  namespace: null,
  version: '1.0',
  methods: Object.freeze({ oslo_rpc_server_ping: () => 'pong' }),
});
