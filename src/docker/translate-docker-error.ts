/**
 * The one place where Docker failures become BridgeErrors.
 *
 * Decisions are made on the HTTP status code (and, for transport failures, the
 * Node.js system error code), never on Docker's message text, which changes
 * between Engine releases. The message is kept for humans.
 */
import { BridgeError, type ErrorCode } from '../errors/bridge-error.js';

/** What kind of object the failed call addressed; picks the not-found code. */
export type DockerResourceKind = 'container' | 'image' | 'exec' | 'engine';

/** Facts about the failed call. */
export interface DockerCallContext {
  /** Short description of the call, e.g. "start container nova-…". */
  readonly operation: string;
  readonly kind: DockerResourceKind;
  /** Container/image/exec ID or name, when there is one. */
  readonly target?: string;
  /** Set when the call's own signal aborted: distinguishes deadline from cancellation. */
  readonly aborted?: 'timeout' | 'cancelled';
}

/** Node.js socket-level error codes that mean "the Engine is not there (right now)". */
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ENOENT', // Unix socket file missing: dockerd not running
  'EPIPE',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'EACCES', // socket exists but we may not use it (not in the docker group)
  'UND_ERR_SOCKET',
  'ERR_SOCKET_CLOSED',
]);

/** TLS failures talking to a remote Engine: a configuration problem, not a blip. */
const TLS_ERRNO_PREFIXES = ['ERR_TLS_', 'ERR_SSL_', 'CERT_', 'UNABLE_TO_', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN'];

function notFoundCode(kind: DockerResourceKind): ErrorCode {
  if (kind === 'image') return 'ERR_IMAGE_NOT_FOUND';
  if (kind === 'container' || kind === 'exec') return 'ERR_INSTANCE_NOT_FOUND';
  // A 404 on an Engine-level path means the API route itself is missing.
  return 'ERR_DOCKER';
}

/** Maps an HTTP status from the Engine to an error code. 2xx never reaches here. */
export function codeForDockerStatus(status: number, kind: DockerResourceKind): ErrorCode {
  if (status === 304) return 'ERR_CONFLICT'; // "not modified" where the caller did not accept it
  if (status === 400) return 'ERR_INVALID_ARGUMENT';
  if (status === 401 || status === 403) return 'ERR_UNAUTHORIZED';
  if (status === 404) return notFoundCode(kind);
  if (status === 409) return 'ERR_CONFLICT';
  // 500, 503 and anything unexpected.
  return 'ERR_DOCKER';
}

function errnoOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  // undici-style and AggregateError (happy-eyeballs) wrap the real socket error.
  const cause = (err as { cause?: unknown }).cause;
  if (cause !== undefined && cause !== err) return errnoOf(cause);
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.length > 0) return errnoOf(errors[0]);
  return undefined;
}

function statusOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const s = (err as { statusCode?: unknown }).statusCode;
  return typeof s === 'number' && Number.isInteger(s) ? s : undefined;
}

/** Docker's own explanation, from the JSON body ({"message": "..."}), else the error text. */
function engineMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const json = (err as { json?: unknown }).json;
    if (typeof json === 'object' && json !== null && typeof (json as { message?: unknown }).message === 'string') {
      return ((json as { message: string }).message).trim();
    }
    if (Buffer.isBuffer(json) && json.length > 0) return json.toString('utf8').trim();
    if (err instanceof Error) return err.message.trim();
  }
  return String(err);
}

/** Turns anything a dockerode call threw into a BridgeError. BridgeErrors pass through. */
export function translateDockerError(err: unknown, ctx: DockerCallContext): BridgeError {
  if (err instanceof BridgeError) return err;
  const target = ctx.target === undefined ? {} : { target: ctx.target };

  if (ctx.aborted === 'timeout') {
    return new BridgeError('ERR_TIMEOUT', `Docker Engine did not answer in time: ${ctx.operation}`, {
      cause: err,
      details: { operation: ctx.operation, ...target },
    });
  }
  if (ctx.aborted === 'cancelled') {
    return new BridgeError('ERR_ABORTED', `Docker call cancelled: ${ctx.operation}`, { cause: err, details: { operation: ctx.operation, ...target } });
  }

  const status = statusOf(err);
  if (status !== undefined) {
    const code = codeForDockerStatus(status, ctx.kind);
    return new BridgeError(code, `${ctx.operation}: Docker Engine answered ${status}: ${engineMessage(err)}`, {
      cause: err,
      details: { operation: ctx.operation, http_status: status, ...target },
    });
  }

  const errno = errnoOf(err);
  if (errno !== undefined && (UNAVAILABLE_ERRNOS.has(errno) || errno.startsWith('UND_ERR_CONNECT'))) {
    return new BridgeError('ERR_DOCKER_UNAVAILABLE', `Docker Engine unreachable (${errno}) during ${ctx.operation}`, {
      cause: err,
      details: { operation: ctx.operation, errno, ...target },
    });
  }
  if (errno !== undefined && TLS_ERRNO_PREFIXES.some((p) => errno.startsWith(p))) {
    return new BridgeError('ERR_DOCKER_UNAVAILABLE', `TLS connection to the Docker Engine failed (${errno}) during ${ctx.operation}: check [docker] ca_file, cert_file, key_file`, {
      cause: err,
      details: { operation: ctx.operation, errno, ...target },
    });
  }
  if (err instanceof Error && (err.name === 'AbortError' || errno === 'ABORT_ERR')) {
    // Aborted by a signal we did not create (should not happen): treat as cancellation.
    return new BridgeError('ERR_ABORTED', `Docker call cancelled: ${ctx.operation}`, { cause: err, details: { operation: ctx.operation, ...target } });
  }
  return new BridgeError('ERR_DOCKER', `${ctx.operation} failed: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err,
    details: { operation: ctx.operation, ...(errno === undefined ? {} : { errno }), ...target },
  });
}
