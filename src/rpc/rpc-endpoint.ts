/**
 * What the RPC server dispatches to. An endpoint is a set of methods served
 * under one (namespace, version) pair, with oslo.messaging's compatibility
 * rules: same major, requested minor ≤ served minor.
 */

/** The caller's request context, unpacked from the `_context_*` keys. */
export interface RequestContext {
  /** Every context key as sent (Nova sends 25: user_id, project_id, auth_token, request_id, …). */
  readonly values: Readonly<Record<string, unknown>>;
  /** `request_id` when the caller sent one (Nova: `req-<uuid>`). */
  readonly requestId: string | undefined;
  /** The caller's Keystone token, when it sent one (`auth_token`). */
  readonly authToken: string | undefined;
  /** The caller's `call_monitor_timeout` in seconds (`_timeout`), or null. */
  readonly clientTimeout: number | null;
}

/**
 * One RPC method. `args` are the keyword arguments as sent. `signal` aborts when
 * the service is shutting down past its grace period.
 * Throw a BridgeError (or anything: it becomes ERR_INTERNAL) to fail the call.
 */
export type RpcMethod = (ctx: RequestContext, args: Record<string, unknown>, signal: AbortSignal) => unknown;

/** A group of methods served together under one namespace and version. */
export interface RpcEndpoint {
  /** oslo namespace; `null`/absent matches only requests without a namespace. */
  readonly namespace?: string | null;
  /** The version served, "X.Y" (or "X.Y.Z"). */
  readonly version: string;
  readonly methods: Readonly<Record<string, RpcMethod>>;
}

/**
 * What a Python peer re-raises: `module.class(*args, **kwargs)` when the module is
 * in its `allowed_remote_exmods`, otherwise `RemoteError(class, message)`.
 */
export interface RemoteFailure {
  readonly module: string;
  readonly class: string;
  readonly message: string;
  readonly args?: readonly unknown[];
  readonly kwargs?: Readonly<Record<string, unknown>>;
}

/** Turns an error thrown by a method into the exception a Python caller should see. */
export type FailureMapper = (err: unknown) => RemoteFailure;
