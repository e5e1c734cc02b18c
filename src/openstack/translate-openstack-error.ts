/**
 * The one place where Glance and Keystone failures become BridgeErrors.
 *
 * The code is chosen from the HTTP status (or, for transport failures, the
 * Node.js error code), never from message text. The service's own explanation
 * is kept for humans: Glance answers `{"message": "…<br /><br />", "code":
 * "404 Not Found", "title": …}` when asked for JSON, Keystone
 * `{"error": {"message": …}}`, and keystonemiddleware's 401 is HTML whatever
 * one asks for, so tags are stripped as a last resort.
 */
import { BridgeError, type ErrorCode } from '../errors/bridge-error.js';
import type { OpenStackService } from './http-client.js';

/** Facts about the failed call. */
export interface OpenStackCallContext {
  readonly operation: string;
  readonly service: OpenStackService;
  /** The URL called, for "unreachable" messages (without query string). */
  readonly url: string;
  /** Error code of a 404; default by service. */
  readonly notFoundCode?: ErrorCode;
}

const SERVICE_NAME: Record<OpenStackService, string> = { glance: 'Glance', keystone: 'Keystone' };

/** Socket-level failures that mean "the service is not there (right now)". */
const UNAVAILABLE_ERRNOS = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'ENOTFOUND',
  'ECONNABORTED',
  'ERR_SOCKET_CLOSED',
]);

/** Maps an HTTP status (anything outside 2xx) to an error code. */
export function codeForOpenStackStatus(status: number, service: OpenStackService, notFoundCode?: ErrorCode): ErrorCode {
  if (status === 400 || status === 413 || status === 415 || status === 422) return 'ERR_INVALID_ARGUMENT';
  if (status === 401 || status === 403) return 'ERR_UNAUTHORIZED';
  if (status === 404) return notFoundCode ?? (service === 'keystone' ? 'ERR_CONFIG_INVALID' : 'ERR_GLANCE');
  // Glance: 410 = the image was deleted while its data was being uploaded.
  if (status === 410) return notFoundCode ?? 'ERR_GLANCE';
  if (status === 409) return 'ERR_CONFLICT';
  if (status === 502 || status === 503 || status === 504) return 'ERR_GLANCE_UNAVAILABLE';
  return 'ERR_GLANCE';
}

/**
 * The human explanation inside an error body: Glance's/Keystone's JSON
 * `message`, else the text of an HTML page, else the raw text, cut to 500
 * characters. Empty when there is nothing useful.
 */
export function openStackErrorMessage(body: string): string {
  const text = body.trim();
  if (text === '') return '';
  let extracted: string | undefined;
  if (text.startsWith('{')) {
    try {
      const json = JSON.parse(text) as unknown;
      extracted = messageFromJson(json);
    } catch {
      // Not JSON after all: fall through to the text treatment.
    }
  }
  const raw = extracted ?? (/<[a-z!/][^>]*>/i.test(text) ? htmlText(text) : text);
  const clean = raw
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return clean.length > 500 ? `${clean.slice(0, 497)}...` : clean;
}

function messageFromJson(json: unknown): string | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const o = json as Record<string, unknown>;
  if (typeof o.message === 'string') return o.message;
  const err = o.error;
  if (typeof err === 'object' && err !== null && typeof (err as Record<string, unknown>).message === 'string') {
    return (err as Record<string, string>).message;
  }
  if (typeof o.title === 'string') return o.title;
  return undefined;
}

/** Visible text of an HTML error page, without the <title> (the <h1> repeats it). */
function htmlText(html: string): string {
  return html
    .replace(/<head[\s\S]*?<\/head>/i, ' ')
    .replace(/<br\s*\/?>/gi, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");
}

/** A non-2xx answer as a BridgeError. */
export function translateOpenStackStatus(
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string,
  ctx: OpenStackCallContext,
): BridgeError {
  const name = SERVICE_NAME[ctx.service];
  const code = codeForOpenStackStatus(status, ctx.service, ctx.notFoundCode);
  const said = openStackErrorMessage(body);
  const requestId = headers['x-openstack-request-id'] ?? headers['x-compute-request-id'];
  let message = `${ctx.operation}: ${name} answered ${status}${said === '' ? '' : `: ${said}`}`;
  if (status >= 300 && status < 400) {
    const location = headers.location;
    message += `; redirects are not followed${location ? ` (Location: ${location})` : ''}: configure the final URL`;
  }
  return new BridgeError(code, message, {
    details: {
      operation: ctx.operation,
      service: ctx.service,
      http_status: status,
      ...(requestId === undefined ? {} : { request_id: requestId }),
    },
  });
}

/** The Node.js error code of a transport failure, looking through wrappers. */
export function errnoOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const cause = (err as { cause?: unknown }).cause;
  const code = (err as { code?: unknown }).code;
  // axios puts its own code (ERR_NETWORK, ECONNABORTED…) on the wrapper; the socket's is on the cause.
  if (cause !== undefined && cause !== err) {
    const inner = errnoOf(cause);
    if (inner !== undefined) return inner;
  }
  if (typeof code === 'string') return code;
  const errors = (err as { errors?: unknown }).errors;
  if (Array.isArray(errors) && errors.length > 0) return errnoOf(errors[0]);
  return undefined;
}

/** A failure below HTTP (refused, reset, DNS, TLS) as a BridgeError. BridgeErrors pass through. */
export function translateOpenStackTransportError(err: unknown, ctx: OpenStackCallContext): BridgeError {
  if (err instanceof BridgeError) return err;
  const name = SERVICE_NAME[ctx.service];
  const errno = errnoOf(err);
  const text = err instanceof Error ? err.message : String(err);
  if (errno !== undefined && (UNAVAILABLE_ERRNOS.has(errno) || errno.startsWith('UND_ERR_'))) {
    return new BridgeError('ERR_GLANCE_UNAVAILABLE', `${ctx.operation}: ${name} at ${ctx.url} unreachable (${errno})`, {
      cause: err,
      details: { operation: ctx.operation, service: ctx.service, errno },
    });
  }
  if (errno !== undefined && /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN)/.test(errno)) {
    return new BridgeError('ERR_GLANCE_UNAVAILABLE', `${ctx.operation}: TLS connection to ${name} at ${ctx.url} failed (${errno}): ${text}`, {
      cause: err,
      details: { operation: ctx.operation, service: ctx.service, errno },
    });
  }
  if (errno === 'ERR_INVALID_URL') {
    return new BridgeError('ERR_CONFIG_INVALID', `${ctx.operation}: not a valid ${name} URL: ${ctx.url}`, { cause: err, details: { operation: ctx.operation } });
  }
  return new BridgeError('ERR_GLANCE', `${ctx.operation}: request to ${name} failed: ${text}`, {
    cause: err,
    details: { operation: ctx.operation, service: ctx.service, ...(errno === undefined ? {} : { errno }) },
  });
}
