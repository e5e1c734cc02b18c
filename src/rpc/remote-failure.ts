/**
 * The `failure` field of a reply: a JSON string holding
 * `{class, module, message, tb, args, kwargs}` (PROTOCOL.md §5). A Python
 * caller re-raises `module.class(*args, **kwargs)` when the module is in its
 * `allowed_remote_exmods` (or is `builtins`), and `RemoteError` otherwise.
 */
import { BridgeError, ERROR_CODES, type ErrorCode, toBridgeError } from '../errors/bridge-error.js';
import type { FailureMapper, RemoteFailure } from './rpc-endpoint.js';
import { pyJsonDumps } from './python-json.js';

/** Module of the exception classes the bridge raises by default (see nova-shim/nova_docker_bridge/exception.py). */
export const BRIDGE_EXCEPTION_MODULE = 'nova_docker_bridge.exception';
export const DISPATCHER_MODULE = 'oslo_messaging.rpc.dispatcher';

/** oslo's own dispatcher failures, spelled exactly as oslo spells them. */
export function noSuchMethodFailure(method: string): RemoteFailure {
  return { module: DISPATCHER_MODULE, class: 'NoSuchMethod', message: `Endpoint does not support RPC method ${method}` };
}

export function unsupportedVersionFailure(version: string, method: string | null): RemoteFailure {
  return {
    module: DISPATCHER_MODULE,
    class: 'UnsupportedVersion',
    // oslo names the method only when it is truthy ("if method:").
    message: `Endpoint does not support RPC version ${version}${method ? `. Attempted method: ${method}` : ''}`,
  };
}

export function builtinFailure(cls: string, message: string): RemoteFailure {
  return { module: 'builtins', class: cls, message };
}

/** `ERR_INSTANCE_NOT_FOUND` → `InstanceNotFound`: the stable Python class name of a code. */
export function exceptionClassForCode(code: ErrorCode): string {
  return code
    .replace(/^ERR_/, '')
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');
}

/** The default mapping: our errors as `nova_docker_bridge.exception.<Class>` with code, fault and details as kwargs. */
export const bridgeFailureMapper: FailureMapper = (err) => {
  const e = toBridgeError(err);
  // A detail must not shadow the code (the caller maps on it) nor be called "message":
  // Python re-raises klass(message, **kwargs), and a second "message" makes that
  // raise TypeError, so the caller would get a bare RemoteError instead.
  const kwargs: Record<string, unknown> = { code: e.code, fault: e.fault };
  for (const [k, v] of Object.entries(e.details)) kwargs[Object.hasOwn(kwargs, k) || k === 'message' ? `detail_${k}` : k] = v;
  return {
    module: BRIDGE_EXCEPTION_MODULE,
    class: exceptionClassForCode(e.code),
    message: e.message,
    kwargs,
  };
};

/** Serializes a failure with oslo's key order; `stack` becomes Python-traceback-like lines. */
export function encodeFailure(f: RemoteFailure, stack?: string): string {
  const tb = ['Traceback (most recent call last):\n'];
  for (const line of (stack ?? '').split('\n').slice(1, 11)) {
    const frame = line.trim();
    if (frame.startsWith('at ')) tb.push(`  File "${frame.slice(3)}"\n`);
  }
  tb.push(`${f.module === 'builtins' ? '' : `${f.module}.`}${f.class}: ${f.message}\n`);
  return pyJsonDumps({
    class: f.class,
    module: f.module,
    message: f.message,
    tb,
    args: f.args ?? [f.message],
    kwargs: f.kwargs ?? {},
  });
}

/** A failure decoded on the client side: the remote exception, as a BridgeError. */
export class RemoteRpcError extends BridgeError {
  readonly remoteClass: string;
  readonly remoteModule: string;
  readonly remoteMessage: string;
  readonly remoteArgs: readonly unknown[];
  readonly remoteKwargs: Readonly<Record<string, unknown>>;
  readonly remoteTraceback: readonly string[];

  constructor(f: { class: string; module: string; message: string; args: unknown[]; kwargs: Record<string, unknown>; tb: string[] }) {
    super(codeForRemote(f), `Remote error: ${f.class} ${f.message}`, { details: { remote_class: f.class, remote_module: f.module } });
    this.remoteClass = f.class;
    this.remoteModule = f.module;
    this.remoteMessage = f.message;
    this.remoteArgs = f.args;
    this.remoteKwargs = f.kwargs;
    this.remoteTraceback = f.tb;
  }
}

function codeForRemote(f: { class: string; module: string; kwargs: Record<string, unknown> }): ErrorCode {
  if (f.module === DISPATCHER_MODULE && f.class === 'NoSuchMethod') return 'ERR_NO_SUCH_METHOD';
  if (f.module === DISPATCHER_MODULE && f.class === 'UnsupportedVersion') return 'ERR_UNSUPPORTED_VERSION';
  const code = f.kwargs.code;
  if (f.module === BRIDGE_EXCEPTION_MODULE && typeof code === 'string' && Object.hasOwn(ERROR_CODES, code)) return code as ErrorCode;
  return 'ERR_RPC_REMOTE';
}

/** Parses a `failure` string; an unparsable one still yields a RemoteRpcError that says so. */
export function decodeFailure(failure: string): RemoteRpcError {
  let data: Record<string, unknown>;
  try {
    const parsed: unknown = JSON.parse(failure);
    data = typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    data = { class: 'RemoteError', module: 'oslo_messaging.rpc.client', message: `unparsable failure: ${failure.slice(0, 200)}` };
  }
  return new RemoteRpcError({
    class: typeof data.class === 'string' ? data.class : 'RemoteError',
    module: typeof data.module === 'string' ? data.module : '',
    message: typeof data.message === 'string' ? data.message : '',
    args: Array.isArray(data.args) ? data.args : [],
    kwargs: typeof data.kwargs === 'object' && data.kwargs !== null ? (data.kwargs as Record<string, unknown>) : {},
    tb: Array.isArray(data.tb) ? data.tb.map(String) : [],
  });
}
