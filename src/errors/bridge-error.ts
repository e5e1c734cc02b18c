/**
 * The project's one error taxonomy.
 *
 * Every failure that crosses a module boundary is a {@link BridgeError} with a
 * stable `code` (never rename one: logs, alerts and the Nova shim match on them),
 * a `fault` that says whose mistake it was, and whether retrying can help.
 * Adapters (Docker, Glance, the RPC bus) translate foreign errors into these in
 * exactly one place each; the RPC edge turns them into the exception classes a
 * Python peer re-raises.
 */

/** Who caused the failure: the caller (bad input, missing thing) or us/the backend. */
export type Fault = 'client' | 'server';

interface CodeInfo {
  readonly fault: Fault;
  readonly retryable: boolean;
  readonly summary: string;
}

/** Every error code, with its fault class. The table is the documentation. */
export const ERROR_CODES = {
  ERR_CONFIG_INVALID: { fault: 'client', retryable: false, summary: 'a configuration value is invalid' },
  ERR_INVALID_ARGUMENT: { fault: 'client', retryable: false, summary: 'a request argument is missing or malformed' },
  ERR_MALFORMED_MESSAGE: { fault: 'client', retryable: false, summary: 'a bus message could not be decoded' },
  ERR_NO_SUCH_METHOD: { fault: 'client', retryable: false, summary: 'the RPC method is not served' },
  ERR_UNSUPPORTED_VERSION: { fault: 'client', retryable: false, summary: 'no endpoint serves the requested RPC version/namespace' },
  ERR_INSTANCE_NOT_FOUND: { fault: 'client', retryable: false, summary: 'no container exists for the instance' },
  ERR_IMAGE_NOT_FOUND: { fault: 'client', retryable: false, summary: 'the image is not available' },
  ERR_INVALID_IMAGE: { fault: 'client', retryable: false, summary: 'the image data is unusable (corrupt, hostile or wrong format)' },
  ERR_CONFLICT: { fault: 'client', retryable: true, summary: 'the object is in a state that does not allow the operation' },
  ERR_NOT_SUPPORTED: { fault: 'client', retryable: false, summary: 'the operation is not supported by this driver' },
  ERR_UNAUTHORIZED: { fault: 'client', retryable: false, summary: 'credentials were refused' },
  ERR_RPC_TIMEOUT: { fault: 'server', retryable: true, summary: 'no reply arrived in time' },
  ERR_RPC_REMOTE: { fault: 'server', retryable: false, summary: 'the remote RPC peer raised an exception' },
  ERR_BUS_UNAVAILABLE: { fault: 'server', retryable: true, summary: 'the message broker cannot be reached' },
  ERR_DOCKER_UNAVAILABLE: { fault: 'server', retryable: true, summary: 'the Docker Engine cannot be reached' },
  ERR_DOCKER: { fault: 'server', retryable: false, summary: 'the Docker Engine failed the request' },
  ERR_GLANCE_UNAVAILABLE: { fault: 'server', retryable: true, summary: 'Glance or Keystone cannot be reached' },
  ERR_GLANCE: { fault: 'server', retryable: false, summary: 'Glance or Keystone failed the request (or answered something unusable)' },
  ERR_VIF_PLUG_FAILED: { fault: 'server', retryable: true, summary: 'the instance\'s network interfaces could not be plugged on the host' },
  ERR_DEPLOY_FAILED: { fault: 'server', retryable: false, summary: 'the instance could not be deployed' },
  ERR_POWER_OFF_FAILED: { fault: 'server', retryable: false, summary: 'the instance could not be stopped' },
  ERR_TIMEOUT: { fault: 'server', retryable: true, summary: 'an operation ran past its deadline' },
  ERR_ABORTED: { fault: 'server', retryable: true, summary: 'the operation was cancelled' },
  ERR_SHUTTING_DOWN: { fault: 'server', retryable: true, summary: 'the service is stopping' },
  ERR_INTERNAL: { fault: 'server', retryable: false, summary: 'an unexpected internal error' },
} as const satisfies Record<string, CodeInfo>;

export type ErrorCode = keyof typeof ERROR_CODES;

/** Options accepted by {@link BridgeError}. */
export interface BridgeErrorOptions {
  /** The underlying error, kept for logs; never sent over the bus. */
  cause?: unknown;
  /** Structured, JSON-safe facts about the failure (ids, statuses). Sent to callers. */
  details?: Record<string, unknown>;
}

export class BridgeError extends Error {
  override readonly name = 'BridgeError';
  readonly code: ErrorCode;
  readonly fault: Fault;
  readonly retryable: boolean;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: BridgeErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.fault = ERROR_CODES[code].fault;
    this.retryable = ERROR_CODES[code].retryable;
    this.details = Object.freeze({ ...(options.details ?? {}) });
  }

  /** A JSON-safe view for logs and RPC failure payloads. */
  toJSON(): { code: ErrorCode; fault: Fault; message: string; details: Record<string, unknown> } {
    return { code: this.code, fault: this.fault, message: this.message, details: { ...this.details } };
  }
}

export function isBridgeError(err: unknown, code?: ErrorCode): err is BridgeError {
  return err instanceof BridgeError && (code === undefined || err.code === code);
}

/** Wraps anything thrown into a BridgeError, keeping BridgeErrors as they are. */
export function toBridgeError(err: unknown, fallback: ErrorCode = 'ERR_INTERNAL'): BridgeError {
  if (err instanceof BridgeError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new BridgeError(fallback, message, { cause: err });
}
